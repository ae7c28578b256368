"""The Spotify preset (a profile mapped by ``user_map`` alone), against a fake Spotify."""

from __future__ import annotations

import typing as t

from werkzeug.wrappers import Request, Response

from flask_oauth2login.providers import spotify
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

ME = "/v1/me"


class FakeSpotify(FakeProvider):
    """accounts.spotify.com's endpoints and api.spotify.com's ``/v1/me``."""

    client_id = "5fe01282e44241328a84e7c5cc169165"
    client_secret = "spotify-secret"
    authorize_path = "/authorize"
    token_path = "/api/token"
    issues_id_tokens = False
    issues_refresh_tokens = True
    entry_paths = {"userinfo_url": ME}

    def reset(self) -> None:
        super().reset()
        self.user: dict[str, t.Any] = {
            "country": "SE",
            "display_name": "Jane Listener",
            "email": "jane@example.test",
            "explicit_content": {"filter_enabled": False, "filter_locked": False},
            "external_urls": {"spotify": "https://open.spotify.com/user/jl123"},
            "followers": {"href": None, "total": 12},
            "href": "https://api.spotify.com/v1/users/jl123",
            "id": "jl123",
            "images": [
                {"url": "https://i.scdn.co/image/ab6775700000ee85", "height": 300, "width": 300},
                {"url": "https://i.scdn.co/image/ab67757000003b82", "height": 64, "width": 64},
            ],
            "product": "premium",
            "type": "user",
            "uri": "spotify:user:jl123",
        }

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {ME: self.handle_me}

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "scope": " ".join(grant.scope),
            "expires_in": 3600,
        }

    def handle_me(self, request: Request) -> Response:
        grant = self.grant_for(request)
        if grant is None:
            return json_response({"error": {"status": 401, "message": "Invalid access token"}}, 401)
        user = dict(self.user)
        if "user-read-email" not in grant.scope:
            del user["email"]
        return json_response(user)


fake = fake_provider(FakeSpotify)


def test_preset_is_data_only():
    preset = spotify.preset
    assert preset.authorize_url == "https://accounts.spotify.com/authorize"
    assert preset.token_url == "https://accounts.spotify.com/api/token"
    assert preset.userinfo_url == "https://api.spotify.com/v1/me"
    assert preset.user_map["picture"] == "images.0.url"
    assert preset.fetch_profile is None and preset.configure is None


def test_login_maps_the_profile_and_never_trusts_the_address(make_app, fake):
    client = make_app({"spotify": fake.entry()}).test_client()
    assert query(start_login(client, "spotify"))["scope"] == "user-read-email"
    response = log_in(client, "spotify")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["sub"] == "jl123"
    assert user["email"] == "jane@example.test"
    assert user["email_verified"] is False  # Spotify: "this email address is unverified"
    assert user["name"] == "Jane Listener"
    assert user["picture"] == "https://i.scdn.co/image/ab6775700000ee85"
    assert user["raw"]["product"] == "premium"
    token_request = fake.requests_to(fake.token_path)[0]
    assert basic_credentials(token_request["headers"]) == (fake.client_id, fake.client_secret)


def test_a_user_without_images_or_email(make_app, fake):
    fake.user["images"] = []
    client = make_app({"spotify": fake.entry(scope="")}).test_client()
    assert log_in(client, "spotify").status_code == 302
    user = logged_in_user(client)
    assert user["picture"] is None
    assert user["email"] is None


def test_the_entry_can_remap_one_field(make_app, fake):
    app = make_app({"spotify": fake.entry(user_map={"name": "id"})})
    client = app.test_client()
    log_in(client, "spotify")
    user = logged_in_user(client)
    assert user["name"] == "jl123"
    assert user["email"] == "jane@example.test"  # the preset's mapping of the rest stays
