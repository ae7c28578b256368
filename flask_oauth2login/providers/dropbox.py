"""Dropbox (OpenID Connect).

``token_access_type=offline`` is asked for, so Dropbox issues a refresh
token (its access tokens live four hours). The user comes from the ID token:
Dropbox's UserInfo is an RPC endpoint (a POST), so it is never called.
``sub`` is the Dropbox account id (``dbid:...``); the name is built from
``given_name`` and ``family_name``. Add the scopes your app uses (e.g.
``files.content.read``) to ``scope``, and tick them in the app's
*Permissions* tab: a scope not asked for is not granted.
"""

from __future__ import annotations

import typing as t

from .base import Preset, oidc_profile


def profile(claims: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Standard claims; the name from its parts."""
    mapped = oidc_profile(claims)
    parts = [claims.get("given_name"), claims.get("family_name")]
    mapped["name"] = " ".join(p for p in parts if isinstance(p, str) and p) or None
    return mapped


preset = Preset(
    name="dropbox",
    title="Dropbox",
    issuer="https://www.dropbox.com",
    # For the signing keys; the endpoints below spare the look-up of the rest.
    server_metadata_url="https://www.dropbox.com/.well-known/openid-configuration",
    authorize_url="https://www.dropbox.com/oauth2/authorize",
    token_url="https://api.dropboxapi.com/oauth2/token",
    scope=("openid", "email", "profile"),
    authorize_params={"token_access_type": "offline"},
    profile=profile,
    fetch_userinfo=False,
    api_base_url="https://api.dropboxapi.com/2/",
    api_origins=("https://content.dropboxapi.com",),
    console_url="https://www.dropbox.com/developers/apps",
)
