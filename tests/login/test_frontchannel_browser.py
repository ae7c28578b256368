"""Front-channel logout in real headless Chromium: the provider's logout page
frames ``/frontchannel-logout/<provider>``, and the session of that ``sid``
ends; an ``<img>`` of the same URL on a page ends nothing.

The app is served on loopback; two people are logged in there (through
``requests``), each with a provider session of their own. The provider's
logout page is the rogue provider's ``/logout``, made to answer with a page
that frames (or shows as an image) the app's front-channel logout URL.
"""

from __future__ import annotations

import secrets
import typing as t
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from tests.conftest import http_session, rogue_entry
from tests.support.threads import serving
from tests.test_browser import browser as browser  # the Chromium fixture

pytestmark = pytest.mark.xdist_group("browser")

SUPPORTED = {
    "frontchannel_logout_supported": True,
    "frontchannel_logout_session_supported": True,
    "backchannel_logout_supported": None,
    "backchannel_logout_session_supported": None,
}


@pytest.fixture
def live(make_app: t.Any, rogue: t.Any) -> t.Iterator[str]:
    rogue.behaviour.metadata_overrides = dict(SUPPORTED)
    app = make_app(
        {"rogue": rogue_entry(rogue, frontchannel_logout=True)}, SECRET_KEY=secrets.token_hex(32)
    )
    with serving(app) as url:
        yield url


def person(url: str, rogue: t.Any, sid: str) -> requests.Session:
    """Someone logged in at the app, with provider session *sid*."""
    rogue.behaviour.id_token_claims = {"sid": sid}
    session = http_session()
    start = session.get(url + "/login/rogue", allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text
    callback = urlsplit(rogue.authorize(start.headers["Location"]))
    done = session.get(f"{url}{callback.path}?{callback.query}", allow_redirects=False, timeout=10)
    assert done.status_code == 302, done.text
    rogue.behaviour.id_token_claims = {}
    return session


def user_of(url: str, session: requests.Session) -> t.Any:
    return session.get(url + "/", timeout=10).json()["user"]


def provider_page(rogue: t.Any, body: str) -> str:
    """The provider's ``/logout`` answers with *body*; its URL."""
    page = f"<!doctype html><html lang='en'><title>Logged out</title><body>{body}</body></html>"
    rogue.behaviour.raw_answers = {"end_session": (page.encode(), {"Content-Type": "text/html"})}
    return rogue.issuer + "/logout"


def test_the_providers_frame_ends_the_session_of_its_sid(browser, live, rogue):
    alice, bob = person(live, rogue, "sid-a"), person(live, rogue, "sid-b")
    target = f"{live}/frontchannel-logout/rogue?" + urlencode({"iss": rogue.issuer, "sid": "sid-a"})
    page = browser.new_page()
    try:
        page.goto(provider_page(rogue, f'<iframe src="{target}" title="logout"></iframe>'))
        frame = page.frame_locator("iframe")
        frame.locator("#oauth2login-error-message").wait_for(timeout=10_000)
        assert frame.locator("h1").inner_text() == "Logged out"
    finally:
        page.close()
    assert user_of(live, alice) is None
    assert user_of(live, bob) is not None


def test_an_image_of_the_same_address_ends_nothing(browser, live, rogue):
    alice = person(live, rogue, "sid-a")
    target = f"{live}/frontchannel-logout/rogue?" + urlencode({"iss": rogue.issuer, "sid": "sid-a"})
    page = browser.new_page()
    try:
        sent: list[str] = []
        page.on("request", lambda r: sent.append(r.url) if "/frontchannel-" in r.url else None)
        page.goto(provider_page(rogue, f'<img src="{target}" alt="">'), wait_until="load")
        assert len(sent) == 1  # the browser asked for it (as an image), and was refused
    finally:
        page.close()
    assert user_of(live, alice) is not None
