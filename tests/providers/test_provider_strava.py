"""The Strava preset (the athlete comes in the token answer), against a fake Strava."""

from __future__ import annotations

import typing as t

import pytest
from flask import jsonify
from werkzeug.wrappers import Request, Response

from flask_oauth2login.providers import strava
from tests.support.fake_providers import FakeProvider, Grant, fake_provider, json_response, log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query

ATHLETE = "/api/v3/athlete"


class FakeStrava(FakeProvider):
    """www.strava.com's OAuth: client credentials in the form, and a token answer
    that carries the athlete (summary representation)."""

    client_id = "51234"
    client_secret = "strava-secret"
    client_auth = "client_secret_post"
    authorize_path = "/oauth/authorize"
    token_path = "/oauth/token"
    issues_id_tokens = False
    issues_refresh_tokens = True

    def reset(self) -> None:
        super().reset()
        self.athlete: dict[str, t.Any] = {
            "id": 134815,
            "username": "marianne_t",
            "resource_state": 2,
            "firstname": "Marianne",
            "lastname": "Teutenberg",
            "city": "San Francisco",
            "state": "CA",
            "country": "US",
            "sex": "F",
            "premium": True,
            "created_at": "2017-11-14T02:30:05Z",
            "updated_at": "2018-02-06T19:32:20Z",
            "profile_medium": "https://dgalywyr863hv.cloudfront.net/pictures/athletes/134815/medium.jpg",
            "profile": "https://dgalywyr863hv.cloudfront.net/pictures/athletes/134815/large.jpg",
        }

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {ATHLETE: self.handle_athlete}

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        return {
            "token_type": "Bearer",
            "expires_at": 1568775134,
            "expires_in": 21600,
            "access_token": access_token,
            "athlete": self.athlete,
        }

    def handle_athlete(self, request: Request) -> Response:
        if self.grant_for(request) is None:
            return json_response({"message": "Authorization Error", "errors": []}, 401)
        return json_response(self.athlete)


fake = fake_provider(FakeStrava)


@pytest.fixture
def app(make_app, fake):
    app = make_app({"strava": fake.entry()}, TEST_API_URLS={"strava": fake.url(ATHLETE)})

    @app.get("/_token")
    def token_view() -> t.Any:
        return jsonify(app.extensions["test_oauth"].token("strava"))

    return app


def test_preset_takes_the_athlete_from_the_token_answer():
    preset = strava.preset
    assert preset.authorize_url == "https://www.strava.com/oauth/authorize"
    assert preset.token_url == "https://www.strava.com/oauth/token"
    assert preset.userinfo_url is None
    assert preset.token_profile_params == ("athlete",)
    assert preset.token_endpoint_auth_method == "client_secret_post"


def test_login_makes_one_call_and_maps_the_athlete(app, fake):
    client = app.test_client()
    assert query(start_login(client, "strava"))["scope"] == "read"
    response = log_in(client, "strava")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["sub"] == "134815"
    assert user["name"] == "Marianne Teutenberg"
    assert user["picture"] == fake.athlete["profile"]
    assert user["email"] is None and user["email_verified"] is False
    assert user["raw"]["athlete"]["username"] == "marianne_t"
    assert fake.requests_to(ATHLETE) == []  # no call besides the token request
    token_request = fake.requests_to(fake.token_path)[0]
    assert token_request["form"]["client_secret"] == fake.client_secret


def test_the_athlete_is_not_kept_with_the_token(app, fake):
    client = app.test_client()
    log_in(client, "strava")
    token = client.get("/_token").get_json()
    assert token["access_token"] and token["refresh_token"]
    assert "athlete" not in token and "_profile" not in token


def test_the_default_picture_is_none(app, fake):
    fake.athlete["profile"] = "avatar/athlete/large.png"  # Strava's placeholder
    client = app.test_client()
    log_in(client, "strava")
    assert logged_in_user(client)["picture"] is None


def test_a_token_answer_without_athlete_fails_the_login(app, fake):
    fake.athlete = None  # type: ignore[assignment]
    client = app.test_client()
    response = log_in(client, "strava")
    assert response.status_code == 502
    assert logged_in_user(client) is None
