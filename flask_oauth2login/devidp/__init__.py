"""The built-in development identity provider.

A real OpenID Connect provider, for local development and tests only, so an
app using flask-oauth2login runs with no account anywhere. Mount it in the
app itself::

    from flask_oauth2login.devidp import DevIdentityProvider

    DevIdentityProvider(app)  # serves /_devidp/..., only if app.debug or app.testing

It answers only requests made on this machine (403 otherwise), however the
app is served. Or run it on its own::

    python -m flask_oauth2login.devidp --port 8400

The default client is ``dev-client`` with secret ``dev-secret``, accepting any
loopback redirect URI; see :mod:`~flask_oauth2login.devidp.clients` and the ``OAUTH2LOGIN_DEVIDP_*``
keys in :data:`.provider.CONFIG_DEFAULTS`. State is kept in memory, per
process.
"""

from __future__ import annotations

from .app import create_app
from .clients import DEFAULT_CLIENTS
from .provider import CONFIG_DEFAULTS, DevIdentityProvider
from .users import DEFAULT_USERS

__all__ = [
    "CONFIG_DEFAULTS",
    "DEFAULT_CLIENTS",
    "DEFAULT_USERS",
    "DevIdentityProvider",
    "create_app",
]
