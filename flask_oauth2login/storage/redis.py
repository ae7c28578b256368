"""Redis, as the session engine and the token store use it: the refresh lock
and result slot, what a client is connected to, and the errors that mean
"Redis is down".

redis-py is imported only when called: only apps that keep something in
Redis need it.
"""

from __future__ import annotations

import json
import typing as t
from contextlib import contextmanager, suppress

from .imports import loaded_class

#: Seconds between two tries of a waiter for a lock.
LOCK_POLL = 0.02


def outage_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean Redis is unreachable, too slow, loading,
    failing over, or out of memory."""
    from redis import exceptions

    names = (
        "ConnectionError",  # also Sentinel's MasterNotFoundError, and LOADING
        "TimeoutError",
        "ReadOnlyError",  # a master that became a replica in a failover
        "OutOfMemoryError",
        "ClusterError",  # CLUSTERDOWN, MASTERDOWN
        "TryAgainError",  # a slot moving
        "SlotNotCoveredError",
        "RedisClusterUnreachableError",
    )
    return (OSError, *(getattr(exceptions, n) for n in names if hasattr(exceptions, n)))


def is_cluster(client: t.Any) -> bool:
    """Whether *client* is a Redis Cluster client (``redis.cluster.RedisCluster``)."""
    cluster = loaded_class("redis.cluster", "RedisCluster")
    return cluster is not None and isinstance(client, cluster)


def describe(client: t.Any) -> str:
    """What and where the Redis of *client* is, for messages (never with a password)."""
    if is_cluster(client):
        nodes = sorted(f"{node.host}:{node.port}" for node in client.get_primaries())
        return f"Redis Cluster at {', '.join(nodes)}" if nodes else "Redis Cluster"
    pool = getattr(client, "connection_pool", None)
    service = getattr(pool, "service_name", None)
    if isinstance(service, str):  # Sentinel(...).master_for(service)
        manager = getattr(pool, "sentinel_manager", None)
        where = sorted(_address(sentinel) for sentinel in getattr(manager, "sentinels", ()))
        through = f" at {', '.join(where)}" if where else ""
        return f"Redis master {service!r} through Sentinel{through}"
    kwargs = getattr(pool, "connection_kwargs", None)
    if isinstance(kwargs, dict):
        if kwargs.get("path"):
            return f"Redis at {kwargs['path']}/{kwargs.get('db', 0)}"
        if "host" in kwargs:
            return f"Redis at {kwargs['host']}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
    return "Redis"


@contextmanager
def refresh_lock(
    client: t.Any,
    name: str,
    wait: float,
    *,
    unavailable: t.Callable[[], t.ContextManager[object]],
) -> t.Iterator[bool]:
    """Hold the lock *name* (redis-py's :class:`~redis.lock.Lock`), waiting
    up to *wait* seconds; yields whether it was acquired.

    The caller goes ahead either way, so a lock never hangs a request. The
    lock expires by itself after twice the wait (at least two seconds), so a
    process that dies holding it delays the others by at most that.

    :param unavailable: makes the context that turns an outage while
        acquiring into the caller's own "store unavailable" error. An outage
        while releasing is ignored: the lock expires by itself.
    """
    from redis.exceptions import LockError

    lock = client.lock(name, timeout=max(wait, 1.0) * 2, blocking_timeout=wait, sleep=LOCK_POLL)
    with unavailable():
        acquired = bool(lock.acquire())
    try:
        yield acquired
    finally:
        if acquired:
            # Expired meanwhile, or Redis went away: it expires by itself.
            with suppress(LockError, *outage_errors()):
                lock.release()


def _address(client: t.Any) -> str:
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", None) or {}
    return f"{kwargs.get('host')}:{kwargs.get('port')}"


class RedisCoordinator:
    """The lock (:func:`refresh_lock`) and result slot of single-flight
    refreshes, under :attr:`prefix` in one Redis; a lock and its slot share
    the hash tag ``{<key>}`` (one Redis Cluster slot). Slots hold tokens:
    they need the same protection as the sessions.

    :param unavailable: makes the context that turns an outage into the
        caller's own "store unavailable" error.
    """

    #: Prefix of the keys of locks and result slots.
    prefix = "oauth2login:refresh:"

    def __init__(
        self, client: t.Any, *, unavailable: t.Callable[[], t.ContextManager[object]]
    ) -> None:
        #: The redis-py client.
        self.client = client
        #: What counts as "Redis is unavailable".
        self.store_errors = outage_errors()
        self.unavailable = unavailable

    def lock(self, key: str, wait: float) -> t.ContextManager[bool]:
        name = f"{self.prefix}lock:{{{key}}}"
        return refresh_lock(self.client, name, wait, unavailable=self.unavailable)

    def get_result(self, key: str) -> dict[str, t.Any] | None:
        with self.unavailable():
            raw = self.client.get(f"{self.prefix}result:{{{key}}}")
        return t.cast(dict[str, t.Any], json.loads(raw)) if raw else None

    def set_result(self, key: str, token: t.Mapping[str, t.Any], ttl: int) -> None:
        with self.unavailable():
            self.client.set(f"{self.prefix}result:{{{key}}}", json.dumps(dict(token)), ex=ttl)
