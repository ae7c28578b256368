"""GitLab's quirks: gitlab.com's issuer by default, a self-hosted GitLab's
URLs and issuer from its ``base_url``."""

from __future__ import annotations

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from tests.providers.specs import SPECS
from tests.support.fake_providers import log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.spec_fake import spec_fake

fake = spec_fake(SPECS["gitlab"])


def test_self_hosted_gitlab_by_base_url(make_app, fake):
    fake.issuer = fake.base_url  # a self-hosted GitLab's issuer is its URL
    entry = fake.entry("base_url", base_url=fake.base_url + "/")  # with a trailing slash
    client = make_app({"gitlab": entry}).test_client()
    assert start_login(client, "gitlab").startswith(fake.url("/oauth/authorize?"))
    assert log_in(client, "gitlab").status_code == 302
    user = logged_in_user(client)
    assert user["issuer"] == fake.base_url
    assert user["sub"] == "1234567"
    client.post("/logout")
    assert fake.requests_to(fake.revocation_path)


def test_a_gitlab_com_token_is_refused_by_a_self_hosted_gitlab(make_app, fake):
    client = make_app({"gitlab": fake.entry("base_url")}).test_client()
    assert log_in(client, "gitlab").status_code == 401  # iss is https://gitlab.com
    assert logged_in_user(client) is None


def test_name_falls_back_to_the_nickname(make_app, fake):
    del fake.claims["name"]
    client = make_app({"gitlab": fake.entry()}).test_client()
    assert log_in(client, "gitlab").status_code == 302
    assert logged_in_user(client)["name"] == "ada"


def test_base_url_sets_every_endpoint():
    config = load_provider(
        "gitlab",
        {"client_id": "c", "client_secret": "s", "base_url": "https://git.example/"},
        {},
        {},
    )
    assert config.issuer == "https://git.example"
    assert config.authorize_url == "https://git.example/oauth/authorize"
    assert config.token_url == "https://git.example/oauth/token"
    assert config.userinfo_url == "https://git.example/oauth/userinfo"
    assert config.jwks_uri == "https://git.example/oauth/discovery/keys"
    assert config.revocation_url == "https://git.example/oauth/revoke"
    assert config.api_base_url == "https://git.example/api/v4/"


def test_bad_base_url():
    with pytest.raises(ConfigurationError) as info:
        load_provider(
            "gitlab", {"client_id": "c", "client_secret": "s", "base_url": "git.example"}, {}, {}
        )
    assert info.value.key == "base_url"
