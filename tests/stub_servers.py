"""Misbehaving OpenAI-compatible endpoints on 127.0.0.1 for the bad-input suite.

Each stub is a real HTTP server in a thread, bounded (a silent one holds a request at most
`hold_s` seconds) and self-stopping (it shuts down when its `with` block ends, or after
`lifetime_s` whatever happens), so a failing test never leaves a server behind.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("silent", "http500_echo", "http401_echo", "malformed", "malformed_stream", "empty_data")


def _chat_chunk(text: str) -> bytes:
    body = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "stub",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return f"data: {json.dumps(body)}\n\n".encode()


@contextmanager
def stub_endpoint(mode: str, *, hold_s: float = 30.0, lifetime_s: float = 120.0) -> Iterator[str]:
    """Serve `mode` on a free port; yield the /v1 base URL; stop when the block ends."""
    assert mode in MODES, mode
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                self._answer(raw)
            except OSError:  # the client gave up (timeout tests): nothing to answer
                pass

        do_GET = do_POST

        def _answer(self, raw: bytes) -> None:
            if mode == "silent":  # accept, then never answer (until the test ends)
                stop.wait(hold_s)
                return
            if mode in ("http500_echo", "http401_echo"):  # a verbose server quoting the request
                echo = {"error": {"message": f"bad request; headers={dict(self.headers)!r} "
                                             f"body={raw.decode(errors='replace')[:300]}"}}
                self._send(500 if mode == "http500_echo" else 401, json.dumps(echo).encode())
                return
            if mode == "malformed":
                self._send(200, b'{"choices": [ {"message": oops this is not JSON')
                return
            if mode == "empty_data":
                self._send(200, json.dumps({"object": "list", "data": []}).encode())
                return
            wants_stream = b'"stream": true' in raw or b'"stream":true' in raw
            if not wants_stream:
                self._send(200, b'{"id": "x", "choices": [{"index": 0, "message": {"content": ')
                return
            body = _chat_chunk("Half an answer") + b"data: {not json at all\n\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    watchdog = threading.Timer(lifetime_s, server.shutdown)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        stop.set()
        watchdog.cancel()
        server.shutdown()
        server.server_close()
