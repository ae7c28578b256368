"""The Azure AD B2C preset (a tenant and a user flow in the issuer), against a fake B2C."""

from __future__ import annotations

import typing as t

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from tests.support.fake_providers import FakeProvider, Grant, fake_provider, log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query

TENANT_ID = "775527ff-9a37-4307-8b3d-cc311f58d925"
POLICY = "B2C_1_signupsignin"
HOST = "https://contoso.b2clogin.com"
DEFAULT_ISSUER = f"{HOST}/{TENANT_ID}/v2.0/"
TFP_ISSUER = f"{HOST}/tfp/{TENANT_ID}/{POLICY}/v2.0/"
OID = "d2c1d1e9-5c4e-4b8e-9d0a-3f5e6b7a8c9d"
OPTIONS = {"tenant": "contoso", "tenant_id": TENANT_ID, "policy": POLICY}


class FakeB2C(FakeProvider):
    """A B2C user flow: ID tokens with B2C's default issuer and the policy in
    ``tfp``; an access token only when a scope asks for one (the client id)."""

    client_id = "90c0fe63-bcf2-44d5-8fb7-b8bbc0b29dc6"
    client_secret = "b2c-secret"
    issuer = DEFAULT_ISSUER
    base = f"/contoso.onmicrosoft.com/{POLICY}"
    authorize_path = f"{base}/oauth2/v2.0/authorize"
    token_path = f"{base}/oauth2/v2.0/token"
    jwks_path = f"{base}/discovery/v2.0/keys"
    entry_options = OPTIONS

    def default_claims(self) -> dict[str, t.Any]:
        return {
            "sub": OID,
            "oid": OID,
            "emails": ["jane@example.test"],
            "name": "Jane Doe",
            "idp": "LocalAccount",
            "tfp": POLICY,
            "ver": "1.0",
        }

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        answer = super().token_answer(grant, access_token)
        if self.client_id not in grant.scope:  # openid alone: an ID token, no access token
            del answer["access_token"]
        return answer


fake = fake_provider(FakeB2C)


@pytest.fixture
def client(make_app, fake):
    return make_app({"b2c": {"preset": "azure_ad_b2c", **fake.entry()}}).test_client()


def test_the_policy_is_in_the_endpoints_and_the_issuer():
    config = load_provider(
        "azure_ad_b2c", {"client_id": "cid", "client_secret": "s", **OPTIONS}, {}, {}
    )
    base = f"{HOST}/contoso.onmicrosoft.com/{POLICY}"
    assert config.authorize_url == f"{base}/oauth2/v2.0/authorize"
    assert config.token_url == f"{base}/oauth2/v2.0/token"
    assert config.jwks_uri == f"{base}/discovery/v2.0/keys"
    assert config.issuer == TFP_ISSUER
    assert config.scope == ("openid", "offline_access", "cid")


def test_a_custom_domain():
    config = load_provider(
        "azure_ad_b2c",
        {"client_id": "c", "client_secret": "s", **OPTIONS, "domain": "login.contoso.com"},
        {},
        {},
    )
    assert config.authorize_url.startswith(
        f"https://login.contoso.com/contoso.onmicrosoft.com/{POLICY}/"
    )
    assert config.issuer == f"https://login.contoso.com/tfp/{TENANT_ID}/{POLICY}/v2.0/"


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"tenant": "contoso.com", "tenant_id": TENANT_ID, "policy": POLICY}, "tenant"),
        ({"tenant": "contoso", "policy": POLICY}, "tenant_id"),
        ({"tenant": "contoso", "tenant_id": "contoso", "policy": POLICY}, "tenant_id"),
        ({"tenant": "contoso", "tenant_id": TENANT_ID}, "policy"),
        ({"tenant": "contoso", "tenant_id": TENANT_ID, "policy": "B2C_1/../x"}, "policy"),
    ],
)
def test_bad_options(options, key):
    with pytest.raises(ConfigurationError) as info:
        load_provider("azure_ad_b2c", {"client_id": "c", "client_secret": "s", **options}, {}, {})
    assert info.value.key == key


def test_login_with_the_default_issuer_and_the_policy_in_tfp(client, fake):
    scope = query(start_login(client, "b2c"))["scope"].split()
    assert scope == ["openid", "offline_access", fake.client_id]
    response = log_in(client, "b2c")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["issuer"] == DEFAULT_ISSUER
    assert user["sub"] == OID
    assert user["email"] == "jane@example.test"
    assert user["email_verified"] is False
    assert user["name"] == "Jane Doe"


def test_login_with_the_tfp_issuer(client, fake):
    fake.id_token_overrides = {"iss": TFP_ISSUER}
    assert log_in(client, "b2c").status_code == 302
    assert logged_in_user(client)["issuer"] == TFP_ISSUER


@pytest.mark.parametrize(
    "overrides",
    [
        {"tfp": "B2C_1_passwordreset"},  # another user flow of the same tenant
        {"tfp": None},  # no policy named at all
        {"iss": f"{HOST}/00000000-0000-0000-0000-000000000000/v2.0/"},  # another tenant
    ],
)
def test_tokens_of_another_user_flow_or_tenant_are_refused(client, fake, overrides):
    fake.id_token_overrides = overrides
    response = log_in(client, "b2c")
    assert response.status_code == 401
    assert logged_in_user(client) is None


def test_sub_not_supported_falls_back_to_the_object_id(client, fake):
    fake.id_token_overrides = {"sub": "Not supported"}
    assert log_in(client, "b2c").status_code == 302
    assert logged_in_user(client)["sub"] == OID


def test_without_the_client_id_scope_there_is_no_access_token(make_app, fake):
    app = make_app({"b2c": {"preset": "azure_ad_b2c", **fake.entry(scope="openid")}})
    response = log_in(app.test_client(), "b2c")
    assert response.status_code == 502
    assert "access_token" in response.get_data(as_text=True)
