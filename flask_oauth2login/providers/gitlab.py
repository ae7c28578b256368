"""GitLab (OpenID Connect), on gitlab.com or self-hosted.

For a self-hosted GitLab give ``base_url`` (e.g. ``https://gitlab.example``);
its issuer, endpoints and keys follow from it.
"""

from __future__ import annotations

import typing as t

from .base import Preset, https_base_url, oidc_profile

GITLAB_COM = "https://gitlab.com"


def configure(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """Derive the issuer and endpoints from ``base_url``."""
    base = https_base_url(entry.get("base_url", GITLAB_COM), key="base_url")
    entry["base_url"] = base
    entry.setdefault("issuer", base)
    entry.setdefault("authorize_url", f"{base}/oauth/authorize")
    entry.setdefault("token_url", f"{base}/oauth/token")
    entry.setdefault("userinfo_url", f"{base}/oauth/userinfo")
    entry.setdefault("jwks_uri", f"{base}/oauth/discovery/keys")
    entry.setdefault("revocation_url", f"{base}/oauth/revoke")
    entry.setdefault("api_base_url", f"{base}/api/v4/")
    return entry


def profile(claims: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Standard claims; GitLab's ``nickname`` (the username) as the name fallback."""
    mapped = oidc_profile(claims)
    mapped["name"] = mapped["name"] or claims.get("nickname")
    return mapped


preset = Preset(
    name="gitlab",
    title="GitLab",
    scope=("openid", "email", "profile"),
    id_token_algorithms=("RS256",),
    options=("base_url",),
    configure=configure,
    profile=profile,
    # The ID token lacks picture and the username (nickname): UserInfo has them.
    fetch_userinfo=True,
    console_url="https://gitlab.com/-/user_settings/applications",
)
