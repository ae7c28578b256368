"""The development provider's discovery document and its published signing
key."""

from __future__ import annotations

import typing as t

from tests.support.devidp import make_app


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
