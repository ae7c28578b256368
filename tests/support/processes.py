"""Child processes for tests and benchmarks that stop with their parent.

Every child runs in its own process group, which :meth:`Child.stop` ends
(SIGTERM, then SIGKILL). On Linux the child also gets SIGTERM when the
process that started it dies, so a crashed or killed test run leaves nothing
behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import typing as t

import requests

_PR_SET_PDEATHSIG = 1


def _death_signal_setter() -> t.Callable[[], None] | None:
    """A function that makes the calling (child) process die with its parent."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    prctl = libc.prctl  # looked up here: the child only calls it

    def set_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return set_death_signal


_set_death_signal = _death_signal_setter()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening_socket() -> socket.socket:
    """A socket listening on a free 127.0.0.1 port, to hand to a server (no port race)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class Child:
    """A child process in its own process group, with its output in a file."""

    def __init__(
        self,
        args: t.Sequence[str],
        *,
        env: t.Mapping[str, str] | None = None,
        pass_fds: t.Sequence[int] = (),
        cwd: str | None = None,
        user: str | None = None,
    ) -> None:
        self.args = list(args)
        self.output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        self.process = subprocess.Popen(
            self.args,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self.output,
            stderr=subprocess.STDOUT,
            pass_fds=tuple(pass_fds),
            start_new_session=True,
            preexec_fn=_set_death_signal,  # only calls prctl, safe next to threads
            user=user,  # as this OS user (a server that refuses to run as root)
        )

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        """What the process has written so far (stdout and stderr)."""
        self.output.flush()
        self.output.seek(0)
        return self.output.read().decode("utf-8", "replace")

    def signal(self, signum: int) -> None:
        """Send *signum* to the whole process group."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)

    def stop(self, timeout: float = 5) -> None:
        """End the process group: SIGTERM, then SIGKILL after *timeout* seconds."""
        if self.running:
            self.signal(signal.SIGCONT)  # a paused process cannot act on SIGTERM
            self.signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        self.signal(signal.SIGKILL)  # also what is left of the group
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout)
        self.output.close()

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def wait_until(ready: t.Callable[[], bool], child: Child, what: str, timeout: float = 20) -> None:
    """Poll *ready* until it is true; fail early, with the log, if *child* exits."""
    deadline = time.monotonic() + timeout
    while True:
        if not child.running:
            raise RuntimeError(f"{what} exited with {child.process.returncode}:\n{child.log()}")
        with contextlib.suppress(Exception):
            if ready():
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout} seconds:\n{child.log()}")
        time.sleep(0.05)


class Gunicorn(Child):
    """``python -m gunicorn`` serving *app* (``module:callable()``) on 127.0.0.1.

    The listening socket is bound here and handed over (``fd://``), so the
    port is known before the server starts and nothing else can take it;
    *url_variable* names an environment variable that tells the app its URL.
    """

    def __init__(
        self,
        app: str,
        *,
        env: t.Mapping[str, str] | None = None,
        threads: int = 8,
        cwd: str | None = None,
        url_variable: str | None = None,
    ) -> None:
        self.socket = listening_socket()
        self.port = int(self.socket.getsockname()[1])
        #: The server's base URL.
        self.url = f"http://127.0.0.1:{self.port}"
        if url_variable is not None:  # tell the app where it is
            env = {**(env or {}), url_variable: self.url}
        super().__init__(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"fd://{self.socket.fileno()}",
                "--workers",
                "1",
                "--worker-class",
                "gthread",
                "--threads",
                str(threads),
                "--timeout",
                "20",  # a stuck worker is killed, not waited on forever
                "--graceful-timeout",
                "2",
                "--log-level",
                "warning",
                app,
            ],
            env=env,
            pass_fds=[self.socket.fileno()],
            cwd=cwd,
        )
        self.socket.close()  # the child has its own copy

    def wait_ready(self, path: str = "/", timeout: float = 20) -> Gunicorn:
        """Wait until the app answers *path*."""

        def answers() -> bool:
            return requests.get(self.url + path, timeout=2).status_code < 500

        wait_until(answers, self, f"gunicorn on {self.url}", timeout)
        return self
