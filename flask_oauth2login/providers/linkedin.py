"""LinkedIn ("Sign In with LinkedIn using OpenID Connect")."""

from __future__ import annotations

from .base import Preset

preset = Preset(
    name="linkedin",
    title="LinkedIn",
    issuer="https://www.linkedin.com/oauth",
    authorize_url="https://www.linkedin.com/oauth/v2/authorization",
    token_url="https://www.linkedin.com/oauth/v2/accessToken",
    userinfo_url="https://api.linkedin.com/v2/userinfo",
    jwks_uri="https://www.linkedin.com/oauth/openid/jwks",
    scope=("openid", "email", "profile"),
    token_endpoint_auth_method="client_secret_post",
    id_token_algorithms=("RS256",),
    api_base_url="https://api.linkedin.com/v2/",
    console_url="https://www.linkedin.com/developers/apps",
)
