"""The Keycloak preset (base URL and realm), against a fake Keycloak.

The fake *is* the Keycloak server: the preset derives the issuer and the
discovery URL from ``base_url`` and ``realm`` with no override at all.
"""

from __future__ import annotations

import typing as t

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from tests.support.fake_providers import FakeProvider, fake_provider, log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query

REALM = "/realms/acme"
OIDC = REALM + "/protocol/openid-connect"


class FakeKeycloak(FakeProvider):
    client_id = "flask-app"
    client_secret = "keycloak-secret"
    discovery_path = REALM + "/.well-known/openid-configuration"
    authorize_path = OIDC + "/auth"
    token_path = OIDC + "/token"
    userinfo_path = OIDC + "/userinfo"
    jwks_path = OIDC + "/certs"
    revocation_path = OIDC + "/revoke"
    iss_parameter = True  # Keycloak 22+ sends iss
    found_by = "base_url"  # the preset derives the rest from it and the realm
    entry_options = {"realm": "acme"}

    @property  # type: ignore[override]
    def issuer(self) -> str:
        return self.base_url + REALM

    def default_claims(self) -> dict[str, t.Any]:
        return {
            "sub": "f1c3b6a2-9d4e-4f6a-8b7c-0d1e2f3a4b5c",
            "preferred_username": "jdoe",
            "given_name": "Jane",
            "family_name": "Doe",
            "email": "jane@acme.test",
            "email_verified": True,
        }


fake = fake_provider(FakeKeycloak)


@pytest.fixture
def client(make_app, fake):
    return make_app({"keycloak": fake.entry()}).test_client()


def test_issuer_from_base_url_and_realm():
    config = load_provider(
        "keycloak",
        {
            "client_id": "c",
            "client_secret": "s",
            "base_url": "https://sso.example/",
            "realm": "acme",
        },
        {},
        {},
    )
    assert config.issuer == "https://sso.example/realms/acme"
    assert config.server_metadata_url == (
        "https://sso.example/realms/acme/.well-known/openid-configuration"
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


def test_login(client, fake):
    assert query(start_login(client, "keycloak"))["scope"] == "openid email profile"
    assert log_in(client, "keycloak").status_code == 302
    user = logged_in_user(client)
    assert user["issuer"] == fake.base_url + REALM
    assert user["sub"] == "f1c3b6a2-9d4e-4f6a-8b7c-0d1e2f3a4b5c"
    assert user["name"] == "jdoe"  # no "name" claim: preferred_username
    assert user["email_verified"] is True
    client.post("/logout")
    assert fake.requests_to(fake.revocation_path)


def test_wrong_iss_in_the_authorization_response_is_refused(client, fake):
    fake.callback_extra = {"iss": fake.base_url + "/realms/other"}
    response = log_in(client, "keycloak")
    assert response.status_code == 400
    assert logged_in_user(client) is None
    assert fake.requests_to(fake.token_path) == []  # refused before the code exchange
