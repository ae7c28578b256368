"""The Redis refresh lock that sessions in Redis and the Redis token store
share (:mod:`flask_oauth2login.storage.redis`), on a real Redis."""

from __future__ import annotations

import threading
import time
import typing as t
from contextlib import contextmanager

import pytest
import redis

from flask_oauth2login.sessions.engines.redis import RedisCoordinator
from flask_oauth2login.storage.redis import outage_errors, refresh_lock
from flask_oauth2login.tokenstore import TokenKey
from flask_oauth2login.tokenstore.redis import RedisTokenStore
from tests.support.processes import free_port
from tests.support.redis_server import RedisServer, serve_redis


@pytest.fixture(scope="module")
def redis_server() -> t.Iterator[RedisServer]:
    yield from serve_redis()


@pytest.fixture
def outage_redis() -> t.Iterator[RedisServer]:
    yield from serve_redis()


class Down(Exception):
    """What the caller of these tests calls "the store is unavailable"."""


@contextmanager
def as_down() -> t.Iterator[None]:
    try:
        yield
    except outage_errors() as exc:
        raise Down from exc


def held(client: t.Any, name: str, wait: float) -> t.ContextManager[bool]:
    return refresh_lock(client, name, wait, unavailable=as_down)


def test_outage_errors_are_those_of_an_unreachable_or_failing_redis():
    errors = outage_errors()
    assert OSError in errors
    for error in (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
        assert error in errors
    assert redis.exceptions.ResponseError not in errors  # a mistake, not an outage


def test_one_holder_at_a_time_and_a_waiter_gives_up(redis_server):
    first, second = redis_server.client(), redis_server.client()  # two processes
    with held(first, "lock:one", wait=1) as acquired:
        assert acquired
        started = time.monotonic()
        with held(second, "lock:one", wait=0.2) as waited:
            assert waited is False  # gave up: no deadlock
        assert 0.15 < time.monotonic() - started < 2
    assert first.exists("lock:one") == 0  # released
    with held(second, "lock:one", wait=0.2) as acquired:
        assert acquired


def test_a_waiter_gets_the_lock_when_the_holder_is_done(redis_server):
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with held(redis_server.client(), "lock:wait", wait=1):
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(5)
        threading.Timer(0.2, release.set).start()
        with held(redis_server.client(), "lock:wait", wait=5) as acquired:
            assert acquired
    finally:
        release.set()
        holder.join(5)


def test_it_expires_by_itself_after_twice_the_wait(redis_server):
    client = redis_server.client()
    with held(client, "lock:ttl", wait=3) as acquired:
        assert acquired
        assert 5000 < client.pttl("lock:ttl") <= 6000
    with held(client, "lock:short", wait=0.1):
        assert 1000 < client.pttl("lock:short") <= 2000  # never under two seconds
    dead = client.lock("lock:dead", timeout=0.5)  # a holder that died
    assert dead.acquire(blocking=False)
    with held(redis_server.client(), "lock:dead", wait=5) as acquired:
        assert acquired


def test_a_lock_that_expired_meanwhile_is_left_quietly(redis_server):
    client = redis_server.client()
    with held(client, "lock:lost", wait=1) as acquired:
        assert acquired
        client.delete("lock:lost")  # expired while the refresh ran
    with held(client, "lock:lost", wait=0.1) as acquired:
        assert acquired


def test_an_outage_while_acquiring_is_the_callers_error():
    nobody = redis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(Down), held(nobody, "lock:down", wait=0.1):
        pass


def test_an_outage_while_releasing_is_ignored(outage_redis):
    with held(outage_redis.client(), "lock:gone", wait=1) as acquired:
        assert acquired
        outage_redis.stop()  # the lock expires by itself when Redis is back
    outage_redis.start()


def test_sessions_and_the_token_store_lock_alike(redis_server):
    client = redis_server.client()
    coordinator = RedisCoordinator(client)
    store = RedisTokenStore(client)
    key = TokenKey("p", "https://issuer", "subject")
    with coordinator.lock("k", wait=3) as session_lock, store.lock(key, wait=3) as token_lock:
        assert session_lock and token_lock
        names = client.keys("oauth2login:refresh:lock:*") + client.keys("oauth2login:token-lock:*")
        assert len(names) == 2
        assert all(5000 < client.pttl(name) <= 6000 for name in names)
