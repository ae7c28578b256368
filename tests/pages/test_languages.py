"""The language of the extension's pages: chosen per request, translated from
the shipped catalogs (or the app's own), with dates and numbers of that language."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import typing as t
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask import Flask, render_template_string

from flask_oauth2login import OAuth2Login
from flask_oauth2login.pages.locale import negotiate

GITHUB = {"github": {"client_id": "an-id", "client_secret": "a-secret"}}
AVAILABLE = [Locale.parse(tag) for tag in ("en", "de", "fr", "es", "pt_BR", "ja", "ar")]


def make(tmp_path: Path, **config: t.Any) -> Flask:
    app = Flask("languages", root_path=str(tmp_path), instance_path=str(tmp_path / "instance"))
    app.config.update(
        SECRET_KEY=secrets.token_urlsafe(32), TESTING=True, OAUTH2LOGIN_PROVIDERS=GITHUB
    )
    app.config.update(config)
    OAuth2Login(app)
    return app


def page(app: Flask, path: str, language: str | None = None) -> str:
    headers = {"Accept-Language": language} if language else {}
    return app.test_client().get(path, headers=headers).get_data(as_text=True)


def html_tag(text: str) -> str:
    found = re.search(r"<html[^>]*>", text)
    assert found, text[:200]
    return found.group(0)


def h1(text: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", text, re.S)
    assert found, text[:500]
    return found.group(1)


def compile_catalog(folder: Path, language: str, domain: str, strings: dict[str, str]) -> None:
    catalog = Catalog(locale=language, domain=domain)
    for msgid, msgstr in strings.items():
        catalog.add(msgid, msgstr)
    target = folder / language / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / f"{domain}.mo").open("wb") as f:
        write_mo(f, catalog)


@pytest.mark.parametrize(
    ("preferred", "chosen"),
    [
        (["de-AT", "en"], "de"),  # a region of a shipped language
        (["pt"], "pt_BR"),  # the language alone
        (["pt-PT"], "pt_BR"),
        (["it", "fr-CA"], "fr"),  # the first one that is shipped
        (["en-GB", "de"], "en"),  # English is always at hand
        (["zz-ZZ", "not a tag", "ar-EG"], "ar"),  # nonsense is skipped
        (["ar-EG-u-nu-latn"], "ar"),  # extensions and private subtags aside
        (["ja-JP-mac"], "ja"),
        (["de-x-formal", "fr"], "de"),
        (["i-klingon", "x-private", "es"], "es"),
        (["it", "nl"], None),
        ([], None),
    ],
)
def test_negotiation(preferred, chosen):
    found = negotiate(preferred, AVAILABLE)
    assert (str(found) if found else None) == chosen


@pytest.mark.parametrize(
    ("language", "lang", "direction", "title"),
    [
        (None, "en", "ltr", "Log in"),
        ("de-DE,de;q=0.9,en;q=0.5", "de", "ltr", "Anmelden"),
        ("fr", "fr", "ltr", "Se connecter"),
        ("es-419", "es", "ltr", "Iniciar sesión"),
        ("pt-BR", "pt-BR", "ltr", "Entrar"),
        ("ja", "ja", "ltr", "ログイン"),
        ("ar", "ar", "rtl", "تسجيل الدخول"),
        ("it, nl;q=0.8", "en", "ltr", "Log in"),  # nothing shipped: English
    ],
)
def test_pages_follow_accept_language(tmp_path, language, lang, direction, title):
    text = page(make(tmp_path), "/login", language)
    assert html_tag(text) == f'<html lang="{lang}" dir="{direction}">'
    assert f'<div class="oauth2login" lang="{lang}" dir="{direction}">' in text
    assert h1(text) == title
    assert "GitHub" in text  # provider names stay as they are


def test_every_page_is_translated(tmp_path):
    """No English left on the pages a German reader sees (but names and codes)."""
    app = make(tmp_path)
    assert h1(page(app, "/login", "de")) == "Anmelden"
    assert "Mit GitHub anmelden" in page(app, "/login", "de")
    gone = page(app, "/login/nobody", "de")
    assert h1(gone) == "Anmeldung fehlgeschlagen"
    assert "keine Anmeldemöglichkeit" in gone and "Fehler: unknown_provider" in gone
    assert "Andere Anmeldemöglichkeiten" in gone and "Zurück zur Startseite" in gone
    logout = page(app, "/logout", "de")
    assert h1(logout) == "Abmelden" and "Schaltfläche unten" in logout
    assert h1(page(app, "/connect", "de")) == "Nichts zu bestätigen"
    lost = page(app, "/callback/github?state=nope&code=x", "de")
    assert h1(lost) == "Anmeldung mit GitHub fehlgeschlagen"
    assert "Diese Anmeldung ist hier unbekannt" in lost


def test_a_technical_message_is_summed_up_with_its_english_detail(tmp_path):
    """A message written for whoever runs the site has no translation: the
    person reads the sentence of its error code, and the English beside it."""
    app = make(tmp_path)
    english = page(app, "/login/github?max_age=soon", "en")
    assert "max_age must be a number" in english
    assert "oauth2login-error-detail" not in english
    german = page(app, "/login/github?max_age=soon", "de")
    message = re.search(r'id="oauth2login-error-message">(.*?)</p>', german)
    assert message and "Anmeldelink verlangt etwas" in message.group(1)
    detail = re.search(r'id="oauth2login-error-detail">(.*?)</p>', german, re.S)
    assert detail and '<span lang="en" dir="ltr">' in detail.group(1)
    assert "max_age must be a number" in detail.group(1)


def test_json_answers_keep_their_codes_and_english(tmp_path):
    app = make(tmp_path)
    answer = app.test_client().get(
        "/login/nobody", headers={"Accept": "application/json", "Accept-Language": "de"}
    )
    assert answer.status_code == 404
    assert answer.get_json()["error"] == "unknown_provider"
    assert answer.get_json()["message"].startswith("There is no way to log in")


def test_the_language_follows_the_apps_flask_babel_selector(tmp_path):
    from flask_babel import Babel

    app = make(tmp_path)
    Babel(app, locale_selector=lambda: "ja")
    text = page(app, "/login", "de, en;q=0.5")  # the selector wins over the browser
    assert html_tag(text) == '<html lang="ja" dir="ltr">'
    assert h1(text) == "ログイン"

    unshipped = make(tmp_path)
    Babel(unshipped, locale_selector=lambda: "it")
    assert html_tag(page(unshipped, "/login", "de")) == '<html lang="en" dir="ltr">'


def test_flask_babel_without_a_selector_leaves_it_to_accept_language(tmp_path):
    from flask_babel import Babel

    app = make(tmp_path)
    Babel(app)
    assert h1(page(app, "/login", "fr")) == "Se connecter"


def test_the_apps_own_catalogs_do_not_clash(tmp_path):
    """The app translates "Log in" its own way, in its own domain: its pages
    say it its way, ours ours."""
    from flask_babel import Babel, gettext

    compile_catalog(tmp_path / "translations", "de", "messages", {"Log in": "Reinkommen"})
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "base.html").write_text(
        '<!doctype html><html lang="de"><head><title>{% block title %}{% endblock %}</title>'
        "{% block head %}{% endblock %}</head><body>"
        '<header><a href="/">{{ _("Log in") }}</a></header>'
        "<main>{% block content %}{% endblock %}</main></body></html>"
    )
    app = make(tmp_path, OAUTH2LOGIN_BASE_TEMPLATE="base.html")
    Babel(app, locale_selector=lambda: "de")

    @app.get("/app")
    def own() -> str:
        return gettext("Log in")

    assert page(app, "/app") == "Reinkommen"
    ours = page(app, "/login")
    assert '<header><a href="/">Reinkommen</a></header>' in ours  # the app's base, its words
    assert h1(ours) == "Anmelden"  # our page, our words


def test_an_app_adds_a_language_and_changes_a_string(tmp_path):
    folder = tmp_path / "oauth2login_translations"
    compile_catalog(folder, "it", "flask_oauth2login", {"Log in": "Accedi"})
    compile_catalog(folder, "de", "flask_oauth2login", {"Log in": "Einloggen"})
    app = make(tmp_path, OAUTH2LOGIN_TRANSLATION_DIRECTORIES=["oauth2login_translations"])
    italian = page(app, "/login", "it")
    assert html_tag(italian) == '<html lang="it" dir="ltr">'
    assert h1(italian) == "Accedi"
    assert "Log in with GitHub" in italian  # what the app's catalog lacks stays English
    german = page(app, "/login/nobody", "de")
    assert h1(page(app, "/login", "de")) == "Einloggen"  # the app's word wins
    assert h1(german) == "Anmeldung fehlgeschlagen"  # ours fill the rest


def test_translation_directories_are_checked(tmp_path):
    from flask_oauth2login import ConfigurationError

    with pytest.raises(ConfigurationError, match="OAUTH2LOGIN_TRANSLATION_DIRECTORIES"):
        make(tmp_path, OAUTH2LOGIN_TRANSLATION_DIRECTORIES=[3])


MOMENT = dt.datetime(2026, 12, 4, 22, 7, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("language", "date", "zone", "number"),
    [
        ("en", "December 4, 2026", "UTC", "1,234.5"),
        ("de", "4. Dezember 2026", "UTC", "1.234,5"),
        ("fr", "4 décembre 2026", "TU", "1\u202f234,5"),
        ("ja", "2026年12月4日", "UTC", "1,234.5"),
        ("ar", "4 ديسمبر 2026", "التوقيت العالمي", "1,234.5"),
    ],
)
def test_dates_and_numbers_in_the_language(tmp_path, language, date, zone, number):
    app = make(tmp_path)
    with app.test_request_context(headers={"Accept-Language": language}):
        shown = render_template_string(
            "{{ moment | oauth2login_datetime }}|{{ 1234.5 | oauth2login_number }}", moment=MOMENT
        )
    when, amount = shown.split("|")
    assert date in when and zone in when  # the time zone is named, in the language
    assert amount.replace("\u061c", "").replace("\u200f", "") in (number, number.replace(",", "٬"))


def test_dates_in_the_apps_flask_babel_time_zone(tmp_path):
    from flask_babel import Babel

    app = make(tmp_path, BABEL_DEFAULT_TIMEZONE="Europe/Berlin")
    Babel(app)
    with app.test_request_context(headers={"Accept-Language": "de"}):
        shown = render_template_string(
            "{{ moment | oauth2login_datetime('short') }}|{{ seconds | oauth2login_datetime }}",
            moment=MOMENT,
            seconds=MOMENT.timestamp(),
        )
    assert shown.startswith("04.12.26, 23:07|")
    assert "23:07:00" in shown.split("|")[1]


def test_the_locale_of_a_request(tmp_path):
    app = make(tmp_path)
    oauth = app.extensions["oauth2login_languages"]
    assert [str(locale) for locale in oauth.available] == [
        "en",
        "ar",
        "de",
        "es",
        "fr",
        "ja",
        "pt_BR",
    ]
    extension = OAuth2Login()
    with app.test_request_context(headers={"Accept-Language": "pt-BR"}):
        assert str(extension.locale) == "pt_BR"
    with app.app_context():
        assert str(extension.locale) == "en"  # no request: English


def test_each_request_has_its_own_language(tmp_path):
    """Requests that share an app context (as in tests) each negotiate."""
    app = make(tmp_path)
    client = app.test_client()
    with app.app_context():
        assert h1(page(app, "/login", "de")) == "Anmelden"
        assert h1(client.get("/login", headers={"Accept-Language": "fr"}).get_data(True)) == (
            "Se connecter"
        )


def test_the_accounts_page_and_a_refused_disconnect_in_the_language(tmp_path):
    from flask_oauth2login.testing import login_as

    app = make(tmp_path, OAUTH2LOGIN_ACCOUNTS_PAGE=True)
    client = app.test_client()
    login_as(client, "github", sub="42", name="Ada")
    german = {"Accept-Language": "de"}
    accounts = client.get("/accounts", headers=german).get_data(as_text=True)
    assert h1(accounts) == "Ihre Konten"
    assert (
        "<dt>Verknüpft</dt>" in accounts
        and "Sie sind hier mit diesem Konto angemeldet." in accounts
    )
    refused = client.post("/disconnect/github", headers={**german, "Origin": "http://localhost"})
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert h1(text) == "GitHub wurde nicht getrennt"
    assert "Dies ist das einzige Konto" in text
    answer = client.post(
        "/disconnect/github",
        headers={**german, "Origin": "http://localhost", "Accept": "application/json"},
    )
    assert answer.get_json()["message"].startswith("This is the only account")


def test_disconnect_by_get_answers_405_with_a_page_in_the_language(tmp_path):
    """A link to ``/disconnect/<provider>`` disconnects nobody; the person sees
    why, in their language, with the button when there is something to disconnect."""
    from flask_oauth2login.testing import login_as

    both = {**GITHUB, "google": {"client_id": "an-id", "client_secret": "a-secret"}}
    app = make(tmp_path, OAUTH2LOGIN_PROVIDERS=both, OAUTH2LOGIN_ACCOUNTS_PAGE=True)
    client = app.test_client()
    german = {"Accept-Language": "de"}

    def get() -> str:
        answer = client.get("/disconnect/github", headers=german)
        assert answer.status_code == 405 and answer.headers["Allow"] == "POST"
        assert answer.headers["X-Frame-Options"] == "DENY"
        text = answer.get_data(as_text=True)
        assert html_tag(text) == '<html lang="de" dir="ltr">'
        assert h1(text) == "GitHub trennen"
        assert 'id="oauth2login-home">Zurück zur Startseite</a>' in text
        return text

    text = get()  # nobody is signed in
    assert "Sie sind hier nicht mit GitHub angemeldet" in text and "<form" not in text
    login_as(client, "github", sub="42", name="Ada")
    text = get()  # the only login
    assert "Dies ist das einzige Konto" in text and "<form" not in text
    login_as(client, "google", sub="7", name="Ada")
    text = get()
    assert '<form method="post" action="/disconnect/github">' in text
    assert '<input type="hidden" name="next" value="/accounts">' in text
    assert '<meta name="referrer" content="same-origin">' in text
    assert client.get("/disconnect/github", headers={"Accept": "application/json"}).get_json() == {
        "error": "method_not_allowed",
        "message": "Disconnect with POST /disconnect/github.",
        "provider": "github",
    }
    assert app.test_client().get("/disconnect/nobody", headers=german).status_code == 404


def test_disconnecting_an_unknown_account_says_so_in_the_language(tmp_path):
    app = make(tmp_path)
    answer = app.test_client().post(
        "/disconnect/nobody", headers={"Accept-Language": "fr", "Origin": "http://localhost"}
    )
    assert answer.status_code == 404
    text = answer.get_data(as_text=True)
    assert "Aucun compte ne porte ce nom ici" in text
    assert "oauth2login-error-detail" not in text  # no English beside it


def test_a_token_store_outage_names_its_own_code_in_the_language(tmp_path):
    from flask_oauth2login.errors import TokenStoreUnavailable
    from flask_oauth2login.sessions.setup import unavailable_response

    app = make(tmp_path)
    with app.test_request_context(headers={"Accept-Language": "de"}):
        answer = unavailable_response(TokenStoreUnavailable("The token store is down."))
    text = answer.get_data(as_text=True)
    assert answer.status_code == 503 and h1(text) == "Vorübergehend nicht verfügbar"
    assert "Fehler: token_store_unavailable" in text
    assert "session_store_unavailable" not in text
    assert "Die Anmeldung ist vorübergehend nicht verfügbar." in text


def test_the_apology_for_refused_client_credentials_is_translated(tmp_path):
    """Marked where it is raised (the provider's client), shown translated,
    while the operator's detail stays in the log and the debug page."""
    from flask_oauth2login.errors import InvalidClient
    from flask_oauth2login.pages.messages import person_message

    apology = (
        "Sorry: this site cannot complete logins with this provider at the moment, "
        "because of a problem on the site's side. Please try again later."
    )
    error = InvalidClient(apology, provider="github", detail="check client_secret")
    app = make(tmp_path)
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        text, detail = person_message(error)
    assert text.startswith("申し訳ありません。") and detail is None
