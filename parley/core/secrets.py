"""Keep credentials out of everything Parley shows: messages, logs, page text, URLs.

`mask_secrets` replaces the values of every `*_API_KEY` / `*_TOKEN` / `*_SECRET` / `*_PASSWORD`
environment variable, plus anything shaped like a credential (`Bearer …`, `sk-…`, `api_key=…`,
user:password in a URL), with `***`. Every ParleyError message goes through it, so a server that
echoes the request's Authorization header back cannot put the key in front of a user.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
_SECRET_ENV = re.compile(r"(?:API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD)$", re.IGNORECASE)
_NOT_SECRET = {"", "not-needed", "none", "null", "EMPTY"}
_SHAPES = [
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{8,}"),
    re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"),
    re.compile(r"""(?i)(["']?(?<![/.\w-])(?:api[_-]?key|x-api-key|authorization|password|passwd|secret|token)["']?\s*[:=]\s*["']?)"""
               r"""(?!\*\*\*)[^\s"',;&}]{3,}"""),
    re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]*://)[^\s/@:]*:[^\s/@]*@"),  # scheme://user:pass@
]


def known_secrets() -> list[str]:
    """Values of the credential-named environment variables (longest first)."""
    vals = {v.strip() for k, v in os.environ.items() if _SECRET_ENV.search(k)}
    return sorted((v for v in vals if v not in _NOT_SECRET and len(v) >= 4), key=len, reverse=True)


def mask_secrets(text: str, *secrets: str | None) -> str:
    """`text` with every known or credential-shaped secret replaced by ***."""
    for s in [*(x for x in secrets if x and x not in _NOT_SECRET and len(x) >= 4), *known_secrets()]:
        text = text.replace(s, MASK)
    text = _SHAPES[0].sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _SHAPES[1].sub(MASK, text)
    text = _SHAPES[2].sub(lambda m: m.group(1) + MASK, text)
    return _SHAPES[3].sub(lambda m: m.group(1) + MASK + "@", text)


def public_url(url: str) -> str:
    """The URL without any user:password, fit to show and log (never raises)."""
    try:
        parts = urlsplit(url)
        if parts.username or parts.password:
            host = parts.hostname or ""
            netloc = f"{host}:{parts.port}" if parts.port else host
            parts = parts._replace(netloc=netloc)
        return urlunsplit(parts)
    except ValueError:  # a malformed URL (bad port): drop anything before an '@'
        return re.sub(r"(://)[^/@]*@", r"\1", url)
