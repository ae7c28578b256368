"""The Auth0 preset (discovery from the tenant domain), against a fake Auth0."""

from __future__ import annotations

import typing as t

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from tests.support.fake_providers import FakeProvider, fake_provider, log_in
from tests.support.logins import logged_in_user

ISSUER = "https://example-tenant.eu.auth0.test/"  # Auth0's issuer ends with "/"


class FakeAuth0(FakeProvider):
    client_id = "yW2h5fLzg0D8Xq3kR9pV1cT6nB4mJ7sA"
    client_secret = "auth0-secret"
    issuer = ISSUER
    discovery_path = "/.well-known/openid-configuration"
    authorize_path = "/authorize"
    token_path = "/oauth/token"
    userinfo_path = "/userinfo"
    jwks_path = "/.well-known/jwks.json"
    revocation_path = "/oauth/revoke"
    entry_options = {"domain": "example-tenant.eu.auth0.test"}

    def default_claims(self) -> dict[str, t.Any]:
        return {
            "sub": "auth0|5f7c8ec7c33c6c004bbafe82",
            "nickname": "jdoe",
            "name": "jdoe@example.test",
            "picture": "https://s.gravatar.test/avatar/jdoe.png",
            "updated_at": "2024-05-01T10:00:00.000Z",
            "email": "jdoe@example.test",
            "email_verified": False,
        }


fake = fake_provider(FakeAuth0)


def test_issuer_from_domain():
    config = load_provider(
        "auth0", {"client_id": "c", "client_secret": "s", "domain": "t.us.auth0.com"}, {}, {}
    )
    assert config.issuer == "https://t.us.auth0.com/"
    assert config.server_metadata_url == "https://t.us.auth0.com/.well-known/openid-configuration"


def test_missing_domain():
    with pytest.raises(ConfigurationError) as info:
        load_provider("auth0", {"client_id": "c", "client_secret": "s"}, {}, {})
    assert info.value.key == "domain"


def test_login(make_app, fake):
    client = make_app({"corp": {"preset": "auth0", **fake.entry()}}).test_client()
    assert log_in(client, "corp").status_code == 302
    user = logged_in_user(client)
    assert user["provider"] == "corp"
    assert user["issuer"] == ISSUER
    assert user["sub"] == "auth0|5f7c8ec7c33c6c004bbafe82"
    assert user["email_verified"] is False
    assert user["picture"] == "https://s.gravatar.test/avatar/jdoe.png"


def test_id_token_without_the_trailing_slash_is_refused(make_app, fake):
    fake.id_token_overrides = {"iss": ISSUER.rstrip("/")}
    client = make_app({"auth0": fake.entry()}).test_client()
    assert log_in(client, "auth0").status_code == 401
