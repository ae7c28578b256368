"""The Google preset, against a fake Google on loopback."""

from __future__ import annotations

import typing as t

import pytest

from flask_oauth2login.providers import google
from tests.support.fake_providers import FakeProvider, Grant, log_in
from tests.support.logins import start_login
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


@pytest.fixture(scope="module")
def _server() -> t.Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        yield fake


@pytest.fixture
def fake(_server: FakeGoogle) -> FakeGoogle:
    _server.reset()
    return _server


def entry(fake: FakeGoogle) -> dict[str, t.Any]:
    return {
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "authorize_url": fake.url(fake.authorize_path),
        "token_url": fake.url(fake.token_path),
        "userinfo_url": fake.url("/v1/userinfo"),
        "jwks_uri": fake.url(fake.jwks_path),
        "revocation_url": fake.url("/revoke"),
    }


@pytest.fixture
def app(make_app, fake):
    return make_app({"google": entry(fake)})


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
    user = client.get("/").get_json()["user"]
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
    assert client.get("/").get_json()["user"]["issuer"] == "https://accounts.google.com"


@pytest.mark.parametrize("iss", ["https://accounts.google.com.evil.test", "https://evil.test"])
def test_another_issuer_is_refused(app, fake, iss):
    fake.id_token_overrides = {"iss": iss}
    client = app.test_client()
    response = log_in(client, "google")
    assert response.status_code == 401
    assert client.get("/").get_json()["user"] is None


def test_unverified_address(app, fake):
    fake.claims["email_verified"] = False
    client = app.test_client()
    log_in(client, "google")
    assert client.get("/").get_json()["user"]["email_verified"] is False


def test_logout_revokes_at_google(app, fake):
    client = app.test_client()
    log_in(client, "google")
    assert client.post("/logout").status_code == 303
    assert [r["form"]["token_type_hint"] for r in fake.requests_to("/revoke")] == ["access_token"]
    assert fake.tokens == {}
