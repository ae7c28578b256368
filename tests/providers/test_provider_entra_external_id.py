"""The Microsoft Entra External ID preset (an external tenant), against a fake tenant."""

from __future__ import annotations

import typing as t

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from tests.support.fake_providers import FakeProvider, fake_provider, log_in
from tests.support.logins import logged_in_user

TENANT_ID = "a82813af-1054-4e2d-a8ec-c6b9c2908c91"
ISSUER = f"https://{TENANT_ID}.ciamlogin.com/{TENANT_ID}/v2.0"
OPTIONS = {"tenant": "contoso", "tenant_id": TENANT_ID}


class FakeExternalId(FakeProvider):
    """An external tenant's v2.0 endpoints under ``<tenant>.ciamlogin.com``."""

    client_id = "9d8909e8-a7e3-496e-83b3-62995d06e20b"
    client_secret = "ciam-secret"
    issuer = ISSUER
    authorize_path = f"/{TENANT_ID}/oauth2/v2.0/authorize"
    token_path = f"/{TENANT_ID}/oauth2/v2.0/token"
    jwks_path = f"/{TENANT_ID}/discovery/v2.0/keys"
    entry_options = OPTIONS

    def default_claims(self) -> dict[str, t.Any]:
        return {
            "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
            "oid": "00000000-0000-0000-66f3-3332eca7ea81",
            "tid": TENANT_ID,
            "name": "Jane Doe",
            "preferred_username": "jane@example.test",
            "email": "jane@example.test",
            "ver": "2.0",
        }


fake = fake_provider(FakeExternalId)


@pytest.fixture
def client(make_app, fake):
    return make_app({"entra_external_id": fake.entry()}).test_client()


def test_the_tenant_makes_the_endpoints_and_issuer():
    config = load_provider(
        "entra_external_id", {"client_id": "c", "client_secret": "s", **OPTIONS}, {}, {}
    )
    base = f"https://contoso.ciamlogin.com/{TENANT_ID}"
    assert config.authorize_url == f"{base}/oauth2/v2.0/authorize"
    assert config.token_url == f"{base}/oauth2/v2.0/token"
    assert config.jwks_uri == f"{base}/discovery/v2.0/keys"
    assert config.issuer == ISSUER
    custom = load_provider(
        "entra_external_id",
        {"client_id": "c", "client_secret": "s", **OPTIONS, "domain": "login.contoso.com"},
        {},
        {},
    )
    assert custom.authorize_url == f"https://login.contoso.com/{TENANT_ID}/oauth2/v2.0/authorize"
    assert custom.issuer == ISSUER


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"tenant_id": TENANT_ID}, "tenant"),
        ({"tenant": "contoso"}, "tenant_id"),
        ({"tenant": "con/toso", "tenant_id": TENANT_ID}, "tenant"),
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
        ISSUER,
        f"https://contoso.ciamlogin.com/{TENANT_ID}/v2.0",
        f"https://login.microsoftonline.com/{TENANT_ID}/v2.0",
    ],
)
def test_login(client, fake, iss):
    fake.id_token_overrides = {"iss": iss}
    response = log_in(client, "entra_external_id")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["issuer"] == ISSUER
    assert user["sub"] == "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ"
    assert user["email"] == "jane@example.test"
    assert user["email_verified"] is False
    assert user["name"] == "Jane Doe"


@pytest.mark.parametrize(
    "iss",
    [
        "https://other.ciamlogin.com/00000000-0000-0000-0000-000000000000/v2.0",
        f"https://evil.example/{TENANT_ID}/v2.0",
    ],
)
def test_another_tenant_or_host_is_refused(client, fake, iss):
    fake.id_token_overrides = {"iss": iss}
    assert log_in(client, "entra_external_id").status_code == 401
    assert logged_in_user(client) is None
