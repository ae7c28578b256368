"""The login flow through the blueprint, against a provider over HTTP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.conftest import follow_callback, log_in, start_login


def test_login_redirects_to_provider_with_state_pkce_and_nonce(client, rogue):
    location = start_login(client)
    assert location.startswith(rogue.issuer + "/authorize?")
    query = parse_qs(urlsplit(location).query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [rogue.client_id]
    assert query["redirect_uri"] == ["http://localhost/callback/rogue"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 43  # 256 bits, base64url
    assert len(query["nonce"][0]) >= 43
    assert "openid" in query["scope"][0].split()


def test_full_login_stores_user_and_redirects_to_next(client, rogue):
    response = follow_callback(client, rogue.authorize(start_login(client, next="/private")))
    assert response.status_code == 302
    assert response.headers["Location"] == "/private"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    user = client.get("/").get_json()["user"]
    assert user["sub"] == "user-123"
    assert user["email"] == "alice@example.test"
    assert user["email_verified"] is True
    assert user["provider"] == "rogue"
    assert user["issuer"] == rogue.issuer
    assert client.get("/private").get_data(as_text=True) == "private page"


def test_api_call_sends_bearer_token(client, rogue):
    log_in(client, rogue)
    answer = client.get("/api/rogue").get_json()
    assert answer["status"] == 200
    assert answer["body"]["sub"] == "user-123"
