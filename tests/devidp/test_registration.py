"""Putting the development provider on an app: only in debug or testing, only
for requests from this machine, once per app, with its clients checked at
init."""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask

from flask_oauth2login import ConfigurationError
from flask_oauth2login.devidp import DevIdentityProvider


def test_refuses_outside_debug_or_testing() -> None:
    app = Flask(__name__)
    with pytest.raises(ConfigurationError, match="debug or app.testing"):
        DevIdentityProvider(app)
    assert "oauth2login_devidp" not in app.extensions

    ext = DevIdentityProvider()
    with pytest.raises(ConfigurationError):
        ext.init_app(app)


def test_refuses_requests_if_debug_is_switched_off(app: Flask, client: t.Any) -> None:
    app.testing = False
    assert client.get("/_devidp/jwks").status_code == 404


@pytest.mark.parametrize(
    ("environ", "headers"),
    [
        ({"REMOTE_ADDR": "203.0.113.9"}, {}),
        ({"REMOTE_ADDR": "10.0.0.2"}, {}),
        ({"REMOTE_ADDR": "::ffff:192.0.2.1"}, {}),
        ({}, {"Host": "idp.example"}),  # a proxy passing the Host on, or DNS rebinding
        ({}, {"Host": "0.0.0.0:5000"}),
        ({}, {"X-Forwarded-For": "203.0.113.9"}),
        ({}, {"X-Forwarded-For": "127.0.0.1, 198.51.100.7"}),
        ({}, {"X-Real-IP": "2001:db8::1"}),
        ({}, {"Forwarded": 'for="[2001:db8::1]:4711";proto=https'}),
        ({}, {"Forwarded": "for=127.0.0.1, for=198.51.100.7"}),
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/_devidp/"), ("GET", "/_devidp/authorize"), ("POST", "/_devidp/token")],
)
def test_refuses_requests_from_other_machines(
    client: t.Any, environ: dict[str, str], headers: dict[str, str], method: str, path: str
) -> None:
    r = client.open(path, method=method, environ_overrides=environ, headers=headers)
    assert r.status_code == 403
    page = r.get_data(as_text=True)
    assert "Local requests only" in page
    assert "127.0.0.1" in page
    assert r.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("environ", "headers"),
    [
        ({"REMOTE_ADDR": "127.0.0.1"}, {}),
        ({"REMOTE_ADDR": "127.8.9.10"}, {"Host": "127.0.0.1:8400"}),
        ({"REMOTE_ADDR": "::1"}, {"Host": "[::1]:8400"}),
        ({"REMOTE_ADDR": "::ffff:127.0.0.1"}, {"Host": "LOCALHOST:5000"}),
        ({}, {"X-Forwarded-For": "127.0.0.1, ::1", "X-Real-IP": "127.0.0.1"}),
        ({}, {"Forwarded": 'for=127.0.0.1;proto=http, for="[::1]:80"'}),
    ],
)
def test_answers_requests_from_this_machine(
    client: t.Any, environ: dict[str, str], headers: dict[str, str]
) -> None:
    r = client.get("/_devidp/jwks", environ_overrides=environ, headers=headers)
    assert r.status_code == 200


def test_extension_pattern() -> None:
    ext = DevIdentityProvider(url_prefix="/idp/")
    assert not hasattr(ext, "app")
    one, two = Flask("one"), Flask("two")
    one.debug = True
    two.testing = True
    ext.init_app(one)
    ext.init_app(two)
    assert one.extensions["oauth2login_devidp"] is not two.extensions["oauth2login_devidp"]
    assert one.config["OAUTH2LOGIN_DEVIDP_ACCESS_TOKEN_TTL"] == 3600
    doc = two.test_client().get("/idp/.well-known/openid-configuration").json
    assert doc["issuer"] == "http://localhost/idp"
    with pytest.raises(ConfigurationError, match="already registered"):
        ext.init_app(one)


def test_bad_clients_config_fails_at_init() -> None:
    app = Flask(__name__)
    app.testing = True
    app.config["OAUTH2LOGIN_DEVIDP_CLIENTS"] = {"x": {"secret": "typo"}}
    with pytest.raises(ConfigurationError, match="unknown keys"):
        DevIdentityProvider(app)
