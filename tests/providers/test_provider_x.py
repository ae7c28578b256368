"""The X preset, against a fake X (x.com's OAuth 2.0 and api.x.com's ``users/me``)."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.wrappers import Request, Response

from flask_oauth2login.providers import x
from tests.support.fake_providers import (
    FakeProvider,
    Grant,
    basic_credentials,
    fake_provider,
    json_response,
    log_in,
)
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query

ME = "/2/users/me"


class FakeX(FakeProvider):
    """X's OAuth 2.0 endpoints (PKCE required) and ``/2/users/me``."""

    client_id = "M1M5R3BMVy13QmpScXkzTUt5OE46MTpjaQ"
    client_secret = "x-client-secret"
    client_auth = "client_secret_basic"
    authorize_path = "/i/oauth2/authorize"
    token_path = "/2/oauth2/token"
    revocation_path = "/2/oauth2/revoke"
    issues_id_tokens = False
    require_pkce = True
    entry_paths = {"userinfo_url": ME + "?user.fields=profile_image_url"}

    def reset(self) -> None:
        super().reset()
        #: Whether the app is registered as a public client (no secret).
        self.public = False
        self.user: dict[str, t.Any] = {
            "id": "2244994945",
            "name": "X Dev",
            "username": "TwitterDev",
            "profile_image_url": "https://pbs.twimg.com/profile_images/1445764922474827784/W2zEPN7U_normal.jpg",
        }
        self.me_answer: dict[str, t.Any] | None = None

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {ME: self.handle_me}

    def authenticate_client(self, request: Request) -> bool:
        if self.public:  # public clients send their id in the form, nothing else
            return (
                "Authorization" not in request.headers
                and request.form.get("client_id") == self.client_id
                and "client_secret" not in request.form
            )
        return super().authenticate_client(request)

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        return {
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": access_token,
            "scope": " ".join(grant.scope),
        }

    def handle_me(self, request: Request) -> Response:
        if self.grant_for(request) is None:
            return json_response(
                {"title": "Unauthorized", "type": "about:blank", "status": 401},
                401,
            )
        if self.me_answer is not None:
            return json_response(self.me_answer)
        fields = request.args.get("user.fields", "").split(",")
        user = {k: v for k, v in self.user.items() if k != "profile_image_url"}
        if "profile_image_url" in fields:
            user["profile_image_url"] = self.user["profile_image_url"]
        return json_response({"data": user})


fake = fake_provider(FakeX)


@pytest.fixture
def app(make_app, fake):
    return make_app(
        {"x": fake.entry(api_base_url=fake.url("/2/"))}, TEST_API_URLS={"x": "/users/me"}
    )


def test_preset_is_oauth_with_pkce_and_basic_auth():
    preset = x.preset
    assert preset.authorize_url == "https://x.com/i/oauth2/authorize"
    assert preset.token_url == "https://api.x.com/2/oauth2/token"
    assert preset.userinfo_url.startswith("https://api.x.com/2/users/me?")
    assert preset.token_endpoint_auth_method == "client_secret_basic"
    assert preset.scope == ("users.read", "tweet.read")
    assert "openid" not in preset.scope


def test_authorization_request_has_pkce_and_the_scopes(app, fake):
    params = query(start_login(app.test_client(), "x"))
    assert params["code_challenge_method"] == "S256"
    assert params["code_challenge"]
    assert params["scope"] == "users.read tweet.read"
    assert "nonce" not in params


def test_login_maps_users_me_and_has_no_email(app, fake):
    client = app.test_client()
    response = log_in(client, "x")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["sub"] == "2244994945"
    assert user["name"] == "X Dev"
    assert user["picture"] == fake.user["profile_image_url"]
    assert user["email"] is None
    assert user["email_verified"] is False
    assert user["raw"]["data"]["username"] == "TwitterDev"
    token_request = fake.requests_to(fake.token_path)[0]
    assert basic_credentials(token_request["headers"]) == (fake.client_id, fake.client_secret)
    assert "client_secret" not in token_request["form"]
    assert token_request["form"]["code_verifier"]


def test_public_client_sends_its_client_id_only(make_app, fake):
    fake.public = True
    public = fake.entry(token_endpoint_auth_method="none")
    del public["client_secret"]
    client = make_app({"x": public}).test_client()
    assert log_in(client, "x").status_code == 302
    assert logged_in_user(client)["sub"] == "2244994945"
    token_request = fake.requests_to(fake.token_path)[0]
    assert "Authorization" not in token_request["headers"]
    assert token_request["form"]["client_id"] == fake.client_id


def test_an_answer_without_data_is_a_clear_login_error(app, fake):
    fake.me_answer = {"errors": [{"title": "Forbidden", "detail": "Client not enrolled"}]}
    client = app.test_client()
    response = log_in(client, "x")
    assert response.status_code == 502
    assert "data.id" in response.get_data(as_text=True)
    assert logged_in_user(client) is None


def test_logout_revokes_with_basic_auth(app, fake):
    client = app.test_client()
    log_in(client, "x")
    assert client.post("/logout").status_code in (302, 303)
    revocation = fake.requests_to(fake.revocation_path)
    assert revocation
    assert basic_credentials(revocation[0]["headers"]) == (fake.client_id, fake.client_secret)
    assert not fake.tokens  # the access token is gone


def test_api_session_calls_users_me(app, fake):
    client = app.test_client()
    log_in(client, "x")
    answer = client.get("/api/x").get_json()
    assert answer["status"] == 200
    assert answer["body"]["data"]["id"] == "2244994945"
