"""DPoP: what binding tokens to the app's key costs.

A login (start, provider, callback) with ``dpop: True`` side by side with the
same login without it, against the same provider in the same run; and an API
call through ``oauth.session()`` sending a DPoP-bound token with a fresh
proof, side by side with the same call sending a Bearer token. The provider
is the strict one of ``tests/support`` (:class:`~tests.support.fapi_idp.FapiProvider`),
served in this process: it verifies every proof (signature, ``htm``,
``htu``, ``iat``, ``jti``, ``ath``), as a real one would. Both apps
authenticate with ``private_key_jwt`` and keep sessions in the same Redis.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

import requests
from flask import Flask

from flask_oauth2login import OAuth2Login
from tests.support.client_keys import pem, rsa_key
from tests.support.fapi_idp import FapiProvider, fapi_entry, fresh


def dpop_app(provider: FapiProvider, redis_client: t.Any, dpop: bool) -> Flask:
    app = Flask(f"bench_dpop_{dpop}")
    app.config.update(
        SECRET_KEY="bench",
        SESSION_TYPE="redis",
        SESSION_REDIS=redis_client,
        SESSION_KEY_PREFIX=f"dpop-{dpop}:",
        OAUTH2LOGIN_PROVIDERS={
            "fapi": fapi_entry(provider, client_private_key=pem(rsa_key()), dpop=dpop)
        },
    )
    app.extensions["bench_oauth"] = OAuth2Login(app)
    return app


def login(app: Flask, provider: FapiProvider) -> t.Any:
    client = app.test_client()
    response = client.get("/login/fapi")
    back = requests.get(response.headers["Location"], allow_redirects=False, timeout=10)
    callback = urlsplit(back.headers["Location"])
    response = client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def bench_dpop(
    side_by_side: t.Callable[..., tuple[float, float]], redis_server: t.Any, quick: bool
) -> list[tuple]:
    scale = 0.25 if quick else 1.0
    store = redis_server.client()
    rows = []
    with FapiProvider() as provider:
        fresh(provider)
        with_dpop = dpop_app(provider, store, dpop=True)
        without = dpop_app(provider, store, dpop=False)
        timing = side_by_side(
            lambda: login(with_dpop, provider),
            lambda: login(without, provider),
            count=int(200 * scale),
        )
        rows.append(("login with DPoP", "the same login without DPoP", *timing, 1.2))

        api_url = provider.issuer + "/api/me"
        calls = []
        for app in (with_dpop, without):
            client = login(app, provider)
            cookie = client.get_cookie("session")
            assert cookie is not None
            context = app.test_request_context("/", headers={"Cookie": f"session={cookie.value}"})
            context.push()
            oauth = app.extensions["bench_oauth"]

            def call(oauth: t.Any = oauth) -> None:
                response = oauth.session("fapi").get(api_url, timeout=10)
                assert response.status_code == 200, response.text

            calls.append((call, context))
        try:
            timing = side_by_side(calls[0][0], calls[1][0], count=int(1000 * scale))
        finally:
            for _, context in reversed(calls):
                context.pop()
        rows.append(
            ("API call with a DPoP proof", "the same call with a Bearer token", *timing, 1.3)
        )
    store.close()
    return rows
