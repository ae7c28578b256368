"""The Bitbucket preset (e-mails from a second call), against a fake Bitbucket Cloud."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.wrappers import Request, Response

from flask_oauth2login.providers import bitbucket
from tests.support.fake_providers import (
    FakeProvider,
    Grant,
    basic_credentials,
    fake_provider,
    json_response,
    log_in,
)
from tests.support.logins import logged_in_user

USER = "/2.0/user"
EMAILS = "/2.0/user/emails"
UUID = "{d301aafa-d676-4ee0-88be-962be7417567}"


class FakeBitbucket(FakeProvider):
    """bitbucket.org's OAuth endpoints and api.bitbucket.org's user and e-mails."""

    client_id = "Y7PJWBKtEnb8mmVsr2"
    client_secret = "bitbucket-secret"
    client_auth = "client_secret_basic"
    authorize_path = "/site/oauth2/authorize"
    token_path = "/site/oauth2/access_token"
    issues_id_tokens = False
    issues_refresh_tokens = True
    entry_paths = {"userinfo_url": USER}

    def reset(self) -> None:
        super().reset()
        self.user: dict[str, t.Any] = {
            "display_name": "Erik van Zijst",
            "links": {
                "self": {"href": "https://api.bitbucket.org/2.0/users/%7Bd301aafa%7D"},
                "avatar": {"href": "https://secure.gravatar.com/avatar/ev.png"},
                "html": {"href": "https://bitbucket.org/%7Bd301aafa%7D/"},
            },
            "created_on": "2010-05-27T10:36:26.584957+00:00",
            "type": "user",
            "uuid": UUID,
            "has_2fa_enabled": None,
            "username": "evzijst",
            "is_staff": False,
            "account_id": "557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443",
            "nickname": "evzijst",
            "account_status": "active",
        }
        self.emails: list[dict[str, t.Any]] = [
            {
                "is_primary": False,
                "is_confirmed": True,
                "type": "email",
                "email": "old@example.test",
                "links": {"self": {"href": "https://api.bitbucket.org/2.0/user/emails/old"}},
            },
            {
                "is_primary": True,
                "is_confirmed": True,
                "type": "email",
                "email": "erik@example.test",
                "links": {"self": {"href": "https://api.bitbucket.org/2.0/user/emails/erik"}},
            },
        ]

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {USER: self.handle_user, EMAILS: self.handle_emails}

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        # Bitbucket says "scopes" (plural) and echoes the grant type as "state".
        return {
            "access_token": access_token,
            "scopes": " ".join(grant.scope),
            "expires_in": 7200,
            "token_type": "bearer",
            "state": "authorization_code",
        }

    def handle_user(self, request: Request) -> Response:
        if self.grant_for(request) is None:
            return _unauthorized()
        return json_response(self.user)

    def handle_emails(self, request: Request) -> Response:
        grant = self.grant_for(request)
        if grant is None:
            return _unauthorized()
        if "email" not in grant.scope:
            return json_response(
                {"type": "error", "error": {"message": "Access denied: missing scope email"}},
                403,
            )
        return json_response(
            {"pagelen": 100, "values": self.emails, "page": 1, "size": len(self.emails)}
        )


def _unauthorized() -> Response:
    return json_response({"type": "error", "error": {"message": "Access token expired."}}, 401)


fake = fake_provider(FakeBitbucket)


@pytest.fixture
def client(make_app, fake):
    return make_app({"bitbucket": fake.entry()}).test_client()


def test_preset_endpoints():
    preset = bitbucket.preset
    assert preset.authorize_url == "https://bitbucket.org/site/oauth2/authorize"
    assert preset.token_url == "https://bitbucket.org/site/oauth2/access_token"
    assert preset.userinfo_url == "https://api.bitbucket.org/2.0/user"
    assert preset.scope == ("account", "email")


def test_login_takes_the_primary_confirmed_address(client, fake):
    response = log_in(client, "bitbucket")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["sub"] == UUID
    assert user["email"] == "erik@example.test"
    assert user["email_verified"] is True
    assert user["name"] == "Erik van Zijst"
    assert user["picture"] == "https://secure.gravatar.com/avatar/ev.png"
    assert user["raw"]["account_id"].startswith("557058:")
    assert [e["email"] for e in user["raw"]["emails"]] == ["old@example.test", "erik@example.test"]
    emails_call = fake.requests_to(EMAILS)[0]
    assert emails_call["headers"]["Authorization"].startswith("Bearer ")
    token_request = fake.requests_to(fake.token_path)[0]
    assert basic_credentials(token_request["headers"]) == (fake.client_id, fake.client_secret)


def test_an_unconfirmed_primary_address_is_not_verified(client, fake):
    fake.emails[1]["is_confirmed"] = False
    log_in(client, "bitbucket")
    user = logged_in_user(client)
    assert user["email"] == "erik@example.test"
    assert user["email_verified"] is False


def test_without_the_email_permission_the_login_still_works(make_app, fake):
    client = make_app({"bitbucket": fake.entry(scope="account")}).test_client()
    assert log_in(client, "bitbucket").status_code == 302
    user = logged_in_user(client)
    assert user["sub"] == UUID
    assert user["email"] is None and user["email_verified"] is False
    assert "emails" not in user["raw"]
