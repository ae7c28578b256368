"""The Twitch preset (OpenID Connect), against a fake Twitch on loopback."""

from __future__ import annotations

import json
import typing as t

import pytest
from werkzeug.wrappers import Request, Response

from flask_oauth2login.providers import twitch
from tests.support.fake_providers import FakeProvider, Grant, fake_provider, json_response, log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query


class FakeTwitch(FakeProvider):
    """id.twitch.tv's OIDC endpoints and the Helix API."""

    client_id = "hof5gwx0su6owfnys0yan9c87zr6t"
    client_secret = "twitch-secret"
    client_auth = "client_secret_post"
    issuer = "https://id.twitch.tv/oauth2"
    authorize_path = "/oauth2/authorize"
    token_path = "/oauth2/token"
    userinfo_path = "/oauth2/userinfo"
    jwks_path = "/oauth2/keys"
    revocation_path = "/oauth2/revoke"
    issues_refresh_tokens = True
    expires_in = 14124
    entry_paths = {"api_base_url": "/helix/"}

    def default_claims(self) -> dict[str, t.Any]:
        return {
            "sub": "713936733",
            "preferred_username": "twitchdev",
            "email": "twitchdev@twitch.test",
            "email_verified": True,
            "picture": "https://static-cdn.jtvnw.test/user-default-pictures.png",
            "updated_at": "2022-01-01T00:00:00Z",
        }

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {"/helix/users": self.handle_users}

    def _asked_claims(self, grant: Grant, where: str) -> set[str]:
        try:
            return set(json.loads(grant.params.get("claims", "{}")).get(where) or {})
        except ValueError:
            return set()

    def id_token(self, grant: Grant, access_token: str | None = None) -> str:
        # Twitch puts only sub and the claims asked for into the ID token.
        asked = self._asked_claims(grant, "id_token")
        saved = self.claims
        self.claims = {k: v for k, v in saved.items() if k == "sub" or k in asked}
        try:
            return super().id_token(grant, access_token)
        finally:
            self.claims = saved

    def handle_userinfo(self, request: Request) -> Response:
        grant = self.grant_for(request)
        if grant is None:
            return json_response({"status": 401, "message": "invalid token"}, 401)
        asked = self._asked_claims(grant, "userinfo")
        return json_response({k: v for k, v in self.claims.items() if k == "sub" or k in asked})

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        answer = super().token_answer(grant, access_token)
        answer["scope"] = grant.scope  # Twitch: a list
        answer["token_type"] = "bearer"
        return answer

    def handle_users(self, request: Request) -> Response:
        if request.headers.get("Client-Id") != self.client_id:
            return json_response(
                {
                    "error": "Unauthorized",
                    "status": 401,
                    "message": "Client ID and OAuth token do not match",
                },
                401,
            )
        if self.grant_for(request) is None:
            return json_response(
                {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}, 401
            )
        return json_response(
            {
                "data": [
                    {"id": self.claims["sub"], "login": "twitchdev", "display_name": "TwitchDev"}
                ]
            }
        )


fake = fake_provider(FakeTwitch)


@pytest.fixture
def app(make_app, fake):
    return make_app({"twitch": fake.entry()}, TEST_API_URLS={"twitch": "/users"})


def test_preset():
    assert twitch.preset.api_headers == {"Client-Id": "{client_id}"}
    assert twitch.preset.api_base_url == "https://api.twitch.tv/helix/"


def test_login_asks_for_the_claims_twitch_hides_otherwise(app, fake):
    client = app.test_client()
    params = query(start_login(client, "twitch"))
    assert params["scope"] == "openid user:read:email"
    claims = json.loads(params["claims"])
    assert {"email", "email_verified", "picture"} <= set(claims["id_token"])
    assert {"email", "email_verified", "picture"} <= set(claims["userinfo"])
    assert log_in(client, "twitch").status_code == 302
    user = logged_in_user(client)
    assert user["issuer"] == "https://id.twitch.tv/oauth2"
    assert user["sub"] == "713936733"
    assert user["email"] == "twitchdev@twitch.test"
    assert user["email_verified"] is True
    assert user["name"] == "twitchdev"
    assert user["picture"] == "https://static-cdn.jtvnw.test/user-default-pictures.png"


def test_api_calls_carry_the_client_id_header(app, fake):
    client = app.test_client()
    log_in(client, "twitch")
    answer = client.get("/api/twitch").get_json()
    assert answer["status"] == 200
    assert answer["body"]["data"][0]["login"] == "twitchdev"
    call = fake.requests_to("/helix/users")[-1]
    assert call["headers"]["Client-Id"] == fake.client_id
    assert call["headers"]["Authorization"].startswith("Bearer ")
    assert fake.requests_to(fake.userinfo_path) == []  # the ID token carries the claims


def test_userinfo_calls_carry_the_client_id_header(make_app, fake):
    client = make_app({"twitch": fake.entry(fetch_userinfo=True)}).test_client()
    assert log_in(client, "twitch").status_code == 302
    assert fake.requests_to(fake.userinfo_path)[0]["headers"]["Client-Id"] == fake.client_id


def test_logout_revokes(app, fake):
    client = app.test_client()
    log_in(client, "twitch")
    client.post("/logout")
    revocation = fake.requests_to(fake.revocation_path)[0]["form"]
    assert revocation["client_id"] == fake.client_id
