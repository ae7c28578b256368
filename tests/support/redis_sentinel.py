"""A real Redis Sentinel set on free loopback ports: one master, one replica
and one sentinel (quorum 1), for tests and benchmarks.

The sentinel runs from a configuration generated here (``redis-server
sentinel.conf --sentinel``); it takes a master down after one second without
an answer and promotes the replica. :meth:`SentinelSet.fail_over` stops the
master and waits until the sentinel names the replica as the new master.
Everything stops by itself at teardown and with the process that started it
(see :mod:`tests.support.processes`).
"""

from __future__ import annotations

import os
import tempfile
import time
import typing as t

from tests.support.processes import Child, free_port, wait_until
from tests.support.redis_server import REDIS_SERVER, require_redis

#: The server binary, or ``None`` when it is not installed.
#: The name of the master the sentinel watches.
SERVICE = "mymaster"


class SentinelSet:
    """A master, a replica of it, and a sentinel; a context manager."""

    def __init__(self) -> None:
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed")
        self.directory = tempfile.TemporaryDirectory(prefix="oauth2login-sentinel-")
        self.master_port, self.replica_port, self.sentinel_port = (free_port() for _ in range(3))
        self._servers: dict[int, Child] = {}
        self._sentinel: Child | None = None

    @property
    def sentinels(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", self.sentinel_port)]

    def client(self, **options: t.Any) -> t.Any:
        """A client of the master, through the sentinel, that gives up quickly."""
        from redis.backoff import NoBackoff
        from redis.retry import Retry
        from redis.sentinel import Sentinel

        options.setdefault("socket_timeout", 2)
        options.setdefault("socket_connect_timeout", 2)
        options.setdefault("retry", Retry(NoBackoff(), 0))
        sentinel = Sentinel(self.sentinels, socket_timeout=1, socket_connect_timeout=1)
        return sentinel.master_for(SERVICE, **options)

    def node_client(self, port: int) -> t.Any:
        import redis

        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)

    def master_address(self) -> tuple[str, int]:
        """The master the sentinel names now."""
        probe = self.node_client(self.sentinel_port)
        try:
            host, port = probe.sentinel_get_master_addr_by_name(SERVICE)
        finally:
            probe.close()
        return str(host), int(port)

    def start(self) -> SentinelSet:
        self._serve(self.master_port)
        self._serve(self.replica_port, "--replicaof", "127.0.0.1", str(self.master_port))
        replica = self.node_client(self.replica_port)
        try:
            wait_until(
                lambda: replica.info("replication")["master_link_status"] == "up",
                self._servers[self.replica_port],
                "the replica",
            )
        finally:
            replica.close()
        config = os.path.join(self.directory.name, "sentinel.conf")
        with open(config, "w") as handle:
            handle.write(
                f"port {self.sentinel_port}\n"
                "bind 127.0.0.1\n"
                f"dir {self.directory.name}\n"
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.master_port} 1\n"
                f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                f"sentinel failover-timeout {SERVICE} 10000\n"
                f"sentinel parallel-syncs {SERVICE} 1\n"
            )
        self._sentinel = Child(
            [t.cast(str, REDIS_SERVER), config, "--sentinel", "--loglevel", "warning"]
        )
        probe = self.node_client(self.sentinel_port)
        try:
            wait_until(
                lambda: len(probe.sentinel_slaves(SERVICE)) == 1,
                self._sentinel,
                f"redis sentinel on port {self.sentinel_port}",
                timeout=20,
            )
        finally:
            probe.close()
        return self

    def dump(self) -> bytes:
        """Every key and value of the master, as bytes."""
        from tests.support.redis_cluster import _value

        probe = self.node_client(self.master_address()[1])
        try:
            return b"\n".join(k + b"=" + _value(probe, k) for k in probe.scan_iter(count=500))
        finally:
            probe.close()

    def flush(self) -> None:
        probe = self.node_client(self.master_address()[1])
        try:
            probe.flushall()
        finally:
            probe.close()

    def stop_master(self) -> int:
        """Stop the current master (its data went to the replica); return its port."""
        port = self.master_address()[1]
        probe = self.node_client(port)
        try:
            probe.wait(1, 2000)  # the replica has every write
        finally:
            probe.close()
        self._servers.pop(port).stop()
        return port

    def wait_for_new_master(self, old_port: int, timeout: float = 30) -> int:
        """Wait until the sentinel names a master other than *old_port*; its port."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            port = self.master_address()[1]
            if port != old_port:
                probe = self.node_client(port)
                try:
                    if probe.info("replication")["role"] == "master":
                        return port
                finally:
                    probe.close()
            time.sleep(0.1)
        raise RuntimeError("the sentinel did not promote the replica")

    def close(self) -> None:
        if self._sentinel is not None:
            self._sentinel.stop()
            self._sentinel = None
        for child in self._servers.values():
            child.stop()
        self._servers = {}
        self.directory.cleanup()

    def _serve(self, port: int, *extra: str) -> None:
        child = Child(
            [
                t.cast(str, REDIS_SERVER),
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.directory.name,
                "--dbfilename",
                f"dump-{port}.rdb",
                "--loglevel",
                "warning",
                *extra,
            ]
        )
        self._servers[port] = child
        probe = self.node_client(port)
        try:
            wait_until(probe.ping, child, f"redis-server on port {port}", timeout=10)
        finally:
            probe.close()

    def __enter__(self) -> SentinelSet:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def serve_redis_sentinel() -> t.Iterator[SentinelSet]:
    """For a fixture: a running set until teardown; skips (or, under
    ``OAUTH2LOGIN_TEST_REQUIRE_ALL=1``, fails) when Redis is not installed."""
    require_redis()
    with SentinelSet() as found:
        yield found
