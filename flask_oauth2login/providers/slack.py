"""Slack ("Sign in with Slack", OpenID Connect).

Slack's Web API answers errors with HTTP 200 and ``{"ok": false, "error":
...}``; the token endpoint's error is refused like any OAuth error.

Sign in with Slack knows three scopes, ``openid``, ``email`` and
``profile``. Any other scope asked (``channels:read``, a user-token scope)
is sent the way Slack asks for user scopes: comma-separated in
``user_scope``. Slack answers scopes comma-separated too.
"""

from __future__ import annotations

from .base import Preset

#: The scopes of Sign in with Slack itself.
SIGN_IN_SCOPES = ("openid", "email", "profile")


def scope_request(scopes: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, str]]:
    """Sign in with Slack's scopes in ``scope``, user scopes in ``user_scope``."""
    user_scopes = [s for s in scopes if s not in SIGN_IN_SCOPES]
    params = {"user_scope": ",".join(user_scopes)} if user_scopes else {}
    return tuple(s for s in scopes if s in SIGN_IN_SCOPES), params


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
    scope_request=scope_request,
    scope_separators=",",
)
