"""The Microsoft (Entra ID) preset's quirks: tenants.

Tokens from the multi-tenant endpoints name the user's own tenant as their
issuer; the tests sign them with the issuer strings Microsoft uses.
"""

from __future__ import annotations

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from flask_oauth2login.providers import microsoft
from tests.providers.specs import MICROSOFT_TENANT_ID as TENANT_A
from tests.providers.specs import SPECS
from tests.providers.specs import microsoft_issuer as tenant_issuer
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query
from tests.support.spec_fake import SpecFake, spec_fake

TENANT_B = "0b8e2a6c-1111-4222-8333-944455556666"

fake = spec_fake(SPECS["microsoft"])


def from_tenant(fake: SpecFake, tid: str) -> None:
    """Issue the next ID tokens as tenant *tid* does."""
    fake.id_token_overrides = {"iss": tenant_issuer(tid), "tid": tid}


def app_for(make_app, fake, **options):
    return make_app({"microsoft": fake.entry(**options)}, TEST_API_URLS={"microsoft": "/me"})


@pytest.mark.parametrize(
    ("tenant", "authorize_url", "issuer", "jwks_uri"),
    [
        (
            None,
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
            "https://login.microsoftonline.com/{tenantid}/v2.0",
            "https://login.microsoftonline.com/common/discovery/v2.0/keys",
        ),
        (
            "organizations",
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize",
            "https://login.microsoftonline.com/{tenantid}/v2.0",
            "https://login.microsoftonline.com/organizations/discovery/v2.0/keys",
        ),
        (
            "consumers",
            "https://login.microsoftonline.com/consumers/oauth2/v2.0/authorize",
            tenant_issuer(microsoft.CONSUMERS_TENANT_ID),
            "https://login.microsoftonline.com/consumers/discovery/v2.0/keys",
        ),
        (
            TENANT_A.upper(),
            f"https://login.microsoftonline.com/{TENANT_A}/oauth2/v2.0/authorize",
            tenant_issuer(TENANT_A),
            f"https://login.microsoftonline.com/{TENANT_A}/discovery/v2.0/keys",
        ),
    ],
)
def test_tenant_picks_endpoints_and_issuer(tenant, authorize_url, issuer, jwks_uri):
    options = {} if tenant is None else {"tenant": tenant}
    config = load_provider("microsoft", {"client_id": "c", "client_secret": "s", **options}, {}, {})
    assert config.authorize_url == authorize_url
    assert config.token_url == authorize_url.replace("/authorize", "/token")
    assert config.issuer == issuer
    assert config.jwks_uri == jwks_uri
    assert config.server_metadata_url is None
    assert config.options["tenant"] == (tenant or "common").lower()


@pytest.mark.parametrize("tenant", ["", "contoso.onmicrosoft.com", "common/../x", 42])
def test_bad_tenant_is_a_configuration_error(tenant):
    with pytest.raises(ConfigurationError) as info:
        load_provider(
            "microsoft", {"client_id": "c", "client_secret": "s", "tenant": tenant}, {}, {}
        )
    assert info.value.key == "tenant"
    assert "tenant id" in str(info.value)


def test_common_accepts_another_tenant_too(make_app, fake):
    from_tenant(fake, TENANT_B)
    client = app_for(make_app, fake).test_client()
    assert log_in(client, "microsoft").status_code == 302
    user = logged_in_user(client)
    assert user["raw"]["tid"] == TENANT_B
    assert user["issuer"] == tenant_issuer(TENANT_B)


def test_common_accepts_personal_accounts(make_app, fake):
    from_tenant(fake, microsoft.CONSUMERS_TENANT_ID)
    client = app_for(make_app, fake).test_client()
    assert log_in(client, "microsoft").status_code == 302
    user = logged_in_user(client)
    assert user["issuer"] == tenant_issuer(microsoft.CONSUMERS_TENANT_ID)


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": tenant_issuer(TENANT_B), "tid": TENANT_A},  # issuer of another tenant than tid
        {"iss": tenant_issuer("not-a-guid"), "tid": "not-a-guid"},
        {"iss": "https://login.microsoftonline.com/{tenantid}/v2.0"},  # the template itself
        {"iss": "https://sts.windows.net/" + TENANT_A + "/", "tid": TENANT_A},  # v1.0 issuer
        {"tid": None},
    ],
)
def test_common_refuses_an_issuer_that_is_not_the_tokens_tenant(make_app, fake, overrides):
    fake.id_token_overrides = overrides
    client = app_for(make_app, fake).test_client()
    assert log_in(client, "microsoft").status_code == 401
    assert logged_in_user(client) is None


def test_organizations_accepts_the_users_tenant(make_app, fake):
    from_tenant(fake, TENANT_B)
    client = app_for(make_app, fake, tenant="organizations").test_client()
    assert log_in(client, "microsoft").status_code == 302
    assert logged_in_user(client)["issuer"] == tenant_issuer(TENANT_B)


def test_fixed_tenant_accepts_its_own_tokens(make_app, fake):
    client = app_for(make_app, fake, tenant=TENANT_A).test_client()
    assert log_in(client, "microsoft").status_code == 302
    assert logged_in_user(client)["issuer"] == tenant_issuer(TENANT_A)


def test_fixed_tenant_refuses_a_token_from_another_tenant(make_app, fake):
    from_tenant(fake, TENANT_B)
    client = app_for(make_app, fake, tenant=TENANT_A).test_client()
    response = log_in(client, "microsoft")
    assert response.status_code == 401
    assert logged_in_user(client) is None


def test_consumers_refuses_a_work_account(make_app, fake):
    client = app_for(make_app, fake, tenant="consumers").test_client()
    assert log_in(client, "microsoft").status_code == 401
    from_tenant(fake, microsoft.CONSUMERS_TENANT_ID)
    assert log_in(client, "microsoft").status_code == 302
    user = logged_in_user(client)
    assert user["issuer"] == tenant_issuer(microsoft.CONSUMERS_TENANT_ID)


@pytest.mark.parametrize(
    ("claims", "issuer"),
    [
        ({"tid": TENANT_A, "iss": tenant_issuer(TENANT_A)}, tenant_issuer(TENANT_A)),
        (  # another Microsoft cloud
            {"tid": TENANT_A, "iss": f"https://login.microsoftonline.us/{TENANT_A}/v2.0"},
            f"https://login.microsoftonline.us/{TENANT_A}/v2.0",
        ),
        ({"tid": TENANT_B, "iss": tenant_issuer(TENANT_A)}, None),
        ({"tid": TENANT_A, "iss": f"https://sts.windows.net/{TENANT_A}/"}, None),
        ({"tid": TENANT_A, "iss": f"https://evil.example/x/{TENANT_A}/v2.0"}, None),
        ({"tid": "not-a-guid", "iss": tenant_issuer("not-a-guid")}, None),
        ({"iss": tenant_issuer(TENANT_A)}, None),
    ],
)
def test_profile_names_the_tenants_issuer_only_when_tid_and_iss_agree(claims, issuer):
    assert microsoft.profile({"sub": "s", **claims})["issuer"] == issuer


def test_domain_owner_verified_address(make_app, fake):
    fake.claims["xms_edov"] = True
    client = app_for(make_app, fake).test_client()
    log_in(client, "microsoft")
    assert logged_in_user(client)["email_verified"] is True


def test_authorization_request_goes_to_the_tenant(make_app, fake):
    app = make_app({"microsoft": {"client_id": "c", "client_secret": "s", "tenant": TENANT_A}})
    location = start_login(app.test_client(), "microsoft")
    assert location.startswith(
        f"https://login.microsoftonline.com/{TENANT_A}/oauth2/v2.0/authorize?"
    )
    assert query(location)["scope"] == "openid email profile"


def test_multi_tenant_refresh_keeps_the_login(make_app, fake):
    """A refreshed ID token names the user's tenant again, as the first one did."""
    from_tenant(fake, TENANT_B)
    fake.expires_in = 1  # within the refresh leeway: the first API call refreshes
    client = app_for(make_app, fake).test_client()
    assert log_in(client, "microsoft").status_code == 302
    answer = client.get("/api/microsoft").get_json()
    assert answer["status"] == 200
    assert answer["body"]["displayName"] == "Megan Bowen"
    grants = [r["form"]["grant_type"] for r in fake.requests_to(fake.token_path)]
    assert grants == ["authorization_code", "refresh_token"]
    assert logged_in_user(client) is not None
