"""A standalone app serving only the development identity provider."""

from __future__ import annotations

import typing as t

from flask import Flask

from .provider import DevIdentityProvider
from .views import refuse_framing


def create_app(**config: t.Any) -> Flask:
    """Create an app with the provider mounted at the root.

    Like :class:`DevIdentityProvider`, it refuses to be created unless the
    app runs in debug mode (``DEBUG=True``, or ``FLASK_DEBUG=1`` in the
    environment) or for tests (``TESTING=True``); ``python -m
    flask_oauth2login.devidp`` passes ``DEBUG=True``. Whatever serves it, it
    answers only requests from this machine. Keyword arguments go into
    ``app.config``, e.g. ``OAUTH2LOGIN_DEVIDP_CLIENTS``. The standalone
    provider's issuer is then just ``http://127.0.0.1:<port>``.

    :param config: Configuration values.
    :raises ConfigurationError: outside debug mode and tests.
    """
    app = Flask(__name__)
    app.config.update(config)
    DevIdentityProvider(app, url_prefix="")
    app.after_request(refuse_framing)  # also on a 404 outside the provider's routes
    return app
