"""Logging out everywhere against the certified npm ``oidc-provider``, with
its ``rpInitiatedLogout`` and ``backchannelLogout`` features on.

The app runs on a real HTTP server on loopback, which the provider reaches
with its logout tokens. Each "browser" is a ``requests.Session`` holding the
cookies of the app and of the provider, as a browser would.
"""

from __future__ import annotations

import dataclasses
import typing as t
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from flask import Flask, jsonify

from flask_oauth2login import OAuth2Login, logged_out
from tests.conftest import http_session
from tests.support.oidc_provider import OidcProvider, login, node_available
from tests.support.requirements import require
from tests.support.threads import serving, wait_for


class LateApp:
    """A WSGI app given after its server started: the provider needs the
    app's URL before the app can be configured with the provider's."""

    app: Flask | None = None

    def __call__(self, environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        assert self.app is not None
        return self.app(environ, start_response)


@dataclasses.dataclass
class Deployment:
    app: Flask
    url: str
    provider: OidcProvider


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> t.Iterator[Deployment]:
    require(node_available(), "node (and npm, to install oidc-provider) is not available")
    late = LateApp()
    with serving(late) as url:
        client = {
            "client_id": "flask-app",
            "client_secret": "flask-secret",
            "redirect_uris": [url + "/callback/op"],
            "post_logout_redirect_uris": [url + "/logout/callback/op"],
            "backchannel_logout_uri": url + "/backchannel-logout/op",
            "backchannel_logout_session_required": True,
            "grant_types": ["authorization_code", "refresh_token"],
        }
        with OidcProvider([client]) as provider:
            app = Flask(__name__, instance_path=str(tmp_path_factory.mktemp("instance")))
            app.config.update(
                SECRET_KEY="test",
                OAUTH2LOGIN_EXTERNAL_URL=url,
                OAUTH2LOGIN_PROVIDERS={
                    "op": {
                        "client_id": "flask-app",
                        "client_secret": "flask-secret",
                        "server_metadata_url": provider.metadata_url,
                        "logout_at_provider": True,
                    }
                },
            )
            oauth = OAuth2Login(app)

            @app.get("/")
            def index() -> t.Any:
                user = oauth.user
                token = oauth.token("op")
                return jsonify(user=user.to_dict() if user else None, sid=(token or {}).get("sid"))

            late.app = app
            yield Deployment(app, url, provider)


@pytest.fixture
def live(deployment: Deployment) -> Deployment:
    deployment.provider.reset_stats()
    return deployment


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((a.get("action", ""), {}))
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1][1][a["name"]] = a.get("value", "")


def sign_in(live: Deployment, username: str) -> requests.Session:
    """A new browser, logged in to the app through the provider's pages."""
    browser = http_session()
    start = browser.get(live.url + "/login/op", allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text
    callback = login(browser, start.headers["Location"], username=username)
    done = browser.get(callback, allow_redirects=False, timeout=10)
    assert done.status_code == 302, done.text
    return browser


def backchannel_stats(live: Deployment) -> dict[str, int]:
    """Logout tokens the provider delivered, and failed to."""
    return dict(requests.get(live.provider.url("/__test/backchannel"), timeout=10).json())


def state_of(live: Deployment, browser: requests.Session) -> dict[str, t.Any]:
    return dict(browser.get(live.url + "/", timeout=10).json())


def sign_out_at_provider(browser: requests.Session, page: requests.Response) -> requests.Response:
    """Answer the provider's "Do you want to sign-out?" page with yes."""
    assert page.status_code == 200, page.text
    assert "sign-out" in page.text
    parser = _Forms()
    parser.feed(page.text)
    action, fields = parser.forms[0]
    assert "xsrf" in fields
    return browser.post(
        urljoin(page.url, action),
        data={**fields, "logout": "yes"},
        allow_redirects=False,
        timeout=10,
    )


def test_rp_initiated_logout_through_the_providers_confirmation_page(live):
    browser = sign_in(live, "grace")
    assert state_of(live, browser)["user"]["sub"] == "grace"

    response = browser.post(
        live.url + "/logout", data={"next": "/bye"}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 303
    end_session = response.headers["Location"]
    assert end_session.startswith(live.provider.metadata()["end_session_endpoint"] + "?")
    assert state_of(live, browser)["user"] is None  # logged out here first

    page = browser.get(end_session, timeout=10)
    back = sign_out_at_provider(browser, page)
    assert back.status_code == 303
    assert back.headers["Location"].startswith(live.url + "/logout/callback/op?state=")
    finished = browser.get(back.headers["Location"], allow_redirects=False, timeout=10)
    assert finished.status_code == 303
    assert finished.headers["Location"] == "/bye"
    # Logged out at the provider too: a new login asks who you are.
    start = browser.get(live.url + "/login/op", allow_redirects=False, timeout=10)
    interaction = browser.get(start.headers["Location"], timeout=10)
    assert 'name="login"' in interaction.text
    assert backchannel_stats(live) == {"success": 1, "error": 0}


def test_back_channel_logout_ends_only_the_session_of_that_sid(live):
    ended: list[dict[str, t.Any]] = []
    first, second = sign_in(live, "grace"), sign_in(live, "grace")
    state_1, state_2 = state_of(live, first), state_of(live, second)
    assert state_1["user"]["sub"] == state_2["user"]["sub"] == "grace"
    assert state_1["sid"] and state_2["sid"] and state_1["sid"] != state_2["sid"]

    with logged_out.connected_to(lambda sender, **kw: ended.append(kw), live.app):
        # The first browser logs out at the provider itself, not through the app.
        end_session = live.provider.metadata()["end_session_endpoint"]
        done = sign_out_at_provider(first, first.get(end_session, timeout=10))
        assert done.status_code == 303

        assert wait_for(lambda: state_of(live, first)["user"] is None, seconds=1)
    assert state_of(live, second)["user"]["sub"] == "grace"
    assert backchannel_stats(live) == {"success": 1, "error": 0}
    assert ended == [{"provider": "op", "reason": "backchannel"}]
    assert urlsplit(live.url).hostname == "127.0.0.1"  # reached on loopback
