"""Provider values that name a login (its subject, issuer, ``sid``) are
bounded before any store sees them: longer than 255 characters, with a NUL
or another control character, they are a clean refusal (an error page, and
``login_failed``), never a 500; in the session alone and with each token
store (SQLite, a real PostgreSQL, a real Redis), the rogue provider on
loopback. A lookup by such a subject (a job's) finds nothing.
"""

from __future__ import annotations

import secrets
import typing as t

import pytest

from flask_oauth2login import NotLoggedInError
from flask_oauth2login.tokenstore import MAX_KEY_LENGTH, TokenKey, unstorable
from tests.conftest import rogue_entry
from tests.support.logins import assert_refused, log_in, logged_in_user
from tests.support.postgres_server import PostgresServer, serve_postgres
from tests.support.redis_server import RedisServer, serve_redis
from tests.support.rogue_idp import default_user

SECRET_KEY = secrets.token_hex(32)

#: Subjects no store can keep as they are.
UNSTORABLE = {
    "too long": "s" * (MAX_KEY_LENGTH + 1),
    "NUL": "user\x00123",
    "newline": "user\n123",
}


@pytest.fixture(scope="module")
def redis_server() -> t.Iterator[RedisServer]:
    yield from serve_redis()


@pytest.fixture(scope="module")
def postgres_server() -> t.Iterator[PostgresServer]:
    yield from serve_postgres()


@pytest.fixture(params=["session", "sqlite", "postgresql", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: t.Any) -> t.Any:
    """``OAUTH2LOGIN_TOKEN_STORE`` of each kind (``None``: the session alone)."""
    return None if request.param == "session" else _store(request, tmp_path)


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def token_store(request: pytest.FixtureRequest, tmp_path: t.Any) -> t.Any:
    """``OAUTH2LOGIN_TOKEN_STORE`` of each kind."""
    return _store(request, tmp_path)


def _store(request: pytest.FixtureRequest, tmp_path: t.Any) -> t.Any:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tokens.db'}"
    if request.param == "postgresql":
        from flask_oauth2login.tokenstore.sql import SQLTokenStore

        server = request.getfixturevalue("postgres_server")
        made = SQLTokenStore.from_config(server.url, instance_path="")
        made.create_schema()  # as flask oauth2login init-db would
        made.close()
        return server.url
    server = request.getfixturevalue("redis_server")
    client = server.client()
    client.flushdb()
    return client


def make(make_app: t.Any, rogue: t.Any, store: t.Any) -> t.Any:
    config: dict[str, t.Any] = {"SECRET_KEY": SECRET_KEY}
    if store is not None:
        config["OAUTH2LOGIN_TOKEN_STORE"] = store
    return make_app({"rogue": rogue_entry(rogue)}, **config)


@pytest.mark.parametrize("sub", list(UNSTORABLE.values()), ids=list(UNSTORABLE))
def test_a_subject_no_store_can_keep_is_a_clean_refusal(make_app, rogue, store, failures, sub):
    rogue.behaviour.user = {**default_user(), "sub": sub}
    app = make(make_app, rogue, store)
    client = app.test_client()
    response = log_in(client, rogue)
    assert_refused(client, response, failures, status=502)
    page = response.get_data(as_text=True)
    assert "names the login with a value (sub)" in page
    assert failures[0]["error"].error_code == "invalid_provider_response"


def test_a_session_id_no_store_can_keep_is_a_clean_refusal(make_app, rogue, store, failures):
    rogue.behaviour.id_token_claims = {"sid": "x" * (MAX_KEY_LENGTH + 1)}
    app = make(make_app, rogue, store)
    client = app.test_client()
    assert_refused(client, log_in(client, rogue), failures, status=502)


def test_the_longest_subject_allowed_is_kept(make_app, rogue, store):
    sub = "é" * MAX_KEY_LENGTH  # characters, not bytes
    rogue.behaviour.user = {**default_user(), "sub": sub}
    app = make(make_app, rogue, store)
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    assert logged_in_user(client)["sub"] == sub
    if store is not None:
        with app.app_context():
            token = app.extensions["test_oauth"].token("rogue", subject=sub)
        assert token["sub"] == sub


@pytest.mark.parametrize("sub", list(UNSTORABLE.values()), ids=list(UNSTORABLE))
def test_a_lookup_by_such_a_subject_finds_nothing(make_app, rogue, token_store, sub):
    app = make(make_app, rogue, token_store)
    with app.app_context():
        with pytest.raises(NotLoggedInError):
            app.extensions["test_oauth"].token("rogue", subject=sub)
        found = app.extensions["oauth2login"].token_store
        key = TokenKey("rogue", rogue.issuer, sub)
        assert found.get(key) is None
        assert found.find(provider="rogue", subject=sub) == []
        assert found.delete(key) is False


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("a" * MAX_KEY_LENGTH, None),
        ("a" * (MAX_KEY_LENGTH + 1), "is longer than 255 characters"),
        ("a\x00b", "contains a control character"),
        ("a\x85b", "contains a control character"),
        ("a\ud800b", "is not valid Unicode"),
        ("ünïcødé 用户", None),
    ],
)
def test_unstorable(value, why):
    assert unstorable(value) == why
