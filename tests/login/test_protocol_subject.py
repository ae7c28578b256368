"""Protocol identity is not app identity: a ``user_map`` (or a preset) that
gives the app another subject than the ID token's ``sub`` changes what the
app sees (``oauth.user``, the token store's key), never what the provider's
answers are checked against: a refreshed ID token, a logout token's ``sub``.

Against the rogue provider on loopback (back-channel logout with the app on
a real HTTP server, with and without a token store), the development
identity provider served on loopback, and the Azure AD B2C preset's fake.
"""

from __future__ import annotations

import secrets
import typing as t
from urllib.parse import urlsplit

import pytest
import requests

from flask_oauth2login import logged_out
from flask_oauth2login.testing import DevIdPServer
from tests.conftest import http_session, log_in, rogue_entry
from tests.providers.specs import B2C_OID, SPECS
from tests.support.fake_providers import log_in as fake_log_in
from tests.support.logins import logged_in_user
from tests.support.sealed import change_session_token, session_token
from tests.support.spec_fake import spec_fake
from tests.support.threads import serving

#: The app knows the user by e-mail address; the provider by ``user-123``.
USER_MAP = {"sub": "email"}
APP_SUB = "alice@example.test"
ID_TOKEN_SUB = "user-123"

b2c = spec_fake(SPECS["azure_ad_b2c"])


def make(make_app: t.Any, rogue: t.Any, tmp_path: t.Any, store: str | None) -> t.Any:
    config: dict[str, t.Any] = {
        "SECRET_KEY": secrets.token_hex(32),
        "TEST_API_URLS": {"rogue": rogue.issuer + "/api/me"},
    }
    if store == "sqlite":
        config["OAUTH2LOGIN_TOKEN_STORE"] = f"sqlite:///{tmp_path / 'tokens.db'}"
    return make_app({"rogue": rogue_entry(rogue, user_map=USER_MAP)}, **config)


@pytest.fixture(params=[None, "sqlite"], ids=["session", "token store"])
def app(request, make_app, rogue, tmp_path):
    return make(make_app, rogue, tmp_path, request.param)


def test_the_app_sees_the_mapped_subject(app, rogue):
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    assert logged_in_user(client)["sub"] == APP_SUB


def test_a_refresh_with_an_id_token_keeps_the_login(app, rogue):
    client = app.test_client()
    rogue.behaviour.expires_in = 5  # less than the refresh leeway: stale at once
    assert log_in(client, rogue).status_code == 302
    answer = client.get("/api/rogue")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["status"] == 200
    assert rogue.calls["token:refresh_token"] == 1
    assert logged_in_user(client)["sub"] == APP_SUB
    # A second refresh checks against the same ID token sub, kept by the first.
    assert client.get("/api/rogue").get_json()["status"] == 200
    assert rogue.calls["token:refresh_token"] == 2
    assert logged_in_user(client)["sub"] == APP_SUB


def test_a_refreshed_id_token_of_another_subject_still_ends_the_login(app, rogue):
    rogue.behaviour.expires_in = 5
    for other in (APP_SUB, "someone-else"):  # the app's subject is not the provider's
        rogue.behaviour.refresh_id_token_claims = {"sub": other}
        client = app.test_client()
        assert log_in(client, rogue).status_code == 302
        assert client.get("/api/rogue").status_code == 302
        assert logged_in_user(client) is None


def browser_login(url: str, rogue: t.Any) -> requests.Session:
    """A browser logged in at the app served at *url*, without a provider session id."""
    browser = http_session()
    start = browser.get(url + "/login/rogue", allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text
    callback = urlsplit(rogue.authorize(start.headers["Location"]))
    done = browser.get(f"{url}{callback.path}?{callback.query}", allow_redirects=False, timeout=10)
    assert done.status_code == 302, done.text
    return browser


def test_a_logout_token_by_the_id_tokens_sub_ends_the_session(app, rogue):
    seen: list[dict[str, t.Any]] = []
    with serving(app) as url, logged_out.connected_to(lambda s, **kw: seen.append(kw), app):
        browser = browser_login(url, rogue)
        assert browser.get(url + "/", timeout=10).json()["user"]["sub"] == APP_SUB
        backchannel = url + "/backchannel-logout/rogue"
        # The app's subject means nothing to the provider: nothing ends.
        answer = rogue.send_logout_token(backchannel, rogue.make_logout_token(sub=APP_SUB))
        assert answer.status_code == 200, answer.text
        assert browser.get(url + "/", timeout=10).json()["user"] is not None
        assert seen == []
        # The provider's subject ends the session.
        answer = rogue.send_logout_token(backchannel, rogue.make_logout_token(sub=ID_TOKEN_SUB))
        assert answer.status_code == 200, answer.text
        assert browser.get(url + "/", timeout=10).json()["user"] is None
        assert seen == [{"provider": "rogue", "reason": "backchannel"}]


def test_the_b2c_preset_keeps_its_login_through_a_refresh(make_app, b2c):
    # B2C's ID tokens may say sub "Not supported": the preset's user is the oid.
    b2c.id_token_overrides = {"sub": "Not supported"}
    b2c.issues_refresh_tokens = True
    b2c.expires_in = 5  # stale at once
    app = make_app(
        {"b2c": {"preset": "azure_ad_b2c", **b2c.entry()}}, SECRET_KEY=secrets.token_hex(32)
    )
    add_refresh_view(app)
    client = app.test_client()
    assert fake_log_in(client, "b2c").status_code == 302
    assert logged_in_user(client)["sub"] == B2C_OID
    first = session_token(client, "b2c")
    assert first is not None
    answer = client.get("/fresh/b2c")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    refreshed = session_token(client, "b2c")
    assert refreshed is not None
    assert refreshed["access_token"] != first["access_token"]
    assert logged_in_user(client)["sub"] == B2C_OID


def add_refresh_view(app: t.Any) -> None:
    """``GET /fresh/<provider>``: the session's access token, refreshed first
    if it has expired (as ``oauth.session()`` does before each call)."""

    @app.get("/fresh/<provider>")
    def fresh(provider: str) -> t.Any:
        source = app.extensions["test_oauth"].session(provider).auth.source
        return {"refreshed": bool(source.access_token())}


def test_a_devidp_refresh_with_an_id_token_keeps_a_login_mapped_by_email(make_app):
    with DevIdPServer() as idp:
        app = make_app(
            {"devidp": idp.provider_entry(user_map={"sub": "email"})},
            SECRET_KEY=secrets.token_hex(32),
        )
        add_refresh_view(app)
        client = app.test_client()
        assert idp.login(client, "devidp").status_code == 302
        assert logged_in_user(client)["sub"] == "ada@example.com"
        first = session_token(client, "devidp")
        assert first is not None and first["id_token_sub"] == "ada"
        change_session_token(client, "devidp", expires_at=0)  # expired: the next use refreshes
        answer = client.get("/fresh/devidp")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        refreshed = session_token(client, "devidp")
        assert refreshed is not None
        assert refreshed["access_token"] != first["access_token"]
        assert refreshed["id_token"] != first["id_token"]  # the refresh gave a new ID token
        assert logged_in_user(client)["sub"] == "ada@example.com"
