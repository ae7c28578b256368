"""The two apps the benchmarks log in to, ours and Authlib's, and the provider they log in at.

Both apps keep sessions in the same Redis and log in at the same provider,
a process of its own (see :mod:`bench.provider`), so a measurement compares
the extensions and nothing else.
"""

from __future__ import annotations

import collections
import json
import typing as t
from pathlib import Path
from urllib.parse import urlsplit

import requests
from flask import Flask, redirect, session

from bench.provider import CALLS_PATH, ISSUER_VARIABLE, METADATA_VARIABLE
from flask_oauth2login import OAuth2Login, login_required
from tests.support.processes import Gunicorn

ROOT = Path(__file__).resolve().parents[1]

CLIENT_ID = "rogue-client"
CLIENT_SECRET = "rogue-secret"


# -- the provider, in a process of its own ------------------------------------------


class Provider(Gunicorn):
    """The rogue provider (see :mod:`bench.provider`).

    :param metadata: changes to its discovery document.
    """

    def __init__(self, metadata: t.Mapping[str, t.Any] | None = None) -> None:
        super().__init__(
            "bench.provider:create_app()",
            threads=16,
            cwd=str(ROOT),
            url_variable=ISSUER_VARIABLE,
            env={METADATA_VARIABLE: json.dumps(dict(metadata or {}))},
        )
        self.wait_ready("/.well-known/openid-configuration")
        self.issuer = self.url
        self.metadata_url = self.issuer + "/.well-known/openid-configuration"

    def calls(self) -> collections.Counter[str]:
        """Requests the provider has served so far, by path."""
        return collections.Counter(requests.get(self.url + CALLS_PATH, timeout=10).json())


def session_store(store: t.Any, prefix: str) -> dict[str, t.Any]:
    """Flask-Session's configuration for sessions in *store*: a redis-py
    client, or a cachelib cache (a ``FileSystemCache``, say)."""
    from cachelib import BaseCache

    if isinstance(store, BaseCache):
        return {"SESSION_TYPE": "cachelib", "SESSION_CACHELIB": store, "SESSION_KEY_PREFIX": prefix}
    return {"SESSION_TYPE": "redis", "SESSION_REDIS": store, "SESSION_KEY_PREFIX": prefix}


def our_app(provider: Provider, redis_client: t.Any, fetch_userinfo: bool | str = "auto") -> Flask:
    """Our login, with ``fetch_userinfo`` as given (the default: ``"auto"``)."""
    app = Flask("bench_ours")
    app.config.update(
        SECRET_KEY="bench",
        **session_store(redis_client, "ours:"),
        OAUTH2LOGIN_PROVIDERS={
            "rogue": {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "server_metadata_url": provider.metadata_url,
                "fetch_userinfo": fetch_userinfo,
            }
        },
    )
    oauth = OAuth2Login(app)
    app.extensions["bench_oauth"] = oauth

    @app.get("/private")
    @login_required
    def private() -> t.Any:
        return "private page"

    @app.get("/bare")
    def bare() -> t.Any:
        return "private page"

    return app


def authlib_app(provider: Provider, redis_client: t.Any, userinfo: bool = False) -> Flask:
    """The same login with Authlib's Flask client, on the same session store.

    ``authorize_access_token()`` checks the state, sends the PKCE verifier and
    validates the ID token (signature, issuer, audience, expiry, nonce,
    ``at_hash``); it does not call UserInfo. With *userinfo*, the callback
    also calls it and checks its ``sub``, as ours does with
    ``fetch_userinfo=True``.
    """
    from authlib.integrations.flask_client import OAuth
    from flask_session import Session

    app = Flask("bench_authlib")
    app.config.update(
        SECRET_KEY="bench",
        **session_store(redis_client, "authlib:"),
    )
    Session(app)
    oauth = OAuth(app)
    oauth.register(
        "rogue",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        server_metadata_url=provider.metadata_url,
        client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
    )

    @app.get("/login")
    def login() -> t.Any:
        return oauth.rogue.authorize_redirect("http://localhost/callback")

    @app.get("/callback")
    def callback() -> t.Any:
        token = oauth.rogue.authorize_access_token()  # checks state, PKCE, the ID token
        user = dict(token["userinfo"])  # the ID token's claims
        if userinfo:
            answer = oauth.rogue.userinfo(token=token)
            if answer["sub"] != user["sub"]:
                return "mismatch", 401
            user = {**answer, **user}
        session["token"] = {k: v for k, v in token.items() if k != "userinfo"}
        session["user"] = user
        return redirect("/")

    return app


def login_with_test_client(app: Flask, start: str, browser: requests.Session) -> None:
    client = app.test_client()
    response = client.get(start)
    assert response.status_code == 302, response.get_data(as_text=True)
    back = browser.get(response.headers["Location"], allow_redirects=False)
    callback = urlsplit(back.headers["Location"])
    response = client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 302, response.get_data(as_text=True)


# -- 0: provider calls per login ----------------------------------------------------------
