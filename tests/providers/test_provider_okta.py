"""Okta's quirks: the issuer and discovery URL from the Okta domain and the
authorization server (none: the org's)."""

from __future__ import annotations

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from tests.providers.specs import SPECS
from tests.support.spec_fake import spec_fake

fake = spec_fake(SPECS["okta"])


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


def test_discovery_for_another_issuer_is_refused(make_app, fake):
    entry = fake.entry()
    del entry["authorization_server"]  # the org's server: not the issuer discovery names
    client = make_app({"okta": entry}).test_client()
    assert client.get("/login/okta").status_code == 502
