"""Facebook's quirks: the Graph API version in every URL, and users without
an address."""

from __future__ import annotations

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from flask_oauth2login.providers import facebook
from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user
from tests.support.spec_fake import spec_fake

fake = spec_fake(SPECS["facebook"])


def test_user_without_email(make_app, fake):
    del fake.profile["email"]
    client = make_app({"facebook": fake.entry()}).test_client()
    assert log_in(client, "facebook").status_code == 302
    assert logged_in_user(client)["email"] is None


def test_api_version_is_in_every_url():
    config = load_provider(
        "facebook", {"client_id": "c", "client_secret": "s", "api_version": "v19.0"}, {}, {}
    )
    assert config.authorize_url == "https://www.facebook.com/v19.0/dialog/oauth"
    assert config.token_url == "https://graph.facebook.com/v19.0/oauth/access_token"
    assert config.userinfo_url.startswith("https://graph.facebook.com/v19.0/me?fields=")
    assert config.api_base_url == "https://graph.facebook.com/v19.0/"
    default = load_provider("facebook", {"client_id": "c", "client_secret": "s"}, {}, {})
    assert f"/{facebook.API_VERSION}/" in default.authorize_url


@pytest.mark.parametrize("version", ["19.0", "v19", "latest", 19])
def test_bad_api_version(version):
    with pytest.raises(ConfigurationError) as info:
        load_provider(
            "facebook", {"client_id": "c", "client_secret": "s", "api_version": version}, {}, {}
        )
    assert info.value.key == "api_version"
