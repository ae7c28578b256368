"""Fixtures: an app factory, and identity providers on loopback.

``rogue`` is a small provider of our own that misbehaves on demand;
``oidc_provider`` is the certified npm package ``oidc-provider``.
"""

from __future__ import annotations

import typing as t
from contextlib import contextmanager
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from flask import Flask, jsonify, session
from flask.testing import FlaskClient

from flask_oauth2login import OAuth2Login, login_failed, login_required
from flask_oauth2login.tokens import TOKENS_KEY
from tests.support.fapi_idp import FapiProvider, fresh
from tests.support.rogue_idp import RogueProvider
from tests.support.threads import serving


@pytest.fixture(scope="session")
def _rogue_server() -> t.Iterator[RogueProvider]:
    with RogueProvider() as provider:
        yield provider


@pytest.fixture
def rogue(_rogue_server: RogueProvider) -> RogueProvider:
    """A provider of our own on 127.0.0.1, well-behaved until told otherwise."""
    _rogue_server.reset()
    return _rogue_server


def rogue_entry(rogue: RogueProvider, **overrides: t.Any) -> dict[str, t.Any]:
    """A provider entry for the rogue provider, by discovery."""
    return {
        "client_id": rogue.client_id,
        "client_secret": rogue.client_secret,
        "server_metadata_url": rogue.metadata_url,
        **overrides,
    }


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


def start_login(client: FlaskClient, provider: str = "rogue", next: str | None = None) -> str:
    """GET /login/<provider>; return the provider URL it redirects to."""
    url = f"/login/{provider}" + (f"?{urlencode({'next': next})}" if next is not None else "")
    response = client.get(url)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def follow_callback(client: FlaskClient, callback_url: str, **kwargs: t.Any) -> t.Any:
    """Deliver the provider's redirect back to the app's callback."""
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}", **kwargs)


def log_in(client: FlaskClient, rogue: RogueProvider, provider: str = "rogue") -> t.Any:
    """A complete login against the rogue provider; returns the callback response."""
    return follow_callback(client, rogue.authorize(start_login(client, provider)))


def http_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


@contextmanager
def serve_with_expire_view(app: Flask, provider: str = "rogue") -> t.Iterator[str]:
    """Serve *app* on a real threaded HTTP server on 127.0.0.1 (yields its
    URL), with a view ``POST /_test/expire`` that makes the stored token of
    *provider* look expired to the app, as time would."""

    @app.post("/_test/expire")
    def expire_view() -> str:
        stored = dict(session[TOKENS_KEY])
        stored[provider] = {**stored[provider], "expires_at": 0}
        session[TOKENS_KEY] = stored
        return "ok"

    with serving(app) as url:
        yield url


@pytest.fixture(scope="session")
def _fapi_server() -> t.Iterator[FapiProvider]:
    with FapiProvider() as provider:
        yield provider


@pytest.fixture
def fapi(_fapi_server: FapiProvider) -> FapiProvider:
    """A strict provider of our own (client assertions, PAR, DPoP checked
    field by field), expecting ``private_key_jwt`` with the RSA test key."""
    return fresh(_fapi_server)
