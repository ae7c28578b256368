"""The Zoom preset, against a fake Zoom (zoom.us's OAuth, api.zoom.us's ``/v2/users/me``)."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.wrappers import Request, Response

from flask_oauth2login.providers import zoom
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

ME = "/v2/users/me"


class FakeZoom(FakeProvider):
    """Zoom: Basic client auth, scopes from the app's settings."""

    client_id = "7lstjKqdwjgHhzQrnG9oQ"
    client_secret = "zoom-secret"
    client_auth = "client_secret_basic"
    authorize_path = "/oauth/authorize"
    token_path = "/oauth/token"
    revocation_path = "/oauth/revoke"
    issues_id_tokens = False
    issues_refresh_tokens = True
    entry_paths = {"userinfo_url": ME}

    def reset(self) -> None:
        super().reset()
        self.user: dict[str, t.Any] = {
            "id": "KDcuGIm1QgePTO8WbOqwIQ",
            "first_name": "Jill",
            "last_name": "Chill",
            "display_name": "Jill Chill",
            "email": "jchill@example.test",
            "type": 1,
            "role_name": "Owner",
            "pmi": 3542471135,
            "use_pmi": False,
            "timezone": "Asia/Shanghai",
            "verified": 1,
            "dept": "",
            "pic_url": "https://lh4.googleusercontent.com/photo.jpg",
            "account_id": "q6gBJVO5TzexKYTb_I2rpg",
            "status": "active",
        }

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {ME: self.handle_me}

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        return {
            "access_token": access_token,
            "token_type": "bearer",
            "expires_in": 3599,
            "scope": "user:read:user",  # what the app's settings grant
        }

    def handle_me(self, request: Request) -> Response:
        if self.grant_for(request) is None:
            return json_response({"code": 124, "message": "Invalid access token."}, 401)
        return json_response(self.user)


fake = fake_provider(FakeZoom)


@pytest.fixture
def client(make_app, fake):
    return make_app({"zoom": fake.entry()}).test_client()


def test_preset_endpoints():
    preset = zoom.preset
    assert preset.authorize_url == "https://zoom.us/oauth/authorize"
    assert preset.token_url == "https://zoom.us/oauth/token"
    assert preset.userinfo_url == "https://api.zoom.us/v2/users/me"
    assert preset.scope == ()


def test_login(client, fake):
    assert "scope" not in query(start_login(client, "zoom"))  # set on the app, not asked for
    response = log_in(client, "zoom")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["sub"] == "KDcuGIm1QgePTO8WbOqwIQ"
    assert user["email"] == "jchill@example.test"
    assert user["email_verified"] is False
    assert user["name"] == "Jill Chill"
    assert user["picture"] == "https://lh4.googleusercontent.com/photo.jpg"
    assert user["raw"]["account_id"] == "q6gBJVO5TzexKYTb_I2rpg"
    token_request = fake.requests_to(fake.token_path)[0]
    assert basic_credentials(token_request["headers"]) == (fake.client_id, fake.client_secret)


def test_name_from_its_parts_without_display_name(client, fake):
    del fake.user["display_name"]
    log_in(client, "zoom")
    assert logged_in_user(client)["name"] == "Jill Chill"


def test_logout_revokes(client, fake):
    log_in(client, "zoom")
    client.post("/logout")
    assert fake.requests_to(fake.revocation_path)
    assert not fake.tokens
