"""Okta (OpenID Connect, by discovery).

Give ``domain`` (your Okta domain, e.g. ``dev-123.okta.com``) and, to use a
custom authorization server such as ``default``, ``authorization_server``;
without it the org authorization server is used.
"""

from __future__ import annotations

import re
import typing as t

from ..errors import ConfigurationError
from .base import Preset, discovered, domain_url


def configure(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """Find the issuer from the domain and authorization server."""
    issuer = domain_url(entry.get("domain"), key="domain")
    server = entry.get("authorization_server")
    if server is not None:
        if not isinstance(server, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", server):
            raise ConfigurationError(
                f"must be an authorization server id such as 'default', not {server!r}",
                key="authorization_server",
            )
        issuer = f"{issuer}/oauth2/{server}"
    return discovered(entry, issuer)


preset = Preset(
    name="okta",
    title="Okta",
    scope=("openid", "email", "profile"),
    options=("domain", "authorization_server"),
    configure=configure,
    console_url="https://developer.okta.com/login/",
    # Client assertions name the endpoint they are sent to.
    client_assertion_audience="endpoint",
    logout_at_provider=True,
)
