"""The Facebook preset, against a fake Graph API on loopback."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.wrappers import Request, Response

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from flask_oauth2login.providers import facebook
from tests.support.fake_providers import FakeProvider, Grant, fake_provider, json_response, log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query

V = facebook.API_VERSION


class FakeFacebook(FakeProvider):
    """www.facebook.com's dialog and graph.facebook.com's token and ``/me``."""

    client_id = "1234567890123456"
    client_secret = "facebook-app-secret"
    client_auth = "client_secret_post"
    authorize_path = f"/{V}/dialog/oauth"
    token_path = f"/{V}/oauth/access_token"
    issues_id_tokens = False
    expires_in = 5183944
    entry_paths = {"userinfo_url": f"/{V}/me?fields={facebook.FIELDS}", "api_base_url": f"/{V}/"}

    def reset(self) -> None:
        super().reset()
        self.user: dict[str, t.Any] = {
            "id": "10158000000000001",
            "name": "Mark Example",
            "email": "mark@facebook.test",
            "picture": {
                "data": {
                    "height": 200,
                    "is_silhouette": False,
                    "url": "https://platform-lookaside.fbsbx.test/profile.jpg",
                    "width": 200,
                }
            },
        }

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {f"/{V}/me": self.handle_me}

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        return {"access_token": access_token, "token_type": "bearer", "expires_in": self.expires_in}

    def token_error_response(self, error: str, description: str, status: int) -> Response:
        return json_response(
            {
                "error": {
                    "message": "Invalid verification code format.",
                    "type": "OAuthException",
                    "code": 100,
                    "fbtrace_id": "AbCdEfGhIjK",
                }
            },
            400,
        )

    def handle_me(self, request: Request) -> Response:
        if self.grant_for(request, query_param="access_token") is None:
            return json_response(
                {
                    "error": {
                        "message": "Invalid OAuth access token.",
                        "type": "OAuthException",
                        "code": 190,
                    }
                },
                400,
            )
        fields = request.args.get("fields", "id,name").split(",")
        user = {k: v for k, v in self.user.items() if k in fields or f"{k}.type(large)" in fields}
        return json_response(user)


fake = fake_provider(FakeFacebook)


@pytest.fixture
def app(make_app, fake):
    return make_app({"facebook": fake.entry()}, TEST_API_URLS={"facebook": "/me"})


def test_login(app, fake):
    client = app.test_client()
    params = query(start_login(client, "facebook"))
    assert params["scope"] == "email public_profile"
    assert log_in(client, "facebook").status_code == 302
    user = logged_in_user(client)
    assert user["sub"] == "10158000000000001"
    assert user["email"] == "mark@facebook.test"
    assert user["email_verified"] is False  # Facebook does not say
    assert user["name"] == "Mark Example"
    assert user["picture"] == "https://platform-lookaside.fbsbx.test/profile.jpg"
    token_form = fake.requests_to(fake.token_path)[0]["form"]
    assert token_form["client_secret"] == fake.client_secret


def test_token_goes_in_the_header_not_the_url(app, fake):
    client = app.test_client()
    log_in(client, "facebook")
    assert client.get("/api/facebook").get_json()["status"] == 200
    for call in fake.requests_to(f"/{V}/me"):
        assert call["headers"]["Authorization"].startswith("Bearer ")
        assert "access_token" not in call["args"]


def test_graph_error_fails_the_login_cleanly(app, fake):
    fake.token_error = "invalid_request"
    client = app.test_client()
    response = log_in(client, "facebook")
    assert response.status_code == 502
    assert logged_in_user(client) is None


def test_user_without_email(app, fake):
    del fake.user["email"]
    client = app.test_client()
    log_in(client, "facebook")
    assert logged_in_user(client)["email"] is None


def test_api_version_is_in_every_url():
    config = load_provider(
        "facebook", {"client_id": "c", "client_secret": "s", "api_version": "v19.0"}, {}, {}
    )
    assert config.authorize_url == "https://www.facebook.com/v19.0/dialog/oauth"
    assert config.token_url == "https://graph.facebook.com/v19.0/oauth/access_token"
    assert config.userinfo_url.startswith("https://graph.facebook.com/v19.0/me?fields=")
    assert config.api_base_url == "https://graph.facebook.com/v19.0/"
    default = load_provider("facebook", {"client_id": "c", "client_secret": "s"}, {}, {})
    assert f"/{V}/" in default.authorize_url


@pytest.mark.parametrize("version", ["19.0", "v19", "latest", 19])
def test_bad_api_version(version):
    with pytest.raises(ConfigurationError) as info:
        load_provider(
            "facebook", {"client_id": "c", "client_secret": "s", "api_version": version}, {}, {}
        )
    assert info.value.key == "api_version"
