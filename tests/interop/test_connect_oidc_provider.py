"""Login options, incremental authorization and connecting accounts against the
certified npm ``oidc-provider`` on loopback.

The provider knows the scopes ``openid``, ``email``, ``profile`` and
``offline_access``; the app logs in with ``openid email`` and asks for
``profile`` later. A scope the provider does not know it silently leaves
out of the grant: a provider granting less than it was asked.
"""

from __future__ import annotations

import typing as t

import pytest
import requests
from flask import Flask, jsonify

from flask_oauth2login import OAuth2Login, login_required
from flask_oauth2login.tokens.logins import TOKENS_KEY
from tests.support.logins import CROSS_SITE, SAME_SITE, follow_callback
from tests.support.oauth import query
from tests.support.oidc_provider import OidcProvider, login, oidc_provider
from tests.support.sealed import opened_session
from tests.support.threads import http_session

CLIENTS = [
    {
        "client_id": name,
        "client_secret": f"{name}-secret",
        "redirect_uris": [f"http://localhost/callback/{name}"],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "client_secret_basic",
    }
    for name in ("op", "work")
]


provider = oidc_provider(CLIENTS)


@pytest.fixture
def app(provider: OidcProvider, tmp_path: t.Any) -> Flask:
    provider.reset_stats()
    app = Flask(__name__, instance_path=str(tmp_path))
    app.config["SECRET_KEY"] = "test"
    app.config["OAUTH2LOGIN_PROVIDERS"] = {
        name: {
            "client_id": name,
            "client_secret": f"{name}-secret",
            "server_metadata_url": provider.metadata_url,
            "scope": "openid email",
            "allowed_scopes": ["profile", "unknown:scope"],
        }
        for name in ("op", "work")
    }
    oauth = OAuth2Login(app)

    @app.get("/who")
    def who() -> t.Any:
        return jsonify(
            users={name: user["sub"] for name, user in oauth.users.items()},
            user=oauth.user["sub"] if oauth.user else None,
        )

    @app.get("/profile")
    @login_required("op", scope="profile")
    def profile() -> t.Any:
        return jsonify(scope=oauth.token("op")["scope"], name=oauth.user["name"])

    @app.get("/more")
    @login_required("op", scope="unknown:scope")
    def more() -> str:
        return "more"

    return app


class Browser:
    """A test client of the app and a session with the provider, as one browser."""

    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()
        self.at_provider = http_session()

    def log_in(
        self,
        name: str = "op",
        user: str = "grace",
        headers: t.Mapping[str, str] | None = None,
        **params: str,
    ) -> t.Any:
        start = self.client.get(f"/login/{name}", query_string=params, headers=dict(headers or {}))
        assert start.status_code == 302, start.get_data(as_text=True)
        return self.follow(start.headers["Location"], user)

    def follow(self, authorize_url: str, user: str = "grace") -> t.Any:
        return follow_callback(self.client, login(self.at_provider, authorize_url, username=user))

    def via(self, response: t.Any) -> t.Any:
        """Follow the app's redirect to log in, through the provider and back."""
        assert response.status_code == 302, response.get_data(as_text=True)
        start = self.client.get(response.headers["Location"])
        return self.follow(start.headers["Location"])

    def who(self) -> dict[str, t.Any]:
        return self.client.get("/who").get_json()  # type: ignore[no-any-return]

    def tokens(self) -> dict[str, t.Any]:
        return opened_session(self.client).get(TOKENS_KEY, {})  # type: ignore[no-any-return]


def userinfo_status(provider: OidcProvider, access_token: str) -> int:
    url = provider.metadata()["userinfo_endpoint"]
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.get(url, headers=headers, timeout=10).status_code


def test_scope_allow_list(app, provider):
    browser = Browser(app)
    refused = browser.client.get("/login/op?scope=offline_access")
    assert refused.status_code == 400
    assert "offline_access" in refused.get_data(as_text=True)
    passed = browser.client.get("/login/op?scope=profile")
    assert query(passed.headers["Location"])["scope"] == "openid email profile"
    assert browser.follow(passed.headers["Location"]).status_code == 302
    assert browser.tokens()["op"]["scope"] == "openid email profile"


def test_incremental_authorization(app, provider):
    browser = Browser(app)
    assert browser.log_in().status_code == 302
    assert browser.tokens()["op"]["scope"] == "openid email"
    needs = browser.client.get("/profile")
    assert query(needs.headers["Location"]) == {"next": "/profile", "scope": "profile"}
    back = browser.via(needs)  # the provider asks consent for "profile" only
    assert back.headers["Location"] == "/profile"
    assert browser.client.get("/profile").get_json() == {
        "scope": "openid email profile",
        "name": "Grace",
    }
    assert provider.stats()["grants"]["authorization_code"] == 2
    assert provider.stats()["revocations"] == 0  # the same person: nothing revoked


def test_a_provider_granting_less(app, provider):
    browser = Browser(app)
    browser.log_in()
    back = browser.via(browser.client.get("/more"))
    assert back.headers["Location"] == "/more"
    assert "unknown:scope" not in browser.tokens()["op"]["scope"].split()
    answer = browser.client.get("/more")
    assert answer.status_code == 403
    assert "was not granted" in answer.get_data(as_text=True)
    as_json = browser.client.get("/more", headers={"Accept": "application/json"})
    assert as_json.status_code == 401
    assert as_json.get_json()["error"] == "insufficient_scope"


def test_max_age_is_checked_against_auth_time(app, provider):
    browser = Browser(app)
    browser.log_in()
    start = browser.client.get("/login/op?max_age=0")
    assert query(start.headers["Location"])["max_age"] == "0"
    # The provider makes grace sign in again, and says so in auth_time.
    assert browser.follow(start.headers["Location"]).status_code == 302


def test_a_same_site_start_connects_and_a_cross_site_start_asks(app, provider):
    browser = Browser(app)
    browser.log_in("op", "grace")
    assert browser.log_in("work", "grace", SAME_SITE).status_code == 302
    assert browser.who() == {"users": {"op": "grace", "work": "grace"}, "user": "grace"}

    other = Browser(app)
    other.log_in("op", "ada")
    other.at_provider = http_session()  # signed in at the provider as another account
    asked = other.log_in("work", "ada-at-work", CROSS_SITE)
    assert asked.headers["Location"] == "/connect"
    assert other.who()["users"] == {"op": "ada"}
    page = other.client.get("/connect").get_data(as_text=True)
    assert "ada-at-work@example.test" in page and "ada@example.test" in page
    html_id = page.split('name="id" value="', 1)[1].split('"', 1)[0]
    answer = other.client.post("/connect", data={"id": html_id, "action": "connect"})
    assert answer.status_code == 303
    assert other.who()["users"] == {"op": "ada", "work": "ada-at-work"}


def test_another_persons_login_forgets_and_revokes_the_first_persons_tokens(app, provider):
    browser = Browser(app)
    browser.log_in("op", "grace")
    browser.log_in("work", "grace", SAME_SITE)
    first = browser.tokens()
    assert userinfo_status(provider, first["op"]["access_token"]) == 200

    browser.at_provider = http_session()  # someone else signs in at the provider
    assert browser.log_in("op", "mallory", SAME_SITE).status_code == 302
    assert browser.who() == {"users": {"op": "mallory"}, "user": "mallory"}
    assert set(browser.tokens()) == {"op"}
    assert provider.stats()["revocations"] >= 2
    for name in ("op", "work"):
        assert userinfo_status(provider, first[name]["access_token"]) == 401
