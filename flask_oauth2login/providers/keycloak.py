"""Keycloak (OpenID Connect, by discovery).

Give ``base_url`` (the server, e.g. ``https://sso.example``; add ``/auth``
for Keycloak before version 17) and ``realm``. The issuer is
``<base_url>/realms/<realm>``.
"""

from __future__ import annotations

import typing as t
from urllib.parse import quote

from ..errors import ConfigurationError
from .base import Preset, discovered, https_base_url


def configure(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """The issuer is the realm's URL."""
    base = https_base_url(entry.get("base_url"), key="base_url")
    realm = entry.get("realm")
    if not isinstance(realm, str) or not realm.strip():
        raise ConfigurationError("missing; give the realm's name, e.g. 'myrealm'", key="realm")
    return discovered(entry, f"{base}/realms/{quote(realm, safe='')}")


preset = Preset(
    name="keycloak",
    title="Keycloak",
    scope=("openid", "email", "profile"),
    options=("base_url", "realm"),
    configure=configure,
    logout_at_provider=True,
)
