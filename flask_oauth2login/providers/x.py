"""X, formerly Twitter (OAuth 2.0 with PKCE).

X requires PKCE, which this client always sends. A confidential client ("Web
App" type) authenticates at the token endpoint with HTTP Basic, the default
here; a public client ("Native App" or "Single page App") says
``"token_endpoint_auth_method": "none"`` and sends its client id alone.

``users/me`` describes the user inside ``data`` and has no e-mail address:
``email`` is ``None``. ``sub`` is X's numeric user id (a handle can change;
it is ``raw["data"]["username"]``). For a refresh token, add
``offline.access`` to ``scope``.
"""

from __future__ import annotations

from .base import Preset

preset = Preset(
    name="x",
    title="X",
    authorize_url="https://x.com/i/oauth2/authorize",
    token_url="https://api.x.com/2/oauth2/token",
    userinfo_url="https://api.x.com/2/users/me?user.fields=profile_image_url",
    revocation_url="https://api.x.com/2/oauth2/revoke",
    # users.read needs tweet.read to read users/me.
    scope=("users.read", "tweet.read"),
    user_map={"sub": "data.id", "name": "data.name", "picture": "data.profile_image_url"},
    api_base_url="https://api.x.com/2/",
    # The same API still answers under its former name.
    api_origins=("https://api.twitter.com",),
    console_url="https://developer.x.com/en/portal/dashboard",
)
