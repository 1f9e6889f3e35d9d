"""The one error boundary for calls to outside services (chat model, embeddings endpoint).

`outside_call(backend, ErrorClass)` wraps a call: connection failures, timeouts, HTTP errors and
malformed answers (HTTP 200 with bad JSON, also mid-stream) leave it as ONE line that names the
backend, its URL (no credentials) and the setting to change, with every secret masked (also when
the server echoes the request's headers or body back). `split_timeout` splits one timeout
setting over the attempts so that the whole call, retries included, stays within it.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

from parley.core.errors import ParleyError
from parley.core.secrets import mask_secrets, public_url

_BACKOFF_S = 0.5  # openai's first back-off is at most 0.5 s, then it doubles


@dataclass(frozen=True)
class Backend:
    """What a message about an outside service names: the service, its URL and its settings."""

    what: str  # "chat model", "embedding endpoint"
    url: str
    url_setting: str
    key_setting: str
    timeout_setting: str
    retries_setting: str = "PARLEY_LLM_MAX_RETRIES"
    model_setting: str = "PARLEY_OPENAI_MODEL"

    @property
    def where(self) -> str:
        return f"{self.what} at {public_url(self.url)}"


@lru_cache(maxsize=1)
def http_errors() -> tuple[tuple[type[BaseException], ...], ...]:
    """(any, timeout, transport, malformed) error classes of openai and its httpx flavours."""
    import openai  # only callers that talk HTTP pay for this import

    found: tuple[list, ...] = ([openai.APIError], [openai.APITimeoutError],
                               [openai.APIConnectionError], [openai.APIResponseValidationError])
    for name in ("httpx", "httpx2"):  # openai 3.x runs on httpx2; mid-stream reads may leak them
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        for group, attr in zip(found[:3], ("HTTPError", "TimeoutException", "TransportError"),
                               strict=True):
            group.append(getattr(mod, attr))
        found[3].append(getattr(mod, "DecodingError", json.JSONDecodeError))
    found[3].append(json.JSONDecodeError)
    return tuple(tuple(group) for group in found)


def split_timeout(total_s: float, retries: int) -> tuple[float, int]:
    """(per-attempt timeout, retries) so that every attempt and its back-off fit in total_s.

    openai's client waits up to 0.5 s before the first retry, doubling after; when the budget
    is too small for that, the call gets no retry rather than a longer wait.
    """
    for r in range(retries, 0, -1):
        spare = total_s - _BACKOFF_S * (2**r - 1)
        if spare >= (r + 1) * 0.5:
            return spare / (r + 1), r
    return total_s, 0


def short(text: str, limit: int = 200) -> str:
    """One line of at most `limit` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(exc: BaseException, backend: Backend, *, timeout: float | None = None,
             model: str | None = None) -> str:
    """The one-line message for a failed outside call (secrets not yet masked)."""
    any_err, timeouts, transport, malformed = http_errors()
    where = backend.where
    status = getattr(exc, "status_code", None)
    if isinstance(exc, malformed) or (status is None and isinstance(exc, ValueError | KeyError | TypeError)):
        return (f"{where} sent a malformed response ({type(exc).__name__}: {short(exc, 120)}): "
                f"is {backend.url_setting} an OpenAI-compatible server?")
    if isinstance(exc, timeouts):
        wait = f" within {timeout:g}s" if isinstance(timeout, int | float) else ""
        return (f"{where} did not answer{wait}: is it overloaded? raise {backend.timeout_setting} "
                "or shorten the input")
    if isinstance(exc, transport) or (status is None and isinstance(exc, OSError)):
        return f"cannot reach {where}: is the server running? check {backend.url_setting}"
    if status in (401, 403):
        # never echo the server's text here: OpenAI quotes part of the rejected key in it
        return f"{where} rejected the API key (HTTP {status}): check {backend.key_setting}"
    if status == 404:
        return (f"{where} has no model {model!r} or no such endpoint (HTTP 404): check "
                f"{backend.model_setting} and {backend.url_setting} (it usually ends in /v1)")
    if status == 429:
        return (f"{where} is rate-limiting requests (HTTP 429): wait and retry, or raise "
                f"{backend.retries_setting}")
    if status is not None:
        return f"{where} failed with HTTP {status}: {short(getattr(exc, 'message', '') or exc)}"
    return f"{where} failed ({type(exc).__name__}: {short(exc)}): check {backend.url_setting}"


@contextmanager
def outside_call(backend: Backend, error: type[ParleyError], *, secret: str | None = None,
                 timeout: float | None = None, model: str | None = None) -> Iterator[None]:
    """Turn any failure of the outside call inside the block into one `error` line."""
    malformed = http_errors()[3]
    try:
        yield
    except ParleyError:
        raise
    except (*http_errors()[0], *malformed, OSError, ValueError, KeyError, TypeError) as exc:
        raise error(mask_secrets(describe(exc, backend, timeout=timeout, model=model), secret)) from None
