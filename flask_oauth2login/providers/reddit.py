"""Reddit (plain OAuth 2.0).

Reddit wants a descriptive ``User-Agent`` on every call (its token endpoint
and API throttle generic ones): give ``user_agent``, e.g.
``"web:com.example.myapp:v1.2 (by /u/yourname)"``; without it one is made
from the client id. The client authenticates with HTTP Basic.
``duration=permanent`` is asked for, so the token comes with a refresh token.

``/api/v1/me`` has no e-mail address: ``email`` is ``None``. ``sub`` is the
account's id (``raw["name"]`` is the user name). ``raw_json=1`` keeps
Reddit from HTML-escaping the URLs in the answer.
"""

from __future__ import annotations

import typing as t

from .base import Preset


def configure(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """A ``User-Agent`` of the form Reddit asks for, unless one is given."""
    client_id = entry.get("client_id")
    entry.setdefault("user_agent", f"web:{client_id or 'app'}:v1 (flask-oauth2login)")
    return entry


preset = Preset(
    name="reddit",
    title="Reddit",
    authorize_url="https://www.reddit.com/api/v1/authorize",
    token_url="https://www.reddit.com/api/v1/access_token",
    userinfo_url="https://oauth.reddit.com/api/v1/me?raw_json=1",
    revocation_url="https://www.reddit.com/api/v1/revoke_token",
    scope=("identity",),
    authorize_params={"duration": "permanent"},
    configure=configure,
    user_map={"sub": "id", "name": "name", "picture": "icon_img"},
    api_base_url="https://oauth.reddit.com/",
    console_url="https://www.reddit.com/prefs/apps",
)
