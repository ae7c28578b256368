"""Pieces of OAuth a test works out by itself: the parameters of a redirect,
a URL with other parameters, and a PKCE pair (RFC 7636)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit


def query(url: str) -> dict[str, str]:
    """The query parameters of *url*: the first value of each, blank ones kept."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def with_params(url: str, **params: str | None) -> str:
    """*url* with query parameters replaced; ``None`` drops one."""
    merged = {**query(url), **params}
    kept = {k: v for k, v in merged.items() if v is not None}
    return urlunsplit(urlsplit(url)._replace(query=urlencode(kept)))


def s256(verifier: str) -> str:
    """The S256 code challenge of *verifier*."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pkce_pair() -> tuple[str, str]:
    """A fresh (code verifier, S256 code challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)
