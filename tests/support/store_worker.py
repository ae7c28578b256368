"""A process that calls a provider's API for a stored login, for the token store tests.

Run as ``python -m tests.support.store_worker`` from the repository root. It
builds an app with the token store the environment names, says ``ready`` on
stdout, waits for a line on stdin, then calls the API from
``STORE_WORKER_THREADS`` threads at once through
``oauth.session("rogue", subject=...)``, with no request, and prints one JSON
line: each thread's HTTP status and the last characters of the token it
sent (``token_suffix``), or the exception it met.

``STORE_WORKER_URL``
    ``OAUTH2LOGIN_TOKEN_STORE``: a database URL, or a ``redis://`` URL (a
    client is made for it).
``STORE_WORKER_METADATA_URL``, ``STORE_WORKER_CLIENT_ID``, ``STORE_WORKER_CLIENT_SECRET``
    The provider, ``rogue`` (by discovery).
``STORE_WORKER_SECRET_KEY``, ``STORE_WORKER_API_URL``, ``STORE_WORKER_SUBJECT``
    The app's ``SECRET_KEY``, the API to call, whose token to use.
``STORE_WORKER_DIE_AFTER_REFRESH``
    When set, the process ends (exit status 3) as soon as the provider's
    answer to a refresh is in, before the new token is used.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import typing as t

from flask import Flask

from flask_oauth2login import OAuth2Login, token_refreshed
from flask_oauth2login._runtime import get_state


def create_app(env: t.Mapping[str, str]) -> tuple[Flask, OAuth2Login]:
    store: t.Any = env["STORE_WORKER_URL"]
    if store.startswith("redis://"):
        import redis

        store = redis.Redis.from_url(store, socket_timeout=5, socket_connect_timeout=5)
    app = Flask(__name__, instance_path=tempfile.mkdtemp(prefix="store-worker-"))
    app.config.update(
        SECRET_KEY=env["STORE_WORKER_SECRET_KEY"],
        OAUTH2LOGIN_TOKEN_STORE=store,
        OAUTH2LOGIN_PROVIDERS={
            "rogue": {
                "client_id": env["STORE_WORKER_CLIENT_ID"],
                "client_secret": env["STORE_WORKER_CLIENT_SECRET"],
                "server_metadata_url": env["STORE_WORKER_METADATA_URL"],
            }
        },
    )
    return app, OAuth2Login(app)


def main() -> int:
    env = os.environ
    app, oauth = create_app(env)
    threads = int(env.get("STORE_WORKER_THREADS", "4"))
    subject = env.get("STORE_WORKER_SUBJECT", "user-123")
    api_url = env["STORE_WORKER_API_URL"]
    if env.get("STORE_WORKER_DIE_AFTER_REFRESH"):

        def die(sender: t.Any, **kwargs: t.Any) -> None:
            os._exit(3)

        token_refreshed.connect(die, app, weak=False)

    with app.app_context():
        get_state().provider("rogue").endpoints()  # discovery now, not in the race
    results: list[t.Any] = [None] * threads
    barrier = threading.Barrier(threads + 1)

    def call(index: int) -> None:
        barrier.wait(timeout=60)
        with app.app_context():
            try:
                response = oauth.session("rogue", subject=subject).get(api_url, timeout=30)
                results[index] = [response.status_code, response.json().get("token_suffix")]
            except Exception as exc:  # reported to the test
                results[index] = [type(exc).__name__, str(exc)]

    workers = [threading.Thread(target=call, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    print("ready", flush=True)
    sys.stdin.readline()
    barrier.wait(timeout=60)
    for worker in workers:
        worker.join(timeout=60)
    print(json.dumps(results), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
