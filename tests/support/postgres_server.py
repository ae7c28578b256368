"""A real PostgreSQL cluster of its own, for tests and benchmarks.

``initdb`` makes the cluster in a temporary directory and ``postgres`` serves
it on a free loopback port (and a Unix socket in that directory), with fsync
off: nothing here needs to survive a power cut. The binaries are Debian's
(``/usr/lib/postgresql/<version>/bin``, not on ``PATH``; the newest version
wins), else whichever ``initdb`` is on ``PATH``.

PostgreSQL refuses to run as root. Run as root (as in CI containers), the
cluster belongs to a dedicated OS user: ``postgres`` when the package made
it, else ``oauth2login-pg``, created with ``useradd``. The server stops by
itself at teardown and with the process that started it (see
:mod:`tests.support.processes`). :meth:`PostgresServer.stop` is a clean
shutdown (``pg_ctl stop -m fast``), so a :meth:`PostgresServer.start` on the
same port and data afterwards is a real outage that loses nothing.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import typing as t

from tests.support.processes import Child, free_port, wait_until
from tests.support.requirements import require

#: The OS user a cluster started by root belongs to, if there is no ``postgres``.
DEDICATED_USER = "oauth2login-pg"


def _version(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path))


def find_bin_dir() -> str | None:
    """Where ``initdb``, ``pg_ctl`` and ``postgres`` are, or ``None``."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    found += glob.glob("/usr/local/pgsql/bin/initdb")
    on_path = shutil.which("initdb")
    if on_path:
        found.append(os.path.realpath(on_path))
    for initdb in found:
        directory = os.path.dirname(initdb)
        if all(os.access(os.path.join(directory, b), os.X_OK) for b in ("pg_ctl", "postgres")):
            return directory
    return None


#: The directory of the server binaries, or ``None`` when PostgreSQL is not installed.
BIN_DIR = find_bin_dir()


def _os_user() -> str | None:
    """The user to run the cluster as: ``None`` (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", DEDICATED_USER):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", DEDICATED_USER],
        check=True,
        capture_output=True,
    )
    return DEDICATED_USER


class PostgresServer:
    """One PostgreSQL cluster and its server process; a context manager."""

    def __init__(self) -> None:
        if BIN_DIR is None:
            raise RuntimeError("PostgreSQL is not installed")
        self.bin_dir = BIN_DIR
        self.user = _os_user()
        self.directory = tempfile.TemporaryDirectory(prefix="oauth2login-pg-")
        #: The cluster's data directory.
        self.data = os.path.join(self.directory.name, "data")
        self.port = free_port()
        self._child: Child | None = None
        if self.user is not None:
            record = pwd.getpwnam(self.user)
            os.chown(self.directory.name, record.pw_uid, record.pw_gid)
        self._run(
            "initdb",
            "--pgdata",
            self.data,
            "--username",
            "postgres",
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-sync",
        )

    @property
    def url(self) -> str:
        """A SQLAlchemy URL of the ``postgres`` database, as the superuser,
        through psycopg2 (the driver the ``test`` extra installs)."""
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/postgres?connect_timeout=2"

    def connect(self) -> t.Any:
        """A psycopg2 connection (autocommit) to the ``postgres`` database."""
        import psycopg2

        connection = psycopg2.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", connect_timeout=2
        )
        connection.autocommit = True
        return connection

    def start(self) -> PostgresServer:
        """Start (again, on the same port, with the same data)."""
        self._child = Child(
            [
                os.path.join(self.bin_dir, "postgres"),
                "-D",
                self.data,
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                self.directory.name,
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "max_connections=60",
            ],
            env=self._env(),
            cwd=self.directory.name,
            user=self.user,
        )

        def ready() -> bool:
            self.connect().close()
            return True

        wait_until(ready, self._child, f"postgres on port {self.port}", timeout=30)
        return self

    def stop(self) -> None:
        """Shut down cleanly (``pg_ctl stop -m fast``); :meth:`start` brings it back."""
        child, self._child = self._child, None
        if child is None:
            return
        if child.running:
            self._run("pg_ctl", "stop", "--pgdata", self.data, "--mode", "fast", "--wait")
        child.stop()

    def checkpoint(self) -> None:
        """Write everything to the data files (for tests that read them)."""
        connection = self.connect()
        try:
            connection.cursor().execute("CHECKPOINT")
        finally:
            connection.close()

    def close(self) -> None:
        """Stop for good and remove the data."""
        try:
            self.stop()
        except (subprocess.SubprocessError, OSError):
            if self._child is not None:
                self._child.stop()
                self._child = None
        self.directory.cleanup()

    def _run(self, binary: str, *args: str) -> None:
        subprocess.run(
            [os.path.join(self.bin_dir, binary), *args],
            check=True,
            capture_output=True,
            env={**os.environ, **self._env()},
            cwd=self.directory.name,
            user=self.user,
            timeout=60,
        )

    @staticmethod
    def _env() -> dict[str, str]:
        return {"LC_ALL": "C", "LANG": "C", "TZ": "UTC"}

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def serve_postgres() -> t.Iterator[PostgresServer]:
    """For a fixture: a running cluster until teardown; skips (or, under
    ``OAUTH2LOGIN_TEST_REQUIRE_ALL=1``, fails) when PostgreSQL, its Python
    driver or SQLAlchemy is not installed."""
    require(BIN_DIR is not None, "PostgreSQL is not installed (apt-get install postgresql)")
    require(
        importlib.util.find_spec("psycopg2") is not None,
        "psycopg2 is not installed (pip install psycopg2-binary)",
    )
    require(importlib.util.find_spec("sqlalchemy") is not None, "SQLAlchemy is not installed")
    with PostgresServer() as server:
        yield server
