"""The LinkedIn preset (OpenID Connect), against a fake LinkedIn on loopback."""

from __future__ import annotations

import typing as t

import pytest

from flask_oauth2login.providers import linkedin
from tests.support.fake_providers import FakeProvider, Grant, fake_provider, log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query


class FakeLinkedIn(FakeProvider):
    """www.linkedin.com's OAuth endpoints and api.linkedin.com's UserInfo."""

    client_id = "86abcdefghij12"
    client_secret = "linkedin-secret"
    client_auth = "client_secret_post"
    issuer = "https://www.linkedin.com/oauth"
    authorize_path = "/oauth/v2/authorization"
    token_path = "/oauth/v2/accessToken"
    userinfo_path = "/v2/userinfo"
    jwks_path = "/oauth/openid/jwks"
    expires_in = 5183999

    def default_claims(self) -> dict[str, t.Any]:
        return {
            "sub": "782bbtaQ",
            "name": "John Doe",
            "given_name": "John",
            "family_name": "Doe",
            "picture": "https://media.licdn.test/dms/image/john.jpg",
            "locale": "en-US",
            "email": "doe@email.test",
            "email_verified": True,
        }

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        answer = super().token_answer(grant, access_token)
        answer["scope"] = ",".join(grant.scope)  # LinkedIn joins scopes with commas
        return answer


fake = fake_provider(FakeLinkedIn)


@pytest.fixture
def app(make_app, fake):
    return make_app({"linkedin": fake.entry()})


def test_preset():
    assert linkedin.preset.issuer == "https://www.linkedin.com/oauth"
    assert linkedin.preset.console_url == "https://www.linkedin.com/developers/apps"


def test_login(app, fake):
    client = app.test_client()
    assert query(start_login(client, "linkedin"))["scope"] == "openid email profile"
    assert log_in(client, "linkedin").status_code == 302
    user = logged_in_user(client)
    assert user["issuer"] == "https://www.linkedin.com/oauth"
    assert user["sub"] == "782bbtaQ"
    assert user["email"] == "doe@email.test"
    assert user["email_verified"] is True
    assert user["name"] == "John Doe"
    assert user["picture"] == "https://media.licdn.test/dms/image/john.jpg"
    assert fake.requests_to(fake.token_path)[0]["form"]["client_secret"] == fake.client_secret


def test_unverified_address(app, fake):
    fake.claims["email_verified"] = False
    client = app.test_client()
    log_in(client, "linkedin")
    assert logged_in_user(client)["email_verified"] is False


def test_userinfo_about_someone_else_is_refused(app, fake):
    original = fake.userinfo_answer
    fake.userinfo_answer = lambda: {**original(), "sub": "someone-else"}
    fake.id_token_overrides = {"picture": None}  # so that UserInfo is asked
    try:
        client = app.test_client()
        assert log_in(client, "linkedin").status_code == 401
        assert logged_in_user(client) is None
    finally:
        del fake.userinfo_answer
