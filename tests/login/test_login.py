"""The login flow through the blueprint, against a provider over HTTP."""

from __future__ import annotations

import threading
import time
from urllib.parse import parse_qs, urlsplit

from tests.support.logins import follow_callback, log_in, start_login
from tests.support.rogue_idp import rogue_entry


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


def test_plain_oauth2_provider_with_endpoints_by_hand(make_app, rogue):
    # The contract's "legacy" entry: no discovery, no scope, no ID token.
    rogue.behaviour.userinfo_overrides = {"sub": None, "id": 4242}
    legacy = {
        "client_id": rogue.client_id,
        "client_secret": rogue.client_secret,
        "authorize_url": rogue.issuer + "/authorize",
        "token_url": rogue.issuer + "/token",
        "userinfo_url": rogue.issuer + "/userinfo",
    }
    app = make_app({"legacy": legacy}, TEST_API_URLS={"legacy": rogue.issuer + "/api/me"})
    client = app.test_client()
    location = start_login(client, "legacy")
    query = parse_qs(urlsplit(location).query)
    assert "nonce" not in query
    assert "scope" not in query
    assert follow_callback(client, rogue.authorize(location)).status_code == 302
    user = client.get("/").get_json()["user"]
    assert user["sub"] == "4242"
    assert user["issuer"] == rogue.issuer
    assert user["email"] == "alice@example.test"
    assert client.get("/api/legacy").get_json()["status"] == 200


def test_login_can_be_started_with_a_post(client, rogue):
    response = client.post("/login/rogue", data={"next": "/private"})
    assert response.status_code == 303  # the browser GETs the provider's page
    assert response.headers["Location"].startswith(rogue.issuer + "/authorize?")
    assert (
        follow_callback(client, rogue.authorize(response.headers["Location"])).headers["Location"]
        == "/private"
    )


def test_a_callback_works_from_one_discovery_document_even_when_it_expires_meanwhile(
    make_app, rogue
):
    # The cached discovery document (kept 1 s) expires while the token request
    # is slow (1.2 s); the provider meanwhile names another issuer. The ID
    # token is checked against the issuer the login started and was called
    # back with, not against a document fetched halfway through the callback.
    app = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_METADATA_TTL=1)
    client = app.test_client()
    rogue.behaviour.token_delay = 1.2
    location = rogue.authorize(start_login(client))

    def change_the_document_during_the_token_request() -> None:
        deadline = time.monotonic() + 30
        while not rogue.calls["token:authorization_code"] and time.monotonic() < deadline:
            time.sleep(0.01)
        rogue.behaviour.metadata_overrides = {"issuer": "https://elsewhere.example"}

    changer = threading.Thread(target=change_the_document_during_the_token_request)
    changer.start()
    response = follow_callback(client, location)
    changer.join(timeout=30)
    assert rogue.behaviour.metadata_overrides  # changed while the callback ran
    assert response.status_code == 302, response.get_data(as_text=True)
    assert client.get("/").get_json()["user"]["issuer"] == rogue.issuer
