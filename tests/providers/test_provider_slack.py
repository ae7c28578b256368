"""The Slack preset ("Sign in with Slack"), against a fake Slack on loopback."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.wrappers import Response

from flask_oauth2login.providers import slack
from tests.support.fake_providers import FakeProvider, Grant, fake_provider, json_response, log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query


class FakeSlack(FakeProvider):
    """slack.com's OpenID Connect endpoints; the Web API's ``ok`` envelope."""

    client_id = "1234567890.0987654321"
    client_secret = "slack-client-secret"
    client_auth = "client_secret_post"
    issuer = "https://slack.com"
    authorize_path = "/openid/connect/authorize"
    token_path = "/api/openid.connect.token"
    userinfo_path = "/api/openid.connect.userInfo"
    jwks_path = "/openid/connect/keys"

    def default_claims(self) -> dict[str, t.Any]:
        return {
            "sub": "U0R7JM",
            "https://slack.com/user_id": "U0R7JM",
            "https://slack.com/team_id": "T0R7GR",
            "email": "krane@slack-corp.test",
            "email_verified": True,
            "date_email_verified": 1622128723,
            "name": "krane",
            "picture": "https://secure.gravatar.test/avatar/krane.png",
            "given_name": "Bront",
            "family_name": "Labradoodle",
            "locale": "en-US",
            "https://slack.com/team_name": "kraneflannel",
        }

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        return {"ok": True, **super().token_answer(grant, access_token)}

    def token_error_response(self, error: str, description: str, status: int) -> Response:
        # Slack's Web API: HTTP 200 and ok=false.
        return json_response({"ok": False, "error": "invalid_code"})

    def userinfo_answer(self) -> dict[str, t.Any]:
        return {"ok": True, **self.claims}


fake = fake_provider(FakeSlack)


@pytest.fixture
def app(make_app, fake):
    return make_app({"slack": fake.entry()})


def test_preset():
    assert slack.preset.issuer == "https://slack.com"
    assert slack.preset.token_url == "https://slack.com/api/openid.connect.token"


def test_login(app, fake):
    client = app.test_client()
    assert query(start_login(client, "slack"))["scope"] == "openid email profile"
    assert log_in(client, "slack").status_code == 302
    user = logged_in_user(client)
    assert user["issuer"] == "https://slack.com"
    assert user["sub"] == "U0R7JM"
    assert user["email"] == "krane@slack-corp.test"
    assert user["email_verified"] is True
    assert user["name"] == "krane"
    assert user["picture"] == "https://secure.gravatar.test/avatar/krane.png"
    assert user["raw"]["https://slack.com/team_id"] == "T0R7GR"
    assert fake.requests_to(fake.userinfo_path) == []  # the ID token carries every claim


def test_ok_false_with_http_200_fails_the_login(app, fake):
    fake.token_error = "invalid_code"
    client = app.test_client()
    response = log_in(client, "slack")
    assert response.status_code == 502
    assert logged_in_user(client) is None


def test_id_token_from_another_issuer(app, fake):
    fake.id_token_overrides = {"iss": "https://slack.com.evil.test"}
    client = app.test_client()
    assert log_in(client, "slack").status_code == 401
