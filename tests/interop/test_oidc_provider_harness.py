"""Tests proving the oidc-provider test harness works end to end."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
import requests

from tests.support.oauth import pkce_pair, query
from tests.support.oidc_provider import LoginError, OidcProvider, login, oidc_provider, require_node

CLIENT_ID = "flask-app"
CLIENT_SECRET = "flask-secret"
REDIRECT_URI = "http://127.0.0.1:5999/callback/oidc"
CLIENT = {
    "client_id": CLIENT_ID,
    "client_secret": CLIENT_SECRET,
    "redirect_uris": [REDIRECT_URI],
    "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
    "token_endpoint_auth_method": "client_secret_basic",
}


provider = oidc_provider([CLIENT])


@pytest.fixture(scope="module")
def metadata(provider: OidcProvider) -> dict[str, Any]:
    return provider.metadata()


@pytest.fixture(autouse=True)
def _fresh_stats(request: pytest.FixtureRequest) -> None:
    if "provider" in request.fixturenames:
        request.getfixturevalue("provider").reset_stats()


def authorize_url(metadata: dict[str, Any], state: str, nonce: str, challenge: str) -> str:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email profile",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{metadata['authorization_endpoint']}?{urlencode(params)}"


def token_request(metadata: dict[str, Any], **data: str) -> requests.Response:
    return requests.post(
        metadata["token_endpoint"], data=data, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10
    )


def test_discovery(provider: OidcProvider, metadata: dict[str, Any]) -> None:
    assert provider.metadata_url == f"{provider.issuer}/.well-known/openid-configuration"
    assert provider.issuer.startswith("http://127.0.0.1:")
    assert metadata["issuer"] == provider.issuer
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert "client_secret_basic" in metadata["token_endpoint_auth_methods_supported"]
    for endpoint in ("userinfo_endpoint", "revocation_endpoint", "introspection_endpoint"):
        assert metadata[endpoint].startswith(provider.issuer)


def test_code_flow_with_pkce_refresh_and_stats(
    provider: OidcProvider, metadata: dict[str, Any]
) -> None:
    verifier, challenge = pkce_pair()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)

    callback = login(requests.Session(), authorize_url(metadata, state, nonce, challenge), "alice")

    assert callback.startswith(f"{REDIRECT_URI}?")
    params = query(callback)
    assert params["state"] == state
    assert params["iss"] == provider.issuer
    response = token_request(
        metadata,
        grant_type="authorization_code",
        code=params["code"],
        redirect_uri=REDIRECT_URI,
        code_verifier=verifier,
    )
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["refresh_token"]

    signing_key = jwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(tokens["id_token"])
    claims = jwt.decode(
        tokens["id_token"],
        signing_key.key,
        algorithms=["RS256"],
        audience=CLIENT_ID,
        issuer=provider.issuer,
    )
    assert claims["sub"] == "alice"
    assert claims["nonce"] == nonce

    userinfo = requests.get(
        metadata["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert userinfo.json() == {
        "sub": "alice",
        "email": "alice@example.test",
        "email_verified": True,
        "name": "Alice",
        "picture": "https://img.example.test/alice.png",
    }

    refreshed = token_request(
        metadata, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200, refreshed.text
    new_tokens = refreshed.json()
    assert new_tokens["access_token"] != tokens["access_token"]
    assert new_tokens["refresh_token"] != tokens["refresh_token"]

    reused = token_request(
        metadata, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"

    stats = provider.stats()
    assert stats["grants"] == {"authorization_code": 1, "refresh_token": 1, "client_credentials": 0}
    assert stats["userinfo"] == 1


def test_consent_denied(provider: OidcProvider, metadata: dict[str, Any]) -> None:
    _, challenge = pkce_pair()
    url = authorize_url(metadata, "s-deny", "n-deny", challenge)

    callback = login(requests.Session(), url, "bob", consent=False)

    assert callback.startswith(f"{REDIRECT_URI}?")
    params = query(callback)
    assert params["error"] == "access_denied"
    assert params["state"] == "s-deny"
    assert params["iss"] == provider.issuer


def test_second_login_reuses_provider_session(metadata: dict[str, Any]) -> None:
    http = requests.Session()
    _, challenge = pkce_pair()
    url = authorize_url(metadata, "s-again", "n-again", challenge)

    assert "code" in query(login(http, url, "carol"))
    assert "code" in query(login(http, url, "ignored"))
    with pytest.raises(LoginError, match="did not ask for consent"):
        login(http, url, consent=False)


def test_pkce_is_required(metadata: dict[str, Any]) -> None:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "state": "s-pkce",
    }
    response = requests.get(
        f"{metadata['authorization_endpoint']}?{urlencode(params)}",
        allow_redirects=False,
        timeout=10,
    )
    assert response.is_redirect
    error = query(response.headers["Location"])
    assert error["error"] == "invalid_request"
    assert "PKCE" in error["error_description"]


def test_client_credentials_and_revocation_stats(
    provider: OidcProvider, metadata: dict[str, Any]
) -> None:
    response = token_request(metadata, grant_type="client_credentials")
    assert response.status_code == 200, response.text
    revoked = requests.post(
        metadata["revocation_endpoint"],
        data={"token": response.json()["access_token"]},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=10,
    )
    assert revoked.status_code == 200

    stats = provider.stats()
    assert stats["grants"]["client_credentials"] == 1
    assert stats["revocations"] == 1
    provider.reset_stats()
    assert provider.stats() == {
        "grants": {"authorization_code": 0, "refresh_token": 0, "client_credentials": 0},
        "revocations": 0,
        "userinfo": 0,
    }


def test_options_reach_the_provider() -> None:
    require_node()
    client = {**CLIENT, "client_id": "short-lived"}
    with OidcProvider(
        [client], access_token_ttl=120, refresh_token_rotation=False, id_token_claims=True
    ) as provider:
        metadata = provider.metadata()
        verifier, challenge = pkce_pair()
        url = authorize_url(metadata, "s", "n", challenge).replace(
            f"client_id={CLIENT_ID}", "client_id=short-lived"
        )
        code = query(login(requests.Session(), url, "dave"))["code"]
        auth = ("short-lived", CLIENT_SECRET)
        tokens = requests.post(
            metadata["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            },
            auth=auth,
            timeout=10,
        ).json()
        assert tokens["expires_in"] == 120
        claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
        assert claims["email"] == "dave@example.test"
        assert claims["name"] == "Dave"
        refreshed = requests.post(
            metadata["token_endpoint"],
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=auth,
            timeout=10,
        ).json()
        assert refreshed["refresh_token"] == tokens["refresh_token"]
        process = provider._process
    assert process is not None and process.poll() is not None
    assert not provider.running
