"""The logout index and the logout tokens seen: :mod:`flask_oauth2login.sessions.logout_index`.

Each backend, on its real store: Redis, the embedded file store (shared by
several processes), SQLite and PostgreSQL, and records written through any
session interface.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy
from cachelib import SimpleCache

from flask_oauth2login.sessions.engines.cache import CacheLogoutStore
from flask_oauth2login.sessions.engines.redis import RedisLogoutStore
from flask_oauth2login.sessions.engines.sql import SQLLogoutStore
from flask_oauth2login.sessions.files import SessionFileStore
from flask_oauth2login.sessions.logout_index import (
    FILED_KEY,
    LogoutStore,
    file_session,
    index_key,
    seen_key,
)
from flask_oauth2login.storage.sql import outage_errors as sql_outage_errors
from tests.support.postgres_server import PostgresServer, serve_postgres
from tests.support.redis_server import RedisServer, serve_redis


@pytest.fixture(scope="module")
def redis_server() -> t.Iterator[RedisServer]:
    yield from serve_redis()


@pytest.fixture(scope="module")
def postgres_server() -> t.Iterator[PostgresServer]:
    yield from serve_postgres()


def sql_store(url: str) -> SQLLogoutStore:
    """A logout store on its own engine, as another process would have."""
    return SQLLogoutStore(sqlalchemy.create_engine(url), "test:", sql_outage_errors())


@pytest.fixture(params=["redis", "files", "memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: t.Any) -> LogoutStore:
    if request.param == "sqlite":
        return sql_store(f"sqlite:///{tmp_path / 'logout.db'}")
    if request.param == "postgresql":
        made = sql_store(request.getfixturevalue("postgres_server").url)
        made.create_schema()
        with made.engine.begin() as conn:
            conn.execute(made.table.delete())
        return made
    if request.param == "redis":
        request.applymarker(pytest.mark.xdist_group("redis"))
        client = request.getfixturevalue("redis_server").client()
        client.flushdb()
        return RedisLogoutStore(client, "oauth2login:logout:test:")
    if request.param == "files":
        return CacheLogoutStore(SessionFileStore(str(tmp_path)), "test:")
    return CacheLogoutStore(SimpleCache(), "test:")


def test_keys_name_the_provider_issuer_claim_and_value():
    keys = {
        index_key("a", "https://i", "sid", "1"),
        index_key("b", "https://i", "sid", "1"),
        index_key("a", "https://j", "sid", "1"),
        index_key("a", "https://i", "sub", "1"),
        index_key("a", "https://i", "sid", "2"),
    }
    assert len(keys) == 5
    assert all(k.startswith("index:") for k in keys)
    assert seen_key("a", "https://i", "1").startswith("jti:")


def test_an_index_key_points_to_sessions_until_discarded(store):
    key, other = index_key("p", "https://i", "sub", "u"), index_key("p", "https://i", "sid", "s")
    store.add([key, other], "session:1", 60)
    store.add([key], "session:2", 60)
    assert sorted(store.members(key)) == ["session:1", "session:2"]
    assert store.members(other) == ["session:1"]
    store.discard([key, other], "session:1")
    assert store.members(key) == ["session:2"]
    assert store.members(other) == []
    store.discard([key], "nobody")  # no harm
    assert store.members(index_key("p", "https://i", "sub", "nobody")) == []


def test_each_entry_expires_on_its_own(store):
    key = index_key("p", "https://i", "sub", "u")
    store.add([key], "old", 60)
    store.add([key], "new", 60)
    _backdate(store, key, "old")
    assert store.members(key) == ["new"]
    store.add([key], "newer", 60)  # adding prunes what expired
    assert sorted(store.members(key)) == ["new", "newer"]


def _backdate(store: LogoutStore, key: str, member: str) -> None:
    """Make *member*'s entry under *key* expired, as time would."""
    past = time.time() - 1
    if isinstance(store, RedisLogoutStore):
        store.client.zadd(store.name(key), {member: past})
    elif isinstance(store, SQLLogoutStore):
        c = store.table.c
        with store.engine.begin() as conn:
            conn.execute(
                store.table.update()
                .where(c.key == store.prefix + key)
                .where(c.store_id == member)
                .values(expires_at=past)
            )
    else:
        assert isinstance(store, CacheLogoutStore)
        record = store._get(key)
        assert record is not None
        record[member] = past
        store._put(key, record, 60)


def test_a_token_is_new_once(store):
    key = seen_key("p", "https://i", "jti-1")
    assert store.first_seen(key, 60) is True
    assert store.first_seen(key, 60) is False
    store.forget_seen(key)
    assert store.first_seen(key, 60) is True


def _first_seen_in_a_process(path: str, key: str, start: t.Any, results: t.Any) -> None:
    store = CacheLogoutStore(SessionFileStore(path), "test:")
    start.wait()
    results.put(store.first_seen(key, 60))


def test_a_token_is_new_once_across_processes_sharing_the_file_store(tmp_path):
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    key = seen_key("p", "https://i", "jti-race")
    processes = [
        context.Process(target=_first_seen_in_a_process, args=(str(tmp_path), key, start, results))
        for _ in range(6)
    ]
    for process in processes:
        process.start()
    start.set()
    answers = [results.get(timeout=30) for _ in processes]
    for process in processes:
        process.join(30)
    assert sorted(answers) == [False] * 5 + [True]


def test_a_token_is_new_once_across_processes_sharing_the_database(postgres_server):
    """Each thread has an engine (a connection pool) of its own, as a process would."""
    key = seen_key("p", "https://i", "jti-race-sql")
    stores = [sql_store(postgres_server.url) for _ in range(6)]
    stores[0].create_schema()
    barrier = threading.Barrier(len(stores))

    def first_seen(store: SQLLogoutStore) -> bool:
        barrier.wait()
        return store.first_seen(key, 60)

    with ThreadPoolExecutor(len(stores)) as pool:
        answers = list(pool.map(first_seen, stores))
    assert sorted(answers) == [False] * 5 + [True]


def _add_in_a_process(path: str, key: str, member: str, start: t.Any) -> None:
    store = CacheLogoutStore(SessionFileStore(path), "test:")
    start.wait()
    store.add([key], member, 60)


def test_logins_filed_at_once_in_several_processes_are_all_kept(tmp_path):
    context = multiprocessing.get_context("fork")
    start = context.Event()
    key = index_key("p", "https://i", "sub", "u")
    processes = [
        context.Process(target=_add_in_a_process, args=(str(tmp_path), key, f"s{n}", start))
        for n in range(6)
    ]
    for process in processes:
        process.start()
    start.set()
    for process in processes:
        process.join(30)
    store = CacheLogoutStore(SessionFileStore(str(tmp_path)), "test:")
    assert sorted(store.members(key)) == [f"s{n}" for n in range(6)]


def test_a_filed_session_follows_its_id_and_is_renewed_after_half_its_life(store):
    key = index_key("p", "https://i", "sub", "u")
    session: dict[str, t.Any] = {}
    file_session(session, [key])
    lifetime = timedelta(days=2)
    store.keep_filed(session, "id-1", lifetime)
    assert store.members(key) == ["id-1"]
    first = dict(session[FILED_KEY])
    assert first["store_id"] == "id-1"
    assert first["renew_at"] == pytest.approx(time.time() + 86400, abs=5)

    store.keep_filed(session, "id-1", lifetime)  # written again soon: nothing to do
    assert session[FILED_KEY] == first

    store.keep_filed(session, "id-2", lifetime)  # a new id (regenerated): follows it
    assert store.members(key) == ["id-2"]

    session[FILED_KEY] = {**session[FILED_KEY], "renew_at": time.time() - 1}
    _backdate(store, key, "id-2")  # as if its entry were about to expire
    store.keep_filed(session, "id-2", lifetime)
    assert store.members(key) == ["id-2"]
    assert session[FILED_KEY]["renew_at"] > time.time()


def test_a_session_filed_under_nothing_costs_nothing(store):
    session: dict[str, t.Any] = {"_oauth2login_pending": {}}
    store.keep_filed(session, "id-1", timedelta(days=1))
    assert FILED_KEY not in session
