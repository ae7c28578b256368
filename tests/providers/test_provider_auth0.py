"""Auth0's quirks: discovery from the tenant's domain, and an issuer that
ends with ``/``."""

from __future__ import annotations

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

fake = spec_fake(SPECS["auth0"])


def test_issuer_from_domain():
    config = load_provider(
        "auth0", {"client_id": "c", "client_secret": "s", "domain": "t.us.auth0.com"}, {}, {}
    )
    assert config.issuer == "https://t.us.auth0.com/"
    assert config.server_metadata_url == "https://t.us.auth0.com/.well-known/openid-configuration"


def test_missing_domain():
    with pytest.raises(ConfigurationError) as info:
        load_provider("auth0", {"client_id": "c", "client_secret": "s"}, {}, {})
    assert info.value.key == "domain"


def test_login_under_another_name(make_app, fake):
    client = make_app({"corp": {"preset": "auth0", **fake.entry()}}).test_client()
    assert log_in(client, "corp").status_code == 302
    user = logged_in_user(client)
    assert user["provider"] == "corp"
    assert user["issuer"] == fake.issuer


def test_id_token_without_the_trailing_slash_is_refused(make_app, fake):
    fake.id_token_overrides = {"iss": fake.issuer.rstrip("/")}
    client = make_app({"auth0": fake.entry()}).test_client()
    assert log_in(client, "auth0").status_code == 401
