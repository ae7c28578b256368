"""One deadline per exchange with a provider: connect, status line, headers and body.

A process-wide watchdog thread shuts an exchange's sockets down when its
deadline passes, so a provider that trickles its answer a byte at a time
cannot hold a worker. :class:`DeadlineAdapter` is the ``requests`` adapter
whose connections report their sockets to the :class:`Exchange` under way
(:func:`deadline`).
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import os
import socket
import threading
import time
import typing as t
from contextlib import contextmanager, suppress

import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class Exchange:
    """One call to a provider and its deadline.

    The sockets it uses are watched (through a duplicate of their file
    descriptor, so a socket closed and reused meanwhile is never touched);
    when the deadline passes, :class:`_Watchdog` shuts them down, and
    whatever read was waiting for the provider returns at once.
    """

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        #: The deadline passed before the exchange ended.
        self.expired = False
        #: The exchange ended; nothing of it is watched any more.
        self.finished = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def watch(self, sock: socket.socket) -> None:
        """Shut *sock* down when the deadline passes (at once if it has)."""
        try:
            watched = socket.fromfd(sock.fileno(), sock.family, sock.type, sock.proto)
        except (OSError, ValueError):
            return  # already closed: nothing to wait for
        with self._lock:
            if not self.finished and not self.expired:
                self._sockets.append(watched)
                return
            if self.expired:
                _shut_down(watched)
        watched.close()

    def expire(self) -> None:
        """The deadline has passed: end the exchange's reads."""
        with self._lock:
            if self.finished:
                return
            self.expired = True
            for sock in self._sockets:
                _shut_down(sock)

    def finish(self) -> None:
        """The exchange is over: stop watching its sockets."""
        with self._lock:
            self.finished = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            sock.close()


def _shut_down(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One thread for the whole process that expires exchanges past their
    deadline, in deadline order. Started on first use (again in a forked
    child)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._queue: list[tuple[float, int, Exchange]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, exchange: Exchange) -> None:
        """Expire *exchange* at its deadline, unless it finishes first."""
        with self._condition:
            entry = (exchange.deadline, next(self._order), exchange)
            heapq.heappush(self._queue, entry)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="oauth2login-deadlines", daemon=True
                )
                self._thread.start()
            elif self._queue[0] is entry:
                self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                while True:
                    while self._queue and self._queue[0][2].finished:
                        heapq.heappop(self._queue)
                    if not self._queue:
                        self._condition.wait()
                        continue
                    delay = self._queue[0][0] - time.monotonic()
                    if delay <= 0:
                        exchange = heapq.heappop(self._queue)[2]
                        break
                    self._condition.wait(delay)
            exchange.expire()

    def after_fork(self) -> None:
        """In a forked child: the parent's thread and waiters are gone."""
        self.__init__()  # type: ignore[misc]


_WATCHDOG = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG.after_fork)
_CURRENT: contextvars.ContextVar[Exchange | None] = contextvars.ContextVar(
    "oauth2login_exchange", default=None
)


@contextmanager
def deadline(exchange: Exchange) -> t.Iterator[None]:
    """Run a request as *exchange*: the sockets its connections use are
    watched until it ends."""
    _WATCHDOG.watch(exchange)
    token = _CURRENT.set(exchange)
    try:
        yield
    finally:
        _CURRENT.reset(token)
        exchange.finish()


def _watch(sock: socket.socket | None) -> None:
    exchange = _CURRENT.get()
    if exchange is not None and sock is not None:
        exchange.watch(sock)


class _Watched:
    """A connection whose sockets the current exchange watches: a new one
    as soon as it is connected (before TLS and any proxy tunnel), a pooled
    one when it is reused."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        _watch(sock)
        return sock

    def request(self, *args: t.Any, **kwargs: t.Any) -> None:
        _watch(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedConnection(_Watched, HTTPConnection):  # type: ignore[misc]
    """An HTTP connection watched by the current exchange."""


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):  # type: ignore[misc]
    """An HTTPS connection watched by the current exchange."""


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections (direct or through an HTTP proxy) are
    watched by the current exchange."""

    _pools: t.ClassVar[dict[str, type[HTTPConnectionPool]]] = {
        "http": _WatchedPool,
        "https": _WatchedHTTPSPool,
    }

    def init_poolmanager(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools

    def proxy_manager_for(self, proxy: str, **kwargs: t.Any) -> t.Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if type(manager) is urllib3.ProxyManager:  # SOCKS keeps its own connections
            manager.pool_classes_by_scheme = self._pools
        return manager
