"""A served app with two connected-account providers, for the tests of
disconnecting and of the accounts page.

The app offers the development provider under two names (``dev``, titled
"Dev", and ``work``, titled "Work"), with the provider mounted in the app
itself; served on loopback, every token request and revocation is real
HTTP. :class:`Browser` logs in through the provider's sign-in form.
"""

from __future__ import annotations

import re
import secrets
import typing as t
from urllib.parse import urlsplit

import requests
from flask import Flask, jsonify

from flask_oauth2login import DisconnectRefused, NotLoggedInError, OAuth2Login
from flask_oauth2login.devidp import DevIdentityProvider

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
