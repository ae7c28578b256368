"""A real ``redis-server`` on a free loopback port, for tests and benchmarks.

Started with ``--port N --bind 127.0.0.1 --save "" --appendonly no`` in a
directory of its own, it stops by itself at teardown and with the process
that started it (see :mod:`tests.support.processes`). :meth:`RedisServer.stop`
saves the data first (``SHUTDOWN SAVE``), so a restart on the same port is a
real outage that loses nothing.
"""

from __future__ import annotations

import importlib.util
import shutil
import signal
import tempfile
import typing as t

from tests.support.processes import Child, free_port, wait_until
from tests.support.requirements import require

#: The server binary, or ``None`` when it is not installed.
REDIS_SERVER = shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")


class RedisServer:
    """One ``redis-server`` process; a context manager."""

    def __init__(self) -> None:
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed")
        self.directory = tempfile.TemporaryDirectory(prefix="oauth2login-redis-")
        self.port = free_port()
        self._child: Child | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self, **options: t.Any) -> t.Any:
        """A redis-py client for this server that gives up quickly when it is down."""
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        options.setdefault("socket_timeout", 2)
        options.setdefault("socket_connect_timeout", 2)
        options.setdefault("retry", Retry(NoBackoff(), 0))
        return redis.Redis.from_url(self.url, **options)

    def start(self) -> RedisServer:
        """Start (again, on the same port, with the saved data)."""
        self._child = Child(
            [
                t.cast(str, REDIS_SERVER),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.directory.name,
                "--dbfilename",
                "dump.rdb",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ]
        )
        probe = self.client()
        try:
            wait_until(probe.ping, self._child, f"redis-server on port {self.port}", timeout=10)
        finally:
            probe.close()
        return self

    def stop(self) -> None:
        """Save the data and stop; :meth:`start` brings it back."""
        child, self._child = self._child, None
        if child is None:
            return
        if child.running:
            client = self.client()
            try:
                client.shutdown(save=True)
            except Exception:  # noqa: S110 - the connection drops as it shuts down
                pass
            finally:
                client.close()
        child.stop()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): it accepts connections but answers nothing."""
        assert self._child is not None
        self._child.signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Undo :meth:`pause`."""
        assert self._child is not None
        self._child.signal(signal.SIGCONT)

    def close(self) -> None:
        """Stop for good and remove the data."""
        if self._child is not None:
            self._child.stop()
            self._child = None
        self.directory.cleanup()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def require_redis(*, cli: bool = False) -> None:
    """Skip (or, under ``OAUTH2LOGIN_TEST_REQUIRE_ALL=1``, fail) unless
    redis-server (and, with *cli*, redis-cli) and redis-py are installed."""
    if cli:
        require(
            REDIS_SERVER is not None and REDIS_CLI is not None,
            "redis-server and redis-cli are not installed (apt-get install redis-server)",
        )
    require(
        REDIS_SERVER is not None, "redis-server is not installed (apt-get install redis-server)"
    )
    require(importlib.util.find_spec("redis") is not None, "redis-py is not installed")


def serve_redis() -> t.Iterator[RedisServer]:
    """For a fixture: a running server until teardown; skips (or, under
    ``OAUTH2LOGIN_TEST_REQUIRE_ALL=1``, fails) when Redis is not installed."""
    require_redis()
    with RedisServer() as server:
        yield server
