"""Making one token refresh serve many concurrent requests.

A :class:`Coordinator` offers a short lock per refresh and a place to leave
its result (a "slot", keyed by a hash of the refresh token used) for the
requests that waited, and for any request that still holds the old token
later. The app's session engine (:mod:`~flask_oauth2login.sessions.engines`)
makes the coordinator that shares its store: sessions in Redis coordinate
through the same Redis (across processes and machines); :class:`LocalCoordinator`
coordinates the threads of one process, for every other store.

The lock is never a reason to hang: a waiter gives up after the configured
wait (``OAUTH2LOGIN_REFRESH_WAIT``) and refreshes itself, and a lock whose
holder died expires. Such a second refresh of the same refresh token is
harmless: :func:`flask_oauth2login.tokens.refresh.refresh` looks in the slot before
it takes a refusal for the end of the login.
"""

from __future__ import annotations

import threading
import time
import typing as t
from contextlib import contextmanager


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
