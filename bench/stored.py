"""An API call with a stored token, with no request: what a background job pays.

``oauth.session("rogue", subject=...).get(...)`` made anew per call (as a job
does for each user), its token read from the token store (SQLite, then
Redis) and opened, side by side with a plain pooled ``requests.Session``
sending the same bearer token. The login that stores the token is a real
one, against the benchmark's provider.
"""

from __future__ import annotations

import tempfile
import typing as t
from urllib.parse import urlsplit

import requests
from flask import Flask

from flask_oauth2login import OAuth2Login

#: The provider's one user.
SUBJECT = "user-123"


def stored_app(metadata_url: str, store: t.Any, instance: str) -> Flask:
    """Our login, with *store* as ``OAUTH2LOGIN_TOKEN_STORE``."""
    app = Flask("bench_stored", instance_path=instance)
    app.config.update(
        SECRET_KEY="bench",
        OAUTH2LOGIN_TOKEN_STORE=store,
        OAUTH2LOGIN_PROVIDERS={
            "rogue": {
                "client_id": "rogue-client",
                "client_secret": "rogue-secret",
                "server_metadata_url": metadata_url,
            }
        },
    )
    app.extensions["bench_oauth"] = OAuth2Login(app)
    return app


def log_in(app: Flask) -> None:
    client = app.test_client()
    browser = requests.Session()
    browser.trust_env = False
    response = client.get("/login/rogue")
    back = browser.get(response.headers["Location"], allow_redirects=False, timeout=10)
    callback = urlsplit(back.headers["Location"])
    assert client.get(f"{callback.path}?{callback.query}").status_code == 302


def bench_stored_tokens(
    issuer: str,
    redis_client: t.Any,
    side_by_side: t.Callable[..., tuple[float, float]],
    quick: bool,
) -> list[tuple[str, str, float, float, float]]:
    """Rows of the side-by-side table: a stored-token API call per store."""
    count = 500 if quick else 2000
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-stored-") as folder:
        stores = (("SQLite", f"sqlite:///{folder}/tokens.db"), ("Redis", redis_client))
        for name, store in stores:
            app = stored_app(issuer + "/.well-known/openid-configuration", store, folder)
            log_in(app)
            mine, theirs = measure(app, issuer + "/api/me", side_by_side, count)
            rows.append(
                (f"API call, token from {name} store", "pooled requests.Session", mine, theirs, 1.1)
            )
            if name == "SQLite":
                app.extensions["oauth2login"].token_store.close()
    return rows


def measure(
    app: Flask, api_url: str, side_by_side: t.Callable[..., tuple[float, float]], count: int
) -> tuple[float, float]:
    """Ours and the baseline, side by side, in an app context (no request)."""
    oauth: OAuth2Login = app.extensions["bench_oauth"]
    plain = requests.Session()  # like oauth.session(): trust_env and all
    with app.app_context():
        token = oauth.token("rogue", subject=SUBJECT)
        assert token is not None
        bearer = {"Authorization": f"Bearer {token['access_token']}"}

        def through_ours() -> None:
            response = oauth.session("rogue", subject=SUBJECT).get(api_url, timeout=10)
            assert response.status_code == 200

        def through_requests() -> None:
            response = plain.get(api_url, headers=bearer, timeout=10)
            assert response.status_code == 200

        return side_by_side(through_ours, through_requests, count=count)
