"""The Discord preset, against a fake Discord on loopback."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.wrappers import Request, Response

from flask_oauth2login.providers import discord
from tests.support.fake_providers import FakeProvider, Grant, fake_provider, json_response, log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query

ME = "/api/v10/users/@me"


class FakeDiscord(FakeProvider):
    """discord.com's OAuth2 endpoints and ``/users/@me``."""

    client_id = "1234567890123456789"
    client_secret = "discord-secret"
    client_auth = "client_secret_basic"
    authorize_path = "/oauth2/authorize"
    token_path = "/api/oauth2/token"
    revocation_path = "/api/oauth2/token/revoke"
    issues_id_tokens = False
    issues_refresh_tokens = True
    expires_in = 604800
    entry_paths = {"userinfo_url": ME}

    def reset(self) -> None:
        super().reset()
        self.user: dict[str, t.Any] = {
            "id": "80351110224678912",
            "username": "nelly",
            "discriminator": "0",
            "global_name": "Nelly",
            "avatar": "8342729096ea3675442027381ff50dfe",
            "verified": True,
            "email": "nelly@discord.test",
            "flags": 64,
            "premium_type": 1,
            "public_flags": 64,
            "mfa_enabled": False,
            "locale": "en-US",
        }

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {ME: self.handle_me}

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": " ".join(grant.scope),
        }

    def handle_me(self, request: Request) -> Response:
        if self.grant_for(request) is None:
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        user = dict(self.user)
        if "email" not in self.grant_for(request).scope:
            user.pop("email")
            user.pop("verified")
        return json_response(user)


fake = fake_provider(FakeDiscord)


@pytest.fixture
def app(make_app, fake):
    return make_app({"discord": fake.entry()})


def test_preset():
    assert discord.preset.userinfo_url == "https://discord.com/api/v10/users/@me"
    assert discord.preset.console_url == "https://discord.com/developers/applications"


def test_login(app, fake):
    client = app.test_client()
    params = query(start_login(client, "discord"))
    assert params["scope"] == "identify email"
    assert "nonce" not in params
    assert log_in(client, "discord").status_code == 302
    user = logged_in_user(client)
    assert user["sub"] == "80351110224678912"
    assert user["email"] == "nelly@discord.test"
    assert user["email_verified"] is True
    assert user["name"] == "Nelly"
    assert user["picture"] == (
        "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"
    )
    assert user["raw"]["username"] == "nelly"
    assert fake.requests_to(fake.token_path)[0]["headers"]["Authorization"].startswith("Basic ")


def test_unverified_address(app, fake):
    fake.user["verified"] = False
    client = app.test_client()
    log_in(client, "discord")
    user = logged_in_user(client)
    assert user["email"] == "nelly@discord.test"
    assert user["email_verified"] is False


def test_without_email_scope_and_avatar(make_app, fake):
    fake.user.update(avatar=None, global_name=None)
    client = make_app({"discord": fake.entry(scope="identify")}).test_client()
    log_in(client, "discord")
    user = logged_in_user(client)
    assert user["email"] is None
    assert user["email_verified"] is False
    assert user["picture"] is None
    assert user["name"] == "nelly"


def test_invalid_code(app, fake):
    fake.token_error = "invalid_grant"
    client = app.test_client()
    response = log_in(client, "discord")
    assert response.status_code == 502
    assert logged_in_user(client) is None


def test_logout_revokes(app, fake):
    client = app.test_client()
    log_in(client, "discord")
    client.post("/logout")
    hints = [r["form"]["token_type_hint"] for r in fake.requests_to(fake.revocation_path)]
    assert hints == ["refresh_token", "access_token"]
