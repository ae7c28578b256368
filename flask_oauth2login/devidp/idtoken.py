"""The claims of an ID token (OpenID Connect Core §2 and §3.1.3.6) and of a
logout token (OpenID Connect Back-Channel Logout 1.0 §2.4)."""

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
    sid: str | None = None,
) -> dict[str, t.Any]:
    """The claims of an ID token for ``user``, issued to ``client_id``.

    The user's claims are those released for ``scope`` (``profile``,
    ``email``). ``nonce`` is included only when the authorization request
    sent one, i.e. not in ID tokens from a refresh. ``sid`` names the
    provider session the user signed in with (Back-Channel Logout 1.0 §2.1).
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
    if sid is not None:
        claims["sid"] = sid
    return claims


#: The event of a logout token (OpenID Connect Back-Channel Logout 1.0 §2.4).
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def logout_token_claims(
    *, issuer: str, client_id: str, sub: str, sid: str, now: int, jti: str
) -> dict[str, t.Any]:
    """The claims of a logout token telling *client_id* that *sub*'s
    session *sid* ended (Back-Channel Logout 1.0 §2.4): valid two minutes,
    and never with a ``nonce``."""
    return {
        "iss": issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + 120,
        "jti": jti,
        "sub": sub,
        "sid": sid,
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
