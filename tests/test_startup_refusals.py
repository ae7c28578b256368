"""``OAuth2Login(app)`` refuses, naming the key and what to do: an app without
``SECRET_KEY``, an unknown ``OAUTH2LOGIN_*`` key, a provider name that is no
preset and gives no endpoints, ``SameSite=Strict``, and a route of the app's
that clashes with one of the extension's; the extension's routes can live
under ``OAUTH2LOGIN_URL_PREFIX``."""

from __future__ import annotations

import re
import secrets
import typing as t
from urllib.parse import urlsplit

import pytest
from flask import Flask

from flask_oauth2login import ConfigurationError, OAuth2Login
from flask_oauth2login.testing import DevIdPServer

ENTRY = {
    "client_id": "id",
    "client_secret": "s",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}


def app_with(tmp_path: t.Any, **config: t.Any) -> Flask:
    app = Flask("refusals", instance_path=str(tmp_path))
    app.config.update(
        SECRET_KEY=secrets.token_hex(32), TESTING=True, OAUTH2LOGIN_PROVIDERS={"corp": ENTRY}
    )
    app.config.update(config)
    return app


def refusal(app: Flask) -> str:
    with pytest.raises(ConfigurationError) as caught:
        OAuth2Login(app)
    return str(caught.value)


@pytest.mark.parametrize("key", [None, ""])
def test_an_app_without_secret_key_is_refused(tmp_path, key):
    message = refusal(app_with(tmp_path, SECRET_KEY=key))
    assert message.startswith("SECRET_KEY: missing; logins need it")
    assert "secrets.token_hex(32)" in message


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("OAUTH2LOGIN_PROVIDRS", "OAUTH2LOGIN_PROVIDERS"),
        ("OAUTH2LOGIN_HTTP_TIMEOT", "OAUTH2LOGIN_HTTP_TIMEOUT"),
        ("oauth2login_redirect_url", "OAUTH2LOGIN_REDIRECT_URL"),
        ("OAUTH2LOGIN_CORP_CLIENT_SECRT", "OAUTH2LOGIN_CORP_CLIENT_SECRET"),
    ],
)
def test_an_unknown_key_is_refused_with_the_key_it_probably_meant(tmp_path, key, meant):
    message = refusal(app_with(tmp_path, **{key: 5}))
    assert message.startswith(f"{key}: unknown setting; did you mean {meant}?")


def test_a_misspelled_providers_key_is_named_rather_than_providers_reported_missing(tmp_path):
    app = app_with(tmp_path, OAUTH2LOGIN_PROVIDRS={"corp": ENTRY})
    del app.config["OAUTH2LOGIN_PROVIDERS"]
    message = refusal(app)
    assert message.startswith(
        "OAUTH2LOGIN_PROVIDRS: unknown setting; did you mean OAUTH2LOGIN_PROVIDERS? "
        "(OAUTH2LOGIN_PROVIDERS is not set"
    )


def test_a_missing_providers_key_without_a_misspelling_is_reported_missing(tmp_path):
    app = app_with(tmp_path, OAUTH2LOGIN_NOTHING_LIKE_IT=1)
    del app.config["OAUTH2LOGIN_PROVIDERS"]
    assert refusal(app).startswith("OAUTH2LOGIN_PROVIDERS: configure at least one provider")


def test_every_unknown_key_is_named(tmp_path):
    message = refusal(app_with(tmp_path, OAUTH2LOGIN_NOTHING_LIKE_IT=1, OAUTH2LOGIN_HTTP_TIMEOT=1))
    assert message.startswith("OAUTH2LOGIN_HTTP_TIMEOT: unknown setting; did you mean")
    assert "Also unknown: OAUTH2LOGIN_NOTHING_LIKE_IT." in message


def test_the_development_providers_keys_are_known(tmp_path):
    OAuth2Login(app_with(tmp_path, OAUTH2LOGIN_DEVIDP_ISSUER="http://127.0.0.1:5000/_devidp"))


def test_a_misspelled_preset_name_is_refused_with_the_nearest_preset(tmp_path):
    providers = {"githbu": {"client_id": "id", "client_secret": "s"}}
    message = refusal(app_with(tmp_path, OAUTH2LOGIN_PROVIDERS=providers))
    assert message.startswith(
        "OAUTH2LOGIN_PROVIDERS['githbu']: 'githbu' is no preset and the entry gives no "
        "endpoints; did you mean 'github'?"
    )
    providers = {"corp": {**ENTRY, "preset": "gogle"}}
    message = refusal(app_with(tmp_path, OAUTH2LOGIN_PROVIDERS=providers))
    assert "['preset']: unknown preset 'gogle'; did you mean 'google'?" in message


def test_a_name_far_from_every_preset_is_told_what_to_give(tmp_path):
    providers = {"corp": {"client_id": "id", "client_secret": "s"}}
    message = refusal(app_with(tmp_path, OAUTH2LOGIN_PROVIDERS=providers))
    assert "['corp']['authorize_url']: missing; 'corp' is no preset" in message
    assert "server_metadata_url" in message and "known presets: " in message


def test_samesite_strict_is_refused(tmp_path):
    message = refusal(app_with(tmp_path, SESSION_COOKIE_SAMESITE="Strict"))
    assert message.startswith("SESSION_COOKIE_SAMESITE: is 'Strict'")
    assert "Use 'Lax'" in message


@pytest.mark.parametrize(
    ("path", "methods", "ours"),
    [
        ("/login", ["GET"], "/login (oauth2login.choose)"),
        ("/logout", ["POST"], "/logout (oauth2login.logout)"),
        ("/login/<name>", ["GET"], "/login/<provider> (oauth2login.login)"),
        ("/callback/<int:n>", ["GET"], "/callback/<provider> (oauth2login.callback)"),
        ("/login/corp", ["POST"], "/login/<provider> (oauth2login.login)"),
        ("/connect", ["GET"], "/connect (oauth2login.connect)"),
        ("/disconnect/<p>", ["POST"], "/disconnect/<provider> (oauth2login.disconnect)"),
    ],
)
def test_a_route_of_the_app_that_clashes_is_refused(tmp_path, path, methods, ours):
    app = app_with(tmp_path)
    app.add_url_rule(path, "mine", lambda **kw: "", methods=methods)
    message = refusal(app)
    assert message.startswith("OAUTH2LOGIN_URL_PREFIX: the app's route ")
    assert f"{path} (view 'mine') clashes with flask-oauth2login's {ours}" in message
    assert 'OAUTH2LOGIN_URL_PREFIX = "/auth"' in message


def test_routes_that_do_not_clash_pass(tmp_path):
    app = app_with(tmp_path)
    app.add_url_rule("/logout", "mine", lambda: "", methods=["PUT"])  # another method
    app.add_url_rule("/login/corp/help", "help", lambda: "")
    # Flask-Dance's paths, for a provider the extension is not configured for.
    app.add_url_rule("/login/github", "github", lambda: "the app's own GitHub login")
    app.add_url_rule("/disconnect/github", "github_off", lambda: "", methods=["POST"])
    OAuth2Login(app)
    assert app.test_client().get("/login/github").get_data(as_text=True) == (
        "the app's own GitHub login"
    )


def test_a_route_added_after_init_app_is_refused_at_the_first_request(tmp_path, caplog):
    app = app_with(tmp_path)
    OAuth2Login(app)
    app.add_url_rule("/logout", "mine", lambda: "", methods=["POST"])
    client = app.test_client()
    for _ in range(2):  # every request, until the routes are fixed
        with pytest.raises(ConfigurationError, match=r"POST /logout \(view 'mine'\) clashes"):
            client.get("/login")
    assert "clashes with flask-oauth2login's /logout" in caplog.text


def test_a_clashing_app_works_under_a_url_prefix(tmp_path):
    app = app_with(tmp_path, OAUTH2LOGIN_URL_PREFIX="/auth")
    app.add_url_rule("/login", "mine", lambda: "the app's own login page")
    OAuth2Login(app)
    client = app.test_client()
    assert client.get("/login").get_data(as_text=True) == "the app's own login page"
    assert client.get("/auth/login").status_code == 200


def test_a_whole_login_under_a_url_prefix(tmp_path):
    with DevIdPServer() as devidp:
        app = app_with(
            tmp_path,
            OAUTH2LOGIN_URL_PREFIX="/auth",
            OAUTH2LOGIN_PROVIDERS={"devidp": devidp.provider_entry()},
        )
        app.add_url_rule("/login", "mine", lambda: "the app's own")
        oauth = OAuth2Login(app)
        app.add_url_rule("/", "home", lambda: oauth.user["sub"] if oauth.user else "nobody")
        client = app.test_client()
        start = client.get("/auth/login/devidp")
        assert start.status_code == 302
        sent = re.search(r"redirect_uri=([^&]+)", start.headers["Location"]).group(1)
        assert "%2Fauth%2Fcallback%2Fdevidp" in sent
        answer = devidp.login(client, next="/")
        assert answer.status_code == 302, answer.get_data(as_text=True)
        assert urlsplit(answer.headers["Location"]).path == "/"
        assert client.get("/").get_data(as_text=True) == "ada"
        logout = client.post("/auth/logout", headers={"Sec-Fetch-Site": "same-origin"})
        assert logout.status_code in (302, 303)
        assert client.get("/").get_data(as_text=True) == "nobody"
