"""Redis, as the session engine and the token store use it: the refresh lock,
and the errors that mean "Redis is down".

redis-py is imported only when called: only apps that keep something in
Redis need it.
"""

from __future__ import annotations

import typing as t
from contextlib import contextmanager, suppress

#: Seconds between two tries of a waiter for a lock.
LOCK_POLL = 0.02


def outage_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean Redis is unreachable, too slow, loading,
    failing over, or out of memory."""
    from redis import exceptions

    names = ("ConnectionError", "TimeoutError", "ReadOnlyError", "OutOfMemoryError", "ClusterError")
    return (OSError, *(getattr(exceptions, n) for n in names if hasattr(exceptions, n)))


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
