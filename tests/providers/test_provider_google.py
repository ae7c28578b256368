"""The Google preset, against a fake Google on loopback."""

from __future__ import annotations

import typing as t

import pytest

from flask_oauth2login.providers import google
from tests.support.fake_providers import FakeProvider, Grant, fake_provider, log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query


class FakeGoogle(FakeProvider):
    """accounts.google.com, oauth2.googleapis.com and openidconnect.googleapis.com."""

    client_id = "1234567890-abc.apps.googleusercontent.com"
    client_secret = "GOCSPX-google-secret"
    issuer = google.ISSUER
    authorize_path = "/o/oauth2/v2/auth"
    token_path = "/token"
    jwks_path = "/oauth2/v3/certs"
    userinfo_path = "/v1/userinfo"
    revocation_path = "/revoke"

    def default_claims(self) -> dict[str, t.Any]:
        return {
            "sub": "110169484474386276334",
            "email": "alice@gmail.test",
            "email_verified": True,
            "name": "Alice Example",
            "given_name": "Alice",
            "family_name": "Example",
            "picture": "https://lh3.googleusercontent.com/a/alice",
            "locale": "en",
        }

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        answer = super().token_answer(grant, access_token)
        answer["expires_in"] = 3599
        answer["scope"] = (
            "openid https://www.googleapis.com/auth/userinfo.email "
            "https://www.googleapis.com/auth/userinfo.profile"
        )
        return answer

    def userinfo_answer(self) -> dict[str, t.Any]:
        # UserInfo has no ID token metadata, but the same user claims.
        return {k: v for k, v in self.claims.items() if k != "locale"}


fake = fake_provider(FakeGoogle)


@pytest.fixture
def app(make_app, fake):
    return make_app({"google": fake.entry()})


def test_preset_carries_googles_endpoints_as_data():
    preset = google.preset
    assert preset.issuer == "https://accounts.google.com"
    assert preset.jwks_uri == "https://www.googleapis.com/oauth2/v3/certs"
    assert preset.server_metadata_url is None  # no discovery round trip
    assert preset.console_url == "https://console.cloud.google.com/apis/credentials"


def test_login(app, fake):
    client = app.test_client()
    params = query(start_login(client, "google"))
    assert params["scope"] == "openid email profile"
    assert params["nonce"]
    response = log_in(client, "google")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["provider"] == "google"
    assert user["issuer"] == "https://accounts.google.com"
    assert user["sub"] == "110169484474386276334"
    assert user["email"] == "alice@gmail.test"
    assert user["email_verified"] is True
    assert user["name"] == "Alice Example"
    assert user["picture"] == "https://lh3.googleusercontent.com/a/alice"
    assert user["raw"]["given_name"] == "Alice"
    assert user["raw"]["iss"] == "https://accounts.google.com"
    assert fake.requests_to("/.well-known/openid-configuration") == []


def test_issuer_without_scheme_is_googles_too(app, fake):
    fake.id_token_overrides = {"iss": "accounts.google.com"}
    client = app.test_client()
    assert log_in(client, "google").status_code == 302
    assert logged_in_user(client)["issuer"] == "https://accounts.google.com"


@pytest.mark.parametrize("iss", ["https://accounts.google.com.evil.test", "https://evil.test"])
def test_another_issuer_is_refused(app, fake, iss):
    fake.id_token_overrides = {"iss": iss}
    client = app.test_client()
    response = log_in(client, "google")
    assert response.status_code == 401
    assert logged_in_user(client) is None


def test_unverified_address(app, fake):
    fake.claims["email_verified"] = False
    client = app.test_client()
    log_in(client, "google")
    assert logged_in_user(client)["email_verified"] is False


def test_logout_revokes_at_google(app, fake):
    client = app.test_client()
    log_in(client, "google")
    assert client.post("/logout").status_code == 303
    revocations = fake.requests_to(fake.revocation_path)
    assert [r["form"]["token_type_hint"] for r in revocations] == ["access_token"]
    assert fake.tokens == {}
