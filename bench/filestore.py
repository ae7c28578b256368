"""The embedded file store with many sessions on disk.

A ``@login_required`` request, and the start of a login (which writes a new
session), on an app whose store holds 100,000 other logged-in sessions, side
by side with the same app on an empty store; and how long one background
sweep of that folder takes. No provider is needed: the login is made with
:func:`flask_oauth2login.testing.login_as`.
"""

from __future__ import annotations

import tempfile
import time
import typing as t

from flask import Flask

from flask_oauth2login import OAuth2Login, login_required
from flask_oauth2login.testing import login_as

#: Seconds a stored session lives (31 days, Flask's default lifetime).
LIFETIME = 31 * 24 * 3600


def file_store_app(instance: str) -> Flask:
    app = Flask("bench_files", instance_path=instance)
    app.config.update(
        SECRET_KEY="bench",
        TESTING=True,
        OAUTH2LOGIN_PROVIDERS={
            "corp": {
                "client_id": "bench",
                "client_secret": "bench",
                "issuer": "https://idp.example",
                "authorize_url": "https://idp.example/authorize",
                "token_url": "https://idp.example/token",
                "jwks_uri": "https://idp.example/jwks",
            }
        },
    )
    OAuth2Login(app)

    @app.get("/private")
    @login_required
    def private() -> t.Any:
        return "private page"

    return app


def fill(app: Flask, count: int) -> None:
    """Put *count* logged-in sessions of other users on disk."""
    cache = app.session_interface.cache  # type: ignore[attr-defined]
    for i in range(count):
        cache.set(f"session:other-{i}", {"_oauth2login_user": {"sub": str(i)}}, timeout=LIFETIME)


def bench_file_store(
    side_by_side: t.Callable[..., tuple[float, float]], quick: bool
) -> tuple[list[tuple], tuple[int, float]]:
    """Rows for the side-by-side table, and (sessions, seconds) of one sweep."""
    count = 10_000 if quick else 100_000
    rows = []
    with tempfile.TemporaryDirectory() as full_dir, tempfile.TemporaryDirectory() as empty_dir:
        full, empty = file_store_app(full_dir), file_store_app(empty_dir)
        fill(full, count)
        clients = []
        for app in (full, empty):
            client = app.test_client()
            login_as(client, "corp", sub="bench-user")
            assert client.get("/private").status_code == 200
            clients.append(client)
        guarded = side_by_side(
            lambda: clients[0].get("/private"),
            lambda: clients[1].get("/private"),
            count=300 if quick else 1000,
        )
        rows.append(
            (f"@login_required, {count:,} sessions on disk", "an empty store", *guarded, 1.1)
        )
        started = side_by_side(
            lambda: full.test_client().get("/login/corp"),
            lambda: empty.test_client().get("/login/corp"),
            count=300 if quick else 1000,
        )
        rows.append((f"start a login, {count:,} on disk", "an empty store", *started, 1.1))
        began = time.perf_counter()
        full.session_interface.cache.sweep()  # type: ignore[attr-defined]
        swept = time.perf_counter() - began
    return rows, (count, swept)
