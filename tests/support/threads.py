"""Helpers for tests that run things at the same time, or serve an app on
loopback and talk to it as a browser would."""

from __future__ import annotations

import threading
import time
import typing as t
from contextlib import contextmanager

import requests
from flask import Flask, session
from werkzeug.serving import make_server

from flask_oauth2login.tokens.logins import TOKENS_KEY


def in_parallel(calls: list[t.Callable[[], t.Any]]) -> list[t.Any]:
    """Run *calls* in threads started together; their results, in order."""
    results: list[t.Any] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i: int) -> None:
        barrier.wait(timeout=10)
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def wait_for(condition: t.Callable[[], t.Any], seconds: float = 10) -> t.Any:
    """Poll *condition* until it is true, for at most *seconds*; its last value."""
    deadline = time.monotonic() + seconds
    while not (value := condition()) and time.monotonic() < deadline:
        time.sleep(0.02)
    return value


@contextmanager
def serving(app: t.Any) -> t.Iterator[str]:
    """Serve the WSGI *app* on a threaded server on 127.0.0.1; yields its URL
    and stops the server on the way out."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


@contextmanager
def serve_with_expire_view(app: Flask, provider: str = "rogue") -> t.Iterator[str]:
    """Serve *app* as :func:`serving` does (yields its URL), with a view
    ``POST /_test/expire`` that makes the stored token of *provider* look
    expired to the app, as time would."""

    @app.post("/_test/expire")
    def expire_view() -> str:
        stored = dict(session[TOKENS_KEY])
        stored[provider] = {**stored[provider], "expires_at": 0}
        session[TOKENS_KEY] = stored
        return "ok"

    with serving(app) as url:
        yield url


def http_session() -> requests.Session:
    """A browser for an app served on loopback: a ``requests`` session that
    ignores proxy settings of the environment."""
    browser = requests.Session()
    browser.trust_env = False
    return browser
