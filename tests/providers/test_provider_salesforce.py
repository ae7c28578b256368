"""The Salesforce preset (OpenID Connect at a My Domain), against a fake Salesforce org.

The fake plays the My Domain: ``base_url`` points at it and every endpoint,
the issuer and the keys follow from it, as they do for a real org.
"""

from __future__ import annotations

import typing as t

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from flask_oauth2login.providers import salesforce
from tests.support.fake_providers import FakeProvider, Grant, fake_provider, log_in
from tests.support.logins import logged_in_user

ORG = "00Dxx0000001gPLEAY"
USER = "005xx000001SwiUAAS"


class FakeSalesforce(FakeProvider):
    """A Salesforce org's OAuth and OpenID Connect endpoints."""

    client_id = "3MVG9lKcPoNINVBIPJjdw1J9LLM82HnFVVX19KY1uA5mu0QqEWhqKpoW3svG3X"
    client_secret = "salesforce-secret"
    client_auth = "client_secret_post"
    authorize_path = "/services/oauth2/authorize"
    token_path = "/services/oauth2/token"
    userinfo_path = "/services/oauth2/userinfo"
    revocation_path = "/services/oauth2/revoke"
    jwks_path = "/id/keys"
    found_by = "base_url"  # a My Domain

    def reset(self) -> None:
        super().reset()
        self.issuer = self.base_url  # the My Domain is the issuer
        self.claims = self.default_claims()

    def default_claims(self) -> dict[str, t.Any]:
        # Salesforce's ID token names the user by their identity URL.
        return {"sub": f"{self.base_url}/id/{ORG}/{USER}"}

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        answer = super().token_answer(grant, access_token)
        del answer["expires_in"]  # Salesforce does not say
        answer.update(
            signature="CMJ4l+CCaPQiKjoOEwEig9H4wqhpuLSk4J2urAe+fVg=",
            instance_url=self.base_url,
            id=f"{self.base_url}/id/{ORG}/{USER}",
            issued_at="1278448101416",
        )
        return answer

    def userinfo_answer(self) -> dict[str, t.Any]:
        return {
            "sub": self.claims["sub"],
            "user_id": USER,
            "organization_id": ORG,
            "preferred_username": "admin@acme.example",
            "nickname": "admin",
            "name": "Ada Admin",
            "email": "admin@acme.example",
            "email_verified": True,
            "given_name": "Ada",
            "family_name": "Admin",
            "zoneinfo": "America/Los_Angeles",
            "photos": {"picture": "https://c.example/profilephoto/005/F"},
            "picture": "https://c.example/profilephoto/005/F",
            "active": True,
            "user_type": "STANDARD",
        }


fake = fake_provider(FakeSalesforce)


def test_defaults_to_login_salesforce_com():
    config = load_provider("salesforce", {"client_id": "c", "client_secret": "s"}, {}, {})
    assert config.issuer == "https://login.salesforce.com"
    assert config.authorize_url == "https://login.salesforce.com/services/oauth2/authorize"
    assert config.token_url == "https://login.salesforce.com/services/oauth2/token"
    assert config.jwks_uri == "https://login.salesforce.com/id/keys"
    assert config.server_metadata_url is None  # no discovery round trip
    assert config.api_base_url is None  # the org's API host is not known here


def test_a_my_domain_sets_everything_and_the_api_base_url():
    entry = {"client_id": "c", "client_secret": "s", "base_url": "https://acme.my.salesforce.com/"}
    config = load_provider("salesforce", entry, {}, {})
    assert config.issuer == "https://acme.my.salesforce.com"
    assert config.userinfo_url == "https://acme.my.salesforce.com/services/oauth2/userinfo"
    assert config.revocation_url == "https://acme.my.salesforce.com/services/oauth2/revoke"
    assert config.api_base_url == "https://acme.my.salesforce.com/services/data/"
    sandbox = load_provider("salesforce", {**entry, "base_url": salesforce.SANDBOX}, {}, {})
    assert sandbox.issuer == "https://test.salesforce.com"


def test_a_bad_base_url_is_refused():
    with pytest.raises(ConfigurationError) as info:
        load_provider(
            "salesforce", {"client_id": "c", "client_secret": "s", "base_url": "acme"}, {}, {}
        )
    assert info.value.key == "base_url"


def test_login_at_a_my_domain(make_app, fake):
    client = make_app({"salesforce": fake.entry()}).test_client()
    response = log_in(client, "salesforce")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["issuer"] == fake.base_url
    assert user["sub"] == f"{fake.base_url}/id/{ORG}/{USER}"
    assert user["email"] == "admin@acme.example"
    assert user["email_verified"] is True
    assert user["name"] == "Ada Admin"
    assert user["raw"]["organization_id"] == ORG
    assert user["raw"]["instance_url"] == fake.base_url  # from the token answer
    token_request = fake.requests_to(fake.token_path)[0]
    assert token_request["form"]["client_secret"] == fake.client_secret
    assert token_request["form"]["code_verifier"]
