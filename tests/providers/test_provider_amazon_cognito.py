"""Amazon Cognito's quirks: the endpoints from a user pool's domain (a prefix
or a custom domain) and its region, the issuer from the pool."""

from __future__ import annotations

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from tests.providers.specs import COGNITO_ISSUER, COGNITO_POOL

OPTIONS = {"client_id": "c", "client_secret": "s", "user_pool_id": COGNITO_POOL}


def test_the_region_comes_from_the_pool():
    config = load_provider("amazon_cognito", {**OPTIONS, "domain": "my-app"}, {}, {})
    assert config.options["region"] == "eu-west-1"


def test_a_custom_domain():
    config = load_provider(
        "amazon_cognito", {**OPTIONS, "domain": "auth.example.com", "region": "eu-west-1"}, {}, {}
    )
    assert config.authorize_url == "https://auth.example.com/oauth2/authorize"
    assert config.issuer == COGNITO_ISSUER


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"domain": "my-app"}, "user_pool_id"),
        ({"user_pool_id": "AbCdEf123", "domain": "my-app"}, "user_pool_id"),
        ({"user_pool_id": COGNITO_POOL}, "domain"),
        ({"user_pool_id": COGNITO_POOL, "domain": "https://x/y"}, "domain"),
        ({"user_pool_id": COGNITO_POOL, "domain": "my-app", "region": "us-east-1"}, "region"),
    ],
)
def test_bad_options(options, key):
    with pytest.raises(ConfigurationError) as info:
        load_provider("amazon_cognito", {"client_id": "c", "client_secret": "s", **options}, {}, {})
    assert info.value.key == key
    assert info.value.provider == "amazon_cognito"
