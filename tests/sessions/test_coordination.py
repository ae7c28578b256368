"""Single-flight token refreshes: the coordinators, and refreshes that race anyway."""

from __future__ import annotations

import threading
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest
import redis
import sqlalchemy
from redis.backoff import NoBackoff
from redis.retry import Retry

from flask_oauth2login import SessionStoreUnavailable
from flask_oauth2login.sessions.coordination import LocalCoordinator
from flask_oauth2login.sessions.engines.redis import RedisCoordinator
from flask_oauth2login.sessions.setup import store_errors_as_unavailable
from flask_oauth2login.storage.sql import SQLCoordinator
from flask_oauth2login.storage.sql import outage_errors as sql_outage_errors
from flask_oauth2login.tokens.logins import TOKENS_KEY
from tests.support.logins import log_in
from tests.support.postgres_server import PostgresServer, serve_postgres
from tests.support.processes import free_port
from tests.support.redis_server import RedisServer, serve_redis
from tests.support.rogue_idp import rogue_entry
from tests.support.threads import http_session, serve_with_expire_view


@pytest.fixture(scope="module")
def redis_server() -> t.Iterator[RedisServer]:
    yield from serve_redis()


@pytest.fixture
def outage_redis() -> t.Iterator[RedisServer]:
    yield from serve_redis()


def redis_coordinator(server: RedisServer) -> RedisCoordinator:
    return RedisCoordinator(server.client())


# -- the coordinators --------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_server() -> t.Iterator[PostgresServer]:
    yield from serve_postgres()


def sql_coordinator(url: str) -> SQLCoordinator:
    """A coordinator on its own engine, as another process would have."""
    guarded = SimpleNamespace(store_errors=sql_outage_errors())
    return SQLCoordinator(
        sqlalchemy.create_engine(url), unavailable=lambda: store_errors_as_unavailable(guarded)
    )


@pytest.fixture(params=["local", "redis", "sqlite", "postgresql"])
def coordinators(request, tmp_path) -> tuple[t.Any, t.Any]:
    """Two coordinators that must coordinate: the threads of one process,
    or two processes (two clients) sharing one Redis or one database."""
    if request.param == "local":
        local = LocalCoordinator()
        return local, local
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'coordination.db'}"
        return sql_coordinator(url), sql_coordinator(url)
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_server").url
        return sql_coordinator(url), sql_coordinator(url)
    server = request.getfixturevalue("redis_server")
    return redis_coordinator(server), redis_coordinator(server)


def test_lock_is_held_by_one_at_a_time(coordinators):
    first, second = coordinators

    def try_lock() -> bool:
        with second.lock("k-excl", wait=0.1) as acquired:
            return acquired

    with first.lock("k-excl", wait=1) as acquired:
        assert acquired
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(try_lock).result() is False  # gave up waiting: no deadlock
    with second.lock("k-excl", wait=1) as acquired:  # free again
        assert acquired


def test_waiter_gets_the_lock_when_the_holder_is_done(coordinators):
    first, second = coordinators
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with first.lock("k-wait", wait=1):
            holding.set()
            release.wait(5)

    with ThreadPoolExecutor(1) as pool:
        pool.submit(hold)
        holding.wait(5)
        release.set()
        with second.lock("k-wait", wait=5) as acquired:
            assert acquired


def test_result_is_shared(coordinators):
    first, second = coordinators
    assert second.get_result("k-result") is None
    first.set_result("k-result", {"access_token": "new"}, ttl=60)
    assert second.get_result("k-result") == {"access_token": "new"}


def test_local_results_expire_and_locks_are_dropped():
    coordinator = LocalCoordinator()
    coordinator.set_result("gone", {"access_token": "x"}, ttl=0)
    time.sleep(0.01)
    assert coordinator.get_result("gone") is None
    with coordinator.lock("k", wait=1):
        pass
    assert coordinator._locks == {}


def test_redis_results_expire(redis_server):
    coordinator = redis_coordinator(redis_server)
    coordinator.set_result("k-ttl", {"access_token": "x"}, ttl=60)
    assert 0 < coordinator.client.ttl(coordinator.prefix + "result:{k-ttl}") <= 60


def test_redis_lock_expires_if_its_holder_dies(redis_server):
    """A holder that never releases (its process died) delays the others by its timeout."""
    dead = redis_server.client().lock(RedisCoordinator.prefix + "lock:{k-dead}", timeout=0.5)
    assert dead.acquire(blocking=False)
    with redis_coordinator(redis_server).lock("k-dead", wait=5) as acquired:
        assert acquired


def test_sql_results_expire_and_make_way(tmp_path):
    coordinator = sql_coordinator(f"sqlite:///{tmp_path / 'c.db'}")
    coordinator.set_result("gone", {"access_token": "x"}, ttl=0)
    time.sleep(0.01)
    assert coordinator.get_result("gone") is None
    coordinator.set_result("kept", {"access_token": "y"}, ttl=60)  # clears what ran out
    with coordinator.engine.connect() as conn:
        names = [row.name for row in conn.execute(coordinator.table.select())]
    assert names == ["kept"]


def test_sql_rows_of_refreshes_that_left_no_result_make_way(tmp_path):
    """A refresh the provider refused leaves a row with no result; the next
    result written clears it, as it clears results that ran out."""
    coordinator = sql_coordinator(f"sqlite:///{tmp_path / 'c.db'}")
    with coordinator.lock("refused", wait=1) as acquired:
        assert acquired  # and no result is set: the refresh failed
    coordinator.set_result("kept", {"access_token": "y"}, ttl=60)
    with coordinator.engine.connect() as conn:
        names = [row.name for row in conn.execute(coordinator.table.select())]
    assert names == ["kept"]


def test_sql_lease_runs_out_if_its_holder_dies(tmp_path):
    """A holder that never releases (its process died) delays the others by its lease."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    dead = sql_coordinator(url)
    with dead.engine.begin() as conn:
        dead.create_schema()
        conn.execute(dead.table.insert().values(name="k-dead", lease_until=time.time() + 0.3))
    with sql_coordinator(url).lock("k-dead", wait=5) as acquired:
        assert acquired


def test_unreachable_database_is_store_unavailable():
    nobody = f"postgresql+psycopg2://u@127.0.0.1:{free_port()}/db?connect_timeout=1"
    coordinator = sql_coordinator(nobody)
    with pytest.raises(SessionStoreUnavailable):
        coordinator.get_result("k")
    with pytest.raises(SessionStoreUnavailable):
        coordinator.set_result("k", {"access_token": "x"}, ttl=60)
    with pytest.raises(SessionStoreUnavailable), coordinator.lock("k", wait=1):
        pass


def test_unreachable_redis_is_store_unavailable():
    nobody = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    coordinator = RedisCoordinator(redis.Redis.from_url(nobody, retry=Retry(NoBackoff(), 0)))
    with pytest.raises(SessionStoreUnavailable):
        coordinator.get_result("k")
    with pytest.raises(SessionStoreUnavailable):
        coordinator.set_result("k", {"access_token": "x"}, ttl=60)
    with pytest.raises(SessionStoreUnavailable), coordinator.lock("k", wait=1):
        pass


def test_backend_follows_the_session_store(make_app, rogue, redis_server):
    files = make_app({"rogue": rogue_entry(rogue)})
    assert isinstance(files.extensions["oauth2login"].coordinator, LocalCoordinator)
    client = redis_server.client()
    shared = make_app({"rogue": rogue_entry(rogue)}, SESSION_TYPE="redis", SESSION_REDIS=client)
    coordinator = shared.extensions["oauth2login"].coordinator
    assert isinstance(coordinator, RedisCoordinator)
    assert coordinator.client is client


def test_a_token_store_coordinates_when_the_session_store_cannot(make_app, rogue, redis_server):
    """Sessions in files coordinate one process; a token store, every process using it."""
    stored = make_app(
        {"rogue": rogue_entry(rogue)},
        OAUTH2LOGIN_TOKEN_STORE="sqlite:///tokens.db",
    )
    state = stored.extensions["oauth2login"]
    assert isinstance(state.session_engine.coordinator, LocalCoordinator)
    coordinator = state.coordinator
    assert isinstance(coordinator, SQLCoordinator)
    assert coordinator.engine is state.token_store.engine
    assert state.coordinator is coordinator  # made once
    with coordinator.lock("k-store", wait=1) as acquired:
        assert acquired
        other = sql_coordinator(str(coordinator.engine.url))  # another process
        with other.lock("k-store", wait=0.1) as also:
            assert not also

    # Sessions in Redis coordinate every process already: they keep doing so.
    client = redis_server.client()
    both = make_app(
        {"rogue": rogue_entry(rogue)},
        SESSION_TYPE="redis",
        SESSION_REDIS=client,
        OAUTH2LOGIN_TOKEN_STORE="sqlite:///both-tokens.db",
    )
    assert isinstance(both.extensions["oauth2login"].coordinator, RedisCoordinator)


# -- refreshes -------------------------------------------------------------------


@pytest.fixture(params=["filesystem", "redis"])
def served(request, make_app, rogue) -> t.Iterator[tuple[t.Any, str]]:
    """The test app on a threaded HTTP server, with a view that makes the
    stored token look expired; on either store."""
    config: dict[str, t.Any] = {"OAUTH2LOGIN_REFRESH_WAIT": 0.3}
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        config.update(SESSION_TYPE="redis", SESSION_REDIS=server.client())
    app = make_app(
        {"rogue": rogue_entry(rogue)}, TEST_API_URLS={"rogue": rogue.issuer + "/api/me"}, **config
    )

    with serve_with_expire_view(app) as url:
        yield app, url


def logged_in_browser(base: str, rogue: t.Any) -> t.Any:
    browser = http_session()
    response = browser.get(base + "/login/rogue", allow_redirects=False)
    callback = rogue.authorize(response.headers["Location"])
    browser.get(callback.replace("http://localhost", base), allow_redirects=False)
    assert browser.get(base + "/").json()["user"]["sub"] == "user-123"
    return browser


def test_refresh_that_lost_a_race_uses_the_winners_token(served, rogue):
    """A request that stopped waiting for the lock refreshes too; the
    provider, rotating refresh tokens, refuses it the second time. That
    request then takes the winner's token instead of ending the login."""
    app, base = served
    browser = logged_in_browser(base, rogue)
    browser.post(base + "/_test/expire")
    rogue.expire_access_tokens()
    rogue.behaviour.token_delay = 1.5  # far longer than the 0.3 s a request waits

    def call() -> t.Any:
        return browser.get(base + "/api/rogue", allow_redirects=False, timeout=20)

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(call)
        time.sleep(0.05)  # let it take the lock first
        second = pool.submit(call)
        responses = [first.result(), second.result()]

    assert [r.status_code for r in responses] == [200, 200]  # no redirect to log in again
    answers = [r.json() for r in responses]
    assert [a["status"] for a in answers] == [200, 200]
    assert rogue.calls["token:refresh_token"] == 2  # the second one did not wait
    assert answers[0]["body"]["token_suffix"] == answers[1]["body"]["token_suffix"]
    assert browser.get(base + "/").json()["user"]["sub"] == "user-123"


def test_redis_lost_before_a_refresh_reaches_no_provider(make_app, rogue, outage_redis):
    app = make_app(
        {"rogue": rogue_entry(rogue)},
        TEST_API_URLS={"rogue": rogue.issuer + "/api/me"},
        SESSION_TYPE="redis",
        SESSION_REDIS=outage_redis.client(socket_timeout=0.5),
    )
    losing = []

    @app.before_request
    def lose_the_store() -> None:  # the session is loaded already
        if losing:
            outage_redis.stop()

    client = app.test_client()
    log_in(client, rogue)
    with client.session_transaction() as sess:
        tokens = dict(sess[TOKENS_KEY])
        tokens["rogue"] = {**tokens["rogue"], "expires_at": 0}
        sess[TOKENS_KEY] = tokens
    rogue.expire_access_tokens()

    losing.append(True)
    try:
        response = client.get("/api/rogue", headers={"Accept": "application/json"})
    finally:
        outage_redis.start()
        losing.clear()
    assert response.status_code == 503
    assert response.get_json()["error"] == "session_store_unavailable"
    assert rogue.calls["token:refresh_token"] == 0

    assert client.get("/api/rogue").get_json()["status"] == 200  # back: refreshes now
    assert rogue.calls["token:refresh_token"] == 1


@pytest.mark.parametrize("store", ["filesystem", "redis"])
def test_refresh_token_that_is_not_rotated_refreshes_again_later(make_app, rogue, store, request):
    """The slot of a refresh token the provider keeps holds an older result
    the next time it is used; that one is not taken for the new one."""
    config: dict[str, t.Any] = {}
    if store == "redis":
        client = request.getfixturevalue("redis_server").client()
        config = {"SESSION_TYPE": "redis", "SESSION_REDIS": client}
    app = make_app(
        {"rogue": rogue_entry(rogue)}, TEST_API_URLS={"rogue": rogue.issuer + "/api/me"}, **config
    )
    rogue.behaviour.rotate_refresh_tokens = False
    client = app.test_client()
    log_in(client, rogue)
    seen = set()
    for refreshes in (1, 2):
        with client.session_transaction() as sess:
            tokens = dict(sess[TOKENS_KEY])
            tokens["rogue"] = {**tokens["rogue"], "expires_at": 0}
            sess[TOKENS_KEY] = tokens
        rogue.expire_access_tokens()
        answer = client.get("/api/rogue").get_json()
        assert answer["status"] == 200
        assert rogue.calls["token:refresh_token"] == refreshes
        seen.add(answer["body"]["token_suffix"])
    assert len(seen) == 2
