"""The pytest plugin's fixtures: ``oauth2login_user``, ``logged_in_client``
and ``devidp``.

It is opt-in: a project turns it on in its top-level ``conftest.py``::

    pytest_plugins = ["flask_oauth2login.testing"]

Nothing is loaded into the test runs of projects that do not ask for it.
Its assertions are not rewritten (PYTEST_DONT_REWRITE): it has none to show.
"""

from __future__ import annotations

import typing as t

import pytest
from flask.testing import FlaskClient

from .login import login_as
from .server import DevIdPServer


@pytest.fixture
def oauth2login_user() -> dict[str, t.Any]:
    """Who ``logged_in_client`` logs in as: keyword arguments of :func:`login_as`.

    Override it in a ``conftest.py`` or a test module, e.g. to pick the
    provider or make an administrator::

        @pytest.fixture
        def oauth2login_user():
            return {"provider": "github", "sub": "1", "email": "root@example.com"}
    """
    return {"sub": "test-user", "email": "test-user@example.com", "name": "Test User"}


@pytest.fixture
def logged_in_client(
    request: pytest.FixtureRequest, oauth2login_user: t.Mapping[str, t.Any]
) -> FlaskClient:
    """A test client of your ``app`` fixture, logged in as ``oauth2login_user``."""
    try:
        app = request.getfixturevalue("app")
    except pytest.FixtureLookupError:
        app = None
    if app is None:
        pytest.fail(
            "logged_in_client needs a fixture called 'app' that returns your Flask app "
            "(set up with OAuth2Login); define one in conftest.py.",
            pytrace=False,
        )
    client = app.test_client()
    login_as(client, **oauth2login_user)
    return t.cast(FlaskClient, client)


@pytest.fixture
def devidp() -> t.Iterator[DevIdPServer]:
    """The development identity provider, running on a 127.0.0.1 port.

    Put ``devidp.provider_entry()`` in your app's ``OAUTH2LOGIN_PROVIDERS``
    and log in with ``devidp.login(client)``.
    """
    with DevIdPServer() as server:
        yield server
