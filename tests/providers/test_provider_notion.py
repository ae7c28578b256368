"""The Notion preset (the person who connects a workspace), against a fake Notion."""

from __future__ import annotations

import typing as t

import pytest
from flask import jsonify
from werkzeug.wrappers import Request, Response

from flask_oauth2login.providers import notion
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

USER_ID = "4b5dcd74-8b4e-4e5f-9b1a-6c2b9d2a2b1c"
BOT_ME = "/v1/users/me"


class FakeNotion(FakeProvider):
    """api.notion.com's OAuth: Basic client auth, a token answer that names the
    workspace and its owner."""

    client_id = "2a1d872b-594c-80b4-9a1f-0037c0a4d3c2"
    client_secret = "secret_notion"
    client_auth = "client_secret_basic"
    authorize_path = "/v1/oauth/authorize"
    token_path = "/v1/oauth/token"
    issues_id_tokens = False
    require_pkce = False  # Notion ignores PKCE
    entry_paths = {"api_base_url": "/v1/"}

    def reset(self) -> None:
        super().reset()
        self.owner: dict[str, t.Any] = {
            "type": "user",
            "user": {
                "object": "user",
                "id": USER_ID,
                "name": "Avocado Lovelace",
                "avatar_url": "https://secure.notion-static.com/e6a352a8.jpg",
                "type": "person",
                "person": {"email": "avo@example.test"},
            },
        }

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {BOT_ME: self.handle_bot_me}

    def handle_authorize(self, request: Request) -> Response:
        if request.args.get("owner") != "user":
            return Response("owner=user is required", 400)
        return super().handle_authorize(request)

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        return {
            "access_token": access_token,
            "token_type": "bearer",
            "bot_id": "b3414d65-1224-4e25-9e8b-0c8dfed1a0f5",
            "workspace_name": "Avocado's Notion",
            "workspace_icon": "https://www.notion.so/images/page-cover/met_bruegel.jpg",
            "workspace_id": "17ab3186-873d-418b-b899-d2f1a7f9b6b2",
            "owner": self.owner,
            "duplicated_template_id": None,
            "request_id": "f0a9d6a2-5e4b-4b53-9b23-7a1a2b5b4d34",
        }

    def handle_bot_me(self, request: Request) -> Response:
        if self.grant_for(request) is None:
            return json_response({"object": "error", "status": 401, "code": "unauthorized"}, 401)
        if request.headers.get("Notion-Version") is None:
            return json_response({"object": "error", "status": 400, "code": "missing_version"}, 400)
        return json_response({"object": "user", "id": "b3414d65", "type": "bot", "bot": {}})


fake = fake_provider(FakeNotion)


@pytest.fixture
def app(make_app, fake):
    return make_app({"notion": fake.entry()}, TEST_API_URLS={"notion": "/users/me"})


def test_preset_endpoints():
    preset = notion.preset
    assert preset.authorize_url == "https://api.notion.com/v1/oauth/authorize"
    assert preset.token_url == "https://api.notion.com/v1/oauth/token"
    assert preset.authorize_params == {"owner": "user"}
    assert preset.userinfo_url is None
    assert preset.token_endpoint_auth_method == "client_secret_basic"


def test_the_user_is_the_person_who_connected_the_workspace(app, fake):
    client = app.test_client()
    assert query(start_login(client, "notion"))["owner"] == "user"
    response = log_in(client, "notion")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["sub"] == USER_ID
    assert user["email"] == "avo@example.test"
    assert user["email_verified"] is False
    assert user["name"] == "Avocado Lovelace"
    assert user["picture"] == "https://secure.notion-static.com/e6a352a8.jpg"
    raw = user["raw"]
    assert raw["workspace_id"] == "17ab3186-873d-418b-b899-d2f1a7f9b6b2"
    assert raw["workspace_name"] == "Avocado's Notion"
    assert raw["bot_id"] == "b3414d65-1224-4e25-9e8b-0c8dfed1a0f5"
    assert "request_id" not in raw  # only what the preset names
    assert [r["path"] for r in fake.requests if r["path"] != fake.authorize_path] == [
        fake.token_path
    ]  # one call: the token answer says it all
    token_request = fake.requests_to(fake.token_path)[0]
    assert basic_credentials(token_request["headers"]) == (fake.client_id, fake.client_secret)


def test_the_workspace_is_not_kept_with_the_token(app, fake):
    @app.get("/_token")
    def token_view() -> t.Any:
        return jsonify(app.extensions["test_oauth"].token("notion"))

    client = app.test_client()
    log_in(client, "notion")
    token = client.get("/_token").get_json()
    assert token["access_token"]
    assert not {"owner", "workspace_id", "_profile"} & set(token)


def test_a_workspace_owned_token_is_refused(app, fake):
    fake.owner = {"type": "workspace", "workspace": True}
    client = app.test_client()
    response = log_in(client, "notion")
    assert response.status_code == 502
    assert logged_in_user(client) is None


def test_api_calls_carry_the_notion_version(app, fake):
    client = app.test_client()
    log_in(client, "notion")
    answer = client.get("/api/notion").get_json()
    assert answer["status"] == 200
    assert fake.requests_to(BOT_ME)[-1]["headers"]["Notion-Version"] == notion.NOTION_VERSION
