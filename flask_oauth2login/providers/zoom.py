"""Zoom (plain OAuth 2.0).

Zoom takes the scopes from the app's settings in the Zoom App Marketplace,
not from the request: give the app ``user:read:user`` (or, for older apps,
``user:read``) there. The client authenticates with HTTP Basic. ``sub`` is
the Zoom user id. Zoom's ``verified`` flag is about the account, not the
address, so ``email_verified`` is always false.
"""

from __future__ import annotations

import typing as t

from .base import Preset


def profile(raw: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Map ``/v2/users/me``."""
    parts = [raw.get("first_name"), raw.get("last_name")]
    name = raw.get("display_name") or " ".join(p for p in parts if isinstance(p, str) and p)
    return {
        "sub": str(raw["id"]),
        "email": raw.get("email") or None,
        "email_verified": False,
        "name": name or None,
        "picture": raw.get("pic_url") or None,
    }


preset = Preset(
    name="zoom",
    title="Zoom",
    authorize_url="https://zoom.us/oauth/authorize",
    token_url="https://zoom.us/oauth/token",
    userinfo_url="https://api.zoom.us/v2/users/me",
    revocation_url="https://zoom.us/oauth/revoke",
    scope=(),
    profile=profile,
    api_base_url="https://api.zoom.us/v2/",
    console_url="https://marketplace.zoom.us/develop/create",
)
