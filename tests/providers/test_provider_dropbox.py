"""The Dropbox preset (OpenID Connect, offline tokens), against a fake Dropbox."""

from __future__ import annotations

import typing as t

import pytest
from werkzeug.wrappers import Request, Response

from flask_oauth2login.providers import dropbox
from tests.support.fake_providers import FakeProvider, fake_provider, json_response, log_in
from tests.support.logins import logged_in_user, start_login
from tests.support.oauth import query

ISSUER = "https://www.dropbox.com"
SUB = "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"


class FakeDropbox(FakeProvider):
    """www.dropbox.com's authorization and discovery, api.dropboxapi.com's token
    endpoint and RPC-style UserInfo (POST only)."""

    client_id = "a12fbpq596acfbc"
    client_secret = "dropbox-secret"
    issuer = ISSUER
    discovery_path = "/.well-known/openid-configuration"
    authorize_path = "/oauth2/authorize"
    token_path = "/oauth2/token"
    jwks_path = "/oauth2/jwks"
    userinfo_path = "/2/openid/userinfo"
    # The preset's authorization and token endpoints are not the discovered ones.
    entry_paths = {"authorize_url": authorize_path, "token_url": token_path}

    def default_claims(self) -> dict[str, t.Any]:
        return {
            "sub": SUB,
            "email": "franz@example.test",
            "email_verified": True,
            "given_name": "Franz",
            "family_name": "Ferdinand",
            "dropbox:team_id": "dbtid:WxbNQOurtaONIb-AAH4fQn",
        }

    def reset(self) -> None:
        super().reset()
        self.issues_refresh_tokens = False

    def routes(self) -> dict[str, t.Callable[[Request], Response]]:
        return {self.userinfo_path: self.handle_rpc_userinfo}

    def handle_authorize(self, request: Request) -> Response:
        # Dropbox issues a refresh token only for token_access_type=offline.
        self.issues_refresh_tokens = request.args.get("token_access_type") == "offline"
        return super().handle_authorize(request)

    def handle_rpc_userinfo(self, request: Request) -> Response:
        if request.method != "POST":
            return json_response({"error_summary": "unsupported method"}, 405)
        return self.handle_userinfo(request)


fake = fake_provider(FakeDropbox)


@pytest.fixture
def client(make_app, fake):
    return make_app({"dropbox": fake.entry()}).test_client()


def test_preset_asks_for_offline_tokens():
    preset = dropbox.preset
    assert preset.issuer == ISSUER
    assert preset.authorize_url == "https://www.dropbox.com/oauth2/authorize"
    assert preset.token_url == "https://api.dropboxapi.com/oauth2/token"
    assert preset.authorize_params == {"token_access_type": "offline"}
    assert preset.fetch_userinfo is False


def test_login_uses_the_id_token_and_gets_a_refresh_token(client, fake):
    params = query(start_login(client, "dropbox"))
    assert params["token_access_type"] == "offline"
    assert params["scope"] == "openid email profile"
    response = log_in(client, "dropbox")
    assert response.status_code == 302, response.get_data(as_text=True)
    user = logged_in_user(client)
    assert user["issuer"] == ISSUER
    assert user["sub"] == SUB
    assert user["email"] == "franz@example.test"
    assert user["email_verified"] is True
    assert user["name"] == "Franz Ferdinand"
    assert user["raw"]["dropbox:team_id"].startswith("dbtid:")
    assert fake.requests_to(fake.userinfo_path) == []  # its UserInfo is a POST: never called
    assert fake.refresh_tokens  # offline access was granted


def test_a_name_in_one_part(client, fake):
    fake.claims.pop("family_name")
    log_in(client, "dropbox")
    assert logged_in_user(client)["name"] == "Franz"
