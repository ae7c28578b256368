"""A real Redis Cluster of three masters on free loopback ports, for tests and benchmarks.

Three ``redis-server --cluster-enabled yes`` processes, each in a directory
of its own and without persistence, joined with ``redis-cli --cluster
create ... --cluster-replicas 0 --cluster-yes``: every node holds a third of
the 16384 slots. They stop by themselves at teardown and with the process
that started them (see :mod:`tests.support.processes`).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import tempfile
import typing as t

from tests.support.processes import Child, free_port, wait_until
from tests.support.redis_server import REDIS_CLI, REDIS_SERVER, require_redis

#: The binaries, or ``None`` when they are not installed.


class RedisCluster:
    """Three master nodes forming one cluster; a context manager."""

    def __init__(self, size: int = 3) -> None:
        if REDIS_SERVER is None or REDIS_CLI is None:
            raise RuntimeError("redis-server and redis-cli are needed for a cluster")
        self.directory = tempfile.TemporaryDirectory(prefix="oauth2login-cluster-")
        #: The nodes' ports.
        self.ports: list[int] = []
        while len(self.ports) < size:
            port = _cluster_port()
            if port not in self.ports:
                self.ports.append(port)
        self._children: list[Child] = []

    @property
    def nodes(self) -> list[str]:
        """``host:port`` of each node."""
        return [f"127.0.0.1:{port}" for port in self.ports]

    def client(self, **options: t.Any) -> t.Any:
        """A ``redis.cluster.RedisCluster`` client that gives up quickly when it is down."""
        from redis.backoff import NoBackoff
        from redis.cluster import ClusterNode
        from redis.cluster import RedisCluster as Client
        from redis.retry import Retry

        options.setdefault("socket_timeout", 2)
        options.setdefault("socket_connect_timeout", 2)
        options.setdefault("retry", Retry(NoBackoff(), 0))
        nodes = [ClusterNode("127.0.0.1", port) for port in self.ports]
        return Client(startup_nodes=nodes, **options)

    def node_client(self, port: int) -> t.Any:
        """A plain client of one node."""
        import redis

        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)

    def start(self) -> RedisCluster:
        for port in self.ports:
            self._children.append(
                Child(
                    [
                        t.cast(str, REDIS_SERVER),
                        "--port",
                        str(port),
                        "--bind",
                        "127.0.0.1",
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        f"nodes-{port}.conf",
                        "--cluster-node-timeout",
                        "2000",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--dir",
                        self.directory.name,
                        "--loglevel",
                        "warning",
                    ]
                )
            )
        for port, child in zip(self.ports, self._children, strict=True):
            probe = self.node_client(port)
            try:
                wait_until(probe.ping, child, f"redis-server on port {port}", timeout=10)
            finally:
                probe.close()
        subprocess.run(
            [t.cast(str, REDIS_CLI), "--cluster", "create", *self.nodes]
            + ["--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=30,
        )
        for port, child in zip(self.ports, self._children, strict=True):
            probe = self.node_client(port)
            try:
                wait_until(
                    lambda probe=probe: probe.cluster("info")["cluster_state"] == "ok",
                    child,
                    f"cluster node on port {port}",
                    timeout=20,
                )
            finally:
                probe.close()
        return self

    def flush(self) -> None:
        """Empty every node."""
        for port in self.ports:
            probe = self.node_client(port)
            try:
                probe.flushall()
            finally:
                probe.close()

    def dump(self) -> bytes:
        """Every key and value of every node, as bytes (strings, hashes,
        sorted sets), to look for what must not be stored."""
        found = []
        for port in self.ports:
            probe = self.node_client(port)
            try:
                for key in probe.scan_iter(count=500):
                    found.append(key + b"=" + _value(probe, key))
            finally:
                probe.close()
        return b"\n".join(found)

    def pause(self) -> None:
        """Freeze every node (SIGSTOP): they accept connections, answer nothing."""
        for child in self._children:
            child.signal(signal.SIGSTOP)

    def resume(self) -> None:
        for child in self._children:
            child.signal(signal.SIGCONT)

    def close(self) -> None:
        for child in self._children:
            child.stop()
        self._children = []
        self.directory.cleanup()

    def __enter__(self) -> RedisCluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _cluster_port() -> int:
    """A free port whose cluster bus port (10000 higher) is free too."""
    while True:
        port = free_port()
        if port > 55535:
            continue
        try:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        return port


def _value(client: t.Any, key: bytes) -> bytes:
    """What *key* holds, whatever its type, as bytes."""
    kind = client.type(key)
    if kind == b"string":
        return bytes(client.get(key) or b"")
    if kind == b"hash":
        return b" ".join(k + b":" + v for k, v in client.hgetall(key).items())
    if kind == b"zset":
        return b" ".join(client.zrange(key, 0, -1))
    return kind


def serve_redis_cluster() -> t.Iterator[RedisCluster]:
    """For a fixture: a running cluster until teardown; skips (or, under
    ``OAUTH2LOGIN_TEST_REQUIRE_ALL=1``, fails) when Redis is not installed."""
    require_redis(cli=True)
    with RedisCluster() as cluster:
        yield cluster
