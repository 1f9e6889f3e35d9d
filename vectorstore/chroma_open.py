"""Opening Chroma: the server or on-disk client, and the checks that run before and after.

A server must answer a short heartbeat first (chromadb's own client can wait long on a dead
host). A chunk store must agree with the article store: a 0-byte `chroma.sqlite3` or an empty
collection beside article records is refused with the repair (`parley doctor --repair`), never
treated as a new, empty store.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlparse

from parley.core.errors import StoreError
from parley.core.settings import Settings

_HEARTBEAT_TIMEOUT_S = 3.0


def client_settings() -> Any:
    """Chroma client settings: no telemetry."""
    from chromadb.config import Settings as ChromaSettings  # heavy: only when a store opens

    return ChromaSettings(anonymized_telemetry=False)


def parse_url(url: str) -> tuple[str, int, bool]:
    """(host, port, https) of PARLEY_CHROMA_URL."""
    u = urlparse(url if "://" in url else f"http://{url}")
    if not u.hostname:
        raise StoreError(f"PARLEY_CHROMA_URL={url} is not a URL; use e.g. http://127.0.0.1:8000")
    ssl = u.scheme == "https"
    return u.hostname, u.port or (443 if ssl else 8000), ssl


def http_client(url: str, timeout_s: float = 30.0) -> Any:
    """Connect to a Chroma server, failing fast with one line when it is not answering.

    chromadb's HTTP client waits forever (httpx timeout=None): connecting is bounded here by
    `timeout_s` (PARLEY_CHROMA_TIMEOUT_S), and every later request by the same timeout.
    """
    import chromadb  # ~1 s to import: paid only when a store is opened
    import httpx  # ~0.1 s more, and only a server store needs it

    host, port, ssl = parse_url(url)
    base = f"{'https' if ssl else 'http'}://{host}:{port}"
    try:  # our own short heartbeat: chromadb's client can wait long on an unreachable host
        httpx.get(f"{base}/api/v2/heartbeat", timeout=_HEARTBEAT_TIMEOUT_S).raise_for_status()
    except Exception as e:
        raise StoreError(
            f"Chroma server at PARLEY_CHROMA_URL={url} is not answering ({type(e).__name__}); "
            "start it with `chroma run --path DIR --port PORT` or unset PARLEY_CHROMA_URL"
        ) from e
    made: dict[str, Any] = {}

    def connect() -> None:
        try:
            made["client"] = chromadb.HttpClient(host=host, port=port, ssl=ssl,
                                                 settings=client_settings())
        except Exception as e:  # noqa: BLE001 - reported below, as one line
            made["error"] = e

    worker = threading.Thread(target=connect, daemon=True)  # a hung server cannot hold us
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise StoreError(f"Chroma server at PARLEY_CHROMA_URL={url} did not answer within "
                         f"{timeout_s:g}s: is it overloaded? raise PARLEY_CHROMA_TIMEOUT_S")
    if "error" in made:
        raise StoreError(f"cannot use Chroma server at PARLEY_CHROMA_URL={url}: {made['error']}")
    client = made["client"]
    session = getattr(getattr(client, "_server", None), "_session", None)
    if session is not None:  # every request from now on is bounded too
        session.timeout = httpx.Timeout(timeout_s)
    return client


def persistent_client(settings: Settings) -> Any:
    """The embedded on-disk Chroma client, or a StoreError saying how to start over."""
    import chromadb  # ~1 s to import: paid only when a store is opened

    path = settings.chroma_path
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=client_settings())
    except Exception as e:
        raise StoreError(
            f"cannot open the Chroma store at {path} ({type(e).__name__}: {e}); it may come from "
            f"another Chroma version: delete {path} (PARLEY_DATA_DIR/chroma) and re-ingest"
        ) from e


def record_count(settings: Settings) -> int:
    """How many article records the article store holds (file count only: cheap)."""
    root = settings.articles_dir
    if not root.is_dir():
        return 0
    return sum(1 for p in root.glob("*.json") if not p.name.startswith("."))


def disagree_message(what: str, n: int, settings: Settings) -> str:
    """The one line for a chunk store and an article store that disagree, with the repair."""
    return (f"{what} but the article store {settings.articles_dir} holds {n} articles: they "
            "disagree; run `parley doctor --repair` to rebuild the chunks from the article store "
            "(or delete both and run `parley ingest` again)")


def refuse_blank_file(settings: Settings) -> None:
    """A 0-byte chroma.sqlite3 (truncated or emptied) beside article records is not a new store."""
    db = settings.chroma_path / "chroma.sqlite3"
    if db.is_file() and db.stat().st_size == 0 and (n := record_count(settings)):
        raise StoreError(disagree_message(f"the Chroma file {db} is empty (0 bytes)", n, settings))
