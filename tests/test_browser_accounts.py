"""The accounts page in real headless Chromium, driven by Playwright: connect
a second account, see both on ``/accounts``, disconnect one (its tokens are
revoked at the provider) and keep the other.

The example app offers the development provider under two names; every page
is checked as :mod:`tests.test_browser` checks pages (axe-core's WCAG 2 A/AA
rules at desktop and phone size, no sideways scrolling, framing refused).
"""

from __future__ import annotations

import typing as t

import pytest
import requests

from example_app import oauth
from tests.test_browser import (  # noqa: F401  (fixtures)
    axe_script,
    browser,
    check,
    live,
    page,
    sign_in_at_devidp,
    two_development_accounts,
)

pytestmark = pytest.mark.xdist_group("browser")


def api_status(url: str, token: t.Mapping[str, t.Any]) -> int:
    """What the development provider's API answers *token*'s access token."""
    response = requests.get(
        url + "/_devidp/api/me",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=10,
    )
    return response.status_code


def test_connect_a_second_account_see_both_and_disconnect_one(page, check, live, tmp_path):  # noqa: F811
    app = two_development_accounts(tmp_path)
    live.serve(app)
    page.goto(live.url + "/")
    page.click("#login-dev")
    sign_in_at_devidp(page, "Grace Hopper")
    page.wait_for_url(live.url + "/profile")
    page.goto(live.url + "/")
    page.click("#manage-accounts")  # the example app links the page
    page.wait_for_url(live.url + "/accounts")
    assert page.inner_text("h1") == "Your accounts"
    assert "Grace Hopper" in page.inner_text("#oauth2login-account-dev")
    assert page.is_visible("#oauth2login-only-account")
    check("51-accounts-one")

    page.click("#oauth2login-connect-dev-work")  # a POST form of this site
    sign_in_at_devidp(page, "Ada Lovelace")
    page.wait_for_url(live.url + "/accounts")
    dev, work = (
        page.inner_text("#oauth2login-account-dev"),
        page.inner_text("#oauth2login-account-dev-work"),
    )
    assert "the development provider" in dev and "Grace Hopper" in dev
    assert "grace@example.com" in dev
    assert "the work provider" in work and "Ada Lovelace" in work
    assert "ada@example.com" in work
    assert "openid" in work and "UTC" in work
    assert not page.is_visible("#oauth2login-connect-dev-work")
    check("52-accounts-two")

    with app.app_context():
        tokens = {"dev": oauth.token("dev", "grace"), "dev-work": oauth.token("dev-work", "ada")}
    assert api_status(live.url, tokens["dev-work"]) == 200

    page.click("#oauth2login-disconnect-dev-work")
    page.wait_for_url(live.url + "/accounts")
    assert page.query_selector("#oauth2login-account-dev-work") is None
    assert "Grace Hopper" in page.inner_text("#oauth2login-account-dev")
    assert page.is_visible("#oauth2login-connect-dev-work")
    check("53-accounts-after-disconnect")
    # Revoked at the provider, and gone from the token store; the other login works.
    assert api_status(live.url, tokens["dev-work"]) == 401
    assert api_status(live.url, tokens["dev"]) == 200
    with app.app_context():
        assert oauth.stored_logins("dev-work") == []
        assert [login.subject for login in oauth.stored_logins("dev")] == ["grace"]
    page.goto(live.url + "/")
    assert page.inner_text("h1") == "Hello, Grace Hopper!"

    # The only account left: the page offers no Disconnect, and a POST is refused.
    page.goto(live.url + "/accounts")
    page.evaluate(
        """() => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = "/disconnect/dev";
            document.body.append(form);
            form.submit();
        }"""
    )
    page.wait_for_url(live.url + "/disconnect/dev")
    assert "only account" in page.inner_text("#oauth2login-error-message")
    check("54-disconnect-refused", status=409)
    assert api_status(live.url, tokens["dev"]) == 200
