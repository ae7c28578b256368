"""Making one token refresh serve many concurrent requests.

A :class:`Coordinator` offers a short lock per refresh and a place to leave
its result for the requests that waited. The backend follows the session
store: Redis sessions coordinate through the same Redis (across processes
and machines), every other store within the process. Backends are imported
only when chosen.
"""

from __future__ import annotations

import json
import threading
import time
import typing as t
from contextlib import contextmanager, suppress

if t.TYPE_CHECKING:  # pragma: no cover
    from flask.sessions import SessionInterface


class Coordinator(t.Protocol):
    """Lock and result slot for single-flight token refreshes."""

    def lock(self, key: str, wait: float) -> t.ContextManager[bool]:
        """Hold the lock for *key*, waiting up to *wait* seconds; yields
        whether it was acquired (a refresh goes ahead either way, so a lost
        lock never deadlocks)."""

    def get_result(self, key: str) -> dict[str, t.Any] | None:
        """The token a finished refresh left under *key*, if any."""

    def set_result(self, key: str, token: t.Mapping[str, t.Any], ttl: int) -> None:
        """Leave *token* under *key* for *ttl* seconds."""


class LocalCoordinator:
    """Coordinates the threads of one process."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._results: dict[str, tuple[float, dict[str, t.Any]]] = {}

    @contextmanager
    def lock(self, key: str, wait: float) -> t.Iterator[bool]:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        acquired = lock.acquire(timeout=wait)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
            with self._guard:
                if not lock.locked():
                    self._locks.pop(key, None)

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
    """Coordinates every process that shares one Redis."""

    prefix = "oauth2login:refresh:"

    def __init__(self, client: t.Any) -> None:
        self.client = client

    @contextmanager
    def lock(self, key: str, wait: float) -> t.Iterator[bool]:
        from redis.exceptions import LockError

        # The lock expires by itself, so a process that dies holding it
        # delays the others by at most its timeout.
        lock = self.client.lock(
            f"{self.prefix}lock:{key}", timeout=max(wait, 1.0) * 2, blocking_timeout=wait
        )
        acquired = bool(lock.acquire())
        try:
            yield acquired
        finally:
            if acquired:
                with suppress(LockError):  # expired meanwhile: nothing to release
                    lock.release()

    def get_result(self, key: str) -> dict[str, t.Any] | None:
        raw = self.client.get(f"{self.prefix}result:{key}")
        return json.loads(raw) if raw else None

    def set_result(self, key: str, token: t.Mapping[str, t.Any], ttl: int) -> None:
        self.client.set(f"{self.prefix}result:{key}", json.dumps(dict(token)), ex=ttl)


#: Session interface class name to the coordinator that shares its store.
_BACKENDS: dict[str, t.Callable[[t.Any], Coordinator]] = {
    "RedisSessionInterface": lambda interface: RedisCoordinator(interface.client),
}


def for_session_interface(interface: SessionInterface) -> Coordinator:
    """Choose the coordinator that matches the app's session store."""
    for cls in type(interface).__mro__:
        factory = _BACKENDS.get(cls.__name__)
        if factory is not None:
            return factory(interface)
    return LocalCoordinator()
