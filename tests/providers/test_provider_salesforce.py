"""Salesforce's quirks: a My Domain (or the sandbox) sets every endpoint, the
issuer and the API's base URL."""

from __future__ import annotations

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from flask_oauth2login.providers import salesforce


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
