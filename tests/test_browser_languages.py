"""The pages in each shipped language, and in the app's own look, in real
headless Chromium (the pattern and checks of ``tests/test_browser.py``).

One browser and one page visit every language in turn, through the browser's
``Accept-Language``: each page is in that language (``<html lang>``, ``dir``
and its words), passes axe-core's WCAG 2 A/AA rules at desktop and at phone
size, and fits a phone's width, Arabic right to left included.
"""

from __future__ import annotations

import datetime as dt
import secrets
import typing as t
from pathlib import Path

import pytest
from babel import dates
from flask import Flask

from example_app import create_app
from flask_oauth2login import OAuth2Login
from flask_oauth2login.devidp import DevIdentityProvider
from tests.test_browser import (
    DESKTOP,
    PHONE,
    PageCheck,
    axe_script,
    browser,
    live,
    page,
    shot,
    sign_in_at_devidp,
    two_development_accounts,
)

__all__ = ["axe_script", "browser", "live", "page"]  # fixtures, used by name

pytestmark = pytest.mark.xdist_group("browser")

#: Each shipped language, as a browser asks for it: (Accept-Language,
#: <html lang>, dir, the chooser's heading, the logout page's heading, the
#: example app's heading).
LANGUAGES = [
    ("en-US,en;q=0.9", "en", "ltr", "Log in", "Log out", "Choose how to sign in"),
    ("de-DE,de;q=0.9", "de", "ltr", "Anmelden", "Abmelden", "Wählen Sie, wie Sie sich anmelden"),
    (
        "fr-FR,fr;q=0.9",
        "fr",
        "ltr",
        "Se connecter",
        "Se déconnecter",
        "Choisissez comment vous connecter",
    ),
    ("es-ES,es;q=0.9", "es", "ltr", "Iniciar sesión", "Cerrar sesión", "Elija cómo iniciar sesión"),
    ("pt-BR,pt;q=0.9", "pt-BR", "ltr", "Entrar", "Sair", "Escolha como entrar"),
    ("ja-JP,ja;q=0.9", "ja", "ltr", "ログイン", "ログアウト", "ログイン方法を選んでください"),
    ("ar-EG,ar;q=0.9", "ar", "rtl", "تسجيل الدخول", "تسجيل الخروج", "اختر طريقة تسجيل الدخول"),
]


class LanguageCheck(PageCheck):
    """axe-core at desktop and at phone size, and the phone's width; the
    page's language and direction, as the page and the browser see them."""

    def page_in(
        self, lang: str, direction: str, name: str, status: int = 200, ours: bool = True
    ) -> None:
        page = self.page
        assert self.response().status == status, page.url
        assert page.get_attribute("html", "lang") == lang
        assert page.get_attribute("html", "dir") == direction
        if ours:
            assert page.get_attribute(".oauth2login", "lang") == lang
        shown = page.eval_on_selector("h1", "e => getComputedStyle(e).direction")
        assert shown == direction, f"{name}: the heading is laid out {shown}"
        try:
            self.assert_accessible(f"{name} at desktop size")
            page.set_viewport_size(PHONE)
            self.assert_fits(name)
            self.assert_accessible(f"{name} at phone size")
            if direction == "rtl":
                shot(page, f"{name}-phone")
        finally:
            page.set_viewport_size(DESKTOP)


@pytest.fixture
def check(page: t.Any, axe_script: str) -> LanguageCheck:
    return LanguageCheck(page, axe_script)


def test_the_pages_in_every_language(page, check, live, tmp_path):
    live.serve(create_app({"TESTING": True}, instance_path=str(tmp_path)))
    for accept, lang, direction, log_in, log_out, home in LANGUAGES:
        page.set_extra_http_headers({"Accept-Language": accept})
        name = f"60-languages-{lang}"

        page.goto(live.url + "/")  # the example app's page, in the same language
        assert page.inner_text("h1") == home
        check.page_in(lang, direction, f"{name}-example-home", ours=False)

        page.goto(live.url + "/login")
        assert page.inner_text("h1") == log_in
        assert "the development provider" in page.inner_text("a.button")  # names stay
        check.page_in(lang, direction, f"{name}-chooser")

        page.goto(live.url + "/login/nobody")
        assert "unknown_provider" in page.inner_text(".oauth2login")
        check.page_in(lang, direction, f"{name}-unknown-provider", status=404)

        page.goto(live.url + "/logout")
        assert page.inner_text("h1") == log_out
        check.page_in(lang, direction, f"{name}-logout", status=405)

    # Arabic, right to left, through a refused login and the pages around it.
    page.set_extra_http_headers({"Accept-Language": "ar"})
    page.goto(live.url + "/connect")
    assert page.inner_text("h1") == "لا شيء لتأكيده"
    check.page_in("ar", "rtl", "61-arabic-nothing-to-confirm")
    page.goto(live.url + "/login/dev")
    page.wait_for_url("**/_devidp/authorize**")
    page.click("button:has-text('Deny')")
    page.wait_for_url(live.url + "/callback/dev**")
    assert page.inner_text("h1") == "فشل تسجيل الدخول باستخدام the development provider"
    assert page.is_visible("#oauth2login-error-detail span[lang=en][dir=ltr]")
    check.page_in("ar", "rtl", "62-arabic-denied", status=403)
    # The link back to the site sits at the start of the line: on the right.
    link = page.eval_on_selector("#oauth2login-home", "e => e.getBoundingClientRect().right")
    box = page.eval_on_selector(".oauth2login", "e => e.getBoundingClientRect().right")
    assert link <= box + 1
    page.click("#oauth2login-home")
    page.wait_for_url(live.url + "/")


#: An app's own base template: its header, navigation and footer around the
#: extension's pages.
APP_BASE = """<!doctype html>
<html lang="{{ oauth2login_language().tag }}" dir="{{ oauth2login_language().dir }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %} · Acme</title>
<style>
  body { margin: 0; font: 17px/1.5 Georgia, serif; color: #222; background: #fffdf7; }
  header { background: #5b2a86; color: #fff; padding: .75rem 1.25rem; }
  header a { color: #fff; font-weight: bold; }
  main { max-width: 34rem; margin: 1.5rem auto; padding: 0 1rem; }
  footer { color: #555; text-align: center; padding: 1rem; }
</style>
{% block head %}{% endblock %}
</head>
<body>
<header id="acme-header"><a href="/">Acme Widgets</a></header>
<main>{% block content %}{% endblock %}</main>
<footer>Acme Widgets, since 1949</footer>
</body></html>
"""


def acme(root: Path) -> Flask:
    (root / "templates").mkdir()
    (root / "templates" / "acme.html").write_text(APP_BASE)
    app = Flask("acme", root_path=str(root), instance_path=str(root / "instance"))
    app.config.update(
        SECRET_KEY=secrets.token_urlsafe(32),
        TESTING=True,
        OAUTH2LOGIN_BASE_TEMPLATE="acme.html",
        OAUTH2LOGIN_PROVIDERS={
            "dev": {"preset": "devidp", "client_id": "dev-client", "client_secret": "dev-secret"}
        },
        OAUTH2LOGIN_DEVIDP_CLIENTS={"dev-client": {"client_secret": "dev-secret"}},
    )
    DevIdentityProvider(app)
    OAuth2Login(app)

    @app.after_request
    def refuse_framing(response: t.Any) -> t.Any:
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        return response

    @app.get("/")
    def home() -> str:
        return "Acme home"

    return app


def test_the_pages_take_the_apps_look(page, check, live, tmp_path):
    live.serve(acme(tmp_path))
    for accept, lang, direction in (("en", "en", "ltr"), ("ar", "ar", "rtl")):
        page.set_extra_http_headers({"Accept-Language": accept})
        for path, status in (("/login", 200), ("/logout", 405), ("/login/nobody", 404)):
            page.goto(live.url + path)
            assert page.inner_text("#acme-header") == "Acme Widgets"
            assert page.title().endswith(" · Acme")
            check.page_in(lang, direction, f"63-app-look-{lang}{path.replace('/', '-')}", status)
    page.set_extra_http_headers({"Accept-Language": "en"})
    page.goto(live.url + "/login/dev")
    page.wait_for_url("**/_devidp/authorize**")
    page.click("button:has-text('Deny')")
    page.wait_for_url(live.url + "/callback/dev**")
    assert page.inner_text("#acme-header") == "Acme Widgets"
    check.page_in("en", "ltr", "64-app-look-denied", status=403)
    page.click("#oauth2login-home")  # "Deny" leads back to the site
    page.wait_for_url(live.url + "/")
    assert page.inner_text("body") == "Acme home"


def test_devidp_pages_at_phone_width(page, live, tmp_path, axe_script):
    """Client ids never break inside; the redirect URI page shows the URIs."""
    live.serve(create_app({"TESTING": True}, instance_path=str(tmp_path)))
    check = PageCheck(page, axe_script)
    for width in (PHONE["width"], 600, DESKTOP["width"]):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(live.url + "/_devidp/")
        lines = page.eval_on_selector_all(
            "code.id", "codes => codes.map(c => [c.textContent, c.getClientRects().length])"
        )
        assert ["dev-client", 1] in lines
        assert all(count == 1 for _, count in lines), f"{width}px: {lines}"
    page.set_viewport_size(DESKTOP)
    page.goto(
        live.url + "/_devidp/authorize?client_id=dev-client&response_type=code"
        "&redirect_uri=https://app.example/callback/dev"
    )
    assert page.inner_text("h1") == "Redirect URI not allowed"
    assert "https://app.example/callback/dev" in page.inner_text("main")
    check("65-devidp-redirect-uri-not-allowed", status=400)


def test_the_accounts_pages_in_arabic(page, check, live, tmp_path):
    """The accounts page and the disconnect pages, right to left at phone width."""
    live.serve(two_development_accounts(tmp_path))
    page.set_extra_http_headers({"Accept-Language": "ar"})
    page.goto(live.url + "/login/dev")
    sign_in_at_devidp(page, "Grace Hopper")
    page.goto(live.url + "/accounts")
    page.click("#oauth2login-connect-dev-work")
    sign_in_at_devidp(page, "Ada Lovelace")
    page.wait_for_url(live.url + "/accounts")
    assert page.inner_text("h1") == "حساباتك"
    assert "بهذين الحسابين" in page.inner_text(".oauth2login")  # the plural of two
    when = "#oauth2login-account-dev-work .oauth2login-connected time"
    at = dt.datetime.fromisoformat(page.get_attribute(when, "datetime").replace("Z", "+00:00"))
    assert page.inner_text(when) == dates.format_datetime(at, "long", tzinfo=dt.UTC, locale="ar")
    check.page_in("ar", "rtl", "66-arabic-accounts")
    # The accounts line up with the heading, on the right, at phone width.
    page.set_viewport_size(PHONE)
    edges = page.evaluate(
        """() => [document.querySelector("h1"), document.querySelector("#oauth2login-account-dev")]
            .map((e) => Math.round(e.getBoundingClientRect().right))"""
    )
    page.set_viewport_size(DESKTOP)
    assert edges[0] == edges[1], f"the accounts are indented: {edges}"

    page.goto(live.url + "/disconnect/dev-work")  # a link: nothing is disconnected
    assert page.inner_text("h1") == "فصل the work provider"
    check.page_in("ar", "rtl", "67-arabic-disconnect-by-link", status=405)
    page.click("#oauth2login-disconnect-dev-work")  # the page's own button
    page.wait_for_url(live.url + "/accounts")
    assert page.query_selector("#oauth2login-account-dev-work") is None
    assert "Grace Hopper" in page.inner_text("#oauth2login-account-dev")
