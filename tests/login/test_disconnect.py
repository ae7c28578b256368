"""Disconnecting one account: ``POST /disconnect/<provider>`` and
``oauth.disconnect(provider)`` (:mod:`flask_oauth2login.login.disconnect`).

The app offers the development provider under two names (``dev`` and
``work``), with the provider mounted in the app itself and the app served
on loopback: every token request and revocation is real HTTP, and whether a
token was revoked is asked of the provider (its API answers 401, its token
endpoint refuses the refresh token).
"""

from __future__ import annotations

import re
import secrets
import typing as t
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask, jsonify

from flask_oauth2login import (
    DisconnectRefused,
    NotLoggedInError,
    OAuth2Login,
    disconnected,
    logged_out,
)
from flask_oauth2login.devidp import DevIdentityProvider
from tests.support.threads import serving

ENTRY = {"preset": "devidp", "client_id": "dev-client", "client_secret": "dev-secret"}
PROVIDERS = {"dev": {**ENTRY, "title": "Dev"}, "work": {**ENTRY, "title": "Work"}}
CROSS_SITE = {"Sec-Fetch-Site": "cross-site"}
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def make_app(tmp_path: t.Any, **config: t.Any) -> Flask:
    """The app, with ``/state`` (the session's logins and their tokens) and
    ``POST /drop/<provider>`` (``oauth.disconnect`` in a view of the app's)."""
    app = Flask("disconnect_app", instance_path=str(tmp_path / "instance"))
    app.config.update(
        SECRET_KEY=secrets.token_urlsafe(32),
        TESTING=True,
        OAUTH2LOGIN_PROVIDERS=PROVIDERS,
    )
    app.config.update(config)
    DevIdentityProvider(app)
    oauth = OAuth2Login(app)
    app.extensions["test_oauth"] = oauth

    @app.get("/state")
    def state() -> t.Any:
        return jsonify(
            users={name: user["sub"] for name, user in oauth.users.items()},
            tokens={name: oauth.token(name) for name in oauth.users},
        )

    @app.post("/drop/<provider>")
    def drop(provider: str) -> t.Any:
        try:
            return jsonify(revoked=oauth.disconnect(provider))
        except DisconnectRefused as exc:
            return jsonify(error=exc.error_code), 409
        except NotLoggedInError:
            return jsonify(error="not_logged_in"), 400

    return app


@pytest.fixture
def served(tmp_path: t.Any) -> t.Iterator[tuple[Flask, str]]:
    app = make_app(tmp_path)
    with serving(app) as url:
        yield app, url


class Browser:
    """A browser (a :class:`requests.Session`) on the served app."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        self.http.trust_env = False

    def log_in(self, provider: str, sub: str) -> requests.Response:
        """Log in with *provider* as *sub*, from a form of this site (so a
        second provider connects)."""
        started = self.http.post(
            f"{self.url}/login/{provider}", headers=SAME_ORIGIN, allow_redirects=False, timeout=10
        )
        assert started.status_code == 303, started.text
        page = self.http.get(started.headers["Location"], timeout=10).text
        fields = {
            name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
            for name in ("request_id", "csrf_token")
        }
        answer = self.http.post(
            self.url + "/_devidp/authorize",
            data={**fields, "action": "login", "sub": sub},
            allow_redirects=False,
            timeout=10,
        )
        callback = urlsplit(answer.headers["Location"])
        done = self.http.get(
            f"{self.url}{callback.path}?{callback.query}", allow_redirects=False, timeout=10
        )
        assert done.status_code == 302, done.text
        return done

    def state(self) -> dict[str, t.Any]:
        return self.http.get(self.url + "/state", timeout=10).json()  # type: ignore[no-any-return]

    def post(self, path: str, **kwargs: t.Any) -> requests.Response:
        kwargs.setdefault("headers", SAME_ORIGIN)
        return self.http.post(self.url + path, allow_redirects=False, timeout=10, **kwargs)


def both(url: str) -> tuple[Browser, dict[str, t.Any]]:
    """A browser logged in with ``dev`` as Ada and ``work`` as Grace; the tokens."""
    browser = Browser(url)
    browser.log_in("dev", "ada")
    browser.log_in("work", "grace")
    state = browser.state()
    assert state["users"] == {"dev": "ada", "work": "grace"}
    return browser, state["tokens"]


def api_status(url: str, token: t.Mapping[str, t.Any]) -> int:
    """What the provider's API answers the login's access token."""
    response = requests.get(
        url + "/_devidp/api/me",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    return response.status_code


def refresh_status(url: str, token: t.Mapping[str, t.Any]) -> int:
    """What the provider's token endpoint answers the login's refresh token."""
    response = requests.post(
        url + "/_devidp/token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=("dev-client", "dev-secret"),
        timeout=10,
    )
    return response.status_code


def assert_revoked(url: str, token: t.Mapping[str, t.Any]) -> None:
    assert api_status(url, token) == 401
    if token.get("refresh_token"):
        assert refresh_status(url, token) == 400


def test_disconnect_revokes_one_login_at_the_provider_and_keeps_the_other(served):
    app, url = served
    browser, tokens = both(url)
    seen: list[dict[str, t.Any]] = []
    with disconnected.connected_to(lambda sender, **kw: seen.append(kw), app):
        answer = browser.post("/disconnect/work", data={"next": "/state"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/state"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert browser.state()["users"] == {"dev": "ada"}
    assert_revoked(url, tokens["work"])
    assert api_status(url, tokens["dev"]) == 200  # the other login stays, and works
    assert [(kw["provider"], kw["user"]["sub"], kw["revoked"]) for kw in seen] == [
        ("work", "grace", True)
    ]


def test_next_is_this_sites_only(served):
    _, url = served
    browser, _ = both(url)
    answer = browser.post("/disconnect/work", data={"next": "https://evil.example/"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/"  # OAUTH2LOGIN_REDIRECT_URL


def test_json_clients_are_told_what_was_revoked(served):
    _, url = served
    browser, _ = both(url)
    answer = browser.post("/disconnect/dev", headers={**SAME_ORIGIN, "Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.json() == {"disconnected": "dev", "revoked": True}
    assert browser.state()["users"] == {"work": "grace"}


def test_the_last_login_is_refused_and_nothing_is_revoked(served):
    app, url = served
    browser = Browser(url)
    browser.log_in("dev", "ada")
    token = browser.state()["tokens"]["dev"]
    seen: list[t.Any] = []
    with disconnected.connected_to(lambda sender, **kw: seen.append(kw), app):
        answer = browser.post("/disconnect/dev")
    assert answer.status_code == 409
    assert "only account" in answer.text
    assert "last_login" in answer.text
    assert answer.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert browser.state()["users"] == {"dev": "ada"}
    assert api_status(url, token) == 200
    assert seen == []
    json_answer = browser.post(
        "/disconnect/dev", headers={**SAME_ORIGIN, "Accept": "application/json"}
    )
    assert json_answer.status_code == 409
    assert json_answer.json()["error"] == "last_login"


def test_with_the_logout_setting_the_last_login_is_a_logout(tmp_path):
    app = make_app(tmp_path, OAUTH2LOGIN_DISCONNECT_LAST="logout")
    with serving(app) as url:
        browser = Browser(url)
        browser.log_in("dev", "ada")
        token = browser.state()["tokens"]["dev"]
        ended: list[t.Any] = []
        with logged_out.connected_to(lambda sender, **kw: ended.append(kw), app):
            answer = browser.post("/disconnect/dev", data={"next": "/state"})
        assert answer.status_code == 303
        assert browser.state()["users"] == {}
        assert_revoked(url, token)
        assert ended == [{"provider": "dev", "reason": "logout"}]


def test_a_provider_the_session_holds_no_login_with_answers_409(served):
    _, url = served
    browser = Browser(url)
    browser.log_in("dev", "ada")
    answer = browser.post("/disconnect/work")
    assert answer.status_code == 409
    assert "not signed in with Work" in answer.text
    assert browser.state()["users"] == {"dev": "ada"}
    nobody = Browser(url).post("/disconnect/work")
    assert nobody.status_code == 409


def test_an_unknown_provider_is_the_404_page(served):
    _, url = served
    browser, _ = both(url)
    answer = browser.post("/disconnect/nope")
    assert answer.status_code == 404
    assert "<h1>" in answer.text
    assert answer.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "headers",
    [CROSS_SITE, {"Sec-Fetch-Site": "same-site"}, {"Origin": "https://evil.example"}],
    ids=["cross-site", "same-site", "foreign-origin"],
)
def test_a_cross_origin_request_is_refused_and_nothing_changes(served, headers):
    _, url = served
    browser, tokens = both(url)
    answer = browser.post("/disconnect/work", headers=headers)
    assert answer.status_code == 403
    assert browser.state()["users"] == {"dev": "ada", "work": "grace"}
    assert api_status(url, tokens["work"]) == 200


def test_disconnect_is_post_only(served):
    _, url = served
    browser, _ = both(url)
    assert browser.http.get(url + "/disconnect/work", timeout=10).status_code == 405
    assert browser.state()["users"] == {"dev": "ada", "work": "grace"}


def test_oauth_disconnect_in_a_view(served):
    app, url = served
    browser, tokens = both(url)
    seen: list[t.Any] = []
    with disconnected.connected_to(lambda sender, **kw: seen.append(kw["provider"]), app):
        assert browser.post("/drop/dev").json() == {"revoked": True}
        assert browser.state()["users"] == {"work": "grace"}
        assert_revoked(url, tokens["dev"])
        assert browser.post("/drop/dev").status_code == 400  # NotLoggedInError
        assert browser.post("/drop/work").json() == {"error": "last_login"}
    assert seen == ["dev"]
    assert api_status(url, tokens["work"]) == 200


def test_oauth_disconnect_of_an_unknown_provider_is_a_configuration_error(served):
    app, _ = served
    with app.test_request_context(), pytest.raises(Exception, match="nope"):
        app.extensions["test_oauth"].disconnect("nope")


def test_the_setting_is_checked(tmp_path):
    from flask_oauth2login import ConfigurationError

    with pytest.raises(ConfigurationError, match="OAUTH2LOGIN_DISCONNECT_LAST"):
        make_app(tmp_path, OAUTH2LOGIN_DISCONNECT_LAST="maybe")
