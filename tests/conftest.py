"""Fixtures: an app factory, and identity providers on loopback.

``rogue`` is a small provider of our own that misbehaves on demand (and
``second``, another one with its own issuer); ``fapi`` is a strict one;
``fake_servers`` runs the fakes of real providers that test modules declare
with :func:`~tests.support.fake_providers.fake_provider`.

Helpers live in ``tests/support/``, one module per job; the ones imported
below with ``as`` are only passed on, to modules that still import them from
here.
"""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient

from flask_oauth2login import OAuth2Login, login_failed, login_required
from tests.support.fake_providers import FakeServers
from tests.support.fapi_idp import FapiProvider, fresh
from tests.support.logins import follow_callback as follow_callback
from tests.support.logins import log_in as log_in
from tests.support.logins import start_login as start_login
from tests.support.rogue_idp import RogueProvider
from tests.support.rogue_idp import rogue_entry as rogue_entry
from tests.support.threads import http_session as http_session
from tests.support.threads import serve_with_expire_view as serve_with_expire_view

# The extension's pytest plugin is opt-in, for this suite as for any app's.
pytest_plugins = ["flask_oauth2login.testing"]


@pytest.fixture(scope="session")
def _rogue_server() -> t.Iterator[RogueProvider]:
    with RogueProvider() as provider:
        yield provider


@pytest.fixture
def rogue(_rogue_server: RogueProvider) -> RogueProvider:
    """A provider of our own on 127.0.0.1, well-behaved until told otherwise."""
    _rogue_server.reset()
    return _rogue_server


@pytest.fixture(scope="session")
def _second_server() -> t.Iterator[RogueProvider]:
    with RogueProvider(client_id="second-client", client_secret="second-secret") as provider:
        yield provider


@pytest.fixture
def second(_second_server: RogueProvider) -> RogueProvider:
    """A second provider of our own, with its own issuer and client."""
    _second_server.reset()
    return _second_server


@pytest.fixture(scope="session")
def fake_servers() -> t.Iterator[FakeServers]:
    """The fakes of real providers, each started on first use, for the session."""
    servers = FakeServers()
    yield servers
    servers.stop()


@pytest.fixture
def failures() -> t.Iterator[list[dict[str, t.Any]]]:
    """The ``login_failed`` signals sent during the test."""
    caught: list[dict[str, t.Any]] = []

    def record(sender: t.Any, **kwargs: t.Any) -> None:
        caught.append(kwargs)

    with login_failed.connected_to(record):
        yield caught


@pytest.fixture
def make_app(tmp_path: t.Any) -> t.Callable[..., Flask]:
    """Build an app with the extension and a few views.

    Views: ``/`` (who is logged in), ``/private`` (``@login_required``),
    ``/api/<provider>`` (calls the provider's ``/api/me`` through
    ``oauth.session``).
    """

    def factory(providers: dict[str, t.Any], **config: t.Any) -> Flask:
        app = Flask("testapp", instance_path=str(tmp_path / "instance"))
        app.config.update(SECRET_KEY="test-secret", TESTING=True, OAUTH2LOGIN_PROVIDERS=providers)
        app.config.update(config)
        oauth = OAuth2Login(app)
        app.extensions["test_oauth"] = oauth

        @app.get("/")
        def index() -> t.Any:
            user = oauth.user
            return jsonify(user=user.to_dict() if user else None)

        @app.get("/private")
        @login_required
        def private() -> t.Any:
            return "private page"

        @app.get("/api/<provider>")
        def api(provider: str) -> t.Any:
            api = oauth.session(provider)
            response = api.get(app.config["TEST_API_URLS"][provider], timeout=5)
            return jsonify(status=response.status_code, body=response.json())

        return app

    return factory


@pytest.fixture
def app(make_app: t.Callable[..., Flask], rogue: RogueProvider) -> Flask:
    """An app with one provider, ``rogue``."""
    return make_app(
        {"rogue": rogue_entry(rogue)}, TEST_API_URLS={"rogue": rogue.issuer + "/api/me"}
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def _fapi_server() -> t.Iterator[FapiProvider]:
    with FapiProvider() as provider:
        yield provider


@pytest.fixture
def fapi(_fapi_server: FapiProvider) -> FapiProvider:
    """A strict provider of our own (client assertions, PAR, DPoP checked
    field by field), expecting ``private_key_jwt`` with the RSA test key."""
    return fresh(_fapi_server)
