"""The Amazon Cognito preset (a user pool's domain and region), against a fake user pool."""

from __future__ import annotations

import typing as t

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from tests.support.fake_providers import FakeProvider, basic_credentials, fake_provider, log_in
from tests.support.logins import logged_in_user

POOL = "eu-west-1_AbCdEf123"
ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"
SUB = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


class FakeCognito(FakeProvider):
    """A user pool domain's OAuth endpoints; ID tokens name the pool's issuer."""

    client_id = "1example23456789"
    client_secret = "cognito-secret"
    client_auth = "client_secret_basic"
    issuer = ISSUER
    authorize_path = "/oauth2/authorize"
    token_path = "/oauth2/token"
    userinfo_path = "/oauth2/userInfo"
    revocation_path = "/oauth2/revoke"
    jwks_path = f"/{POOL}/.well-known/jwks.json"
    issues_refresh_tokens = True
    entry_options = {"user_pool_id": POOL, "domain": "my-app"}

    def default_claims(self) -> dict[str, t.Any]:
        return {
            "sub": SUB,
            "cognito:username": "jdoe",
            "email": "jdoe@example.test",
            "email_verified": True,
            "token_use": "id",
            "auth_time": 1500009400,
            "origin_jti": "2a1bcd4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e",
        }

    def userinfo_answer(self) -> dict[str, t.Any]:
        # Cognito's UserInfo sends booleans as strings, and the username.
        return {
            "sub": SUB,
            "email_verified": "true",
            "email": "jdoe@example.test",
            "name": "Jane Doe",
            "username": "jdoe",
        }


fake = fake_provider(FakeCognito)


OPTIONS = {"client_id": "c", "client_secret": "s", "user_pool_id": POOL}


def test_domain_prefix_and_region_make_the_endpoints():
    config = load_provider("amazon_cognito", {**OPTIONS, "domain": "my-app"}, {}, {})
    host = "https://my-app.auth.eu-west-1.amazoncognito.com"
    assert config.authorize_url == f"{host}/oauth2/authorize"
    assert config.token_url == f"{host}/oauth2/token"
    assert config.userinfo_url == f"{host}/oauth2/userInfo"
    assert config.revocation_url == f"{host}/oauth2/revoke"
    assert config.issuer == ISSUER
    assert config.jwks_uri == f"{ISSUER}/.well-known/jwks.json"
    assert config.server_metadata_url is None
    assert config.options["region"] == "eu-west-1"


def test_a_custom_domain():
    config = load_provider(
        "amazon_cognito", {**OPTIONS, "domain": "auth.example.com", "region": "eu-west-1"}, {}, {}
    )
    assert config.authorize_url == "https://auth.example.com/oauth2/authorize"
    assert config.issuer == ISSUER


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"domain": "my-app"}, "user_pool_id"),
        ({"user_pool_id": "AbCdEf123", "domain": "my-app"}, "user_pool_id"),
        ({"user_pool_id": POOL}, "domain"),
        ({"user_pool_id": POOL, "domain": "https://x/y"}, "domain"),
        ({"user_pool_id": POOL, "domain": "my-app", "region": "us-east-1"}, "region"),
    ],
)
def test_bad_options(options, key):
    with pytest.raises(ConfigurationError) as info:
        load_provider("amazon_cognito", {"client_id": "c", "client_secret": "s", **options}, {}, {})
    assert info.value.key == key
    assert info.value.provider == "amazon_cognito"


def test_login(make_app, fake):
    client = make_app({"amazon_cognito": fake.entry()}).test_client()
    response = log_in(client, "amazon_cognito")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["issuer"] == ISSUER
    assert user["sub"] == SUB
    assert user["email"] == "jdoe@example.test"
    assert user["email_verified"] is True
    assert user["name"] == "Jane Doe"  # the ID token had none: from UserInfo
    assert user["raw"]["cognito:username"] == "jdoe"
    token_request = fake.requests_to(fake.token_path)[0]
    assert basic_credentials(token_request["headers"]) == (fake.client_id, fake.client_secret)
    client.post("/logout")
    assert fake.requests_to(fake.revocation_path)  # the refresh token is revoked
