"""The token store: tokens outside a request, on SQLite, PostgreSQL and Redis.

Every test runs against each store: a SQLite file, a PostgreSQL cluster of
its own (``initdb`` and ``postgres`` from Debian's package) and a
``redis-server``, all on this machine, with the rogue provider on loopback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask

from flask_oauth2login import (
    LoginError,
    NotLoggedInError,
    OAuth2LoginError,
    RefreshError,
    TokenStoreUnavailable,
)
from flask_oauth2login.errors import ConfigurationError
from flask_oauth2login.testing import login_as
from flask_oauth2login.tokens.logins import LOGIN, SEALED, STORED, TOKENS_KEY
from flask_oauth2login.tokenstore import StoredLogin, TokenKey
from tests.conftest import log_in, rogue_entry
from tests.support.postgres_server import PostgresServer, serve_postgres
from tests.support.redis_server import RedisServer, serve_redis
from tests.support.rogue_idp import RogueProvider

ROOT = Path(__file__).resolve().parents[2]
SUBJECT = "user-123"
SECRET_KEY = "store-test-secret-key-0123456789abcdef"


@pytest.fixture(scope="module")
def redis_server() -> t.Iterator[RedisServer]:
    yield from serve_redis()


@pytest.fixture(scope="module")
def postgres_server() -> t.Iterator[PostgresServer]:
    yield from serve_postgres()


@dataclasses.dataclass
class Backend:
    """One kind of token store, as the tests need it."""

    name: str
    #: ``OAUTH2LOGIN_TOKEN_STORE`` for a new app.
    setting: t.Callable[[], t.Any]
    #: The same store, for another process.
    url: str
    #: Everything the store has written, as bytes.
    raw_bytes: t.Callable[[], bytes]
    #: Makes the store unable to take writes while in use.
    down: t.Callable[[], t.ContextManager[None]]


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each kind of store in turn."""
    if request.param == "sqlite":
        return _sqlite_backend(tmp_path / "tokens.db")
    if request.param == "postgresql":
        return _postgres_backend(request.getfixturevalue("postgres_server"))
    return _redis_backend(request.getfixturevalue("redis_server"))


@pytest.fixture(params=["postgresql", "redis"])
def server_backend(request: pytest.FixtureRequest) -> Backend:
    """The stores that are servers, which can be down for reads too (a
    locked SQLite database is still read)."""
    if request.param == "postgresql":
        return _postgres_backend(request.getfixturevalue("postgres_server"))
    return _redis_backend(request.getfixturevalue("redis_server"))


def _sqlite_backend(path: Path) -> Backend:
    url = f"sqlite:///{path}?timeout=1"

    def raw() -> bytes:
        return b"".join(
            Path(f"{path}{suffix}").read_bytes()
            for suffix in ("", "-wal", "-shm")
            if Path(f"{path}{suffix}").exists()
        )

    @contextlib.contextmanager
    def locked() -> t.Iterator[None]:
        # Another writer holds the database: SQLite's way of being unavailable.
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()

    return Backend("sqlite", lambda: url, url, raw, locked)


def _postgres_backend(server: PostgresServer) -> Backend:
    connection = server.connect()
    connection.cursor().execute("DROP TABLE IF EXISTS oauth2login_tokens")
    connection.close()

    def raw() -> bytes:
        server.checkpoint()
        chunks = []
        for folder, _, files in os.walk(server.data):
            for name in files:
                with contextlib.suppress(OSError):
                    chunks.append(Path(folder, name).read_bytes())
        return b"".join(chunks)

    @contextlib.contextmanager
    def stopped() -> t.Iterator[None]:
        server.stop()
        try:
            yield
        finally:
            server.start()

    def setting() -> str:
        from flask_oauth2login.tokenstore.sql import SQLTokenStore

        # Created here as `flask oauth2login init-db` would (PostgreSQL does
        # not create it on first use).
        store = SQLTokenStore.from_config(server.url, instance_path="")
        store.create_schema()
        store.close()
        return server.url

    return Backend("postgresql", setting, server.url, raw, stopped)


def _redis_backend(server: RedisServer) -> Backend:
    client = server.client()
    client.flushdb()

    def raw() -> bytes:
        return redis_values(client) + redis_dump(client, server)

    @contextlib.contextmanager
    def stopped() -> t.Iterator[None]:
        server.stop()
        try:
            yield
        finally:
            server.start()

    return Backend("redis", lambda: server.client(), server.url, raw, stopped)


def redis_values(client: t.Any) -> bytes:
    """Every key and value in Redis, as bytes."""
    chunks = []
    for key in client.keys("*"):
        kind = client.type(key)
        if kind == b"string":
            chunks.append(client.get(key) or b"")
        elif kind == b"hash":
            chunks += [part for pair in client.hgetall(key).items() for part in pair]
        elif kind == b"list":
            chunks += client.lrange(key, 0, -1)
        elif kind == b"set":
            chunks += client.smembers(key)
        elif kind == b"zset":
            chunks += client.zrange(key, 0, -1)
        chunks.append(key)
    return b"\n".join(chunks)


def redis_dump(client: t.Any, server: RedisServer) -> bytes:
    """Redis's snapshot file, uncompressed (strings are compressed by default)."""
    client.config_set("rdbcompression", "no")
    client.save()
    return Path(server.directory.name, "dump.rdb").read_bytes()


@pytest.fixture
def store_app(
    make_app: t.Callable[..., Flask], rogue: RogueProvider, backend: Backend
) -> t.Callable[..., Flask]:
    """Apps with the rogue provider and the token store of *backend*, sharing
    the instance folder (so sessions too)."""

    def build(**config: t.Any) -> Flask:
        config.setdefault("SECRET_KEY", SECRET_KEY)
        return make_app(
            {"rogue": rogue_entry(rogue)},
            OAUTH2LOGIN_TOKEN_STORE=backend.setting(),
            TEST_API_URLS={"rogue": rogue.issuer + "/api/me"},
            **config,
        )

    return build


@pytest.fixture
def app(store_app: t.Callable[..., Flask]) -> Flask:
    return store_app()


def oauth_of(app: Flask) -> t.Any:
    return app.extensions["test_oauth"]


def call_api(app: Flask, rogue: RogueProvider, subject: str = SUBJECT) -> t.Any:
    """The rogue provider's API called for *subject*, with no request."""
    with app.app_context():
        response = oauth_of(app).session("rogue", subject=subject).get(rogue.issuer + "/api/me")
    return response


def stored_token(app: Flask, subject: str = SUBJECT) -> dict[str, t.Any]:
    with app.app_context():
        records = oauth_of(app).stored_logins("rogue", subject)
        assert len(records) == 1
        state = app.extensions["oauth2login"]
        record = state.token_store.get(TokenKey("rogue", records[0].issuer, subject))
        from flask_oauth2login.tokens.sealing import from_record

        return from_record(state, record)


def log_in_with_expired_token(client: t.Any, rogue: RogueProvider) -> None:
    """Log in; the token is then expired for the app and the provider alike."""
    rogue.behaviour.expires_in = 20  # within the app's 30 s refresh leeway
    assert log_in(client, rogue).status_code == 302
    rogue.behaviour.expires_in = 3600
    rogue.expire_access_tokens()


# -- a login, then its token with no request --------------------------------------------


def test_a_login_is_usable_with_no_request(app, client, rogue):
    assert log_in(client, rogue).status_code == 302

    response = call_api(app, rogue)
    assert response.status_code == 200
    assert response.json()["sub"] == SUBJECT
    with app.app_context():
        oauth = oauth_of(app)
        token = oauth.token("rogue", subject=SUBJECT)
        assert token["iss"] == rogue.issuer
        assert token["refresh_token"]
        assert oauth.stored_logins() == [
            StoredLogin(
                "rogue",
                rogue.issuer,
                SUBJECT,
                token.get("scope"),
                token["expires_at"],
                oauth.stored_logins()[0].updated_at,
            )
        ]
    # The browser's session refers to the stored token; it holds none itself.
    with client.session_transaction() as sess:
        entry = sess[TOKENS_KEY]["rogue"]
    assert isinstance(entry.pop(LOGIN), str)  # the login's own id
    assert entry == {"iss": rogue.issuer, "sub": SUBJECT, STORED: True}
    assert client.get("/api/rogue").get_json()["status"] == 200


def test_nothing_stored_is_not_logged_in(app, rogue):
    with app.app_context():
        oauth = oauth_of(app)
        for call in (oauth.session, oauth.token, oauth.revoke):
            with pytest.raises(NotLoggedInError):
                call("rogue", subject="nobody")
        with pytest.raises(OAuth2LoginError, match="subject="):
            oauth.session("rogue")  # no request: whose token?
        with pytest.raises(ConfigurationError, match="no provider called 'other'"):
            oauth.session("other", subject=SUBJECT)


def test_a_subject_with_logins_at_two_issuers_names_one(app, client, rogue):
    assert log_in(client, rogue).status_code == 302
    with app.app_context():
        state = app.extensions["oauth2login"]
        record = state.token_store.get(TokenKey("rogue", rogue.issuer, SUBJECT))
        state.token_store.set(dataclasses.replace(record, issuer="https://tenant.example"))
        with pytest.raises(OAuth2LoginError, match="issuer="):
            oauth_of(app).session("rogue", subject=SUBJECT)
        api = oauth_of(app).session("rogue", subject=SUBJECT, issuer=rogue.issuer)
        assert api.get(rogue.issuer + "/api/me").status_code == 200


# -- refreshing -----------------------------------------------------------------------


def test_an_expired_token_is_refreshed_with_no_request(app, client, rogue):
    log_in_with_expired_token(client, rogue)
    old = stored_token(app)

    assert call_api(app, rogue).status_code == 200
    assert rogue.calls["token:refresh_token"] == 1
    new = stored_token(app)
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]  # rotated, and kept
    # The browser's session refers to the same, refreshed token.
    assert client.get("/api/rogue").get_json()["status"] == 200
    assert rogue.calls["token:refresh_token"] == 1


def test_rotated_refresh_tokens_are_kept_refresh_after_refresh(app, client, rogue):
    assert log_in(client, rogue).status_code == 302
    seen = set()
    for _ in range(3):
        rogue.expire_access_tokens()
        with app.app_context():
            state = app.extensions["oauth2login"]
            record = state.token_store.get(TokenKey("rogue", rogue.issuer, SUBJECT))
            state.token_store.set(dataclasses.replace(record, expires_at=0))
        assert call_api(app, rogue).status_code == 200
        seen.add(stored_token(app)["refresh_token"])
    assert rogue.calls["token:refresh_token"] == 3
    assert len(seen) == 3  # each refresh's new refresh token was used by the next


def test_a_refresh_in_a_request_updates_the_store(app, client, rogue):
    log_in_with_expired_token(client, rogue)
    assert client.get("/api/rogue").get_json()["status"] == 200
    assert rogue.calls["token:refresh_token"] == 1
    assert call_api(app, rogue).status_code == 200  # no second refresh
    assert rogue.calls["token:refresh_token"] == 1


def test_a_refused_refresh_ends_the_stored_login(app, client, rogue):
    log_in_with_expired_token(client, rogue)
    rogue.behaviour.refresh_error = "invalid_grant"
    with app.app_context(), pytest.raises(RefreshError):
        oauth_of(app).session("rogue", subject=SUBJECT).get(rogue.issuer + "/api/me")
    with app.app_context():
        assert oauth_of(app).stored_logins() == []
    assert client.get("/api/rogue").status_code == 302  # the browser logs in again
    assert client.get("/").get_json()["user"] is None


def worker(backend: Backend, rogue: RogueProvider, **env: str) -> subprocess.Popen[str]:
    """A process of :mod:`tests.support.store_worker`."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.store_worker"],
        cwd=ROOT,
        env={
            **os.environ,
            "STORE_WORKER_URL": backend.url,
            "STORE_WORKER_METADATA_URL": rogue.metadata_url,
            "STORE_WORKER_CLIENT_ID": rogue.client_id,
            "STORE_WORKER_CLIENT_SECRET": rogue.client_secret,
            "STORE_WORKER_SECRET_KEY": SECRET_KEY,
            "STORE_WORKER_API_URL": rogue.issuer + "/api/me",
            **env,
        },
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@contextlib.contextmanager
def workers(backend: Backend, rogue: RogueProvider, count: int, **env: str) -> t.Iterator[list]:
    processes = [worker(backend, rogue, **env) for _ in range(count)]
    try:
        for process in processes:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line.strip() == "ready", line + (process.stderr.read() if process.stderr else "")
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


def test_concurrent_refreshes_across_threads_and_processes_happen_once(app, client, rogue, backend):
    log_in_with_expired_token(client, rogue)
    rogue.behaviour.token_delay = 0.5  # the refresh is in flight while the others arrive

    with workers(backend, rogue, 2, STORE_WORKER_THREADS="8") as processes:
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=90) for process in processes]

    results = [answer for out, err in outputs for answer in json.loads(out.splitlines()[-1])]
    assert len(results) == 16
    assert all(status == 200 for status, _ in results), results
    assert rogue.calls["token:refresh_token"] == 1  # the provider's own count
    assert len({suffix for _, suffix in results}) == 1  # one new token for all
    assert stored_token(app)["access_token"].endswith(results[0][1])


def test_the_new_token_survives_a_process_that_dies_right_after_the_refresh(
    store_app, rogue, backend
):
    """The provider rotates refresh tokens: the old one is dead once it has
    answered. The process that refreshed dies before it uses the new token;
    the new one must be in the store already."""
    # The dead process's lock is waited for one second, not ten.
    app = store_app(OAUTH2LOGIN_REFRESH_WAIT=1)
    client = app.test_client()
    log_in_with_expired_token(client, rogue)
    old = stored_token(app)

    with workers(
        backend, rogue, 1, STORE_WORKER_THREADS="1", STORE_WORKER_DIE_AFTER_REFRESH="1"
    ) as (process,):
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
        assert process.wait(timeout=60) == 3  # died as the new token came in
    assert rogue.calls["token:refresh_token"] == 1

    new = stored_token(app)
    assert new["refresh_token"] != old["refresh_token"]
    assert call_api(app, rogue).status_code == 200  # the new token, no refresh needed
    rogue.expire_access_tokens()
    with app.app_context():
        state = app.extensions["oauth2login"]
        record = state.token_store.get(TokenKey("rogue", rogue.issuer, SUBJECT))
        state.token_store.set(dataclasses.replace(record, expires_at=0))
    assert call_api(app, rogue).status_code == 200  # the rotated refresh token works
    assert rogue.calls["token:refresh_token"] == 2


# -- nothing in plain text ------------------------------------------------------------


def test_no_token_in_the_raw_bytes_of_the_store_or_the_session(app, client, rogue, backend):
    log_in_with_expired_token(client, rogue)
    first = stored_token(app)
    assert client.get("/api/rogue").get_json()["status"] == 200  # refreshed
    second = stored_token(app)

    secrets = {
        first["access_token"],
        first["refresh_token"],
        second["access_token"],
        second["refresh_token"],
        second["id_token"],
    }
    raw = backend.raw_bytes()
    assert raw  # the store wrote something
    sessions = b"".join(p.read_bytes() for p in Path(app.instance_path, "flask_session").iterdir())
    assert sessions
    for secret in secrets:
        assert secret.encode() not in raw
        assert secret.encode() not in sessions


# -- key rotation -----------------------------------------------------------------------

OLD_KEY = "old-key-" + "o" * 40
NEW_KEY = "new-key-" + "n" * 40
OTHER_KEY = "other-key-" + "x" * 40


def test_keys_are_rotated_with_rotate_keys(store_app, rogue):
    old_app = store_app(OAUTH2LOGIN_ENCRYPTION_KEYS=[OLD_KEY])
    browser = old_app.test_client()
    assert log_in(browser, rogue).status_code == 302
    before = stored_token(old_app)

    both = store_app(OAUTH2LOGIN_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY])
    assert call_api(both, rogue).status_code == 200  # the old key still opens it
    result = both.test_cli_runner().invoke(args=["oauth2login", "rotate-keys"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypted 1 stored token(s)" in result.output
    again = both.test_cli_runner().invoke(args=["oauth2login", "rotate-keys"])
    assert "Re-encrypted 0 stored token(s) with the first key; 1 already were" in again.output

    new_only = store_app(OAUTH2LOGIN_ENCRYPTION_KEYS=[NEW_KEY])
    assert stored_token(new_only) == before
    assert call_api(new_only, rogue).status_code == 200
    browser.application = new_only  # the same browser, on the app with the new key only
    assert browser.get("/api/rogue").get_json()["status"] == 200
    assert rogue.calls["token:refresh_token"] == 0


def test_a_token_no_key_opens_means_log_in_again(store_app, rogue):
    first = store_app(OAUTH2LOGIN_ENCRYPTION_KEYS=[OLD_KEY])
    browser = first.test_client()
    assert log_in(browser, rogue).status_code == 302

    lost = store_app(OAUTH2LOGIN_ENCRYPTION_KEYS=[OTHER_KEY])
    with lost.app_context(), pytest.raises(NotLoggedInError):
        oauth_of(lost).session("rogue", subject=SUBJECT)
    browser.application = lost
    response = browser.get("/api/rogue", headers={"Accept": "application/json"})
    assert response.status_code == 401  # log in again, not a 500
    assert response.get_json()["error"] == "login_required"
    assert browser.get("/").get_json()["user"] is None

    # The record stays: a process missing a key does not destroy it.
    assert call_api(first, rogue).status_code == 200
    result = lost.test_cli_runner().invoke(args=["oauth2login", "rotate-keys"])
    assert "1 stored token(s) open with none of the keys" in result.output
    result = lost.test_cli_runner().invoke(
        args=["oauth2login", "rotate-keys", "--delete-unreadable"]
    )
    assert "1 deleted" in result.output
    with lost.app_context():
        assert oauth_of(lost).stored_logins() == []


# -- the store goes down ------------------------------------------------------------------


def test_a_store_that_goes_down_during_a_refresh_answers_503_and_loses_nothing(
    app, client, rogue, backend
):
    """The provider has answered (and rotated the refresh token) when the
    store cannot take the new token: the request answers 503, and the new
    token is not lost."""
    log_in_with_expired_token(client, rogue)
    rogue.behaviour.token_delay = 1.0
    pool = ThreadPoolExecutor(1)
    refreshing = pool.submit(client.get, "/api/rogue", headers={"Accept": "application/json"})
    pool.shutdown(wait=False)
    deadline = time.monotonic() + 15
    while not rogue.calls["token:refresh_token"] and time.monotonic() < deadline:
        time.sleep(0.01)  # until the refresh reached the provider
    with backend.down():
        response = refreshing.result(timeout=60)
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.get_json()["error"] == "token_store_unavailable"
    assert response.headers["Retry-After"].isdigit()

    rogue.behaviour.token_delay = 0
    # The store is back: the login goes on with the token the provider gave.
    assert client.get("/api/rogue").get_json()["status"] == 200
    assert call_api(app, rogue).status_code == 200
    assert rogue.calls["token:refresh_token"] == 1


def test_a_store_that_is_down_answers_503_and_the_login_survives(make_app, rogue, server_backend):
    app = make_app(
        {"rogue": rogue_entry(rogue)},
        SECRET_KEY=SECRET_KEY,
        OAUTH2LOGIN_TOKEN_STORE=server_backend.setting(),
        TEST_API_URLS={"rogue": rogue.issuer + "/api/me"},
    )
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    with server_backend.down():
        page = client.get("/api/rogue")
        api = client.get("/api/rogue", headers={"Accept": "application/json"})
        with app.app_context(), pytest.raises(TokenStoreUnavailable):
            oauth_of(app).session("rogue", subject=SUBJECT)
    assert page.status_code == 503
    assert "temporarily unavailable" in page.get_data(as_text=True).lower()
    assert api.status_code == 503
    assert api.get_json()["error"] == "token_store_unavailable"
    assert client.get("/api/rogue").get_json()["status"] == 200
    assert call_api(app, rogue).status_code == 200


def test_a_login_while_the_store_is_down_answers_503(make_app, rogue, server_backend, failures):
    app = make_app(
        {"rogue": rogue_entry(rogue)},
        SECRET_KEY=SECRET_KEY,
        OAUTH2LOGIN_TOKEN_STORE=server_backend.setting(),
    )
    client = app.test_client()
    with server_backend.down():
        response = log_in(client, rogue)
    assert response.status_code == 503
    assert [type(f["error"]).__name__ for f in failures] == ["TokenStoreUnavailable"]
    assert client.get("/").get_json()["user"] is None


# -- logging out, refusing and revoking ------------------------------------------------------


def test_logout_revokes_and_deletes_the_stored_token(app, client, rogue):
    assert log_in(client, rogue).status_code == 302
    token = stored_token(app)
    assert client.post("/logout").status_code == 303
    assert {token["access_token"], token["refresh_token"]} <= set(rogue.revoked)
    with app.app_context():
        assert oauth_of(app).stored_logins() == []
    assert client.get("/").get_json()["user"] is None


def test_a_refused_login_puts_the_stored_token_back(app, client, rogue):
    assert log_in(client, rogue).status_code == 302
    before = stored_token(app)

    @oauth_of(app).on_login
    def refuse(provider: str, user: t.Any, token: t.Any) -> None:
        raise LoginError("not today", provider=provider)

    assert log_in(app.test_client(), rogue).status_code == 400
    assert stored_token(app) == before
    assert client.get("/api/rogue").get_json()["status"] == 200


def test_a_refused_first_login_stores_nothing(app, rogue):
    @oauth_of(app).on_login
    def refuse(provider: str, user: t.Any, token: t.Any) -> None:
        raise LoginError("not today", provider=provider)

    assert log_in(app.test_client(), rogue).status_code == 400
    with app.app_context():
        assert oauth_of(app).stored_logins() == []


def test_revoke_with_no_request_ends_the_login_everywhere(app, client, rogue):
    assert log_in(client, rogue).status_code == 302
    token = stored_token(app)
    with app.app_context():
        assert oauth_of(app).revoke("rogue", subject=SUBJECT) is True
        assert oauth_of(app).stored_logins() == []
    assert {token["access_token"], token["refresh_token"]} <= set(rogue.revoked)
    assert client.get("/api/rogue").status_code == 302
    assert client.get("/").get_json()["user"] is None


def test_revoke_in_a_request_ends_this_login(app, client, rogue):
    @app.post("/disconnect")
    def disconnect() -> t.Any:
        return {"confirmed": oauth_of(app).revoke("rogue")}

    assert log_in(client, rogue).status_code == 302
    assert client.post("/disconnect").get_json() == {"confirmed": True}
    with app.app_context():
        assert oauth_of(app).stored_logins() == []
    assert client.get("/api/rogue").status_code == 302


def test_a_session_login_moves_to_the_store_once_one_is_configured(make_app, rogue, store_app):
    before = make_app(
        {"rogue": rogue_entry(rogue)},
        SECRET_KEY=SECRET_KEY,
        TEST_API_URLS={"rogue": rogue.issuer + "/api/me"},
    )
    browser = before.test_client()
    assert log_in(browser, rogue).status_code == 302
    with browser.session_transaction() as sess:
        assert SEALED in sess[TOKENS_KEY]["rogue"]

    after = store_app()
    browser.application = after
    assert browser.get("/api/rogue").get_json()["status"] == 200
    with browser.session_transaction() as sess:
        entry = dict(sess[TOKENS_KEY]["rogue"])
        assert isinstance(entry.pop(LOGIN), str)
        assert entry == {"iss": rogue.issuer, "sub": SUBJECT, STORED: True}
    assert call_api(after, rogue).status_code == 200


def test_concurrent_api_sessions_of_many_threads_share_one_store(app, client, rogue):
    assert log_in(client, rogue).status_code == 302
    errors: list[BaseException] = []

    def call() -> None:
        try:
            for _ in range(5):
                assert call_api(app, rogue).status_code == 200
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


# -- what another process did ------------------------------------------------------------


def test_a_token_revoked_by_another_process_is_refused_not_used(store_app, rogue):
    """This process reuses a token it read a moment ago; once another
    process revoked it, the API's refusal makes this one read the store
    again, and find nothing."""
    here, elsewhere = store_app(), store_app()  # two processes' views of one store
    assert log_in(here.test_client(), rogue).status_code == 302
    assert call_api(here, rogue).status_code == 200  # read, and kept a moment
    with elsewhere.app_context():
        assert oauth_of(elsewhere).revoke("rogue", subject=SUBJECT)

    assert call_api(here, rogue).status_code == 401  # refused; nothing newer stored
    with here.app_context(), pytest.raises(NotLoggedInError):
        oauth_of(here).session("rogue", subject=SUBJECT)


def test_a_token_refreshed_by_another_process_is_picked_up(store_app, rogue):
    here, elsewhere = store_app(), store_app()
    assert log_in(here.test_client(), rogue).status_code == 302
    assert call_api(here, rogue).status_code == 200
    rogue.expire_access_tokens()  # the provider refuses the token here holds
    with elsewhere.app_context():
        state = elsewhere.extensions["oauth2login"]
        record = state.token_store.get(TokenKey("rogue", rogue.issuer, SUBJECT))
        state.token_store.set(dataclasses.replace(record, expires_at=0))
    assert call_api(elsewhere, rogue).status_code == 200  # refreshes
    assert rogue.calls["token:refresh_token"] == 1

    response = call_api(here, rogue)  # refused, then the refreshed token from the store
    assert response.status_code == 200
    assert rogue.calls["token:refresh_token"] == 1


def test_without_the_cache_every_use_reads_the_store(store_app, rogue):
    here = store_app(OAUTH2LOGIN_TOKEN_CACHE_TTL=0)
    elsewhere = store_app()
    assert log_in(here.test_client(), rogue).status_code == 302
    assert call_api(here, rogue).status_code == 200
    with elsewhere.app_context():
        elsewhere.extensions["oauth2login"].token_store.delete(
            TokenKey("rogue", rogue.issuer, SUBJECT)
        )
    with here.app_context(), pytest.raises(NotLoggedInError):
        oauth_of(here).session("rogue", subject=SUBJECT)


def test_the_session_refers_to_the_stored_token_by_who_it_is_for(app, rogue):
    client = app.test_client()
    login_as(client, "rogue", sub="u1", token={"sid": "idp-session-1", "refresh_token": "r"})
    with client.session_transaction() as sess:
        entry = sess[TOKENS_KEY]["rogue"]
    issuer = entry["iss"]
    assert isinstance(entry[LOGIN], str)
    assert entry == {
        "iss": issuer,
        "sub": "u1",
        "sid": "idp-session-1",
        STORED: True,
        LOGIN: entry[LOGIN],
    }
    with app.app_context():
        token = oauth_of(app).token("rogue", subject="u1")
    assert (token["refresh_token"], token["sid"], token["iss"]) == ("r", "idp-session-1", issuer)


def test_a_refused_login_puts_back_only_what_it_wrote(app, rogue):
    """Two logins in one app context (``login_as`` in a test that keeps one
    pushed): the second, refused, takes back its own store writes, not the
    first one's."""

    @oauth_of(app).on_login
    def refuse(provider: str, user: t.Any, token: t.Any) -> None:
        if user["sub"] == "refused":
            raise LoginError("not today", provider=provider)

    client = app.test_client()
    with app.app_context():
        login_as(client, "rogue", sub="u1")
        with pytest.raises(LoginError):
            login_as(client, "rogue", sub="refused")
        assert [login.subject for login in oauth_of(app).stored_logins()] == ["u1"]
    assert client.get("/").get_json()["user"]["sub"] == "u1"
