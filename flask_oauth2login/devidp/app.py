"""A standalone app serving only the development identity provider."""

from __future__ import annotations

import typing as t

from flask import Flask

from .provider import DevIdentityProvider


def create_app(**config: t.Any) -> Flask:
    """Create an app with the provider mounted at the root.

    ``DEBUG`` defaults to true, which the provider requires (``TESTING=True``
    works as well); other keyword arguments go into ``app.config``, e.g.
    ``OAUTH2LOGIN_DEVIDP_CLIENTS``. The standalone provider's issuer is then
    just ``http://127.0.0.1:<port>``.

    :param config: Configuration values.
    """
    app = Flask(__name__)
    app.config["DEBUG"] = True
    app.config.update(config)
    DevIdentityProvider(app, url_prefix="")
    return app
