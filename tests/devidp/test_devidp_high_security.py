"""The development identity provider's high-security side: ``private_key_jwt``,
``client_secret_jwt`` and pushed authorization requests, so that an app can
try them with no account anywhere."""

from __future__ import annotations

import re
import secrets
import threading
import time
import typing as t
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import jwt
import pytest
import requests
from flask import Flask

from flask_oauth2login import OAuth2Login
from flask_oauth2login.crypto.keys import JwtSigner
from flask_oauth2login.protocol.clientauth import ASSERTION_TYPE
from flask_oauth2login.testing import DevIdPServer
from tests.support.client_keys import ec_key, pem, registered_jwks, rsa_key

LONG_SECRET = "a development secret long enough for HS256 (32+)"
CLIENTS = {
    "dev-client": {"client_secret": "dev-secret", "redirect_uris": None},
    "fapi-client": {
        "client_secret": None,
        "jwks": registered_jwks(ec_key(), kid="dev-key"),
        "require_pushed_authorization_requests": True,
    },
    "rsa-client": {"client_secret": None, "jwks": registered_jwks(rsa_key())},
    "jwt-client": {"client_secret": LONG_SECRET, "token_endpoint_auth_method": "client_secret_jwt"},
}


@pytest.fixture(scope="module")
def idp() -> Iterator[DevIdPServer]:
    with DevIdPServer(OAUTH2LOGIN_DEVIDP_CLIENTS=CLIENTS) as server:
        yield server


def make_app(tmp_path: t.Any, **entries: dict[str, t.Any]) -> Flask:
    app = Flask("devidp_fapi", instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="test", TESTING=True, OAUTH2LOGIN_PROVIDERS=entries)
    OAuth2Login(app)
    return app


def fapi_entry(idp: DevIdPServer, **overrides: t.Any) -> dict[str, t.Any]:
    return {
        "client_id": "fapi-client",
        "server_metadata_url": idp.metadata_url,
        "token_endpoint_auth_method": "private_key_jwt",
        "client_private_key": pem(ec_key()),
        "client_key_id": "dev-key",
        **overrides,
    }


def test_discovery_advertises_the_methods_and_par(idp):
    doc = idp.app.test_client().get("/.well-known/openid-configuration").get_json()
    assert {"private_key_jwt", "client_secret_jwt"} <= set(
        doc["token_endpoint_auth_methods_supported"]
    )
    assert "ES256" in doc["token_endpoint_auth_signing_alg_values_supported"]
    assert doc["pushed_authorization_request_endpoint"] == "http://localhost/par"
    assert doc["require_pushed_authorization_requests"] is False


def test_a_login_with_private_key_jwt_and_par(idp, tmp_path):
    app = make_app(tmp_path, devidp=fapi_entry(idp, pushed_authorization_requests=True))
    client = app.test_client()
    start = client.get("/login/devidp")
    assert set(dict(parse_qsl(urlsplit(start.headers["Location"]).query))) == {
        "client_id",
        "request_uri",
    }
    response = idp.login(app.test_client(), "devidp", next="/done")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/done"


def test_a_login_with_an_rsa_key_and_with_client_secret_jwt(idp, tmp_path):
    app = make_app(
        tmp_path,
        rsa=fapi_entry(
            idp, client_id="rsa-client", client_private_key=pem(rsa_key()), client_key_id=None
        ),
        jwt=fapi_entry(
            idp,
            client_id="jwt-client",
            token_endpoint_auth_method="client_secret_jwt",
            client_private_key=None,
            client_key_id=None,
            client_secret=LONG_SECRET,
        ),
    )
    for name in ("rsa", "jwt"):
        response = idp.login(app.test_client(), name)
        assert response.status_code == 302, response.get_data(as_text=True)


def test_a_client_that_requires_par_cannot_go_without(idp, tmp_path):
    app = make_app(tmp_path, devidp=fapi_entry(idp, pushed_authorization_requests=False))
    start = app.test_client().get("/login/devidp")
    answer = idp.app.test_client().get(start.headers["Location"].removeprefix(idp.url))
    assert answer.status_code == 302
    back = dict(parse_qsl(urlsplit(answer.headers["Location"]).query))
    assert back["error"] == "invalid_request"
    assert "PAR" in back["error_description"]


def _assertion(**claims: t.Any) -> str:
    now = int(time.time())
    base = {
        "iss": "fapi-client",
        "sub": "fapi-client",
        "aud": "http://localhost",
        "jti": secrets.token_urlsafe(16),
        "iat": now,
        "exp": now + 60,
    }
    base.update(claims)
    return JwtSigner(ec_key(), key_id="dev-key").sign({k: v for k, v in base.items() if v})


def _token_request(idp: DevIdPServer, assertion: str, **form: str) -> t.Any:
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        **form,
    }
    return idp.app.test_client().post("/token", data=data)


def test_a_good_assertion_is_accepted_once(idp):
    assertion = _assertion()
    assert _token_request(idp, assertion).status_code == 200
    replayed = _token_request(idp, assertion)
    assert replayed.status_code == 401
    assert "used before" in replayed.get_json()["error_description"]


@pytest.mark.parametrize(
    ("claims", "says"),
    [
        ({"aud": "https://elsewhere.example"}, "Audience"),
        ({"iss": "dev-client"}, "not accepted for this client"),
        ({"sub": "dev-client"}, "sub"),
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"exp": int(time.time()) + 3600}, "within 300 seconds"),
        ({"jti": None}, "jti"),
    ],
    ids=["aud", "iss", "sub", "expired", "long-lived", "no-jti"],
)
def test_bad_assertions_are_refused(idp, claims, says):
    answer = _token_request(idp, _assertion(**claims))
    assert answer.status_code == 401
    assert answer.get_json()["error"] == "invalid_client"
    assert says in answer.get_json()["error_description"]


def test_an_assertion_signed_with_another_key_is_refused(idp):
    now = int(time.time())
    claims = {"iss": "fapi-client", "sub": "fapi-client", "aud": "http://localhost"}
    other = JwtSigner(rsa_key(), key_id="dev-key").sign(
        {**claims, "jti": "x" * 20, "exp": now + 60}
    )
    assert _token_request(idp, other).status_code == 401
    forged = jwt.encode(
        {**claims, "jti": "y" * 20, "exp": now + 60},
        "a guessed secret, long enough for HS256",
        algorithm="HS256",
    )
    assert _token_request(idp, forged).status_code == 401  # no secret to guess


def test_a_client_registered_for_one_method_uses_only_it(idp):
    http = idp.app.test_client()
    answer = http.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "jwt-client",
            "client_secret": LONG_SECRET,  # the right secret, the wrong method
        },
    )
    assert answer.status_code == 401
    assert "client_secret_jwt" in answer.get_json()["error_description"]


def test_par_needs_client_authentication(idp):
    http = idp.app.test_client()
    params = {"client_id": "dev-client", "response_type": "code", "redirect_uri": "http://x"}
    assert http.post("/par", data=params).status_code == 401
    params["redirect_uri"] = "https://elsewhere.example/cb"
    refused = http.post("/par", data=params, auth=("dev-client", "dev-secret"))
    assert refused.status_code == 400


def test_a_request_uri_works_once(idp, tmp_path):
    app = make_app(tmp_path, devidp=fapi_entry(idp, pushed_authorization_requests=True))
    location = app.test_client().get("/login/devidp").headers["Location"]
    path = location.removeprefix(idp.url)
    http = idp.app.test_client()
    assert http.get(path).status_code == 200  # the sign-in page
    again = http.get(path)
    assert again.status_code == 400
    assert "expired or was already used" in again.get_data(as_text=True)


def test_the_readme_example_runs_in_one_app(tmp_path):
    """The documentation's "all at once" example: the development provider mounted in
    the app itself, private_key_jwt and PAR, served over real HTTP."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from werkzeug.serving import make_server

    from flask_oauth2login.devidp import DevIdentityProvider

    key = ec.generate_private_key(ec.SECP256R1())
    app = Flask("readme_fapi", instance_path=str(tmp_path))
    app.config.update(SECRET_KEY="test", TESTING=True)
    app.config["OAUTH2LOGIN_DEVIDP_CLIENTS"] = {
        "fapi-client": {
            "client_secret": None,
            "jwks": {"keys": [JwtSigner(key).registration_jwk()]},
            "require_pushed_authorization_requests": True,
        }
    }
    app.config["OAUTH2LOGIN_PROVIDERS"] = {
        "dev": {
            "preset": "devidp",
            "client_id": "fapi-client",
            "token_endpoint_auth_method": "private_key_jwt",
            "client_private_key": key,
            "pushed_authorization_requests": True,
        }
    }
    DevIdentityProvider(app)
    OAuth2Login(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with requests.Session() as browser:
            browser.trust_env = False
            start = browser.get(base + "/login/dev?next=/done", allow_redirects=False)
            location = start.headers["Location"]
            assert set(dict(parse_qsl(urlsplit(location).query))) == {"client_id", "request_uri"}
            page = browser.get(location)
            assert page.status_code == 200
            form = {
                name: re.search(f'name="{name}" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
                for name in ("request_id", "csrf_token")
            }
            decided = browser.post(
                location.split("?", 1)[0],
                data={**form, "action": "login", "sub": "ada"},
                allow_redirects=False,
            )
            done = browser.get(decided.headers["Location"], allow_redirects=False)
            assert done.status_code == 302, done.text
            assert done.headers["Location"] == "/done"
    finally:
        server.shutdown()
        server.server_close()
