"""Google (OpenID Connect).

Endpoints, issuer and keys as Google's discovery document
(``https://accounts.google.com/.well-known/openid-configuration``) lists them,
so a login needs no discovery round trip.

Every authorization request says ``include_granted_scopes=true`` (Google's
incremental authorization: the new token carries the scopes granted before
too). For refresh tokens ask for ``offline_access`` (in ``scope`` or
``allowed_scopes``): Google spells it ``access_type=offline``. Google sends
a refresh token only at the first consent; add
``"authorize_params": {"prompt": "consent"}`` to get one at every login.
Google answers ``email`` and ``profile`` as
``https://www.googleapis.com/auth/userinfo.email`` and ``...userinfo.profile``;
both spellings count as granted.
"""

from __future__ import annotations

import typing as t

from .base import Preset

ISSUER = "https://accounts.google.com"


def issuer_matches(expected: str, claims: t.Mapping[str, t.Any]) -> bool:
    """Google documents ``iss`` as ``https://accounts.google.com`` or, in
    older tokens, ``accounts.google.com``; both name the same issuer."""
    iss = claims.get("iss")
    return iss == expected or (expected == ISSUER and iss == "accounts.google.com")


#: How Google's token answers spell the OpenID Connect scopes.
_GRANTED_AS = {
    "https://www.googleapis.com/auth/userinfo.email": "email",
    "https://www.googleapis.com/auth/userinfo.profile": "profile",
}


def scope_request(scopes: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, str]]:
    """Incremental authorization, and ``offline_access`` as ``access_type=offline``."""
    params = {"include_granted_scopes": "true"}
    if "offline_access" in scopes:
        params["access_type"] = "offline"
        scopes = tuple(s for s in scopes if s != "offline_access")
    return scopes, params


def scope_implies(scope: str) -> tuple[str, ...]:
    """A granted ``.../userinfo.email`` is ``email`` too (and ``profile`` alike)."""
    alias = _GRANTED_AS.get(scope)
    return (scope, alias) if alias else (scope,)


preset = Preset(
    name="google",
    title="Google",
    issuer=ISSUER,
    authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
    token_url="https://oauth2.googleapis.com/token",
    userinfo_url="https://openidconnect.googleapis.com/v1/userinfo",
    jwks_uri="https://www.googleapis.com/oauth2/v3/certs",
    revocation_url="https://oauth2.googleapis.com/revoke",
    scope=("openid", "email", "profile"),
    id_token_algorithms=("RS256",),
    issuer_matches=issuer_matches,
    api_base_url="https://www.googleapis.com/",
    console_url="https://console.cloud.google.com/apis/credentials",
    scope_request=scope_request,
    scope_implies=scope_implies,
)
