"""Spotify (plain OAuth 2.0, Web API).

The profile is ``/v1/me``. Spotify says the address it gives is not
verified, so ``email_verified`` is always false. ``sub`` is the Spotify user
id; the picture is the first of ``images``.
"""

from __future__ import annotations

from .base import Preset

preset = Preset(
    name="spotify",
    title="Spotify",
    authorize_url="https://accounts.spotify.com/authorize",
    token_url="https://accounts.spotify.com/api/token",
    userinfo_url="https://api.spotify.com/v1/me",
    scope=("user-read-email",),
    user_map={"sub": "id", "email": "email", "name": "display_name", "picture": "images.0.url"},
    api_base_url="https://api.spotify.com/v1/",
    console_url="https://developer.spotify.com/dashboard",
)
