"""Strava (plain OAuth 2.0).

Strava puts the athlete's profile in the token answer: the login makes one
call, the token request, and the athlete is ``raw["athlete"]``. ``sub`` is the
athlete id. Strava gives no e-mail address. The client sends its credentials
in the form. Strava wants scopes separated by commas: for more than the
default ``read``, give ``"scope": []`` and ``"authorize_params": {"scope":
"read,activity:read"}``.
"""

from __future__ import annotations

import typing as t

from .base import Preset


def profile(raw: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Map the token answer's ``athlete``."""
    athlete = raw["athlete"]
    athlete_id = athlete["id"]
    if isinstance(athlete_id, bool) or not isinstance(athlete_id, int | str):
        raise ValueError("Strava athlete id is not a number")
    parts = [athlete.get("firstname"), athlete.get("lastname")]
    picture = athlete.get("profile")
    return {
        "sub": str(athlete_id),
        "email": None,
        "email_verified": False,
        "name": " ".join(p for p in parts if isinstance(p, str) and p) or None,
        # Without a photo, Strava names a relative placeholder.
        "picture": picture if isinstance(picture, str) and picture.startswith("https://") else None,
    }


preset = Preset(
    name="strava",
    title="Strava",
    authorize_url="https://www.strava.com/oauth/authorize",
    token_url="https://www.strava.com/oauth/token",
    scope=("read",),
    token_endpoint_auth_method="client_secret_post",
    profile=profile,
    token_profile_params=("athlete",),
    api_base_url="https://www.strava.com/api/v3/",
    console_url="https://www.strava.com/settings/api",
)
