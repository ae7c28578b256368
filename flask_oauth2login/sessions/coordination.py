"""Making one token refresh serve many concurrent requests.

A :class:`Coordinator` offers a short lock per refresh and a place to leave
its result (a "slot", keyed by a hash of the refresh token used) for the
requests that waited, and for any request that still holds the old token
later. The backend follows the session store: Redis sessions coordinate
through the same Redis (across processes and machines), every other store
within the process only. Backends are imported only when chosen.

The lock is never a reason to hang: a waiter gives up after the configured
wait (``OAUTH2LOGIN_REFRESH_WAIT``) and refreshes itself, and a lock whose
holder died expires. Such a second refresh of the same refresh token is
harmless: :func:`flask_oauth2login.tokens.logins.refresh` looks in the slot before
it takes a refusal for the end of the login.
"""

from __future__ import annotations

import json
import threading
import time
import typing as t
from contextlib import contextmanager, suppress

from .setup import store_errors_as_unavailable

if t.TYPE_CHECKING:  # pragma: no cover
    from flask.sessions import SessionInterface


class Coordinator(t.Protocol):
    """Lock and result slot for single-flight token refreshes."""

    def lock(self, key: str, wait: float) -> t.ContextManager[bool]:
        """Hold the lock for *key*, waiting up to *wait* seconds; yields
        whether it was acquired (the caller goes ahead either way, so a lock
        never deadlocks)."""

    def get_result(self, key: str) -> dict[str, t.Any] | None:
        """The token a finished refresh left under *key*, if any."""

    def set_result(self, key: str, token: t.Mapping[str, t.Any], ttl: int) -> None:
        """Leave *token* under *key* for *ttl* seconds."""


class LocalCoordinator:
    """Coordinates the threads of one process."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        #: Per key: the lock and how many threads hold or wait for it.
        self._locks: dict[str, tuple[threading.Lock, list[int]]] = {}
        self._results: dict[str, tuple[float, dict[str, t.Any]]] = {}

    @contextmanager
    def lock(self, key: str, wait: float) -> t.Iterator[bool]:
        with self._guard:
            lock, users = self._locks.setdefault(key, (threading.Lock(), [0]))
            users[0] += 1
        acquired = lock.acquire(timeout=wait)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
            with self._guard:
                users[0] -= 1
                if not users[0]:  # the last one out; nobody waits on it
                    del self._locks[key]

    def get_result(self, key: str) -> dict[str, t.Any] | None:
        with self._guard:
            entry = self._results.get(key)
            if entry is None or entry[0] < time.monotonic():
                self._results.pop(key, None)
                return None
            return dict(entry[1])

    def set_result(self, key: str, token: t.Mapping[str, t.Any], ttl: int) -> None:
        now = time.monotonic()
        with self._guard:
            self._results = {k: v for k, v in self._results.items() if v[0] >= now}
            self._results[key] = (now + ttl, dict(token))


class RedisCoordinator:
    """Coordinates every process that shares one Redis.

    The lock is redis-py's :class:`~redis.lock.Lock`; it expires by itself
    after twice the wait, so a process that dies holding it delays the
    others by at most that. Lock and slots live under :attr:`prefix` in the
    session's Redis (slots hold tokens: they need the same protection as the
    sessions). When Redis is unreachable or too slow, every method raises
    :class:`~flask_oauth2login.errors.SessionStoreUnavailable` (answered
    with a 503) before anything reaches the provider.
    """

    #: Prefix of the keys of locks and result slots.
    prefix = "oauth2login:refresh:"

    def __init__(self, client: t.Any, errors: tuple[type[BaseException], ...] = ()) -> None:
        from redis.exceptions import ConnectionError, TimeoutError

        self.client = client
        #: What counts as "Redis is unavailable".
        self.store_errors = errors or (ConnectionError, TimeoutError, OSError)

    @contextmanager
    def lock(self, key: str, wait: float) -> t.Iterator[bool]:
        from redis.exceptions import LockError

        lock = self.client.lock(
            f"{self.prefix}lock:{key}", timeout=max(wait, 1.0) * 2, blocking_timeout=wait
        )
        with store_errors_as_unavailable(self):
            acquired = bool(lock.acquire())
        try:
            yield acquired
        finally:
            if acquired:
                # Expired meanwhile, or Redis went away: it expires by itself.
                with suppress(LockError, *self.store_errors):
                    lock.release()

    def get_result(self, key: str) -> dict[str, t.Any] | None:
        with store_errors_as_unavailable(self):
            raw = self.client.get(f"{self.prefix}result:{key}")
        return json.loads(raw) if raw else None

    def set_result(self, key: str, token: t.Mapping[str, t.Any], ttl: int) -> None:
        with store_errors_as_unavailable(self):
            self.client.set(f"{self.prefix}result:{key}", json.dumps(dict(token)), ex=ttl)


#: Session interface class name to the coordinator that shares its store.
_BACKENDS: dict[str, t.Callable[[t.Any], Coordinator]] = {
    "RedisSessionInterface": lambda interface: RedisCoordinator(
        interface.client, getattr(interface, "store_errors", ())
    ),
}


def for_session_interface(interface: SessionInterface) -> Coordinator:
    """Choose the coordinator that matches the app's session store."""
    for cls in type(interface).__mro__:
        factory = _BACKENDS.get(cls.__name__)
        if factory is not None:
            return factory(interface)
    return LocalCoordinator()
