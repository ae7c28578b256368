"""Sessions in Redis (Flask-Session's ``RedisSessionInterface``).

Everything that shares the sessions' store lives in the same Redis, so it is
shared by every process and machine that serves the app:

- refreshes are coordinated with a lock and a result slot under
  ``oauth2login:refresh:`` (:class:`RedisCoordinator`);
- the logout index is a sorted set per index key (each store id scored with
  its expiry, at most :attr:`~flask_oauth2login.sessions.logout_index.LogoutStore.cap`
  of them), and each logout token seen a ``SET NX EX``, under
  ``oauth2login:logout:`` and the sessions' key prefix (:class:`RedisLogoutStore`);
- connection errors, timeouts, a Redis loading, failing over or out of
  memory mean the store is down
  (:func:`~flask_oauth2login.storage.redis.outage_errors`).

redis-py is imported only by the apps that keep their sessions in Redis.
"""

from __future__ import annotations

import functools
import json
import time
import typing as t

from ...storage.imports import loaded_class
from ...storage.redis import outage_errors, refresh_lock
from ..coordination import Coordinator
from ..logout_index import LogoutStore
from ..setup import store_errors_as_unavailable
from .base import SHARED, Engine

if t.TYPE_CHECKING:  # pragma: no cover
    from flask_session.base import ServerSideSessionInterface


class RedisEngine(Engine):
    """The engine of sessions in Redis; see the module."""

    @classmethod
    def serves(cls, interface: ServerSideSessionInterface) -> bool:
        redis_sessions = loaded_class("flask_session.redis", "RedisSessionInterface")
        return redis_sessions is not None and isinstance(interface, redis_sessions)

    @property
    def client(self) -> t.Any:
        """The sessions' redis-py client."""
        return t.cast(t.Any, self.interface).client

    def outage_errors(self) -> tuple[type[BaseException], ...]:
        return outage_errors()

    def make_coordinator(self) -> Coordinator:
        return RedisCoordinator(self.client)

    def make_logout_store(self, prefix: str) -> LogoutStore:
        return RedisLogoutStore(self.client, prefix)

    def describe(self) -> tuple[str, str | None]:
        pool = getattr(self.client, "connection_pool", None)
        kwargs = getattr(pool, "connection_kwargs", None)
        if isinstance(kwargs, dict) and "host" in kwargs:
            where = f"{kwargs['host']}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
            return f"Redis at {where}", SHARED
        return "Redis", SHARED


class RedisCoordinator:
    """Coordinates every process that shares one Redis.

    The lock is :func:`~flask_oauth2login.storage.redis.refresh_lock`. Lock
    and slots live under :attr:`prefix` in the session's Redis (slots hold
    tokens: they need the same protection as the sessions). When Redis is
    unreachable or too slow, every method raises
    :class:`~flask_oauth2login.errors.SessionStoreUnavailable` (answered
    with a 503) before anything reaches the provider.
    """

    #: Prefix of the keys of locks and result slots.
    prefix = "oauth2login:refresh:"

    def __init__(self, client: t.Any) -> None:
        #: The redis-py client.
        self.client = client
        #: What counts as "Redis is unavailable".
        self.store_errors = outage_errors()

    def lock(self, key: str, wait: float) -> t.ContextManager[bool]:
        unavailable = functools.partial(store_errors_as_unavailable, self)
        return refresh_lock(self.client, f"{self.prefix}lock:{key}", wait, unavailable=unavailable)

    def get_result(self, key: str) -> dict[str, t.Any] | None:
        with store_errors_as_unavailable(self):
            raw = self.client.get(f"{self.prefix}result:{key}")
        return json.loads(raw) if raw else None

    def set_result(self, key: str, token: t.Mapping[str, t.Any], ttl: int) -> None:
        with store_errors_as_unavailable(self):
            self.client.set(f"{self.prefix}result:{key}", json.dumps(dict(token)), ex=ttl)


class RedisLogoutStore(LogoutStore):
    """The index and the tokens seen in the sessions' Redis, under :attr:`prefix`."""

    def __init__(self, client: t.Any, prefix: str) -> None:
        #: The redis-py client.
        self.client = client
        #: Prefix of every key: ``oauth2login:logout:`` and the sessions' own.
        self.prefix = prefix
        self.store_errors = outage_errors()

    def add(self, keys: t.Sequence[str], store_id: str, ttl: int) -> None:
        now = time.time()
        with store_errors_as_unavailable(self):
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                name = self.prefix + key
                pipe.zremrangebyscore(name, "-inf", now)
                pipe.zadd(name, {store_id: now + ttl})
                pipe.zremrangebyrank(name, 0, -(self.cap + 1))  # the first to expire give way
                pipe.expire(name, ttl)
            pipe.execute()

    def members(self, key: str) -> list[str]:
        with store_errors_as_unavailable(self):
            found = self.client.zrangebyscore(self.prefix + key, time.time(), "+inf")
        return [m.decode() if isinstance(m, bytes) else str(m) for m in found]

    def discard(self, keys: t.Sequence[str], store_id: str) -> None:
        with store_errors_as_unavailable(self):
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                pipe.zrem(self.prefix + key, store_id)
            pipe.execute()

    def discard_many(self, entries: t.Mapping[str, t.Collection[str]]) -> None:
        with store_errors_as_unavailable(self):
            pipe = self.client.pipeline(transaction=False)
            for key, store_ids in entries.items():
                if store_ids:
                    pipe.zrem(self.prefix + key, *store_ids)
            pipe.execute()

    def first_seen(self, key: str, ttl: int) -> bool:
        with store_errors_as_unavailable(self):
            return bool(self.client.set(self.prefix + key, b"1", nx=True, ex=ttl))

    def forget_seen(self, key: str) -> None:
        with store_errors_as_unavailable(self):
            self.client.delete(self.prefix + key)
