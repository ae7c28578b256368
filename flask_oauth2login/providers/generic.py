"""Any OpenID Connect provider, found through its discovery document."""

from __future__ import annotations

from .base import Preset

#: Needs ``server_metadata_url`` (or ``issuer``) in the provider entry.
preset = Preset(name="oidc", title="OpenID Connect")
