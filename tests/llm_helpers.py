"""Test helpers for the chat-model seam: tiny HTTP stubs, the shared GGUF, a real llama.cpp server.

The joined GGUF (~490 MB) is cached in ONE place for the whole test session, and across
sessions: `$PARLEY_SHARED_MODELS_DIR` if set (tests/conftest.py leaves that variable alone),
else `~/.cache/parley/models`. The `local_gguf` fixture joins it there once and exports
PARLEY_SHARED_MODELS_DIR, so any `Settings()` built later in the session reuses it.

Its session fixtures (`local_gguf`, `llama_server`) are registered once in conftest.py: request them
by name; import only the helpers (`local_settings`, `require_llama_cpp`, `free_port`, ...).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from proc_helpers import free_port, served

from chains.modelfiles import PACKAGED_MODELS, join_packaged_model
from parley.core.errors import ModelError
from parley.core.settings import Settings

SHARED_ENV = "PARLEY_SHARED_MODELS_DIR"


@contextmanager
def http_stub(
    status: int = 200, body: dict | None = None, delay: float = 0.0, seen: list | None = None
) -> Iterator[str]:
    """Serve every POST/GET with `status` + JSON `body` after `delay` s; yield the /v1 base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if seen is not None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                seen.append({"path": self.path, "headers": headers, "body": raw})
            time.sleep(delay)
            data = json.dumps(body or {}).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up (timeout test): nothing to answer
                pass

        do_POST = do_GET = _reply

        def log_message(self, *args: object) -> None:  # keep pytest output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def shared_models_dir() -> Path:
    """Where the test session keeps joined GGUF models."""
    env = os.environ.get(SHARED_ENV)
    return Path(env).expanduser() if env else Path("~/.cache/parley/models").expanduser()


def require_llama_cpp() -> None:
    """Skip the calling test when llama-cpp-python (the `local` extra) is not installed."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python not installed: pip install 'parley[local]'")


@pytest.fixture(scope="session")
def local_gguf() -> Iterator[Path]:
    """Join the packaged Qwen 0.5B once into the shared cache; yield its path."""
    cache = shared_models_dir()
    try:
        path = join_packaged_model(PACKAGED_MODELS["qwen2.5-0.5b"], cache)
    except ModelError as exc:
        pytest.skip(str(exc))
    previous = os.environ.get(SHARED_ENV)
    os.environ[SHARED_ENV] = str(cache)
    yield path
    if previous is None:
        os.environ.pop(SHARED_ENV, None)


def local_settings(gguf: Path, **overrides: object) -> Settings:
    """Settings for the embedded model with test-sized knobs (small context, few tokens)."""
    values: dict[str, object] = {
        "llm_backend": "local",
        "local_model_path": gguf,
        "n_ctx": 2048,
        # 1 thread: llama.cpp busy-waits, and with other work on a 2-core box 2 threads ran 4-5x slower
        "n_threads": 1,
        "max_tokens": 32,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def llama_server(local_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run `python -m llama_cpp.server` on the shared GGUF; yield its /v1 base URL."""
    require_llama_cpp()
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama_server") / "server.log"
    cmd = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(local_gguf), "--model_alias", "local",
        "--host", "127.0.0.1", "--port", str(port),
        # 1 thread (answer and prompt): see local_settings; 2 collapse when the box is busy
        "--n_threads", "1", "--n_threads_batch", "1", "--n_ctx", "2048",
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    with served(cmd, f"{base}/models", log_path, name="llama_cpp.server", deadline_s=120):
        yield base
