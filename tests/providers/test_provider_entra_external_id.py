"""Microsoft Entra External ID's quirks: an external tenant's endpoints on
``<tenant>.ciamlogin.com`` or a custom domain, and the issuer spellings of
the tenant that it accepts."""

from __future__ import annotations

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from tests.providers.specs import CIAM_ISSUER, CIAM_TENANT_ID, SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

OPTIONS = {"tenant": "contoso", "tenant_id": CIAM_TENANT_ID}

fake = spec_fake(SPECS["entra_external_id"])


@pytest.fixture
def client(make_app, fake):
    return make_app({"entra_external_id": fake.entry()}).test_client()


def test_a_custom_domain():
    custom = load_provider(
        "entra_external_id",
        {"client_id": "c", "client_secret": "s", **OPTIONS, "domain": "login.contoso.com"},
        {},
        {},
    )
    assert custom.authorize_url == (
        f"https://login.contoso.com/{CIAM_TENANT_ID}/oauth2/v2.0/authorize"
    )
    assert custom.issuer == CIAM_ISSUER


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"tenant_id": CIAM_TENANT_ID}, "tenant"),
        ({"tenant": "contoso"}, "tenant_id"),
        ({"tenant": "con/toso", "tenant_id": CIAM_TENANT_ID}, "tenant"),
        ({"tenant": "contoso", "tenant_id": "organizations"}, "tenant_id"),
    ],
)
def test_bad_options(options, key):
    with pytest.raises(ConfigurationError) as info:
        load_provider(
            "entra_external_id", {"client_id": "c", "client_secret": "s", **options}, {}, {}
        )
    assert info.value.key == key


@pytest.mark.parametrize(
    "iss",
    [
        f"https://contoso.ciamlogin.com/{CIAM_TENANT_ID}/v2.0",
        f"https://login.microsoftonline.com/{CIAM_TENANT_ID}/v2.0",
    ],
)
def test_other_spellings_of_the_tenants_issuer(client, fake, iss):
    fake.id_token_overrides = {"iss": iss}
    response = log_in(client, "entra_external_id")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert logged_in_user(client)["issuer"] == CIAM_ISSUER


@pytest.mark.parametrize(
    "iss",
    [
        "https://other.ciamlogin.com/00000000-0000-0000-0000-000000000000/v2.0",
        f"https://evil.example/{CIAM_TENANT_ID}/v2.0",
    ],
)
def test_another_tenant_or_host_is_refused(client, fake, iss):
    fake.id_token_overrides = {"iss": iss}
    assert log_in(client, "entra_external_id").status_code == 401
    assert logged_in_user(client) is None
