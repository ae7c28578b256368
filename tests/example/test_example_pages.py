"""The example app's pages: the provider's title, and the person's language."""

from __future__ import annotations

from example_app import create_app
from flask_oauth2login.testing import login_as


def test_home_names_the_provider_by_its_title(tmp_path):
    client = create_app({"TESTING": True}, instance_path=str(tmp_path)).test_client()
    login_as(client, "dev", sub="42", name="Ada")
    html = client.get("/").get_data(as_text=True)
    assert "You signed in with the development provider." in html
    assert "signed in with dev." not in html


def test_home_in_the_persons_language(tmp_path):
    client = create_app({"TESTING": True}, instance_path=str(tmp_path)).test_client()
    html = client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="de" dir="ltr">' in html
    assert "<h1>Wählen Sie, wie Sie sich anmelden</h1>" in html
    assert "Weiter mit the development provider</a>" in html  # the title stays
    arabic = client.get("/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic
    assert "<h1>اختر طريقة تسجيل الدخول</h1>" in arabic
    login_as(client, "dev", sub="42", name="Ada <b>")
    signed_in = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "<h1>Bonjour, Ada &lt;b&gt;\u00a0!</h1>" in signed_in  # names are escaped
    assert "Vous vous êtes connecté avec the development provider." in signed_in


def test_the_profile_shows_the_expiry_in_the_persons_language(tmp_path):
    client = create_app(
        {"TESTING": True, "EXAMPLE_API_URLS": {"dev": "http://127.0.0.1:9/nothing"}},
        instance_path=str(tmp_path),
    ).test_client()
    login_as(client, "dev", sub="42", name="Ada", token={"expires_at": 1796508000})
    html = client.get("/profile", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "<dt>Token läuft ab</dt>" in html
    assert '<dd id="token-expires">5. Dezember 2026' in html
