"""End-to-end journeys in real headless Chromium, driven by Playwright.

1. The example app and its built-in development identity provider; and
   logging out at that provider, which ends the app's session by
   back-channel logout.
2. The example app against the certified npm ``oidc-provider``, through its
   own login and consent pages.
3. A refused consent and a tampered callback, each ending on a clear page.
4. The pages around a login: the extension's own (provider chooser, 404,
   ``GET /logout``, store unavailable) and the development provider's
   (sign-in with an error, error pages, signed out, its index).

Every page a person sees of ours (the extension's, the development
provider's, the example app's; not the npm oidc-provider's) is checked by
:class:`PageCheck`: axe-core's WCAG 2 A/AA rules at desktop and at phone
size, no sideways scrolling on a phone, and framing refused. Screenshots of
each go to ``test-output/screenshots/``.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import typing as t
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from redis.backoff import NoBackoff
from redis.retry import Retry
from werkzeug.serving import make_server

from example_app import create_app
from tests.support.oidc_provider import (
    NODE_DIR,
    OidcProvider,
    ensure_installed,
    node_available,
    require_node,
)
from tests.support.processes import free_port
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
#: axe-core, installed by npm next to the test oidc-provider (package.json pins it).
AXE_SCRIPT = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"
#: The axe-core rule tags checked: WCAG 2.0 and 2.1, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DESKTOP = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}


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


@pytest.fixture(scope="module")
def axe_script() -> str:
    """The source of axe-core, installed with npm like the test oidc-provider."""
    require(node_available(), "node and npm (to install axe-core) are not available")
    ensure_installed()
    return AXE_SCRIPT.read_text(encoding="utf-8")


@pytest.fixture
def page(browser: t.Any) -> Iterator[t.Any]:
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


class PageCheck:
    """Checks the page a person sees now, as the project's rule asks: axe-core's
    WCAG 2 A/AA rules pass at desktop and at phone size (in light and dark),
    the page does not scroll sideways on a phone, and its answer refuses framing.

    It keeps the main frame's document responses, so the check can read the
    headers of whatever navigation (link, form, redirect) led to the page.
    """

    def __init__(self, page: t.Any, axe_script: str) -> None:
        self.page = page
        self.axe_script = axe_script
        self.documents: list[t.Any] = []
        page.on("response", self._record)

    def _record(self, response: t.Any) -> None:
        request = response.request
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.documents.append(response)

    def __call__(self, name: str, status: int = 200) -> None:
        """Check the current page; screenshots are saved as ``NAME.png`` and
        ``NAME-phone.png``."""
        page = self.page
        response = self.response()
        assert response.status == status, f"{page.url} answered {response.status}"
        self.assert_refuses_framing(response)
        try:
            self.assert_accessible(f"{name} at desktop size")
            shot(page, name)
            page.set_viewport_size(PHONE)
            shot(page, f"{name}-phone")
            self.assert_fits(name)
            self.assert_accessible(f"{name} at phone size")
            page.emulate_media(color_scheme="dark")
            self.assert_accessible(f"{name} at phone size, dark")
        finally:
            page.emulate_media(color_scheme="light")
            page.set_viewport_size(DESKTOP)

    def response(self) -> t.Any:
        """The response that brought the current page."""
        for response in reversed(self.documents):
            if response.url == self.page.url:
                return response
        raise AssertionError(f"no document response recorded for {self.page.url}")

    def assert_refuses_framing(self, response: t.Any) -> None:
        headers = response.all_headers()
        where = f"{response.status} {response.url}"
        assert headers.get("x-frame-options") == "DENY", f"{where}: X-Frame-Options"
        policy = headers.get("content-security-policy", "")
        directives = [" ".join(d.split()) for d in re.split(r"[;,]", policy)]
        assert "frame-ancestors 'none'" in directives, f"{where}: CSP {policy!r}"

    def assert_accessible(self, what: str) -> None:
        page = self.page
        if not page.evaluate("() => typeof window.axe === 'object'"):
            # Evaluated rather than added as a <script> tag: the development
            # provider's CSP (default-src 'none') rightly refuses inline scripts,
            # and the pages are checked under their real policy.
            page.evaluate(self.axe_script)
        violations = page.evaluate(
            """async (tags) => {
                const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
                return results.violations.map((v) => ({
                    id: v.id, impact: v.impact, help: v.help,
                    targets: v.nodes.map((n) => n.target.join(" ")),
                }));
            }""",
            AXE_TAGS,
        )
        report = "\n".join(
            f"  {v['id']} ({v['impact']}): {v['help']} at {', '.join(v['targets'])}"
            for v in violations
        )
        assert not violations, f"axe-core: {what} ({page.url}) has violations:\n{report}"

    def assert_fits(self, name: str) -> None:
        """Nothing on a phone-wide page needs scrolling sideways to read."""
        overflow = self.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} is {overflow}px wider than a phone"


@pytest.fixture
def check(page: t.Any, axe_script: str) -> PageCheck:
    """Call ``check(name)`` on every page a person sees (see :class:`PageCheck`)."""
    return PageCheck(page, axe_script)


@pytest.fixture
def live() -> Iterator[LiveServer]:
    server = LiveServer()
    yield server
    server.stop()


def shot(page: t.Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_example_app_with_development_provider(page, check, live, tmp_path):
    live.serve(create_app({"TESTING": True}, instance_path=str(tmp_path)))
    page.goto(live.url + "/")
    check("01-home")
    assert page.inner_text("h1") == "Choose how to sign in"
    assert page.inner_text("#login-dev") == "Continue with the development provider"
    page.click("#login-dev")
    page.wait_for_url("**/_devidp/authorize**")
    check("02-devidp-sign-in")
    page.click("button.user:has-text('Grace Hopper')")
    page.wait_for_url(live.url + "/profile")
    assert page.inner_text("#user-name") == "Grace Hopper"
    assert page.inner_text("#api-status") == "200"
    assert "grace" in page.inner_text("#api-body").lower()
    check("03-profile")
    # The browser holds a session id, never a token (the development
    # provider's own sign-in cookie is scoped to its path).
    cookies = [c for c in page.context.cookies() if c["path"] == "/"]
    assert [c["name"] for c in cookies] == ["session"]
    assert cookies[0]["httpOnly"] is True
    assert cookies[0]["sameSite"] == "Lax"
    page.goto(live.url + "/")
    assert page.inner_text("h1") == "Hello, Grace Hopper!"
    check("04-home-signed-in")
    assert page.inner_text("#logout") == "Sign out"
    page.click("#logout")
    page.wait_for_url(live.url + "/")
    assert page.is_visible("#login-dev")
    shot(page, "05-logged-out")
    page.goto(live.url + "/profile")
    page.wait_for_url("**/_devidp/authorize**")  # @login_required sends you to log in


def test_logging_out_at_the_provider_logs_out_of_the_example_app(
    page, check, live, tmp_path, axe_script
):
    live.serve(create_app({"TESTING": True}, instance_path=str(tmp_path)))
    page.goto(live.url + "/")
    page.click("#login-dev")
    page.wait_for_url("**/_devidp/authorize**")
    page.click("button.user:has-text('Ada Lovelace')")
    page.wait_for_url(live.url + "/profile")
    page.goto(live.url + "/")
    assert page.inner_text("h1") == "Hello, Ada Lovelace!"
    assert page.is_visible("#provider-logout")
    check("06-home-logging-out-everywhere")

    # In another tab, the user signs out at the provider alone.
    provider = page.context.new_page()
    provider.set_default_timeout(15_000)
    check_provider = PageCheck(provider, axe_script)
    provider.goto(live.url + page.get_attribute("#provider-logout", "href"))
    assert provider.inner_text("h1") == "Sign out?"
    assert "Ada Lovelace" in provider.inner_text("main")
    check_provider("07-devidp-sign-out")
    provider.click("#sign-out")
    provider.wait_for_selector("h1:has-text('Signed out')")
    assert "dev-client: signed out" in provider.inner_text(".notices")
    check_provider("08-devidp-signed-out")

    # The provider told the app: on reload, the app's page is signed out.
    page.reload()
    assert page.inner_text("h1") == "Choose how to sign in"
    assert page.is_visible("#login-dev")
    page.goto(live.url + "/profile")
    page.wait_for_url("**/_devidp/authorize**")


def test_logout_pages_of_the_extension(page, check, live, tmp_path, rogue):
    """A cross-site form cannot log anyone out; a provider with no way to log
    out there leaves the user logged out here, and told."""
    providers = {
        "rogue": {
            "title": "Rogue",
            "client_id": rogue.client_id,
            "client_secret": rogue.client_secret,
            "server_metadata_url": rogue.metadata_url,
            "logout_at_provider": True,
        }
    }
    rogue.behaviour.metadata_overrides = {"end_session_endpoint": None}
    config = {"TESTING": True, "OAUTH2LOGIN_PROVIDERS": providers}
    live.serve(create_app(config, instance_path=str(tmp_path)))
    page.goto(live.url + "/login/rogue")  # the rogue provider answers at once
    page.wait_for_url(live.url + "/")
    assert page.inner_text("h1").startswith("Hello")

    # Another site (localhost is not 127.0.0.1) posts a logout form.
    other = Flask("other-site")

    @other.get("/")
    def form() -> str:
        return (
            '<!doctype html><html lang="en"><head><title>Other site</title></head><body>'
            f'<form method="post" action="{live.url}/logout"><button>Win a prize</button></form>'
            "</body></html>"
        )

    other_server = LiveServer()
    other_server.serve(other)
    try:
        page.goto(other_server.url.replace("127.0.0.1", "localhost") + "/")
        page.click("button")
        page.wait_for_url(live.url + "/logout")
        assert page.inner_text("h1") == "Request refused"
        check("31-extension-cross-site-refused", status=403)
    finally:
        other_server.stop()
    page.goto(live.url + "/")
    assert page.inner_text("h1").startswith("Hello")  # still logged in

    page.click("#logout")
    page.wait_for_selector("h1:has-text('You are logged out of this site')")
    assert "offers no way to log out from here" in page.inner_text("main")
    check("32-extension-logged-out-provider-has-no-logout")
    page.click("a:has-text('Continue')")
    page.wait_for_url(live.url + "/")
    assert page.is_visible("#login-rogue")


@pytest.fixture
def oidc_app(live: LiveServer, tmp_path: Path) -> Iterator[tuple[LiveServer, OidcProvider]]:
    require_node()
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
    """Sign in on the npm oidc-provider's own pages (not ours: not checked by axe)."""
    page.wait_for_selector("input[name=login]")
    shot(page, "11-oidc-provider-login")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Authorize")


def test_example_app_with_oidc_provider(page, check, oidc_app):
    live, provider = oidc_app
    page.goto(live.url + "/")
    page.click("#login-op")
    sign_in_at_oidc_provider(page, "katherine")
    shot(page, "12-oidc-provider-consent")
    page.click("button[autofocus], button[type=submit]")
    page.wait_for_url(live.url + "/profile")
    assert page.inner_text("#user-sub") == "katherine"
    assert page.inner_text("#api-status") == "200"
    check("13-profile-via-oidc-provider")
    page.click("#logout")
    page.wait_for_url(live.url + "/")
    assert provider.stats()["revocations"] >= 1


def test_refused_consent_ends_on_clear_error_page(page, check, oidc_app):
    live, _ = oidc_app
    page.goto(live.url + "/login/op")
    sign_in_at_oidc_provider(page, "mary")
    page.click("a:has-text('Cancel')")
    page.wait_for_url(live.url + "/callback/op**")
    message = page.inner_text("#oauth2login-error-message")
    assert "declined" in message
    assert page.title() == "Login failed"
    check("14-consent-refused", status=403)
    page.goto(live.url + "/profile")
    page.wait_for_url("**/interaction/**")  # still not logged in


def test_tampered_callback_ends_on_clear_error_page(page, check, live, tmp_path):
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
    check("15-tampered-callback", status=400)
    page.goto(live.url + "/")
    assert page.is_visible("#login-dev")  # nobody was logged in


def several_providers(tmp_path: Path) -> Flask:
    """The example app offering the development provider and GitHub (never reached)."""
    providers = {
        "dev": {
            "preset": "devidp",
            "title": "the development provider",
            "client_id": "dev-client",
            "client_secret": "dev-secret",
        },
        "github": {"client_id": "github-client", "client_secret": "github-secret"},
    }
    config = {"TESTING": True, "OAUTH2LOGIN_PROVIDERS": providers}
    return create_app(config, instance_path=str(tmp_path))


def test_pages_around_a_login(page, check, live, tmp_path):
    live.serve(several_providers(tmp_path))
    page.goto(live.url + "/")
    assert page.is_visible("#login-github")
    check("21-home-several-providers")

    page.goto(live.url + "/login")
    assert page.inner_text("h1") == "Log in"
    assert page.is_visible("a.button:has-text('Log in with GitHub')")
    check("22-extension-chooser")

    page.goto(live.url + "/login/nobody")
    assert "no way to log in by that name" in page.inner_text("#oauth2login-error-message")
    check("23-extension-unknown-provider", status=404)

    page.goto(live.url + "/logout")
    assert page.is_visible("button:has-text('Log out')")
    check("24-extension-logout-page", status=405)

    # The development provider: a sign-in with nothing typed, then a refusal.
    page.goto(live.url + "/login/dev")
    page.wait_for_url("**/_devidp/authorize**")
    page.click("button.btn:has-text('Sign in')")
    page.wait_for_selector("[role=alert]")
    assert "needs a name or an e-mail" in page.inner_text("[role=alert]")
    check("25-devidp-sign-in-error", status=400)
    page.click("button:has-text('Deny')")
    page.wait_for_url(live.url + "/callback/dev**")
    assert "declined" in page.inner_text("#oauth2login-error-message")
    # "Try again" stands out from "Other ways to log in".
    background = "e => getComputedStyle(e).backgroundColor"
    primary = page.eval_on_selector("a.button.primary", background)
    assert primary != page.eval_on_selector("a.button:not(.primary)", background)
    check("26-devidp-denied", status=403)

    page.goto(live.url + "/_devidp/authorize?client_id=nobody")
    assert page.inner_text("h1") == "Unknown client"
    check("27-devidp-unknown-client", status=400)

    page.goto(live.url + "/_devidp/logout")
    assert page.inner_text("h1") == "Signed out"
    check("28-devidp-signed-out")

    page.goto(live.url + "/_devidp/")
    assert page.inner_text("h1") == "Development identity provider"
    check("29-devidp-index")


def test_store_unavailable_page(page, check, live, tmp_path):
    nobody = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    store = redis.Redis.from_url(nobody, retry=Retry(NoBackoff(), 0))
    config = {"TESTING": True, "SESSION_TYPE": "redis", "SESSION_REDIS": store}
    live.serve(create_app(config, instance_path=str(tmp_path)))
    page.goto(live.url + "/")
    page.click("#login-dev")  # the pending login cannot be kept
    assert page.inner_text("h1") == "Temporarily unavailable"
    check("30-extension-store-unavailable", status=503)


def test_page_check_finds_what_a_person_would_miss(page, check, live):
    """The checks can fail: a page that breaks each rule is caught by each one."""
    app = Flask(__name__)

    @app.get("/bad")
    def bad() -> str:
        # No lang, a faint paragraph, an unlabelled field; no framing headers.
        return (
            "<!doctype html><html><head><title>Bad</title></head><body>"
            '<p style="color:#bbb;background:#fff">faint</p><input type="text">'
            "</body></html>"
        )

    @app.get("/wide")
    def wide() -> tuple[str, int, dict[str, str]]:
        html = (
            '<!doctype html><html lang="en"><head><title>Wide</title></head><body><main>'
            '<p style="width:40rem">too wide for a phone</p></main></body></html>'
        )
        framing = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}
        return html, 200, framing

    live.serve(app)
    page.goto(live.url + "/bad")
    with pytest.raises(AssertionError, match="X-Frame-Options"):
        check.assert_refuses_framing(check.response())
    with pytest.raises(AssertionError) as caught:
        check.assert_accessible("bad")
    for rule in ("html-has-lang", "color-contrast", "label"):
        assert rule in str(caught.value)
    assert "input" in str(caught.value)  # the target is named

    page.goto(live.url + "/wide")
    check.assert_refuses_framing(check.response())
    check.assert_accessible("wide")
    page.set_viewport_size(PHONE)
    with pytest.raises(AssertionError, match="wider than a phone"):
        check.assert_fits("wide")


def two_development_accounts(tmp_path: Path) -> Flask:
    """The example app offering the development provider under two names, so
    that a second account can be connected."""
    entry = {"preset": "devidp", "client_id": "dev-client", "client_secret": "dev-secret"}
    providers = {
        "dev": {**entry, "title": "the development provider", "allowed_scopes": ["notes:read"]},
        "dev-work": {**entry, "title": "the work provider"},
    }
    config = {"TESTING": True, "OAUTH2LOGIN_PROVIDERS": providers}
    return create_app(config, instance_path=str(tmp_path))


def sign_in_at_devidp(page: t.Any, who: str) -> None:
    page.wait_for_url("**/_devidp/authorize**")
    page.click(f"button.user:has-text('{who}')")


def test_connect_a_second_account_and_ask_for_more_permission(page, check, live, tmp_path):
    live.serve(two_development_accounts(tmp_path))
    page.goto(live.url + "/")
    page.click("#login-dev")
    sign_in_at_devidp(page, "Grace Hopper")
    page.wait_for_url(live.url + "/profile")
    page.goto(live.url + "/")
    assert page.inner_text("#connect-dev-work") == "Connect the work provider"
    check("41-home-connect-another-account")

    page.click("#connect-dev-work")  # a POST form of this site
    sign_in_at_devidp(page, "Ada Lovelace")
    page.wait_for_url(live.url + "/")
    assert page.inner_text("h1") == "Hello, Ada Lovelace!"
    assert "Ada Lovelace" in page.inner_text("#account-dev-work")
    assert "Grace Hopper" in page.inner_text("#account-dev")
    assert not page.is_visible("#connect-dev-work")
    check("42-home-two-accounts")

    # A page that needs a permission signing in did not ask for.
    page.click("#more-dev")
    page.wait_for_url("**/_devidp/authorize**")
    assert "notes:read" in page.inner_text(".scopes")
    sign_in_at_devidp(page, "Grace Hopper")
    page.wait_for_url(live.url + "/more/dev")
    assert "notes:read" in page.inner_text("#granted").split()
    assert page.inner_text("#api-status") == "200"
    assert "notes:read" in page.inner_text("#api-body")
    check("43-more-permission")
    page.goto(live.url + "/more/dev")  # granted now: no detour
    assert page.url == live.url + "/more/dev"
    page.goto(live.url + "/")
    assert "Ada Lovelace" in page.inner_text("#account-dev-work")  # both still connected


def test_a_sign_in_started_elsewhere_asks_before_connecting(page, check, live, tmp_path):
    live.serve(two_development_accounts(tmp_path))
    page.goto(live.url + "/login/dev")
    sign_in_at_devidp(page, "Grace Hopper")
    page.wait_for_url(live.url + "/")
    page.goto(live.url + "/login/dev-work")  # not from a page of this site
    sign_in_at_devidp(page, "Ada Lovelace")
    page.wait_for_url(live.url + "/connect")
    assert "Ada Lovelace" in page.inner_text("#oauth2login-connect-new")
    assert "Grace Hopper" in page.inner_text("#oauth2login-connect-current")
    check("44-connect-confirmation")
    page.click("#oauth2login-connect")
    page.wait_for_url(live.url + "/")
    assert "Ada Lovelace" in page.inner_text("#account-dev-work")
    assert "Grace Hopper" in page.inner_text("#account-dev")

    page.goto(live.url + "/login/dev?scope=admin")
    assert "'admin'" in page.inner_text("#oauth2login-error-message")
    check("45-scope-not-allowed", status=400)


def test_scope_not_granted_and_cross_origin_pages(page, check, live, make_app, rogue):
    from flask_oauth2login import login_required
    from tests.support.rogue_idp import rogue_entry

    app = make_app({"rogue": rogue_entry(rogue, allowed_scopes=["api:read"])})

    @app.get("/reports")
    @login_required("rogue", scope="api:read")
    def reports() -> str:
        return "reports"

    rogue.behaviour.token_overrides = {"scope": "openid email profile"}  # grants less
    live.serve(app)
    page.goto(live.url + "/reports")
    page.wait_for_url(live.url + "/reports")
    assert page.inner_text("h1") == "Permission not granted"
    assert "api:read" in page.inner_text("#oauth2login-error-message")
    check("46-scope-not-granted", status=403)

    # Another site's form that POSTs to this site's login.
    elsewhere = LiveServer()
    other = Flask("elsewhere")

    @other.get("/")
    def form() -> str:
        return (
            '<!doctype html><html lang="en"><head><title>Elsewhere</title></head><body><main>'
            f'<form method="post" action="{live.url}/login/rogue">'
            '<button id="go" type="submit">Go</button></form></main></body></html>'
        )

    elsewhere.serve(other)
    try:
        page.goto(elsewhere.url.replace("127.0.0.1", "localhost") + "/")
        page.click("#go")
        page.wait_for_url(live.url + "/login/rogue")
        assert "another site" in page.inner_text("#oauth2login-error-message")
        check("47-cross-origin-refused", status=403)
    finally:
        elsewhere.stop()
