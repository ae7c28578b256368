"""Twitch (OpenID Connect).

Twitch's API (Helix) wants the client id in a ``Client-Id`` header next to
the token; :meth:`OAuth2Login.session` sends it. Twitch puts the e-mail and
picture in the ID token and UserInfo only when asked with the ``claims``
parameter, which this preset sends.
"""

from __future__ import annotations

import json

from .base import Preset

_CLAIMS = {"email": None, "email_verified": None, "picture": None, "preferred_username": None}

preset = Preset(
    name="twitch",
    title="Twitch",
    issuer="https://id.twitch.tv/oauth2",
    authorize_url="https://id.twitch.tv/oauth2/authorize",
    token_url="https://id.twitch.tv/oauth2/token",
    userinfo_url="https://id.twitch.tv/oauth2/userinfo",
    jwks_uri="https://id.twitch.tv/oauth2/keys",
    revocation_url="https://id.twitch.tv/oauth2/revoke",
    scope=("openid", "user:read:email"),
    authorize_params={"claims": json.dumps({"id_token": _CLAIMS, "userinfo": _CLAIMS})},
    token_endpoint_auth_method="client_secret_post",
    api_headers={"Client-Id": "{client_id}"},
    id_token_algorithms=("RS256",),
    api_base_url="https://api.twitch.tv/helix/",
    console_url="https://dev.twitch.tv/console/apps",
)
