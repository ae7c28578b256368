"""The Okta preset (discovery from the Okta domain), against a fake Okta.

The discovery document names the issuer the preset derives from the domain;
only the discovery URL points at the fake.
"""

from __future__ import annotations

import typing as t

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from tests.support.fake_providers import FakeProvider, fake_provider, log_in
from tests.support.logins import logged_in_user

ISSUER = "https://dev-123456.okta.test/oauth2/default"


class FakeOkta(FakeProvider):
    """An Okta custom authorization server (``default``)."""

    client_id = "0oa1b2c3d4e5f6g7h8i9"
    client_secret = "okta-secret"
    issuer = ISSUER
    iss_parameter = True  # Okta sends iss with the authorization response
    discovery_path = "/oauth2/default/.well-known/openid-configuration"
    authorize_path = "/oauth2/default/v1/authorize"
    token_path = "/oauth2/default/v1/token"
    userinfo_path = "/oauth2/default/v1/userinfo"
    jwks_path = "/oauth2/default/v1/keys"
    revocation_path = "/oauth2/default/v1/revoke"
    entry_options = {"domain": "dev-123456.okta.test"}

    def default_claims(self) -> dict[str, t.Any]:
        return {
            "sub": "00uid4BxXw6I6TV4m0g3",
            "name": "John Doe",
            "preferred_username": "john.doe@example.test",
            "email": "john.doe@example.test",
            "email_verified": True,
        }


fake = fake_provider(FakeOkta)


def test_issuer_from_domain_and_authorization_server():
    entry = {"client_id": "c", "client_secret": "s", "domain": "dev-1.okta.com"}
    org = load_provider("okta", entry, {}, {})
    assert org.issuer == "https://dev-1.okta.com"
    assert org.server_metadata_url == "https://dev-1.okta.com/.well-known/openid-configuration"
    custom = load_provider("okta", {**entry, "authorization_server": "default"}, {}, {})
    assert custom.issuer == "https://dev-1.okta.com/oauth2/default"
    assert custom.server_metadata_url == (
        "https://dev-1.okta.com/oauth2/default/.well-known/openid-configuration"
    )
    with_scheme = load_provider("okta", {**entry, "domain": "https://dev-1.okta.com/"}, {}, {})
    assert with_scheme.issuer == "https://dev-1.okta.com"


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({}, "domain"),
        ({"domain": "http://dev-1.okta.com"}, "domain"),
        ({"domain": "dev-1.okta.com/path"}, "domain"),
        ({"domain": "dev-1.okta.com", "authorization_server": "../x"}, "authorization_server"),
    ],
)
def test_bad_options(options, key):
    with pytest.raises(ConfigurationError) as info:
        load_provider("okta", {"client_id": "c", "client_secret": "s", **options}, {}, {})
    assert info.value.key == key


def test_login(make_app, fake):
    client = make_app({"okta": fake.entry(authorization_server="default")}).test_client()
    assert log_in(client, "okta").status_code == 302
    user = logged_in_user(client)
    assert user["issuer"] == ISSUER
    assert user["sub"] == "00uid4BxXw6I6TV4m0g3"
    assert user["email_verified"] is True
    assert user["name"] == "John Doe"


def test_discovery_for_another_issuer_is_refused(make_app, fake):
    client = make_app({"okta": fake.entry()}).test_client()  # the org server, not "default"
    response = client.get("/login/okta")
    assert response.status_code == 502
