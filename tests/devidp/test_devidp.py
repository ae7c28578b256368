"""Tests of the built-in development identity provider."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
import sys
import threading
import typing as t
from pathlib import Path
from urllib.parse import parse_qs, quote_plus, urlsplit

import jwt
import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from flask_oauth2login import ConfigurationError
from flask_oauth2login.devidp import DevIdentityProvider, create_app
from flask_oauth2login.devidp.__main__ import main as devidp_main
from tests.support.processes import Child, Gunicorn, free_port, wait_until

REDIRECT_URI = "http://127.0.0.1:5000/callback"
BASIC = "Basic " + base64.b64encode(b"dev-client:dev-secret").decode()
ROOT = Path(__file__).resolve().parents[2]


# -- helpers ----------------------------------------------------------------


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def auth_params(challenge: str, **overrides: t.Any) -> dict[str, t.Any]:
    params = {
        "response_type": "code",
        "client_id": "dev-client",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email profile",
        "state": "state-123",
        "nonce": "nonce-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def form_fields(html: str) -> dict[str, str]:
    return {
        "request_id": re.search(r'name="request_id" value="([^"]+)"', html).group(1),
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
    }


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def make_app(**config: t.Any) -> Flask:
    app = Flask(__name__)
    app.testing = True
    app.config.update(config)
    DevIdentityProvider(app)
    return app


@pytest.fixture
def app() -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> t.Any:
    return app.test_client()


def sign_in(client: t.Any, *, sub: str = "ada", **overrides: t.Any) -> tuple[str, str]:
    """Run the authorization request; return ``(code, verifier)``."""
    verifier, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge, **overrides))
    assert page.status_code == 200
    answer = client.post(
        "/_devidp/authorize",
        data={**form_fields(page.get_data(as_text=True)), "action": "login", "sub": sub},
    )
    assert answer.status_code == 303
    return query(answer.headers["Location"])["code"], verifier


def exchange(client: t.Any, code: str, verifier: str, **overrides: t.Any) -> t.Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    data.update(overrides)
    return client.post(
        "/_devidp/token",
        data={k: v for k, v in data.items() if v is not None},
        headers={"Authorization": BASIC},
    )


def login(client: t.Any, **overrides: t.Any) -> dict[str, t.Any]:
    code, verifier = sign_in(client, **overrides)
    response = exchange(client, code, verifier)
    assert response.status_code == 200, response.json
    return response.json


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- registration -----------------------------------------------------------


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


# -- discovery and keys -----------------------------------------------------


def test_discovery_follows_the_request_host(client: t.Any) -> None:
    doc = client.get(
        "/_devidp/.well-known/openid-configuration", base_url="http://127.0.0.1:8123"
    ).json
    issuer = "http://127.0.0.1:8123/_devidp"
    assert doc["issuer"] == issuer
    assert doc["authorization_endpoint"] == issuer + "/authorize"
    assert doc["token_endpoint"] == issuer + "/token"
    assert doc["userinfo_endpoint"] == issuer + "/userinfo"
    assert doc["jwks_uri"] == issuer + "/jwks"
    assert doc["revocation_endpoint"] == issuer + "/revoke"
    assert doc["end_session_endpoint"] == issuer + "/logout"
    assert doc["response_types_supported"] == ["code"]
    assert set(doc["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "client_credentials",
    }
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "client_secret_jwt",
        "none",
    }
    assert doc["pushed_authorization_request_endpoint"] == issuer + "/par"
    assert {"openid", "profile", "email"} <= set(doc["scopes_supported"])
    assert {"sub", "email", "email_verified", "name", "picture"} <= set(doc["claims_supported"])
    assert doc["subject_types_supported"] == ["public"]
    assert doc["authorization_response_iss_parameter_supported"] is True


def test_pinned_issuer() -> None:
    client = make_app(OAUTH2LOGIN_DEVIDP_ISSUER="https://idp.example.test/").test_client()
    doc = client.get("/_devidp/.well-known/openid-configuration").json
    assert doc["issuer"] == "https://idp.example.test"
    assert doc["token_endpoint"] == "https://idp.example.test/token"


def test_jwks(client: t.Any) -> None:
    (key,) = client.get("/_devidp/jwks").json["keys"]
    assert key["kty"] == "RSA"
    assert key["use"] == "sig"
    assert key["alg"] == "RS256"
    assert key["kid"]
    assert "d" not in key and "p" not in key


# -- authorization endpoint -------------------------------------------------


def test_unknown_client_gets_error_page_not_redirect(client: t.Any) -> None:
    _, challenge = pkce_pair()
    r = client.get("/_devidp/authorize", query_string=auth_params(challenge, client_id="nope"))
    assert r.status_code == 400
    assert "Location" not in r.headers
    assert "Unknown client" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "http://127.0.0.1.evil.example/cb",
        "http://user@127.0.0.1/cb",
        "http://127.0.0.1/cb#fragment",
        "javascript:alert(1)",
        None,
    ],
)
def test_bad_redirect_uri_gets_error_page_not_redirect(client: t.Any, redirect_uri: str) -> None:
    _, challenge = pkce_pair()
    params = auth_params(challenge, redirect_uri=redirect_uri)
    r = client.get("/_devidp/authorize", query_string=params)
    assert r.status_code == 400
    assert "Location" not in r.headers


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://localhost:9999/auth/cb", "http://[::1]:8080/cb", "https://127.0.0.1/cb?x=1"],
)
def test_any_loopback_redirect_uri_is_accepted_by_default(client: t.Any, redirect_uri: str) -> None:
    _, challenge = pkce_pair()
    params = auth_params(challenge, redirect_uri=redirect_uri)
    assert client.get("/_devidp/authorize", query_string=params).status_code == 200


def test_registered_redirect_uris_are_exact() -> None:
    clients = {"app": {"client_secret": "s", "redirect_uris": ["http://localhost:5000/cb"]}}
    client = make_app(OAUTH2LOGIN_DEVIDP_CLIENTS=clients).test_client()
    _, challenge = pkce_pair()
    ok = auth_params(challenge, client_id="app", redirect_uri="http://localhost:5000/cb")
    assert client.get("/_devidp/authorize", query_string=ok).status_code == 200
    bad = {**ok, "redirect_uri": "http://localhost:5001/cb"}
    r = client.get("/_devidp/authorize", query_string=bad)
    assert r.status_code == 400
    assert "Location" not in r.headers


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "unsupported_response_type"),
        ({"state": None}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
    ],
)
def test_invalid_requests_redirect_with_error(
    client: t.Any, overrides: dict[str, t.Any], error: str
) -> None:
    _, challenge = pkce_pair()
    r = client.get("/_devidp/authorize", query_string=auth_params(challenge, **overrides))
    assert r.status_code == 302
    assert r.headers["Location"].startswith(REDIRECT_URI + "?")
    answer = query(r.headers["Location"])
    assert answer["error"] == error
    assert answer["iss"] == "http://localhost/_devidp"
    assert answer.get("state") == overrides.get("state", "state-123")


def test_sign_in_page(client: t.Any) -> None:
    _, challenge = pkce_pair()
    r = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Frame-Options"] == "DENY"
    for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Deny", "dev-client"):
        assert name in html
    assert "<style>" in html
    assert not re.search(r'(src|href)="https?://', html)  # no external assets


def test_code_redirect_carries_state_and_iss(client: t.Any) -> None:
    _, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    fields = form_fields(page.get_data(as_text=True))
    r = client.post("/_devidp/authorize", data={**fields, "action": "login", "sub": "grace"})
    assert r.status_code == 303
    location = r.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    answer = query(location)
    assert answer["state"] == "state-123"
    assert answer["iss"] == "http://localhost/_devidp"
    assert len(answer["code"]) >= 32
    # The pending request is used up.
    again = client.post("/_devidp/authorize", data={**fields, "action": "login", "sub": "ada"})
    assert again.status_code == 400
    assert "Location" not in again.headers


def test_redirect_uri_query_is_kept(client: t.Any) -> None:
    code, verifier = sign_in(client, redirect_uri="http://localhost:5000/cb?tenant=a")
    r = exchange(client, code, verifier, redirect_uri="http://localhost:5000/cb?tenant=a")
    assert r.status_code == 200


def test_deny_redirects_with_access_denied(client: t.Any) -> None:
    _, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    fields = form_fields(page.get_data(as_text=True))
    r = client.post("/_devidp/authorize", data={**fields, "action": "deny"})
    assert r.status_code == 303
    answer = query(r.headers["Location"])
    assert answer["error"] == "access_denied"
    assert answer["state"] == "state-123"
    assert answer["iss"] == "http://localhost/_devidp"
    assert "code" not in answer


@pytest.mark.parametrize("csrf", [None, "", "forged-token"])
def test_pick_form_requires_csrf_token(client: t.Any, csrf: str | None) -> None:
    _, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    fields = form_fields(page.get_data(as_text=True))
    data = {"request_id": fields["request_id"], "action": "login", "sub": "ada"}
    if csrf is not None:
        data["csrf_token"] = csrf
    r = client.post("/_devidp/authorize", data=data)
    assert r.status_code == 400
    assert "Location" not in r.headers
    assert "CSRF" in r.get_data(as_text=True)
    # The genuine form still works afterwards.
    r = client.post("/_devidp/authorize", data={**fields, "action": "login", "sub": "ada"})
    assert r.status_code == 303


def test_csrf_token_is_bound_to_its_request(client: t.Any) -> None:
    _, challenge = pkce_pair()
    one = form_fields(
        client.get("/_devidp/authorize", query_string=auth_params(challenge)).get_data(as_text=True)
    )
    two = form_fields(
        client.get("/_devidp/authorize", query_string=auth_params(challenge)).get_data(as_text=True)
    )
    mixed = {"request_id": one["request_id"], "csrf_token": two["csrf_token"]}
    r = client.post("/_devidp/authorize", data={**mixed, "action": "login", "sub": "ada"})
    assert r.status_code == 400


def test_cross_origin_post_is_refused(client: t.Any) -> None:
    _, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    fields = form_fields(page.get_data(as_text=True))
    r = client.post(
        "/_devidp/authorize",
        data={**fields, "action": "login", "sub": "ada"},
        headers={"Origin": "http://evil.example"},
    )
    assert r.status_code == 400


def test_typed_user_is_created_and_stable(client: t.Any) -> None:
    subs = []
    for _ in range(2):
        verifier, challenge = pkce_pair()
        page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
        fields = form_fields(page.get_data(as_text=True))
        r = client.post(
            "/_devidp/authorize",
            data={
                **fields,
                "action": "new",
                "name": "Katherine Johnson",
                "email": "Katherine@example.com",
                "email_verified": "on",
            },
        )
        assert r.status_code == 303
        tokens = exchange(client, query(r.headers["Location"])["code"], verifier).json
        claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
        assert claims["name"] == "Katherine Johnson"
        assert claims["email_verified"] is True
        subs.append(claims["sub"])
    assert subs[0] == subs[1]
    page = client.get("/_devidp/authorize", query_string=auth_params(pkce_pair()[1]))
    assert "Katherine Johnson" in page.get_data(as_text=True)


def test_typed_user_claims(client: t.Any) -> None:
    verifier, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    fields = form_fields(page.get_data(as_text=True))
    r = client.post(
        "/_devidp/authorize",
        data={**fields, "action": "new", "name": "", "email": "kj@example.com"},
    )
    tokens = exchange(client, query(r.headers["Location"])["code"], verifier).json
    info = client.get("/_devidp/userinfo", headers=bearer(tokens["access_token"])).json
    assert info["email"] == "kj@example.com"
    assert info["email_verified"] is False  # the box was not ticked
    assert info["name"] == "kj"
    assert info["sub"].startswith("user-")


def test_typed_user_with_bad_email_shows_the_form_again(client: t.Any) -> None:
    _, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    fields = form_fields(page.get_data(as_text=True))
    r = client.post("/_devidp/authorize", data={**fields, "action": "new", "email": "nope"})
    assert r.status_code == 400
    assert "e-mail" in r.get_data(as_text=True)
    r = client.post("/_devidp/authorize", data={**fields, "action": "login", "sub": "ada"})
    assert r.status_code == 303


# -- bounded memory -----------------------------------------------------------


def open_sign_in_page(client: t.Any) -> dict[str, str]:
    page = client.get("/_devidp/authorize", query_string=auth_params(pkce_pair()[1]))
    assert page.status_code == 200
    return form_fields(page.get_data(as_text=True))


def type_in(client: t.Any, email: str) -> t.Any:
    data = {**open_sign_in_page(client), "action": "new", "email": email}
    return client.post("/_devidp/authorize", data=data)


def test_sign_in_page_expires_after_five_minutes(app: Flask, client: t.Any) -> None:
    store = app.extensions["oauth2login_devidp"].store
    now = [1_000_000.0]
    store.clock = lambda: now[0]
    fields = open_sign_in_page(client)
    now[0] += 301
    r = client.post("/_devidp/authorize", data={**fields, "action": "login", "sub": "ada"})
    assert r.status_code == 400
    assert "expired" in r.get_data(as_text=True)
    open_sign_in_page(client)  # adding a request purges the expired one
    assert store.sizes()["pending"] == 1


def test_pending_sign_ins_are_capped(app: Flask, client: t.Any) -> None:
    store = app.extensions["oauth2login_devidp"].store
    store.max_pending = 3
    first = open_sign_in_page(client)
    pages = [open_sign_in_page(client) for _ in range(10)]
    assert store.sizes()["pending"] == 3
    r = client.post("/_devidp/authorize", data={**first, "action": "login", "sub": "ada"})
    assert "expired" in r.get_data(as_text=True)  # the oldest was forgotten
    r = client.post("/_devidp/authorize", data={**pages[-1], "action": "login", "sub": "ada"})
    assert r.status_code == 303


def test_typed_in_users_are_capped_least_recently_used_first(app: Flask, client: t.Any) -> None:
    store = app.extensions["oauth2login_devidp"].store
    store.max_typed_users = 2
    assert type_in(client, "one@example.com").status_code == 303
    assert type_in(client, "two@example.com").status_code == 303
    one = next(u["sub"] for u in store.users() if u["email"] == "one@example.com")
    # Signing in as "one" again makes "two" the least recently used.
    data = {**open_sign_in_page(client), "action": "login", "sub": one}
    assert client.post("/_devidp/authorize", data=data).status_code == 303
    assert type_in(client, "three@example.com").status_code == 303
    emails = [u["email"] for u in store.users()]
    assert emails[3:] == ["one@example.com", "three@example.com"]
    for n in range(20):
        assert type_in(client, f"many{n}@example.com").status_code == 303
    assert store.sizes()["typed_users"] == 2
    emails = [u["email"] for u in store.users()]
    assert emails[:3] == ["ada@example.com", "grace@example.com", "alan@example.com"]
    assert emails[3:] == ["many18@example.com", "many19@example.com"]


def test_forgotten_typed_in_user_gets_no_more_tokens(app: Flask, client: t.Any) -> None:
    store = app.extensions["oauth2login_devidp"].store
    store.max_typed_users = 1
    verifier, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    data = {**form_fields(page.get_data(as_text=True)), "action": "new", "email": "a@example.com"}
    code = query(client.post("/_devidp/authorize", data=data).headers["Location"])["code"]
    type_in(client, "b@example.com")  # pushes a@example.com out
    r = exchange(client, code, verifier)
    assert r.status_code == 400
    assert r.json["error"] == "invalid_grant"


def test_codes_and_tokens_are_capped() -> None:
    from flask_oauth2login.devidp.memory import Grant, Store

    store = Store()
    store.max_codes = 2
    store.max_tokens = 3
    grant = Grant(id="g", client_id="c", sub=None, scope=())
    codes = [store.add_code(grant, REDIRECT_URI, "challenge", ttl=60) for _ in range(5)]
    issued = [store.issue_tokens(grant, scope=(), access_ttl=3600, refresh=True) for _ in range(5)]
    assert store.sizes() == {
        "typed_users": 0,
        "pending": 0,
        "codes": 2,
        "access_tokens": 3,
        "refresh_tokens": 3,
        "sessions": 0,
        "pending_logouts": 0,
    }
    assert store.redeem_code(codes[0]) is None  # the oldest were forgotten
    assert store.redeem_code(codes[-1]) is not None
    assert store.get_access_token(issued[0].access_token) is None
    assert store.get_access_token(issued[-1].access_token) is not None
    assert store.find_refresh_token(issued[1].refresh_token or "", "c") is None
    assert store.find_refresh_token(issued[-1].refresh_token or "", "c") is not None


# -- token endpoint ---------------------------------------------------------


def test_token_response_and_id_token(app: Flask, client: t.Any) -> None:
    code, verifier = sign_in(client)
    r = exchange(client, code, verifier)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    body = r.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "openid email profile"
    assert body["refresh_token"] and body["access_token"]

    key = app.extensions["oauth2login_devidp"].key
    header = jwt.get_unverified_header(body["id_token"])
    assert header["alg"] == "RS256"
    assert header["kid"] == key.kid
    claims = jwt.decode(
        body["id_token"],
        key.public_key,
        algorithms=["RS256"],
        audience="dev-client",
        issuer="http://localhost/_devidp",
    )
    assert claims["sub"] == "ada"
    assert claims["azp"] == "dev-client"
    assert claims["nonce"] == "nonce-456"
    assert claims["email"] == "ada@example.com"
    assert claims["email_verified"] is True
    assert claims["name"] == "Ada Lovelace"
    assert claims["picture"].startswith("data:image/svg+xml;base64,")
    assert claims["exp"] > claims["iat"] >= claims["auth_time"]
    digest = hashlib.sha256(body["access_token"].encode()).digest()[:16]
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_claims_follow_scopes(client: t.Any) -> None:
    tokens = login(client, scope="openid", nonce=None)
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert "email" not in claims and "name" not in claims and "nonce" not in claims
    info = client.get("/_devidp/userinfo", headers=bearer(tokens["access_token"])).json
    assert info == {"sub": "ada"}

    tokens = login(client, scope="openid email")
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert claims["email"] == "ada@example.com"
    assert "name" not in claims


def test_no_id_token_without_openid_scope(client: t.Any) -> None:
    tokens = login(client, scope="email")
    assert "id_token" not in tokens
    r = client.get("/_devidp/userinfo", headers=bearer(tokens["access_token"]))
    assert r.status_code == 403
    assert 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]


def test_pkce_mismatch_is_rejected(client: t.Any) -> None:
    code, _ = sign_in(client)
    other_verifier, _ = pkce_pair()
    r = exchange(client, code, other_verifier)
    assert r.status_code == 400
    assert r.json["error"] == "invalid_grant"
    assert r.headers["Cache-Control"] == "no-store"


def test_missing_code_verifier_is_rejected(client: t.Any) -> None:
    code, verifier = sign_in(client)
    r = exchange(client, code, verifier, code_verifier=None)
    assert r.status_code == 400
    assert r.json["error"] == "invalid_request"


def test_code_reuse_is_rejected_and_revokes_tokens(client: t.Any) -> None:
    code, verifier = sign_in(client)
    first = exchange(client, code, verifier)
    assert first.status_code == 200
    second = exchange(client, code, verifier)
    assert second.status_code == 400
    assert second.json["error"] == "invalid_grant"
    # RFC 6749 §4.1.2: the tokens issued from the code are revoked too.
    r = client.get("/_devidp/api/me", headers=bearer(first.json["access_token"]))
    assert r.status_code == 401
    r = client.post(
        "/_devidp/token",
        data={"grant_type": "refresh_token", "refresh_token": first.json["refresh_token"]},
        headers={"Authorization": BASIC},
    )
    assert r.json["error"] == "invalid_grant"


def test_code_expires_after_60_seconds(app: Flask, client: t.Any) -> None:
    store = app.extensions["oauth2login_devidp"].store
    now = [1_000_000.0]
    store.clock = lambda: now[0]
    code, verifier = sign_in(client)
    now[0] += 61
    r = exchange(client, code, verifier)
    assert r.status_code == 400
    assert r.json["error"] == "invalid_grant"


def test_wrong_redirect_uri_is_rejected(client: t.Any) -> None:
    code, verifier = sign_in(client)
    r = exchange(client, code, verifier, redirect_uri="http://127.0.0.1:5000/other")
    assert r.status_code == 400
    assert r.json["error"] == "invalid_grant"


def test_code_of_another_client_is_rejected() -> None:
    clients = {
        "dev-client": {"client_secret": "dev-secret", "redirect_uris": None},
        "other": {"client_secret": "other-secret", "redirect_uris": None},
    }
    client = make_app(OAUTH2LOGIN_DEVIDP_CLIENTS=clients).test_client()
    code, verifier = sign_in(client)
    r = client.post(
        "/_devidp/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=("other", "other-secret"),
    )
    assert r.json["error"] == "invalid_grant"


def test_client_secret_basic_is_form_urlencoded() -> None:
    client_id, secret = "my app:1", "s3cr:t+&/= é"
    clients = {client_id: {"client_secret": secret, "redirect_uris": None}}
    client = make_app(OAUTH2LOGIN_DEVIDP_CLIENTS=clients).test_client()
    code, verifier = sign_in(client, client_id=client_id)
    credentials = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    r = client.post(
        "/_devidp/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        headers={"Authorization": "Basic " + base64.b64encode(credentials).decode()},
    )
    assert r.status_code == 200, r.json


def test_client_secret_post(client: t.Any) -> None:
    code, verifier = sign_in(client)
    r = client.post(
        "/_devidp/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": "dev-client",
            "client_secret": "dev-secret",
        },
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("headers", "data", "status", "error"),
    [
        ({}, {}, 401, "invalid_client"),
        ({}, {"client_id": "dev-client"}, 401, "invalid_client"),
        ({}, {"client_id": "dev-client", "client_secret": "wrong"}, 401, "invalid_client"),
        ({}, {"client_id": "nobody", "client_secret": "x"}, 401, "invalid_client"),
        ({"Authorization": "Basic !!!"}, {}, 401, "invalid_client"),
        (
            {"Authorization": "Basic " + base64.b64encode(b"dev-client:wrong").decode()},
            {},
            401,
            "invalid_client",
        ),
        ({"Authorization": BASIC}, {"client_secret": "dev-secret"}, 400, "invalid_request"),
    ],
)
def test_client_authentication_failures(
    client: t.Any, headers: dict[str, str], data: dict[str, str], status: int, error: str
) -> None:
    r = client.post(
        "/_devidp/token",
        data={"grant_type": "client_credentials", **data},
        headers=headers,
    )
    assert r.status_code == status
    assert r.json["error"] == error
    assert r.headers["Cache-Control"] == "no-store"
    if status == 401:
        assert r.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("path", ["/_devidp/token", "/_devidp/revoke"])
@pytest.mark.parametrize(
    "header",
    [
        "Basic é",  # not ASCII: not even base64's alphabet
        "Basic ZGV2LWNsaWVudDpkZXYtc2VjcmV0\u00e9",
        "Basic " + base64.b64encode(b"\xff\xfe:secret").decode(),  # not UTF-8
        "Basic " + base64.b64encode(b"no-colon").decode(),
    ],
)
def test_undecodable_basic_credentials_are_invalid_client(
    client: t.Any, path: str, header: str
) -> None:
    r = client.post(
        path,
        data={"grant_type": "client_credentials", "token": "x"},
        headers={"Authorization": header},
    )
    assert r.status_code == 401
    assert r.json["error"] == "invalid_client"
    assert r.headers["WWW-Authenticate"].startswith("Basic")
    assert r.headers["Cache-Control"] == "no-store"


def test_public_client_with_pkce_only() -> None:
    clients = {"spa": {"client_secret": None, "redirect_uris": None}}
    client = make_app(OAUTH2LOGIN_DEVIDP_CLIENTS=clients).test_client()
    code, verifier = sign_in(client, client_id="spa")
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        "client_id": "spa",
    }
    r = client.post("/_devidp/token", data=data)
    assert r.status_code == 200
    r = client.post("/_devidp/token", data={"grant_type": "client_credentials", "client_id": "spa"})
    assert r.json["error"] == "unauthorized_client"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "invalid_request"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "authorization_code"}, "invalid_request"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, "invalid_grant"),
    ],
)
def test_token_errors(client: t.Any, data: dict[str, str], error: str) -> None:
    r = client.post("/_devidp/token", data=data, headers={"Authorization": BASIC})
    assert r.status_code == 400
    assert r.json["error"] == error


def test_duplicate_parameters_are_refused(client: t.Any) -> None:
    r = client.post(
        "/_devidp/token",
        data="grant_type=client_credentials&grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": BASIC},
    )
    assert r.json["error"] == "invalid_request"


def test_refresh_rotates_and_detects_reuse(client: t.Any) -> None:
    tokens = login(client)

    def refresh(token: str, **extra: str) -> t.Any:
        return client.post(
            "/_devidp/token",
            data={"grant_type": "refresh_token", "refresh_token": token, **extra},
            headers={"Authorization": BASIC},
        )

    r = refresh(tokens["refresh_token"])
    assert r.status_code == 200
    new = r.json
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["access_token"] != tokens["access_token"]
    claims = jwt.decode(new["id_token"], options={"verify_signature": False})
    assert claims["sub"] == "ada"
    assert "nonce" not in claims

    # Narrowing the scope works; widening does not and costs nothing.
    assert refresh(new["refresh_token"], scope="openid admin").json["error"] == "invalid_scope"
    r = refresh(new["refresh_token"], scope="openid")
    assert r.status_code == 200
    assert r.json["scope"] == "openid"
    latest = r.json

    # Reusing a rotated token revokes the whole grant.
    assert refresh(tokens["refresh_token"]).json["error"] == "invalid_grant"
    assert refresh(latest["refresh_token"]).json["error"] == "invalid_grant"
    r = client.get("/_devidp/api/me", headers=bearer(latest["access_token"]))
    assert r.status_code == 401


def test_client_credentials(client: t.Any) -> None:
    r = client.post(
        "/_devidp/token",
        data={"grant_type": "client_credentials", "scope": "api.read"},
        headers={"Authorization": BASIC},
    )
    assert r.status_code == 200
    body = r.json
    assert body["scope"] == "api.read"
    assert "refresh_token" not in body and "id_token" not in body
    me = client.get("/_devidp/api/me", headers=bearer(body["access_token"])).json
    assert me["sub"] == "dev-client"
    assert me["user"] is None
    r = client.get("/_devidp/userinfo", headers=bearer(body["access_token"]))
    assert r.status_code == 403


def test_access_token_expiry_is_configurable() -> None:
    app = make_app(OAUTH2LOGIN_DEVIDP_ACCESS_TOKEN_TTL=5)
    client = app.test_client()
    store = app.extensions["oauth2login_devidp"].store
    now = [2_000_000.0]
    store.clock = lambda: now[0]
    tokens = login(client)
    assert tokens["expires_in"] == 5
    me = client.get("/_devidp/api/me", headers=bearer(tokens["access_token"])).json
    assert me["expires_at"] == 2_000_005
    now[0] += 6
    assert client.get("/_devidp/api/me", headers=bearer(tokens["access_token"])).status_code == 401


# -- resources --------------------------------------------------------------


def test_userinfo_and_api_need_a_bearer_token(client: t.Any) -> None:
    for path in ("/_devidp/userinfo", "/_devidp/api/me"):
        r = client.get(path)
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert "error=" not in r.headers["WWW-Authenticate"]
        r = client.get(path, headers=bearer("not-a-token"))
        assert r.status_code == 401
        assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_userinfo_post_with_form_token(client: t.Any) -> None:
    tokens = login(client)
    r = client.post("/_devidp/userinfo", data={"access_token": tokens["access_token"]})
    assert r.status_code == 200
    assert r.json["sub"] == "ada"


def test_api_me(client: t.Any) -> None:
    tokens = login(client, sub="grace")
    me = client.get("/_devidp/api/me", headers=bearer(tokens["access_token"])).json
    assert me["sub"] == "grace"
    assert me["user"]["name"] == "Grace Hopper"
    assert me["client_id"] == "dev-client"
    assert 0 < me["expires_in"] <= 3600


# -- revocation ---------------------------------------------------------------


def revoke(client: t.Any, token: str, auth: str = BASIC, **extra: str) -> t.Any:
    return client.post(
        "/_devidp/revoke", data={"token": token, **extra}, headers={"Authorization": auth}
    )


def test_revoke_access_token(client: t.Any) -> None:
    tokens = login(client)
    r = revoke(client, tokens["access_token"], token_type_hint="access_token")
    assert r.status_code == 200
    assert client.get("/_devidp/api/me", headers=bearer(tokens["access_token"])).status_code == 401


def test_revoke_refresh_token_revokes_its_access_tokens(client: t.Any) -> None:
    tokens = login(client)
    assert revoke(client, tokens["refresh_token"]).status_code == 200
    assert client.get("/_devidp/api/me", headers=bearer(tokens["access_token"])).status_code == 401


def test_revoke_unknown_token_and_errors(client: t.Any) -> None:
    assert revoke(client, "unknown").status_code == 200
    r = client.post("/_devidp/revoke", data={}, headers={"Authorization": BASIC})
    assert r.json["error"] == "invalid_request"
    r = client.post("/_devidp/revoke", data={"token": "x"})
    assert r.status_code == 401


def test_revoke_leaves_other_clients_tokens_alone() -> None:
    clients = {
        "dev-client": {"client_secret": "dev-secret", "redirect_uris": None},
        "other": {"client_secret": "other-secret", "redirect_uris": None},
    }
    client = make_app(OAUTH2LOGIN_DEVIDP_CLIENTS=clients).test_client()
    tokens = login(client)
    other = "Basic " + base64.b64encode(b"other:other-secret").decode()
    assert revoke(client, tokens["access_token"], auth=other).status_code == 200
    assert client.get("/_devidp/api/me", headers=bearer(tokens["access_token"])).status_code == 200


# -- logout and index -----------------------------------------------------------


def test_logout(client: t.Any) -> None:
    tokens = login(client)
    r = client.get(
        "/_devidp/logout",
        query_string={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "http://127.0.0.1:5000/",
            "state": "bye",
        },
    )
    assert r.status_code == 303
    assert r.headers["Location"] == "http://127.0.0.1:5000/?state=bye"

    r = client.get(
        "/_devidp/logout",
        query_string={
            "client_id": "dev-client",
            "post_logout_redirect_uri": "https://evil.example/",
        },
    )
    assert r.status_code == 400
    assert "Location" not in r.headers
    r = client.get("/_devidp/logout", query_string={"id_token_hint": "garbage"})
    assert r.status_code == 400
    assert client.get("/_devidp/logout").status_code == 200


def test_index_page_lists_no_secret(client: t.Any) -> None:
    html = client.get("/_devidp/").get_data(as_text=True)
    assert "dev-client" in html
    assert "dev-secret" not in html


# -- every answer: no framing, an icon --------------------------------------------


def assert_refuses_framing(response: t.Any) -> None:
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


LOGOUT_TO_CLIENT = {"post_logout_redirect_uri": "http://127.0.0.1/", "client_id": "dev-client"}


@pytest.mark.parametrize(
    ("method", "path", "params", "status"),
    [
        ("GET", "/_devidp/", {}, 200),
        ("GET", "/_devidp/.well-known/openid-configuration", {}, 200),
        ("GET", "/_devidp/jwks", {}, 200),
        ("GET", "/_devidp/authorize", {}, 400),  # the error page
        ("GET", "/_devidp/authorize", auth_params("x" * 43), 200),  # the sign-in page
        ("POST", "/_devidp/token", {}, 400),
        ("POST", "/_devidp/revoke", {}, 400),
        ("GET", "/_devidp/userinfo", {}, 401),
        ("GET", "/_devidp/api/me", {}, 401),
        ("GET", "/_devidp/logout", {}, 200),
        ("GET", "/_devidp/logout", LOGOUT_TO_CLIENT, 303),
        ("GET", "/_devidp/favicon.ico", {}, 200),
        ("GET", "/_devidp/jwks", {}, 403),  # refused: from another machine
    ],
)
def test_every_answer_refuses_framing(
    client: t.Any, method: str, path: str, params: dict[str, str], status: int
) -> None:
    remote = "203.0.113.9" if status == 403 else "127.0.0.1"
    r = client.open(
        path, method=method, query_string=params, environ_overrides={"REMOTE_ADDR": remote}
    )
    assert r.status_code == status
    assert_refuses_framing(r)


def test_standalone_app_refuses_framing_everywhere() -> None:
    client = create_app(TESTING=True).test_client()
    assert_refuses_framing(client.get("/jwks"))
    assert_refuses_framing(client.get("/no-such-page"))


@pytest.mark.parametrize("path", ["/_devidp/", "/_devidp/authorize", "/_devidp/logout"])
def test_pages_carry_an_inline_icon(client: t.Any, path: str) -> None:
    html = client.get(path).get_data(as_text=True)
    assert '<link rel="icon" href="data:image/svg+xml,' in html


def test_favicon_ico() -> None:
    r = create_app(TESTING=True).test_client().get("/favicon.ico")
    assert r.status_code == 200
    assert r.mimetype == "image/svg+xml"
    assert r.get_data(as_text=True).startswith("<svg")


# -- logging --------------------------------------------------------------------


def test_nothing_secret_is_logged(client: t.Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    code, verifier = sign_in(client)
    tokens = exchange(client, code, verifier).json
    exchange(client, code, verifier)  # reuse, logged as a warning
    client.get("/_devidp/userinfo", headers=bearer(tokens["access_token"]))
    revoke(client, tokens["refresh_token"])
    text = caplog.text
    assert "signed in" in text
    for value in (
        code,
        verifier,
        tokens["access_token"],
        tokens["refresh_token"],
        tokens["id_token"],
        "dev-secret",
    ):
        assert value not in text


def test_access_log_redacts_codes_and_tokens(caplog: pytest.LogCaptureFixture) -> None:
    from flask_oauth2login.testing import DevIdPServer

    caplog.set_level(logging.INFO, logger="werkzeug")
    with DevIdPServer() as idp:
        requests.get(idp.url + "/jwks?code=abc&state=s&id_token_hint=eyJ&x=1", timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/jwks?" in line and "x=1" in line for line in lines)
    assert not any("abc" in line or "eyJ" in line for line in lines)


# -- standalone app over real HTTP ---------------------------------------------


def test_cli_refuses_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert devidp_main(["--host", "0.0.0.0", "--port", "0"]) == 2
    assert "Refusing" in capsys.readouterr().err


def test_create_app_refuses_outside_debug_or_testing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigurationError, match="debug or app.testing"):
        create_app()
    monkeypatch.setenv("FLASK_DEBUG", "1")  # flask run --debug
    assert create_app().debug


def test_python_m_serves_the_provider() -> None:
    port = free_port()
    command = [sys.executable, "-m", "flask_oauth2login.devidp", "--port", str(port)]
    env = {"PYTHONPATH": str(ROOT), "FLASK_DEBUG": ""}
    with Child(command, env=env, cwd=str(ROOT)) as child:
        url = f"http://127.0.0.1:{port}/.well-known/openid-configuration"
        wait_until(lambda: requests.get(url, timeout=2).ok, child, "python -m ...devidp")
        assert requests.get(url, timeout=5).json()["issuer"] == f"http://127.0.0.1:{port}"


def test_gunicorn_refuses_to_serve_the_app_outside_debug() -> None:
    env = {"PYTHONPATH": str(ROOT), "FLASK_DEBUG": "", "FLASK_TESTING": ""}
    with Gunicorn("flask_oauth2login.devidp:create_app()", env=env, cwd=str(ROOT)) as server:
        server.process.wait(30)
        assert server.process.returncode != 0
        assert "only runs when app.debug or app.testing is true" in server.log()


def test_create_app_mounts_at_root() -> None:
    app = create_app(TESTING=True)
    doc = app.test_client().get("/.well-known/openid-configuration").json
    assert doc["issuer"] == "http://localhost"
    assert doc["jwks_uri"] == "http://localhost/jwks"


@pytest.fixture
def live_idp() -> t.Iterator[str]:
    server = make_server("127.0.0.1", 0, create_app(TESTING=True), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def test_full_flow_over_http(live_idp: str) -> None:
    with requests.Session() as http:
        _full_flow(http, live_idp)


def _full_flow(http: requests.Session, live_idp: str) -> None:
    meta = http.get(f"{live_idp}/.well-known/openid-configuration", timeout=5).json()
    assert meta["issuer"] == live_idp

    verifier, challenge = pkce_pair()
    redirect_uri = "http://localhost:5000/auth/callback"
    page = http.get(
        meta["authorization_endpoint"],
        params=auth_params(challenge, redirect_uri=redirect_uri),
        timeout=5,
    )
    assert page.status_code == 200
    picked = http.post(
        meta["authorization_endpoint"],
        data={**form_fields(page.text), "action": "login", "sub": "ada"},
        allow_redirects=False,
        timeout=5,
    )
    assert picked.status_code == 303
    answer = query(picked.headers["Location"])
    assert answer["state"] == "state-123"
    assert answer["iss"] == meta["issuer"]

    r = http.post(
        meta["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=("dev-client", "dev-secret"),
        timeout=5,
    )
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    tokens = r.json()

    jwks = jwt.PyJWKClient(meta["jwks_uri"])
    key = jwks.get_signing_key_from_jwt(tokens["id_token"])
    claims = jwt.decode(
        tokens["id_token"],
        key.key,
        algorithms=meta["id_token_signing_alg_values_supported"],
        audience="dev-client",
        issuer=meta["issuer"],
    )
    assert claims["sub"] == "ada"
    assert claims["nonce"] == "nonce-456"

    info = http.get(
        meta["userinfo_endpoint"], headers=bearer(tokens["access_token"]), timeout=5
    ).json()
    assert info["sub"] == claims["sub"]
    assert info["email"] == "ada@example.com"

    r = http.post(
        meta["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=("dev-client", "dev-secret"),
        timeout=5,
    )
    assert r.status_code == 200, r.text
    refreshed = r.json()
    assert refreshed["refresh_token"] != tokens["refresh_token"]

    api = f"{live_idp}/api/me"
    me = http.get(api, headers=bearer(refreshed["access_token"]), timeout=5)
    assert me.status_code == 200
    assert me.json()["user"]["email"] == "ada@example.com"

    r = http.post(
        meta["revocation_endpoint"],
        data={"token": refreshed["access_token"], "token_type_hint": "access_token"},
        auth=("dev-client", "dev-secret"),
        timeout=5,
    )
    assert r.status_code == 200
    me = http.get(api, headers=bearer(refreshed["access_token"]), timeout=5)
    assert me.status_code == 401
    assert 'error="invalid_token"' in me.headers["WWW-Authenticate"]
