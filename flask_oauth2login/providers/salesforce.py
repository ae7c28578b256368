"""Salesforce (OpenID Connect).

Without options, users log in at ``https://login.salesforce.com``. Give
``base_url`` to log in at your My Domain (``https://acme.my.salesforce.com``),
or at ``https://test.salesforce.com`` for a sandbox: the issuer, endpoints and
keys follow from it, and with a My Domain so does the API base URL
(``<base_url>/services/data/``). ``sub`` is the user's identity URL (it names
the org and the user). The token answer's ``instance_url``, where the org's
API lives, is kept as ``raw["instance_url"]``.
"""

from __future__ import annotations

import typing as t

from .base import Preset, https_base_url

LOGIN = "https://login.salesforce.com"
#: Where sandbox users log in.
SANDBOX = "https://test.salesforce.com"


def configure(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """Derive the issuer, endpoints and keys from ``base_url``."""
    base = https_base_url(entry.get("base_url", LOGIN), key="base_url")
    entry["base_url"] = base
    oauth = f"{base}/services/oauth2"
    entry.setdefault("issuer", base)
    entry.setdefault("authorize_url", f"{oauth}/authorize")
    entry.setdefault("token_url", f"{oauth}/token")
    entry.setdefault("userinfo_url", f"{oauth}/userinfo")
    entry.setdefault("revocation_url", f"{oauth}/revoke")
    entry.setdefault("jwks_uri", f"{base}/id/keys")
    if base not in (LOGIN, SANDBOX):  # a My Domain is the org's API host too
        entry.setdefault("api_base_url", f"{base}/services/data/")
    return entry


preset = Preset(
    name="salesforce",
    title="Salesforce",
    scope=("openid", "email", "profile"),
    token_endpoint_auth_method="client_secret_post",
    id_token_algorithms=("RS256",),
    options=("base_url",),
    configure=configure,
    token_profile_params=("instance_url",),
    console_url="https://help.salesforce.com/s/articleView?id=sf.connected_app_create.htm",
)
