"""Sessions in Redis (Flask-Session's ``RedisSessionInterface``): one server,
a Redis Cluster (``redis.cluster.RedisCluster``), or the master a Sentinel
names (``Sentinel(...).master_for(...)``).

Everything that shares the sessions' store lives in the same Redis, so it is
shared by every process and machine that serves the app:

- refreshes are coordinated with a lock and a result slot under
  ``oauth2login:refresh:`` (:class:`RedisCoordinator`); a lock and its
  slot share a hash tag, so they share a cluster slot;
- the logout index is a sorted set per index key (each store id scored with
  its expiry, at most :attr:`~flask_oauth2login.sessions.logout_index.LogoutStore.cap`
  of them), and each logout token seen a ``SET NX EX``, under
  ``oauth2login:logout:`` and the sessions' key prefix (:class:`RedisLogoutStore`);
  on a cluster, each key is a hash tag of its own, and no command spans
  two keys;
- connection errors, timeouts, a Redis loading, failing over (a master
  turned replica, no master known to the Sentinel, a cluster slot without
  a master) or out of memory mean the store is down
  (:func:`~flask_oauth2login.storage.redis.outage_errors`).

redis-py is imported only by the apps that keep their sessions in Redis.
"""

from __future__ import annotations

import functools
import time
import typing as t

from ...storage.imports import loaded_class
from ...storage.redis import RedisCoordinator as SharedRedisCoordinator
from ...storage.redis import describe, is_cluster, outage_errors
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
        return RedisLogoutStore(self.client, prefix, tagged=is_cluster(self.client))

    def coordination(self) -> str | None:
        return SHARED

    def describe(self) -> tuple[str, str | None]:
        return describe(self.client), SHARED


class RedisCoordinator(SharedRedisCoordinator):
    """Coordinates every process that shares one Redis (see
    :class:`~flask_oauth2login.storage.redis.RedisCoordinator`). When Redis
    is unreachable or too slow, every method raises
    :class:`~flask_oauth2login.errors.SessionStoreUnavailable` (answered
    with a 503) before anything reaches the provider.
    """

    def __init__(self, client: t.Any) -> None:
        super().__init__(client, unavailable=functools.partial(store_errors_as_unavailable, self))


class RedisLogoutStore(LogoutStore):
    """The index and the tokens seen in the sessions' Redis, under :attr:`prefix`.

    :param tagged: give each key a hash tag of its own (a Redis Cluster):
        whatever one key's commands touch lives in one slot.
    """

    def __init__(self, client: t.Any, prefix: str, *, tagged: bool = False) -> None:
        #: The redis-py client.
        self.client = client
        #: Prefix of every key: ``oauth2login:logout:`` and the sessions' own.
        self.prefix = prefix
        #: Whether each key is a hash tag of its own.
        self.tagged = tagged
        self.store_errors = outage_errors()

    def name(self, key: str) -> str:
        """The Redis key of *key*."""
        return f"{self.prefix}{{{key}}}" if self.tagged else self.prefix + key

    def add(self, keys: t.Sequence[str], store_id: str, ttl: int) -> None:
        now = time.time()
        with store_errors_as_unavailable(self):
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                name = self.name(key)
                pipe.zremrangebyscore(name, "-inf", now)
                pipe.zadd(name, {store_id: now + ttl})
                pipe.zremrangebyrank(name, 0, -(self.cap + 1))  # the first to expire give way
                pipe.expire(name, ttl)
            pipe.execute()

    def members(self, key: str) -> list[str]:
        with store_errors_as_unavailable(self):
            found = self.client.zrangebyscore(self.name(key), time.time(), "+inf")
        return [m.decode() if isinstance(m, bytes) else str(m) for m in found]

    def discard(self, keys: t.Sequence[str], store_id: str) -> None:
        with store_errors_as_unavailable(self):
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                pipe.zrem(self.name(key), store_id)
            pipe.execute()

    def discard_many(self, entries: t.Mapping[str, t.Collection[str]]) -> None:
        with store_errors_as_unavailable(self):
            pipe = self.client.pipeline(transaction=False)
            for key, store_ids in entries.items():
                if store_ids:
                    pipe.zrem(self.name(key), *store_ids)
            pipe.execute()

    def first_seen(self, key: str, ttl: int) -> bool:
        with store_errors_as_unavailable(self):
            return bool(self.client.set(self.name(key), b"1", nx=True, ex=ttl))

    def forget_seen(self, key: str) -> None:
        with store_errors_as_unavailable(self):
            self.client.delete(self.name(key))
