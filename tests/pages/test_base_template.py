"""The extension's pages take the app's look: they extend the template
``OAUTH2LOGIN_BASE_TEMPLATE`` names, through its blocks title, head and content."""

from __future__ import annotations

import secrets
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_oauth2login import ConfigurationError, OAuth2Login

GITHUB = {"github": {"client_id": "an-id", "client_secret": "a-secret"}}
#: An app's own base template: its header and footer, and the three blocks.
APP_BASE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{% block title %}{% endblock %} · Acme</title>
<style>body { font-family: serif; }</style>
{% block head %}{% endblock %}</head>
<body>
<header id="acme-header"><a href="/">Acme home</a></header>
<main>{% block content %}{% endblock %}</main>
<footer id="acme-footer">Acme Inc.</footer>
</body></html>
"""


def make(tmp_path: Path, **config: t.Any) -> Flask:
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "layout.html").write_text(APP_BASE)
    app = Flask("acme", root_path=str(tmp_path), instance_path=str(tmp_path / "instance"))
    app.config.update(
        SECRET_KEY=secrets.token_urlsafe(32),
        TESTING=True,
        OAUTH2LOGIN_PROVIDERS=GITHUB,
        OAUTH2LOGIN_BASE_TEMPLATE="layout.html",
    )
    app.config.update(config)
    OAuth2Login(app)
    return app


PAGES = [
    ("GET", "/login", 200, "Log in"),
    ("GET", "/login/nobody", 404, "Login failed"),
    ("GET", "/callback/github?state=lost&code=x", 400, "Login failed"),
    ("GET", "/logout", 405, "Log out"),
    ("GET", "/connect", 200, "Nothing to confirm"),
    ("GET", "/disconnect/github", 405, "Disconnect GitHub"),
]


@pytest.mark.parametrize(("method", "path", "status", "title"), PAGES)
def test_every_page_extends_the_apps_base_template(tmp_path, method, path, status, title):
    answer = make(tmp_path).test_client().open(path, method=method)
    text = answer.get_data(as_text=True)
    assert answer.status_code == status
    assert f"<title>{title} · Acme</title>" in text  # block title
    assert '<header id="acme-header">' in text and '<footer id="acme-footer">' in text
    assert '<meta name="referrer"' in text and ".oauth2login a.button" in text  # block head
    assert "body { font-family: serif; }" in text  # the app's own head stays
    assert '<main><div class="oauth2login" lang="en" dir="ltr">' in text  # block content
    assert text.count("<html") == 1 and text.count("<main") == 1


@pytest.mark.parametrize(("method", "path", "status", "title"), PAGES)
def test_every_page_links_back_to_the_site(tmp_path, method, path, status, title):
    for app in (make(tmp_path), make(tmp_path, OAUTH2LOGIN_BASE_TEMPLATE="oauth2login/base.html")):
        text = app.test_client().open(path, method=method).get_data(as_text=True)
        assert '<a href="/" id="oauth2login-home">Back to the home page</a>' in text


def test_the_link_back_goes_to_the_apps_root_under_a_script_root(tmp_path):
    client = make(tmp_path).test_client()
    text = client.get("/login", environ_overrides={"SCRIPT_NAME": "/shop"}).get_data(as_text=True)
    assert '<a href="/shop/" id="oauth2login-home">' in text


def test_the_refused_and_store_pages_extend_it_too(tmp_path):
    client = make(tmp_path).test_client()
    refused = client.post("/logout", headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    text = refused.get_data(as_text=True)
    assert '<header id="acme-header">' in text and "<title>Request refused · Acme</title>" in text


def test_the_default_base_template_is_a_page_of_its_own(tmp_path):
    app = make(tmp_path, OAUTH2LOGIN_BASE_TEMPLATE="oauth2login/base.html")
    text = app.test_client().get("/login").get_data(as_text=True)
    assert "acme-header" not in text
    assert text.startswith('<!doctype html>\n<html lang="en" dir="ltr">')
    assert "<title>Log in</title>" in text


def test_an_app_overrides_one_page(tmp_path):
    """A template of the app's at the page's name replaces it (Flask looks in
    the app's templates first); the rest stay the extension's."""
    folder = tmp_path / "templates" / "oauth2login"
    folder.mkdir(parents=True)
    (folder / "logout.html").write_text(
        '{% extends "oauth2login/page.html" %}{% block title %}Leaving?{% endblock %}'
        "{% block page %}<h1>Leaving Acme?</h1>"
        '<form method="post" action="{{ url_for(\'oauth2login.logout\') }}">'
        "<button>{{ oauth2login_gettext('Log out') }}</button></form>{% endblock %}"
    )
    app = make(tmp_path)
    text = app.test_client().get("/logout", headers={"Accept-Language": "de"}).get_data(True)
    assert "<h1>Leaving Acme?</h1>" in text and "<button>Abmelden</button>" in text
    assert '<header id="acme-header">' in text
    assert "<h1>Anmelden</h1>" in app.test_client().get(
        "/login", headers={"Accept-Language": "de"}
    ).get_data(True)


@pytest.mark.parametrize("value", ["", "   ", 3, None])
def test_the_setting_is_checked(tmp_path, value):
    with pytest.raises(ConfigurationError, match="OAUTH2LOGIN_BASE_TEMPLATE"):
        make(tmp_path, OAUTH2LOGIN_BASE_TEMPLATE=value)
