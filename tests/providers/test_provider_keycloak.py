"""Keycloak's quirks: the issuer and discovery URL from ``base_url`` and
``realm``, and ``iss`` in the authorization response (Keycloak 22+)."""

from __future__ import annotations

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

fake = spec_fake(SPECS["keycloak"])


def test_issuer_from_base_url_with_a_slash_and_realm():
    config = load_provider(
        "keycloak",
        {"client_id": "c", "client_secret": "s", "base_url": "https://sso.example/", "realm": "a"},
        {},
        {},
    )
    assert config.issuer == "https://sso.example/realms/a"
    assert config.server_metadata_url == (
        "https://sso.example/realms/a/.well-known/openid-configuration"
    )


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"realm": "acme"}, "base_url"),
        ({"base_url": "sso.example", "realm": "acme"}, "base_url"),
        ({"base_url": "https://sso.example"}, "realm"),
        ({"base_url": "https://sso.example", "realm": " "}, "realm"),
    ],
)
def test_missing_or_bad_options(options, key):
    with pytest.raises(ConfigurationError) as info:
        load_provider("keycloak", {"client_id": "c", "client_secret": "s", **options}, {}, {})
    assert info.value.key == key


def test_wrong_iss_in_the_authorization_response_is_refused(make_app, fake):
    fake.callback_extra = {"iss": fake.base_url + "/realms/other"}
    client = make_app({"keycloak": fake.entry()}).test_client()
    response = log_in(client, "keycloak")
    assert response.status_code == 400
    assert logged_in_user(client) is None
    assert fake.requests_to(fake.token_path) == []  # refused before the code exchange
