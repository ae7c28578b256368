"""Front-channel logout (OpenID Connect Front-Channel Logout 1.0): the
provider's logout page frames ``/frontchannel-logout/<provider>?iss=&sid=``,
which ends the sessions of that ``sid``. The frame is a third-party one, so
it carries no session cookie: the sessions are found by the logout index.

It is opt-in per provider entry (``frontchannel_logout``), off while the
provider advertises back-channel logout, and carried out only for iframe
navigations (``Sec-Fetch-Dest: iframe``): an ``<img>`` on another site, a
link or a curl ends nothing."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from flask_oauth2login import logged_out
from tests.conftest import log_in, rogue_entry

#: Front-channel logout with sid advertised, back-channel logout not.
SUPPORTED = {
    "frontchannel_logout_supported": True,
    "frontchannel_logout_session_supported": True,
    "backchannel_logout_supported": None,
    "backchannel_logout_session_supported": None,
}
#: What a browser sends for a page that a frame of another site loads.
FRAMED = {"Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}


@pytest.fixture
def app(make_app, rogue):
    """An app whose ``rogue`` entry switches front-channel logout on."""
    return make_app({"rogue": rogue_entry(rogue, frontchannel_logout=True)})


@pytest.fixture
def browsers(app, rogue):
    rogue.behaviour.metadata_overrides = dict(SUPPORTED)
    first, second = app.test_client(), app.test_client()
    for browser, sid in ((first, "sid-a"), (second, "sid-b")):
        rogue.behaviour.id_token_claims = {"sid": sid}
        assert log_in(browser, rogue).status_code == 302
    return first, second


def user_of(browser):
    return browser.get("/").get_json()["user"]


def frame(app, headers=FRAMED, **params):
    """The provider's hidden frame: a request with none of the user's cookies."""
    return app.test_client().get("/frontchannel-logout/rogue?" + urlencode(params), headers=headers)


def test_the_framed_page_ends_the_session_of_that_sid(app, rogue, browsers):
    first, second = browsers
    seen = []
    with logged_out.connected_to(lambda sender, **kw: seen.append(kw), app):
        response = frame(app, iss=rogue.issuer, sid="sid-a")
    assert response.status_code == 200
    assert user_of(first) is None
    assert user_of(second) is not None
    assert seen == [{"provider": "rogue", "reason": "frontchannel"}]
    # Only the provider may frame it; no other site.
    assert response.headers["Content-Security-Policy"] == f"frame-ancestors {rogue.issuer}"
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "params",
    [{"sid": "sid-a"}, {"iss": "ISSUER"}, {"iss": "https://evil.example", "sid": "sid-a"}, {}],
    ids=["no iss", "no sid", "another issuer", "nothing"],
)
def test_a_request_without_the_providers_iss_and_a_sid_ends_nothing(app, rogue, browsers, params):
    params = {k: rogue.issuer if v == "ISSUER" else v for k, v in params.items()}
    response = frame(app, **params)
    assert response.status_code == 400
    assert all(user_of(b) is not None for b in browsers)


def test_a_provider_that_does_not_advertise_it_cannot_use_it(app, rogue, browsers):
    rogue.behaviour.metadata_overrides = {}
    app.extensions["oauth2login"].providers["rogue"].discovery._endpoints.clear()  # discovered anew
    assert frame(app, iss=rogue.issuer, sid="sid-a").status_code == 400
    assert all(user_of(b) is not None for b in browsers)


def test_an_unknown_provider_is_a_404(app, rogue):
    assert app.test_client().get("/frontchannel-logout/nobody?sid=x").status_code == 404


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {**FRAMED, "Sec-Fetch-Dest": "image", "Sec-Fetch-Mode": "no-cors"},
        {**FRAMED, "Sec-Fetch-Dest": "document"},
        {**FRAMED, "Sec-Fetch-Dest": "script", "Sec-Fetch-Mode": "no-cors"},
    ],
    ids=["curl", "img elsewhere", "link elsewhere", "script elsewhere"],
)
def test_only_an_iframe_navigation_ends_a_session(app, rogue, browsers, headers):
    seen = []
    with logged_out.connected_to(lambda sender, **kw: seen.append(kw), app):
        response = frame(app, headers=headers, iss=rogue.issuer, sid="sid-a")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Not logged out" in page and "it was not framed, so nothing happened" in page
    assert response.headers["Cache-Control"] == "no-store"
    assert all(user_of(b) is not None for b in browsers)
    assert seen == []


def test_it_is_off_unless_the_provider_entry_switches_it_on(make_app, rogue):
    rogue.behaviour.metadata_overrides = dict(SUPPORTED)
    app = make_app({"rogue": rogue_entry(rogue)})
    browser = app.test_client()
    rogue.behaviour.id_token_claims = {"sid": "sid-a"}
    assert log_in(browser, rogue).status_code == 302
    response = frame(app, iss=rogue.issuer, sid="sid-a")
    assert response.status_code == 400
    assert "not switched on" in response.get_data(as_text=True)
    assert user_of(browser) is not None


def test_it_is_off_where_the_provider_offers_back_channel_logout(app, rogue, browsers):
    # The provider advertises both (Keycloak does): the signed logout token is the way.
    rogue.behaviour.metadata_overrides = {**SUPPORTED, "backchannel_logout_supported": True}
    app.extensions["oauth2login"].providers["rogue"].discovery._endpoints.clear()
    response = frame(app, iss=rogue.issuer, sid="sid-a")
    assert response.status_code == 400
    assert "logs out by back-channel" in response.get_data(as_text=True)
    assert all(user_of(b) is not None for b in browsers)


def test_it_is_off_where_the_entry_says_the_provider_sends_logout_tokens(make_app, rogue):
    # It sends them without advertising it: the signed logout token is the way.
    rogue.behaviour.metadata_overrides = dict(SUPPORTED)
    entry = rogue_entry(rogue, frontchannel_logout=True, backchannel_logout=True)
    app = make_app({"rogue": entry})
    browser = app.test_client()
    rogue.behaviour.id_token_claims = {"sid": "sid-a"}
    assert log_in(browser, rogue).status_code == 302
    response = frame(app, iss=rogue.issuer, sid="sid-a")
    assert response.status_code == 400
    assert "logs out by back-channel" in response.get_data(as_text=True)
    assert user_of(browser) is not None


def test_it_is_on_where_the_entry_says_the_provider_never_sends_logout_tokens(make_app, rogue):
    # It advertises back-channel logout but never sends a token to this app.
    rogue.behaviour.metadata_overrides = {**SUPPORTED, "backchannel_logout_supported": True}
    entry = rogue_entry(rogue, frontchannel_logout=True, backchannel_logout=False)
    app = make_app({"rogue": entry})
    browser = app.test_client()
    rogue.behaviour.id_token_claims = {"sid": "sid-a"}
    assert log_in(browser, rogue).status_code == 302
    response = frame(app, iss=rogue.issuer, sid="sid-a")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert user_of(browser) is None
