"""The accounts page, ``GET /accounts`` (:mod:`flask_oauth2login.login.accounts`),
and when each login was connected (:func:`flask_oauth2login.tokens.logins.connected_at`)."""

from __future__ import annotations

import re
import typing as t

import pytest
from flask import Flask, session

from flask_oauth2login import ConfigurationError
from flask_oauth2login.tokens.logins import CONNECTED_KEY
from tests.support.accounts import Browser, api_status, assert_revoked, both, make_app
from tests.support.threads import serving


@pytest.fixture
def served(tmp_path: t.Any) -> t.Iterator[tuple[Flask, str]]:
    app = make_app(tmp_path, OAUTH2LOGIN_ACCOUNTS_PAGE=True)

    @app.post("/connected-at/<provider>/<int:at>")
    def set_connected_at(provider: str, at: int) -> str:
        session[CONNECTED_KEY] = {**session.get(CONNECTED_KEY, {}), provider: at}
        return ""

    with serving(app) as url:
        yield app, url


def accounts_page(browser: Browser) -> t.Any:
    return browser.http.get(browser.url + "/accounts", allow_redirects=False, timeout=10)


def section(html: str, provider: str) -> str:
    """The list item of *provider*'s account."""
    found = re.search(rf'<li id="oauth2login-account-{provider}">(.*?)</li>', html, re.S)
    assert found is not None, f"no account of {provider} on the page"
    return found.group(1)


def test_no_page_unless_switched_on(tmp_path):
    app = make_app(tmp_path)
    assert "oauth2login.accounts" not in {rule.endpoint for rule in app.url_map.iter_rules()}
    with serving(app) as url:
        browser, _ = both(url)
        assert accounts_page(browser).status_code == 404


def test_the_setting_is_a_boolean(tmp_path):
    with pytest.raises(ConfigurationError, match="OAUTH2LOGIN_ACCOUNTS_PAGE"):
        make_app(tmp_path, OAUTH2LOGIN_ACCOUNTS_PAGE="yes")


def test_the_page_needs_a_login(served):
    _, url = served
    answer = accounts_page(Browser(url))
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=/accounts"


def test_the_page_lists_both_accounts_with_disconnect_buttons(served):
    _, url = served
    browser, _ = both(url)
    answer = accounts_page(browser)
    assert answer.status_code == 200
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert answer.headers["Referrer-Policy"] == "same-origin"
    assert answer.headers["Cache-Control"] == "no-store"
    html = answer.text
    dev, work = section(html, "dev"), section(html, "work")
    assert "<h2>Dev</h2>" in dev and "<h2>Work</h2>" in work
    assert "Ada Lovelace" in dev and "ada@example.com" in dev
    assert "Grace Hopper" in work and "grace@example.com" in work
    for scope in ("openid", "email", "profile"):
        assert f"<code>{scope}</code>" in dev
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">', work)
    assert 'action="/disconnect/work"' in work and 'id="oauth2login-disconnect-work"' in work
    assert 'action="/disconnect/dev"' in dev
    assert 'value="/accounts"' in work  # back here afterwards
    assert "oauth2login-connect-" not in html  # nothing left to connect
    assert html.index("oauth2login-account-dev") < html.index("oauth2login-account-work")


def test_one_account_offers_to_connect_the_other_and_no_disconnect(served):
    _, url = served
    browser = Browser(url)
    browser.log_in("dev", "ada")
    html = accounts_page(browser).text
    assert "oauth2login-disconnect-" not in html
    assert 'id="oauth2login-only-account"' in html
    assert re.search(
        r'<form method="post" action="/login/work">\s*'
        r'<input type="hidden" name="next" value="/accounts">\s*'
        r'<button class="primary" type="submit" id="oauth2login-connect-work">'
        r"Connect Work</button>",
        html,
    )


def test_with_the_logout_setting_the_only_account_can_be_disconnected(tmp_path):
    app = make_app(tmp_path, OAUTH2LOGIN_ACCOUNTS_PAGE=True, OAUTH2LOGIN_DISCONNECT_LAST="logout")
    with serving(app) as url:
        browser = Browser(url)
        browser.log_in("dev", "ada")
        html = accounts_page(browser).text
        assert 'id="oauth2login-disconnect-dev"' in html
        assert "oauth2login-only-account" not in html


def test_connect_from_the_page_then_disconnect_back_to_it(served):
    _, url = served
    browser = Browser(url)
    browser.log_in("dev", "ada")
    browser.log_in("work", "grace")  # the page's Connect form: a POST of this site
    tokens = browser.state()["tokens"]
    answer = browser.post("/disconnect/dev", data={"next": "/accounts"})
    assert answer.headers["Location"] == "/accounts"
    html = accounts_page(browser).text
    assert "oauth2login-account-dev" not in html
    assert "Grace Hopper" in section(html, "work")
    assert 'id="oauth2login-connect-dev"' in html
    assert_revoked(url, tokens["dev"])
    assert api_status(url, tokens["work"]) == 200
    # Without next, a disconnect lands on the page.
    browser.log_in("dev", "ada")
    assert browser.post("/disconnect/dev").headers["Location"] == "/accounts"


def test_the_connection_time_is_kept_while_the_same_identity_logs_in_again(served):
    _, url = served
    browser, _ = both(url)
    browser.post("/connected-at/dev/1000000000")  # 2001-09-09 01:46 UTC
    browser.log_in("dev", "ada")  # the same identity again
    shown = section(accounts_page(browser).text, "dev")
    assert '<time datetime="2001-09-09T01:46:40Z">September 9, 2001, 1:46:40' in shown
    assert "AM UTC</time>" in shown  # in the person's language (oauth2login_datetime)
    browser.log_in("dev", "grace")  # another person: a new session, a new time
    assert "2001-09-09" not in accounts_page(browser).text


def test_the_app_can_override_the_template(tmp_path):
    templates = tmp_path / "templates" / "oauth2login"
    templates.mkdir(parents=True)
    (templates / "accounts.html").write_text(
        '{% extends "oauth2login/base.html" %}{% block content %}'
        "{% for account in accounts %}<p class=mine>{{ account.title }}: "
        "{{ account.user.email }}</p>{% endfor %}{% endblock %}"
    )
    app = make_app(tmp_path, OAUTH2LOGIN_ACCOUNTS_PAGE=True)
    app.template_folder = str(tmp_path / "templates")
    with serving(app) as url:
        browser, _ = both(url)
        html = accounts_page(browser).text
        assert "<p class=mine>Dev: ada@example.com</p>" in html
        assert "<p class=mine>Work: grace@example.com</p>" in html
