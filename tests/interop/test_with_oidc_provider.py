"""The whole journey against the certified npm ``oidc-provider`` on loopback.

A ten-line app logs a user in, calls an API with ``oauth.session``, survives
the access token's real expiry (a refresh at the provider), and logs out,
revoking the token.
"""

from __future__ import annotations

import time
import typing as t

import pytest
from flask import Flask, jsonify

from flask_oauth2login import OAuth2Login, login_required
from tests.support.logins import follow_callback
from tests.support.oidc_provider import OidcProvider, login, oidc_provider
from tests.support.threads import http_session

CLIENTS = [
    {
        "client_id": "flask-app",
        "client_secret": "flask-secret",
        "redirect_uris": ["http://localhost/callback/op", "http://localhost/callback/op-post"],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "client_secret_basic",
    },
    {
        "client_id": "flask-app-post",
        "client_secret": "flask secret+post/&=",
        "redirect_uris": ["http://localhost/callback/op-post"],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "client_secret_post",
    },
]
ACCESS_TOKEN_TTL = 3


provider = oidc_provider(CLIENTS, access_token_ttl=ACCESS_TOKEN_TTL)


@pytest.fixture
def app(provider: OidcProvider, tmp_path: t.Any) -> Flask:
    provider.reset_stats()
    # The ten lines a user writes:
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config["SECRET_KEY"] = "test"
    app.config["OAUTH2LOGIN_PROVIDERS"] = {
        "op": {
            "client_id": "flask-app",
            "client_secret": "flask-secret",
            "server_metadata_url": provider.metadata_url,
        },
        "op-post": {
            "client_id": "flask-app-post",
            "client_secret": "flask secret+post/&=",
            "server_metadata_url": provider.metadata_url,
            "token_endpoint_auth_method": "client_secret_post",
        },
    }
    app.config["OAUTH2LOGIN_REFRESH_LEEWAY"] = 1
    oauth = OAuth2Login(app)

    @app.get("/me")
    @login_required
    def me() -> t.Any:
        provider_name = oauth.user["provider"]
        answer = oauth.session(provider_name).get(provider.metadata()["userinfo_endpoint"])
        return jsonify(user=oauth.user.to_dict(), api_status=answer.status_code, api=answer.json())

    return app


def do_login(app: Flask, provider: OidcProvider, name: str = "op", user: str = "grace") -> t.Any:
    client = app.test_client()
    start = client.get(f"/login/{name}?next=/me")
    assert start.status_code == 302
    callback_url = login(http_session(), start.headers["Location"], username=user)
    response = follow_callback(client, callback_url)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/me"
    return client


def test_login_api_call_expiry_and_logout(app, provider):
    client = do_login(app, provider)
    answer = client.get("/me").get_json()
    assert answer["user"]["sub"] == "grace"
    assert answer["user"]["email"] == "grace@example.test"
    assert answer["user"]["email_verified"] is True
    assert answer["user"]["issuer"] == provider.issuer
    assert answer["api_status"] == 200
    assert answer["api"]["sub"] == "grace"
    assert provider.stats()["grants"]["authorization_code"] == 1
    refreshes = provider.stats()["grants"]["refresh_token"]

    time.sleep(ACCESS_TOKEN_TTL + 0.5)  # let the access token really expire
    answer = client.get("/me").get_json()
    assert answer["api_status"] == 200
    assert provider.stats()["grants"]["refresh_token"] == refreshes + 1

    response = client.post("/logout")
    assert response.status_code == 303
    assert provider.stats()["revocations"] >= 1
    assert client.get("/me").status_code == 302


def test_client_secret_post_with_special_characters(app, provider):
    client = do_login(app, provider, name="op-post", user="ada")
    assert client.get("/me").get_json()["user"]["sub"] == "ada"


def test_declined_consent_ends_on_error_page(app, provider):
    client = app.test_client()
    start = client.get("/login/op")
    callback_url = login(http_session(), start.headers["Location"], username="alan", consent=False)
    response = follow_callback(client, callback_url)
    assert response.status_code == 403
    assert "declined" in response.get_data(as_text=True)
    assert client.get("/me").status_code == 302
