"""The built-in development identity provider, mounted in this app.

Its URLs are relative: they resolve against the app's own address, so the
login works on whatever host and port the development server runs.
"""

from __future__ import annotations

from .base import Preset

preset = Preset(
    name="devidp",
    title="Development identity provider",
    server_metadata_url="/_devidp/.well-known/openid-configuration",
    scope=("openid", "email", "profile"),
    logout_at_provider=True,
)
