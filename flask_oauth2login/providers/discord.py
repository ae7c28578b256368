"""Discord (plain OAuth 2.0).

``email_verified`` is Discord's ``verified`` flag. The avatar URL is built
from the user's avatar hash on Discord's CDN.
"""

from __future__ import annotations

import typing as t

from .base import Preset

CDN = "https://cdn.discordapp.com"


def profile(raw: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Map ``/users/@me``."""
    user_id = str(raw["id"])
    avatar = raw.get("avatar")
    email = raw.get("email") or None
    return {
        "sub": user_id,
        "email": email,
        "email_verified": email is not None and raw.get("verified") is True,
        "name": raw.get("global_name") or raw.get("username"),
        "picture": f"{CDN}/avatars/{user_id}/{avatar}.png" if isinstance(avatar, str) else None,
    }


preset = Preset(
    name="discord",
    title="Discord",
    authorize_url="https://discord.com/oauth2/authorize",
    token_url="https://discord.com/api/oauth2/token",
    userinfo_url="https://discord.com/api/v10/users/@me",
    revocation_url="https://discord.com/api/oauth2/token/revoke",
    scope=("identify", "email"),
    profile=profile,
    api_base_url="https://discord.com/api/v10/",
    console_url="https://discord.com/developers/applications",
)
