"""Google (OpenID Connect).

Endpoints, issuer and keys as Google's discovery document
(``https://accounts.google.com/.well-known/openid-configuration``) lists them,
so a login needs no discovery round trip. For refresh tokens add
``"authorize_params": {"access_type": "offline", "prompt": "consent"}``.
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
)
