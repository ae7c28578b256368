"""The Reddit preset, against a fake Reddit (www.reddit.com's OAuth, oauth.reddit.com's API)."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.wrappers import Request, Response

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from flask_oauth2login.providers import reddit
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

ME = "/api/v1/me"
USER_AGENT = "web:com.example.app:v1.2 (by /u/example)"


class FakeReddit(FakeProvider):
    """Reddit: Basic client auth, a User-Agent required everywhere, ``/api/v1/me``."""

    client_id = "p-jcoLKBynTLew"
    client_secret = "gko_LXELoV07ZBNUXrvWZfzE3aI"
    client_auth = "client_secret_basic"
    authorize_path = "/api/v1/authorize"
    token_path = "/api/v1/access_token"
    revocation_path = "/api/v1/revoke_token"
    issues_id_tokens = False
    entry_paths = {"userinfo_url": ME + "?raw_json=1"}

    def reset(self) -> None:
        super().reset()
        self.user: dict[str, t.Any] = {
            "id": "1w72",
            "name": "reddit_bot",
            "icon_img": "https://styles.redditmedia.com/t5_6/styles/profileIcon_x.png?width=256&s=0f",
            "has_verified_email": True,
            "created_utc": 1132012800.0,
            "link_karma": 12,
        }

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {ME: self.handle_me}

    def handle_token(self, request: Request) -> Response:
        if "python-requests" in request.headers.get("User-Agent", "python-requests"):
            return json_response({"message": "Too Many Requests", "error": 429}, 429)
        return super().handle_token(request)

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        answer = {
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": 86400,
            "scope": " ".join(grant.scope),
        }
        if grant.params.get("duration") == "permanent":
            answer["refresh_token"] = "refresh-" + access_token[:8]
        return answer

    def handle_me(self, request: Request) -> Response:
        if "python-requests" in request.headers.get("User-Agent", "python-requests"):
            return json_response({"message": "Too Many Requests", "error": 429}, 429)
        if self.grant_for(request) is None:
            return json_response({"message": "Unauthorized", "error": 401}, 401)
        user = dict(self.user)
        if request.args.get("raw_json") != "1":  # Reddit HTML-escapes by default
            user["icon_img"] = user["icon_img"].replace("&", "&amp;")
        return json_response(user)


fake = fake_provider(FakeReddit)


@pytest.fixture
def app(make_app, fake):
    return make_app(
        {"reddit": fake.entry(user_agent=USER_AGENT, api_base_url=fake.url("/"))},
        TEST_API_URLS={"reddit": ME},
    )


def test_preset_asks_for_a_permanent_token():
    preset = reddit.preset
    assert preset.authorize_url == "https://www.reddit.com/api/v1/authorize"
    assert preset.token_url == "https://www.reddit.com/api/v1/access_token"
    assert preset.userinfo_url == "https://oauth.reddit.com/api/v1/me?raw_json=1"
    assert preset.authorize_params == {"duration": "permanent"}
    assert preset.token_endpoint_auth_method == "client_secret_basic"


def test_authorization_request(app, fake):
    params = query(start_login(app.test_client(), "reddit"))
    assert params["duration"] == "permanent"
    assert params["scope"] == "identity"


def test_login_sends_the_user_agent_everywhere(app, fake):
    client = app.test_client()
    response = log_in(client, "reddit")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["sub"] == "1w72"
    assert user["name"] == "reddit_bot"
    assert user["picture"] == fake.user["icon_img"]  # not HTML-escaped
    assert user["email"] is None and user["email_verified"] is False
    token_request = fake.requests_to(fake.token_path)[0]
    assert token_request["headers"]["User-Agent"] == USER_AGENT
    assert basic_credentials(token_request["headers"]) == (fake.client_id, fake.client_secret)
    assert fake.requests_to(ME)[0]["headers"]["User-Agent"] == USER_AGENT
    assert client.get("/api/reddit").get_json()["status"] == 200
    assert fake.requests_to(ME)[-1]["headers"]["User-Agent"] == USER_AGENT


def test_without_user_agent_one_is_made_from_the_client_id(make_app, fake):
    config = load_provider("reddit", {"client_id": "abc", "client_secret": "s"}, {}, {})
    assert config.user_agent == "web:abc:v1 (flask-oauth2login)"
    client = make_app({"reddit": fake.entry()}).test_client()
    assert log_in(client, "reddit").status_code == 302
    sent = fake.requests_to(fake.token_path)[0]["headers"]["User-Agent"]
    assert sent == f"web:{fake.client_id}:v1 (flask-oauth2login)"


def test_a_user_agent_that_is_not_one_line_is_refused():
    with pytest.raises(ConfigurationError) as info:
        load_provider(
            "reddit", {"client_id": "c", "client_secret": "s", "user_agent": "a\nb"}, {}, {}
        )
    assert info.value.key == "user_agent"


def test_logout_revokes_the_permanent_token_with_basic_auth(app, fake):
    client = app.test_client()
    log_in(client, "reddit")
    client.post("/logout")
    revocations = fake.requests_to(fake.revocation_path)
    assert {r["form"]["token_type_hint"] for r in revocations} == {"refresh_token", "access_token"}
    assert all(r["headers"]["User-Agent"] == USER_AGENT for r in revocations)
    assert basic_credentials(revocations[0]["headers"]) == (fake.client_id, fake.client_secret)
