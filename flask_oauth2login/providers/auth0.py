"""Auth0 (OpenID Connect, by discovery).

Give ``domain`` (e.g. ``tenant.eu.auth0.com``, or your custom domain). Auth0's
issuer ends with a ``/``.
"""

from __future__ import annotations

import typing as t

from .base import Preset, discovered, domain_url


def configure(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """The issuer is ``https://<domain>/``."""
    issuer = domain_url(entry.get("domain"), key="domain") + "/"
    entry = discovered(entry, issuer)
    entry.setdefault("api_base_url", issuer)
    return entry


preset = Preset(
    name="auth0",
    title="Auth0",
    scope=("openid", "email", "profile"),
    options=("domain",),
    configure=configure,
    console_url="https://manage.auth0.com/#/applications",
    logout_at_provider=True,
)
