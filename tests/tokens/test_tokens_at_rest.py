"""Tokens kept in server-side sessions are sealed: no token in plain text at rest.

With no token store, the session holds the token, sealed with the app's
keys (:mod:`flask_oauth2login.crypto.cipher`); what cannot be opened any more
means "log in again", never a 500.
"""

from __future__ import annotations

import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask

from flask_oauth2login.crypto.cipher import Cipher
from flask_oauth2login.testing import login_as
from flask_oauth2login.tokens.logins import SEALED, TOKENS_KEY
from tests.conftest import log_in, rogue_entry
from tests.support.redis_server import RedisServer, serve_redis
from tests.support.rogue_idp import RogueProvider
from tests.support.sealed import session_token

OLD_KEY = "old-key-" + "o" * 40
NEW_KEY = "new-key-" + "n" * 40


@pytest.fixture(scope="module")
def redis_server() -> t.Iterator[RedisServer]:
    yield from serve_redis()


@pytest.fixture
def build(make_app: t.Callable[..., Flask], rogue: RogueProvider) -> t.Callable[..., Flask]:
    """Apps with the rogue provider, sharing the instance folder (so sessions)."""

    def factory(**config: t.Any) -> Flask:
        return make_app(
            {"rogue": rogue_entry(rogue)},
            TEST_API_URLS={"rogue": rogue.issuer + "/api/me"},
            **config,
        )

    return factory


def expire(client: t.Any) -> None:
    with client.session_transaction() as sess:
        tokens = dict(sess[TOKENS_KEY])
        tokens["rogue"] = {**tokens["rogue"], "expires_at": 0}
        sess[TOKENS_KEY] = tokens


def secrets_of(*tokens: t.Mapping[str, t.Any] | None) -> set[bytes]:
    return {
        token[name].encode()
        for token in tokens
        if token
        for name in ("access_token", "refresh_token", "id_token")
        if token.get(name)
    }


def test_session_files_hold_no_token(build, rogue):
    app = build()
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    first = session_token(client)
    rogue.expire_access_tokens()
    expire(client)
    assert client.get("/api/rogue").get_json()["status"] == 200  # refreshed
    second = session_token(client)
    assert first and second and first["access_token"] != second["access_token"]

    with client.session_transaction() as sess:
        entry = sess[TOKENS_KEY]["rogue"]
    assert set(entry) == {"iss", "sub", "expires_at", "scope", SEALED}
    files = list(Path(app.instance_path, "flask_session").iterdir())
    raw = b"".join(path.read_bytes() for path in files)
    assert entry[SEALED].encode() in raw  # the session is there, sealed
    for secret in secrets_of(first, second):
        assert secret not in raw


def test_redis_sessions_and_refresh_slots_hold_no_token(build, rogue, redis_server):
    store = redis_server.client()
    store.flushdb()
    app = build(SESSION_TYPE="redis", SESSION_REDIS=store)
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    first = session_token(client)
    rogue.expire_access_tokens()
    expire(client)
    assert client.get("/api/rogue").get_json()["status"] == 200
    second = session_token(client)

    assert store.keys("oauth2login:refresh:result:*")  # the refresh left its result
    raw = b"".join(redis_value(store, key) for key in store.keys("*"))
    assert raw
    for secret in secrets_of(first, second):
        assert secret not in raw


def test_keys_rotate_for_sessions_too(build, rogue):
    old = build(OAUTH2LOGIN_ENCRYPTION_KEYS=[OLD_KEY])
    client = old.test_client()
    assert log_in(client, rogue).status_code == 302
    token = session_token(client)

    both = build(OAUTH2LOGIN_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY])
    client.application = both
    assert client.get("/api/rogue").get_json()["status"] == 200  # sealed anew on the way
    with client.session_transaction() as sess:
        assert Cipher([NEW_KEY]).is_current(sess[TOKENS_KEY]["rogue"][SEALED])

    new_only = build(OAUTH2LOGIN_ENCRYPTION_KEYS=[NEW_KEY])
    client.application = new_only
    assert client.get("/api/rogue").get_json()["status"] == 200
    assert session_token(client) == token


def test_secret_key_fallbacks_open_tokens_sealed_with_the_old_secret_key(build, rogue):
    client = build(SECRET_KEY="the-old-secret-key").test_client()
    assert log_in(client, rogue).status_code == 302
    client.application = build(
        SECRET_KEY="the-new-secret-key", SECRET_KEY_FALLBACKS=["the-old-secret-key"]
    )
    assert client.get("/api/rogue").get_json()["status"] == 200


@pytest.mark.parametrize(
    ("accept", "status"), [("application/json", 401), ("text/html", 302)], ids=["json", "html"]
)
def test_a_token_no_key_opens_means_log_in_again(build, rogue, accept, status):
    client = build(OAUTH2LOGIN_ENCRYPTION_KEYS=[OLD_KEY]).test_client()
    assert log_in(client, rogue).status_code == 302
    client.application = build(OAUTH2LOGIN_ENCRYPTION_KEYS=[NEW_KEY])
    response = client.get("/api/rogue", headers={"Accept": accept})
    assert response.status_code == status
    assert client.get("/").get_json()["user"] is None
    with client.session_transaction() as sess:
        assert TOKENS_KEY not in sess


def test_a_sealed_token_moved_to_another_login_does_not_open(build, rogue):
    app = build()
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    with client.session_transaction() as sess:
        tokens = dict(sess[TOKENS_KEY])
        tokens["rogue"] = {**tokens["rogue"], "sub": "somebody-else"}
        sess[TOKENS_KEY] = tokens
    response = client.get("/api/rogue", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert rogue.calls["api"] == 0  # no token was sent


def test_a_token_kept_in_plain_text_by_an_earlier_version_is_used_and_sealed(build, rogue):
    app = build()
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    token = session_token(client)
    assert token is not None
    with client.session_transaction() as sess:
        sess[TOKENS_KEY] = {"rogue": token}  # as the first release kept it
    assert client.get("/api/rogue").get_json()["status"] == 200
    with client.session_transaction() as sess:
        assert SEALED in sess[TOKENS_KEY]["rogue"]
        assert "access_token" not in sess[TOKENS_KEY]["rogue"]
    assert session_token(client) == token


def test_redis_going_away_as_a_refresh_completes_loses_nothing(build, rogue, redis_server):
    """The provider has rotated the refresh token when Redis (sessions and
    refresh slots) goes away: the request answers 503, and once Redis is
    back the session goes on with the new token, without a second refresh."""
    app = build(SESSION_TYPE="redis", SESSION_REDIS=redis_server.client())
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    rogue.expire_access_tokens()
    expire(client)
    rogue.behaviour.token_delay = 1.0
    pool = ThreadPoolExecutor(1)
    refreshing = pool.submit(client.get, "/api/rogue", headers={"Accept": "application/json"})
    pool.shutdown(wait=False)
    deadline = time.monotonic() + 15
    while not rogue.calls["token:refresh_token"] and time.monotonic() < deadline:
        time.sleep(0.01)
    redis_server.stop()
    try:
        response = refreshing.result(timeout=60)
    finally:
        redis_server.start()
    assert response.status_code == 503
    assert response.get_json()["error"] == "session_store_unavailable"

    rogue.behaviour.token_delay = 0
    assert client.get("/api/rogue").get_json()["status"] == 200
    assert rogue.calls["token:refresh_token"] == 1


def test_who_and_until_when_stay_readable_the_rest_is_sealed(build):
    client = build().test_client()
    login_as(client, "rogue", sub="u1", token={"sid": "idp-session-1", "refresh_token": "r-secret"})
    with client.session_transaction() as sess:
        entry = sess[TOKENS_KEY]["rogue"]
    assert set(entry) == {"iss", "sub", "sid", "expires_at", "scope", SEALED}
    assert (entry["sub"], entry["sid"]) == ("u1", "idp-session-1")  # back-channel logout's
    assert "r-secret" not in repr(entry)
    token = session_token(client)
    assert token is not None
    assert (token["refresh_token"], token["sid"]) == ("r-secret", "idp-session-1")


def redis_value(store: t.Any, key: bytes) -> bytes:
    """Everything Redis holds under *key*, whatever its type, as bytes."""
    kind = store.type(key)
    if kind == b"string":
        return store.get(key) or b""
    if kind == b"zset":
        return b"".join(store.zrange(key, 0, -1))
    if kind == b"set":
        return b"".join(store.smembers(key))
    if kind == b"hash":
        return b"".join(k + v for k, v in store.hgetall(key).items())
    if kind == b"list":
        return b"".join(store.lrange(key, 0, -1))
    raise AssertionError(f"unexpected Redis type {kind!r} under {key!r}")
