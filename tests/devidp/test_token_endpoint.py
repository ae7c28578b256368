"""The development provider's token endpoint: the ID token and its claims,
PKCE, one-time codes, client authentication, refresh token rotation and
client credentials."""

from __future__ import annotations

import base64
import hashlib
import typing as t
from urllib.parse import quote_plus

import jwt
import pytest
from flask import Flask

from tests.support.devidp import (
    BASIC,
    REDIRECT_URI,
    bearer,
    exchange,
    login,
    make_app,
    pkce_pair,
    sign_in,
)


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
