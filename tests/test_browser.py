"""End-to-end journeys in real headless Chromium, driven by Playwright.

1. The example app and its built-in development identity provider.
2. The example app against the certified npm ``oidc-provider``, through its
   own login and consent pages.
3. A refused consent and a tampered callback, each ending on a clear page.

Screenshots of the key pages go to ``test-output/screenshots/``.
"""

from __future__ import annotations

import os
import shutil
import threading
import typing as t
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from example_app import create_app
from tests.support.oidc_provider import OidcProvider, node_available
from tests.support.requirements import require

pytestmark = pytest.mark.xdist_group("browser")

CHROMIUM = os.environ.get("OAUTH2LOGIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"


class LiveServer:
    """An app on a real threaded HTTP server on 127.0.0.1.

    The port is known before the app is built, so the app (and a provider's
    client registration) can use it.
    """

    def __init__(self) -> None:
        self.app: Flask | None = None
        self._server = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _dispatch(self, environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        assert self.app is not None
        return self.app(environ, start_response)

    def serve(self, app: Flask) -> LiveServer:
        self.app = app
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[t.Any]:
    require(
        shutil.which(CHROMIUM) is not None or os.path.exists(CHROMIUM),
        f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    require(sync_playwright is not None, "the playwright package is not installed")
    assert sync_playwright is not None
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: t.Any) -> Iterator[t.Any]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def live() -> Iterator[LiveServer]:
    server = LiveServer()
    yield server
    server.stop()


def shot(page: t.Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_example_app_with_development_provider(page, live, tmp_path):
    live.serve(create_app({"TESTING": True}, instance_path=str(tmp_path)))
    page.goto(live.url + "/")
    shot(page, "01-home")
    assert page.inner_text("h1") == "Choose how to sign in"
    assert page.inner_text("#login-dev") == "Continue with the development provider"
    page.click("#login-dev")
    page.wait_for_url("**/_devidp/authorize**")
    shot(page, "02-devidp-sign-in")
    page.click("button.user:has-text('Grace Hopper')")
    page.wait_for_url(live.url + "/profile")
    assert page.inner_text("#user-name") == "Grace Hopper"
    assert page.inner_text("#api-status") == "200"
    assert "grace" in page.inner_text("#api-body").lower()
    shot(page, "03-profile")
    # The browser holds a session id, never a token.
    cookies = page.context.cookies()
    assert [c["name"] for c in cookies] == ["session"]
    assert cookies[0]["httpOnly"] is True
    assert cookies[0]["sameSite"] == "Lax"
    assert page.inner_text("#logout") == "Sign out"
    page.click("#logout")
    page.wait_for_url(live.url + "/")
    assert page.is_visible("#login-dev")
    shot(page, "04-logged-out")
    page.goto(live.url + "/profile")
    page.wait_for_url("**/_devidp/authorize**")  # @login_required sends you to log in


@pytest.fixture
def oidc_app(live: LiveServer, tmp_path: Path) -> Iterator[tuple[LiveServer, OidcProvider]]:
    require(node_available(), "node (and npm, to install oidc-provider) is not available")
    client = {
        "client_id": "example-app",
        "client_secret": "example-secret",
        "redirect_uris": [live.url + "/callback/op"],
        "grant_types": ["authorization_code", "refresh_token"],
    }
    with OidcProvider([client]) as provider:
        providers = {
            "op": {
                "title": "oidc-provider",
                "client_id": "example-app",
                "client_secret": "example-secret",
                "server_metadata_url": provider.metadata_url,
            }
        }
        config = {
            "OAUTH2LOGIN_PROVIDERS": providers,
            # The profile page calls the provider's UserInfo endpoint as its API.
            "EXAMPLE_API_URLS": {"op": provider.metadata()["userinfo_endpoint"]},
        }
        app = create_app(config, instance_path=str(tmp_path))
        yield live.serve(app), provider


def sign_in_at_oidc_provider(page: t.Any, username: str) -> None:
    page.wait_for_selector("input[name=login]")
    shot(page, "11-oidc-provider-login")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Authorize")


def test_example_app_with_oidc_provider(page, oidc_app):
    live, provider = oidc_app
    page.goto(live.url + "/")
    page.click("#login-op")
    sign_in_at_oidc_provider(page, "katherine")
    shot(page, "12-oidc-provider-consent")
    page.click("button[autofocus], button[type=submit]")
    page.wait_for_url(live.url + "/profile")
    assert page.inner_text("#user-sub") == "katherine"
    assert page.inner_text("#api-status") == "200"
    shot(page, "13-profile-via-oidc-provider")
    page.click("#logout")
    page.wait_for_url(live.url + "/")
    assert provider.stats()["revocations"] >= 1


def test_refused_consent_ends_on_clear_error_page(page, oidc_app):
    live, _ = oidc_app
    page.goto(live.url + "/login/op")
    sign_in_at_oidc_provider(page, "mary")
    page.click("a:has-text('Cancel')")
    page.wait_for_url(live.url + "/callback/op**")
    message = page.inner_text("#oauth2login-error-message")
    assert "declined" in message
    assert page.title() == "Login failed"
    shot(page, "14-consent-refused")
    page.goto(live.url + "/profile")
    page.wait_for_url("**/interaction/**")  # still not logged in


def test_tampered_callback_ends_on_clear_error_page(page, live, tmp_path):
    live.serve(create_app({"TESTING": True}, instance_path=str(tmp_path)))
    page.goto(live.url + "/login/dev")
    page.wait_for_url("**/_devidp/authorize**")
    # Change the state in the provider's redirect back, before the browser follows it.
    captured: list[str] = []

    def tamper(route: t.Any) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        location = response.headers["location"]
        captured.append(location)
        headers = {**response.headers, "location": location.replace("state=", "state=tampered")}
        route.fulfill(response=response, headers=headers)

    page.route("**/_devidp/authorize", tamper)
    page.click("button.user:has-text('Ada Lovelace')")
    page.wait_for_selector("#oauth2login-error-message")
    assert captured
    assert "unknown here" in page.inner_text("#oauth2login-error-message")
    shot(page, "15-tampered-callback")
    page.goto(live.url + "/")
    assert page.is_visible("#login-dev")  # nobody was logged in
