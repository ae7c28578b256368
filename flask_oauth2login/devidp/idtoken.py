"""The claims of an ID token (OpenID Connect Core §2 and §3.1.3.6)."""

from __future__ import annotations

import hashlib
import typing as t

from .keys import b64url
from .users import claims_for


def at_hash(access_token: str) -> str:
    """The ``at_hash`` of an RS256 ID token: the left half of SHA-256, base64url."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return b64url(digest[: len(digest) // 2])


def id_token_claims(
    *,
    issuer: str,
    client_id: str,
    user: t.Mapping[str, t.Any],
    scope: t.Iterable[str],
    now: int,
    ttl: int,
    auth_time: int | None,
    access_token: str,
    nonce: str | None = None,
) -> dict[str, t.Any]:
    """The claims of an ID token for ``user``, issued to ``client_id``.

    The user's claims are those released for ``scope`` (``profile``,
    ``email``). ``nonce`` is included only when the authorization request
    sent one, i.e. not in ID tokens from a refresh.
    """
    claims = claims_for(user, scope)
    claims.update(
        iss=issuer,
        aud=client_id,
        azp=client_id,
        iat=now,
        exp=now + ttl,
        at_hash=at_hash(access_token),
    )
    if auth_time is not None:
        claims["auth_time"] = auth_time
    if nonce is not None:
        claims["nonce"] = nonce
    return claims
