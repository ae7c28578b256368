"""Helpers for testing apps that use flask-oauth2login, and a pytest plugin.

Log a Flask test client in without any provider, in one line::

    from flask_oauth2login.testing import login_as

    def test_dashboard(app):
        client = app.test_client()
        login_as(client, "github", sub="42", email="ada@example.com", name="Ada")
        assert client.get("/dashboard").status_code == 200

:func:`login_as` stores the user and a token in the server-side session
through the very function the callback of a real login uses (the same keys,
a new session id, the ``on_login`` hooks and the ``logged_in`` signal). :func:`make_token` builds
such a token; :func:`make_id_token` signs ID tokens with a generated RSA
:class:`SigningKey` whose JWKS you can serve from a fake provider.

The pytest plugin is opt-in: a project turns it on in its top-level ``conftest.py``
with ``pytest_plugins = ["flask_oauth2login.testing"]``. It provides
the fixtures ``oauth2login_user``, ``logged_in_client`` (built on your
``app`` fixture) and ``devidp`` (the built-in development identity
provider on a loopback port, for tests that go through the whole login).

One module per job: :mod:`~flask_oauth2login.testing.login` (:func:`login_as`),
:mod:`~flask_oauth2login.testing.tokens`
(:func:`make_token`, :func:`make_id_token`), :mod:`~flask_oauth2login.testing.keys`
(:class:`SigningKey`), :mod:`~flask_oauth2login.testing.server` (:class:`DevIdPServer`) and
:mod:`~flask_oauth2login.testing.fixtures` (the plugin's fixtures).

Loaded as a plugin after the project's ``conftest.py`` imported it, it is not
rewritten by pytest's assertion rewriting (PYTEST_DONT_REWRITE), and pytest
says nothing about it.
"""

from __future__ import annotations

from .keys import SigningKey, default_key
from .login import login_as
from .server import DevIdPServer
from .tokens import make_id_token, make_token

__all__ = [
    "DevIdPServer",
    "SigningKey",
    "default_key",
    "login_as",
    "make_id_token",
    "make_token",
]

# ``pytest_plugins = ["flask_oauth2login.testing"]`` in a project's conftest.py
# loads this module as a plugin, and pytest then loads the fixtures from here.
# (Importing this module outside pytest does not import pytest.)
pytest_plugins = ["flask_oauth2login.testing.fixtures"]
