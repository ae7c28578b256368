"""Slack ("Sign in with Slack", OpenID Connect).

Slack's Web API answers errors with HTTP 200 and ``{"ok": false, "error":
...}``; the token endpoint's error is refused like any OAuth error.
"""

from __future__ import annotations

from .base import Preset

preset = Preset(
    name="slack",
    title="Slack",
    issuer="https://slack.com",
    authorize_url="https://slack.com/openid/connect/authorize",
    token_url="https://slack.com/api/openid.connect.token",
    userinfo_url="https://slack.com/api/openid.connect.userInfo",
    jwks_uri="https://slack.com/openid/connect/keys",
    scope=("openid", "email", "profile"),
    token_endpoint_auth_method="client_secret_post",
    id_token_algorithms=("RS256",),
    api_base_url="https://slack.com/api/",
    console_url="https://api.slack.com/apps",
)
