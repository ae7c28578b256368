"""Tokens as the extension stores them, and signed ID tokens, for tests.

:func:`make_token` builds a token as a login stores it; :func:`make_id_token`
signs an OpenID Connect ID token with a :class:`~.keys.SigningKey` (good
ones, and broken ones to test refusals).
"""

from __future__ import annotations

import secrets
import time
import typing as t

from ..protocol.oidc import token_hash
from .keys import SigningKey, default_key


def make_token(
    *,
    access_token: str | None = None,
    refresh_token: str | None = None,
    id_token: str | None = None,
    scope: str | None = None,
    expires_in: float | None = 3600,
    iss: str | None = None,
    sub: str | None = None,
    **extra: t.Any,
) -> dict[str, t.Any]:
    """A token as the extension stores it after a login.

    ``access_token`` (random unless given), ``token_type`` (``Bearer``),
    ``expires_at`` (now plus *expires_in*, or ``None`` for a token that does
    not expire), and ``iss``/``sub`` of the user it was issued for, plus
    ``refresh_token``, ``id_token`` and ``scope`` when given.

    Without a *refresh_token*, a token past its expiry ends the login (the
    extension raises :class:`~flask_oauth2login.NotLoggedInError`) instead of
    calling the provider to refresh it.
    """
    token: dict[str, t.Any] = {
        "access_token": access_token or "test-" + secrets.token_urlsafe(24),
        "token_type": "Bearer",
        "expires_at": None if expires_in is None else int(time.time() + expires_in),
    }
    optional = {
        "refresh_token": refresh_token,
        "id_token": id_token,
        "scope": scope,
        "iss": iss,
        "sub": sub,
    }
    token.update({key: value for key, value in optional.items() if value is not None})
    token.update(extra)
    return token


def make_id_token(
    claims: t.Mapping[str, t.Any] | None = None,
    *,
    key: SigningKey | None = None,
    issuer: str = "https://idp.example",
    audience: str | t.Sequence[str] = "test-client",
    subject: str = "test-user",
    nonce: str | None = None,
    access_token: str | None = None,
    expires_in: int = 300,
    issued_at: float | None = None,
    headers: t.Mapping[str, t.Any] | None = None,
) -> str:
    """A signed OpenID Connect ID token.

    It carries ``iss``, ``sub``, ``aud``, ``iat`` and ``exp``, a ``nonce``
    when given, and the ``at_hash`` of *access_token* when given. *claims*
    are merged over these (a ``None`` value removes a claim), and *headers*
    over the JOSE header, so broken tokens are easy to make too::

        key = SigningKey()
        good = make_id_token({"email": "ada@example.com"}, key=key, nonce=nonce)
        expired = make_id_token(key=key, expires_in=-60)
        unsigned_claim = make_id_token({"sub": None}, key=key)

    :param key: the signing key; :func:`default_key` when omitted.
    """
    key = key or default_key()
    now = int(time.time() if issued_at is None else issued_at)
    payload: dict[str, t.Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": audience if isinstance(audience, str) else list(audience),
        "iat": now,
        "exp": now + expires_in,
    }
    if nonce is not None:
        payload["nonce"] = nonce
    if access_token is not None:
        payload["at_hash"] = token_hash(access_token, key.algorithm)
    return key.sign(merge(payload, claims or {}), headers)


def merge(base: t.Mapping[str, t.Any], overrides: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """*base* with *overrides* merged over it; a ``None`` value removes the key."""
    merged = dict(base)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
