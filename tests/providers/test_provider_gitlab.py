"""The GitLab preset, against a fake GitLab on loopback: gitlab.com's
issuer with overridden URLs, and a self-hosted GitLab by ``base_url``."""

from __future__ import annotations

import time
import typing as t

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from flask_oauth2login.providers import gitlab
from tests.support.fake_providers import FakeProvider, Grant, fake_provider, log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query


class FakeGitLab(FakeProvider):
    """GitLab's OAuth/OIDC endpoints (Doorkeeper)."""

    client_id = "9d2b3c4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a"
    client_secret = "gloas-gitlab-secret"
    issuer = "https://gitlab.com"
    authorize_path = "/oauth/authorize"
    token_path = "/oauth/token"
    userinfo_path = "/oauth/userinfo"
    jwks_path = "/oauth/discovery/keys"
    revocation_path = "/oauth/revoke"
    issues_refresh_tokens = True
    expires_in = 7200

    def default_claims(self) -> dict[str, t.Any]:
        return {
            "sub": "1234567",
            "sub_legacy": "2ab1c6a8d4e0f3b5a7c9e1d3f5b7a9c1e3d5f7b9a1c3e5d7f9b1a3c5e7d9f1b3",
            "name": "Ada Lovelace",
            "nickname": "ada",
            "preferred_username": "ada",
            "email": "ada@example.test",
            "email_verified": True,
            "profile": "https://gitlab.com/ada",
            "picture": "https://gitlab.com/uploads/-/system/user/avatar/1234567/avatar.png",
            "groups": ["analytical-engines"],
        }

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        answer = super().token_answer(grant, access_token)
        answer["created_at"] = int(time.time())
        return answer


fake = fake_provider(FakeGitLab)


def test_gitlab_com_login(make_app, fake):
    client = make_app({"gitlab": fake.entry()}).test_client()
    assert query(start_login(client, "gitlab"))["scope"] == "openid email profile"
    assert log_in(client, "gitlab").status_code == 302
    user = logged_in_user(client)
    assert user["issuer"] == "https://gitlab.com"
    assert user["sub"] == "1234567"
    assert user["email"] == "ada@example.test"
    assert user["email_verified"] is True
    assert user["name"] == "Ada Lovelace"
    assert user["picture"].endswith("/avatar.png")
    assert user["raw"]["groups"] == ["analytical-engines"]


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
    fake.issuer = fake.base_url
    del fake.claims["name"]
    client = make_app({"gitlab": fake.entry("base_url")}).test_client()
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
    assert gitlab.preset.console_url


def test_bad_base_url():
    with pytest.raises(ConfigurationError) as info:
        load_provider(
            "gitlab", {"client_id": "c", "client_secret": "s", "base_url": "git.example"}, {}, {}
        )
    assert info.value.key == "base_url"
