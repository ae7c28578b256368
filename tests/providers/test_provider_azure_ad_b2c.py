"""Azure AD B2C's quirks: a user flow (policy) in the endpoints and the
issuer; ID tokens with B2C's default issuer or the policy's; an access token
only when a scope asks for one (the client id)."""

from __future__ import annotations

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from tests.providers.specs import B2C_HOST, B2C_OID, B2C_POLICY, B2C_TENANT_ID, SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

TFP_ISSUER = f"{B2C_HOST}/tfp/{B2C_TENANT_ID}/{B2C_POLICY}/v2.0/"
OPTIONS = {"tenant": "contoso", "tenant_id": B2C_TENANT_ID, "policy": B2C_POLICY}

fake = spec_fake(SPECS["azure_ad_b2c"])


@pytest.fixture
def client(make_app, fake):
    return make_app({"b2c": {"preset": "azure_ad_b2c", **fake.entry()}}).test_client()


def test_a_custom_domain():
    config = load_provider(
        "azure_ad_b2c",
        {"client_id": "c", "client_secret": "s", **OPTIONS, "domain": "login.contoso.com"},
        {},
        {},
    )
    assert config.authorize_url.startswith(
        f"https://login.contoso.com/contoso.onmicrosoft.com/{B2C_POLICY}/"
    )
    assert config.issuer == f"https://login.contoso.com/tfp/{B2C_TENANT_ID}/{B2C_POLICY}/v2.0/"


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"tenant": "contoso.com", "tenant_id": B2C_TENANT_ID, "policy": B2C_POLICY}, "tenant"),
        ({"tenant": "contoso", "policy": B2C_POLICY}, "tenant_id"),
        ({"tenant": "contoso", "tenant_id": "contoso", "policy": B2C_POLICY}, "tenant_id"),
        ({"tenant": "contoso", "tenant_id": B2C_TENANT_ID}, "policy"),
        ({"tenant": "contoso", "tenant_id": B2C_TENANT_ID, "policy": "B2C_1/../x"}, "policy"),
    ],
)
def test_bad_options(options, key):
    with pytest.raises(ConfigurationError) as info:
        load_provider("azure_ad_b2c", {"client_id": "c", "client_secret": "s", **options}, {}, {})
    assert info.value.key == key


def test_login_with_the_tfp_issuer(client, fake):
    fake.id_token_overrides = {"iss": TFP_ISSUER}
    assert log_in(client, "b2c").status_code == 302
    user = logged_in_user(client)
    assert user["provider"] == "b2c"
    assert user["issuer"] == TFP_ISSUER


@pytest.mark.parametrize(
    "overrides",
    [
        {"tfp": "B2C_1_passwordreset"},  # another user flow of the same tenant
        {"tfp": None},  # no policy named at all
        {"iss": f"{B2C_HOST}/00000000-0000-0000-0000-000000000000/v2.0/"},  # another tenant
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
    assert logged_in_user(client)["sub"] == B2C_OID


def test_without_the_client_id_scope_there_is_no_access_token(make_app, fake):
    app = make_app({"b2c": {"preset": "azure_ad_b2c", **fake.entry(scope="openid")}})
    response = log_in(app.test_client(), "b2c")
    assert response.status_code == 502
    assert "access_token" in response.get_data(as_text=True)
