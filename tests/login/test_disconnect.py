"""Disconnecting one account: ``POST /disconnect/<provider>`` and
``oauth.disconnect(provider)`` (:mod:`flask_oauth2login.login.disconnect`).

The app offers the development provider under two names (``dev`` and
``work``), with the provider mounted in the app itself and the app served
on loopback: every token request and revocation is real HTTP, and whether a
token was revoked is asked of the provider (its API answers 401, its token
endpoint refuses the refresh token).
"""

from __future__ import annotations

import importlib.util
import typing as t

import pytest
from flask import Flask, jsonify

from flask_oauth2login import disconnected, logged_out
from flask_oauth2login.sessions.logout_index import index_key
from tests.support.accounts import (
    CROSS_SITE,
    SAME_ORIGIN,
    Browser,
    api_status,
    assert_revoked,
    both,
    make_app,
)
from tests.support.requirements import require
from tests.support.threads import serving


@pytest.fixture
def served(tmp_path: t.Any) -> t.Iterator[tuple[Flask, str]]:
    app = make_app(tmp_path)
    with serving(app) as url:
        yield app, url


def test_disconnect_revokes_one_login_at_the_provider_and_keeps_the_other(served):
    app, url = served
    browser, tokens = both(url)
    seen: list[dict[str, t.Any]] = []
    with disconnected.connected_to(lambda sender, **kw: seen.append(kw), app):
        answer = browser.post("/disconnect/work", data={"next": "/state"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/state"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert browser.state()["users"] == {"dev": "ada"}
    assert_revoked(url, tokens["work"])
    assert api_status(url, tokens["dev"]) == 200  # the other login stays, and works
    assert [(kw["provider"], kw["user"]["sub"], kw["revoked"]) for kw in seen] == [
        ("work", "grace", True)
    ]


def test_next_is_this_sites_only(served):
    _, url = served
    browser, _ = both(url)
    answer = browser.post("/disconnect/work", data={"next": "https://evil.example/"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/"  # OAUTH2LOGIN_REDIRECT_URL


def test_json_clients_are_told_what_was_revoked(served):
    _, url = served
    browser, _ = both(url)
    answer = browser.post("/disconnect/dev", headers={**SAME_ORIGIN, "Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.json() == {"disconnected": "dev", "revoked": True}
    assert browser.state()["users"] == {"work": "grace"}


def test_the_last_login_is_refused_and_nothing_is_revoked(served):
    app, url = served
    browser = Browser(url)
    browser.log_in("dev", "ada")
    token = browser.state()["tokens"]["dev"]
    seen: list[t.Any] = []
    with disconnected.connected_to(lambda sender, **kw: seen.append(kw), app):
        answer = browser.post("/disconnect/dev")
    assert answer.status_code == 409
    assert "only account" in answer.text
    assert "last_login" in answer.text
    assert answer.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert browser.state()["users"] == {"dev": "ada"}
    assert api_status(url, token) == 200
    assert seen == []
    json_answer = browser.post(
        "/disconnect/dev", headers={**SAME_ORIGIN, "Accept": "application/json"}
    )
    assert json_answer.status_code == 409
    assert json_answer.json()["error"] == "last_login"


def test_with_the_logout_setting_the_last_login_is_a_logout(tmp_path):
    app = make_app(tmp_path, OAUTH2LOGIN_DISCONNECT_LAST="logout")
    with serving(app) as url:
        browser = Browser(url)
        browser.log_in("dev", "ada")
        token = browser.state()["tokens"]["dev"]
        ended: list[t.Any] = []
        with logged_out.connected_to(lambda sender, **kw: ended.append(kw), app):
            answer = browser.post("/disconnect/dev", data={"next": "/state"})
        assert answer.status_code == 303
        assert browser.state()["users"] == {}
        assert_revoked(url, token)
        assert ended == [{"provider": "dev", "reason": "logout"}]


def test_a_provider_the_session_holds_no_login_with_answers_409(served):
    _, url = served
    browser = Browser(url)
    browser.log_in("dev", "ada")
    answer = browser.post("/disconnect/work")
    assert answer.status_code == 409
    assert "not signed in with Work" in answer.text
    assert browser.state()["users"] == {"dev": "ada"}
    nobody = Browser(url).post("/disconnect/work")
    assert nobody.status_code == 409


def test_an_unknown_provider_is_the_404_page(served):
    _, url = served
    browser, _ = both(url)
    answer = browser.post("/disconnect/nope")
    assert answer.status_code == 404
    assert "<h1>" in answer.text
    assert answer.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "headers",
    [CROSS_SITE, {"Sec-Fetch-Site": "same-site"}, {"Origin": "https://evil.example"}],
    ids=["cross-site", "same-site", "foreign-origin"],
)
def test_a_cross_origin_request_is_refused_and_nothing_changes(served, headers):
    _, url = served
    browser, tokens = both(url)
    answer = browser.post("/disconnect/work", headers=headers)
    assert answer.status_code == 403
    assert browser.state()["users"] == {"dev": "ada", "work": "grace"}
    assert api_status(url, tokens["work"]) == 200


def test_disconnect_is_post_only(served):
    _, url = served
    browser, _ = both(url)
    assert browser.http.get(url + "/disconnect/work", timeout=10).status_code == 405
    assert browser.state()["users"] == {"dev": "ada", "work": "grace"}


def test_oauth_disconnect_in_a_view(served):
    app, url = served
    browser, tokens = both(url)
    seen: list[t.Any] = []
    with disconnected.connected_to(lambda sender, **kw: seen.append(kw["provider"]), app):
        assert browser.post("/drop/dev").json() == {"revoked": True}
        assert browser.state()["users"] == {"work": "grace"}
        assert_revoked(url, tokens["dev"])
        assert browser.post("/drop/dev").status_code == 400  # NotLoggedInError
        assert browser.post("/drop/work").json() == {"error": "last_login"}
    assert seen == ["dev"]
    assert api_status(url, tokens["work"]) == 200


def test_oauth_disconnect_of_an_unknown_provider_is_a_configuration_error(served):
    app, _ = served
    with app.test_request_context(), pytest.raises(Exception, match="nope"):
        app.extensions["test_oauth"].disconnect("nope")


def test_the_setting_is_checked(tmp_path):
    from flask_oauth2login import ConfigurationError

    with pytest.raises(ConfigurationError, match="OAUTH2LOGIN_DISCONNECT_LAST"):
        make_app(tmp_path, OAUTH2LOGIN_DISCONNECT_LAST="maybe")


# -- the token store ------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_server() -> t.Iterator[t.Any]:
    from tests.support.redis_server import serve_redis

    yield from serve_redis()


@pytest.fixture(params=["sqlite", "redis"])
def token_store(request: pytest.FixtureRequest, tmp_path: t.Any) -> t.Any:
    """``OAUTH2LOGIN_TOKEN_STORE``: a SQLite file, or a Redis server."""
    if request.param == "sqlite":
        require(importlib.util.find_spec("sqlalchemy") is not None, "SQLAlchemy is not installed")
        return f"sqlite:///{tmp_path / 'tokens.db'}"
    return request.getfixturevalue("redis_server").client()


def stored_subjects(app: Flask) -> set[tuple[str, str]]:
    with app.app_context():
        store = app.extensions["oauth2login"].token_store
        return {(record.provider, record.subject) for record in store.find()}


def test_disconnect_removes_the_login_from_the_token_store(tmp_path, token_store):
    app = make_app(tmp_path, OAUTH2LOGIN_TOKEN_STORE=token_store)
    with serving(app) as url:
        browser, tokens = both(url)
        other = Browser(url)
        other.log_in("work", "ada")  # another session's login at the same provider
        assert stored_subjects(app) >= {("dev", "ada"), ("work", "grace"), ("work", "ada")}
        assert browser.post("/disconnect/work").status_code == 303
        left = stored_subjects(app)
        assert ("work", "grace") not in left
        assert {("dev", "ada"), ("work", "ada")} <= left
        assert browser.state()["users"] == {"dev": "ada"}
        assert_revoked(url, tokens["work"])
        assert api_status(url, tokens["dev"]) == 200
        assert other.state()["users"] == {"work": "ada"}


# -- the Flask-Login bridge -----------------------------------------------------------


def test_the_flask_login_bridge_links_and_unlinks(tmp_path):
    require(importlib.util.find_spec("flask_login") is not None, "Flask-Login is not installed")
    import flask_login

    from flask_oauth2login.contrib.flask_login import FlaskLoginBridge

    app = make_app(tmp_path, OAUTH2LOGIN_DISCONNECT_LAST="logout")
    accounts: dict[str, int] = {}
    identities: dict[tuple[str, str], str] = {}
    unlinked: list[tuple[str, str, str, t.Any]] = []

    class Account(flask_login.UserMixin):  # type: ignore[misc]
        def __init__(self, name: str) -> None:
            self.id = name

    manager = flask_login.LoginManager(app)
    manager.user_loader(lambda name: Account(name) if name in accounts else None)
    bridge = FlaskLoginBridge(app.extensions["test_oauth"], app)

    @bridge.account_loader
    def account_for(issuer: str, subject: str, user: t.Any, current: t.Any) -> t.Any:
        name = identities.get((issuer, subject)) or (current.id if current else subject)
        identities[(issuer, subject)] = name
        accounts[name] = accounts.get(name, 0) + 1
        return Account(name)

    @bridge.on_disconnect
    def unlink(issuer: str, subject: str, user: t.Any, current: t.Any) -> None:
        unlinked.append((issuer, subject, user["sub"], current.id if current else None))
        del identities[(issuer, subject)]

    @app.get("/me")
    def me() -> t.Any:
        user = flask_login.current_user
        return jsonify(account=user.id if user.is_authenticated else None)

    with serving(app) as url:
        browser, _ = both(url)
        issuer = next(iter({key[0] for key in identities}))
        # Connecting linked Grace's identity to Ada's account.
        assert identities == {(issuer, "ada"): "ada", (issuer, "grace"): "ada"}
        assert browser.post("/disconnect/work").status_code == 303
        assert unlinked == [(issuer, "grace", "grace", "ada")]
        assert identities == {(issuer, "ada"): "ada"}
        # The app's user is still logged in.
        assert browser.http.get(url + "/me", timeout=10).json() == {"account": "ada"}
        # The only login left, with the logout setting: a logout, of the app's user too.
        assert browser.post("/disconnect/dev").status_code == 303
        assert browser.http.get(url + "/me", timeout=10).json() == {"account": None}
        assert unlinked == [(issuer, "grace", "grace", "ada")]  # a logout unlinks nothing


# -- the logout index -----------------------------------------------------------------


def test_the_session_stays_filed_for_logout_under_the_logins_left_only(tmp_path):
    clients = {
        "dev-client": {
            "client_secret": "dev-secret",
            "redirect_uris": None,
            "backchannel_logout_uri": "/backchannel-logout/work",
        }
    }
    app = make_app(tmp_path, OAUTH2LOGIN_DEVIDP_CLIENTS=clients)
    with serving(app) as url:

        def sign_out_at_provider(browser: Browser, token: t.Mapping[str, t.Any]) -> None:
            answer = browser.http.get(
                url + "/_devidp/logout", params={"id_token_hint": token["id_token"]}, timeout=10
            )
            assert answer.status_code == 200

        # Without disconnecting first, Grace signing out at the provider ends the session.
        control, tokens = both(url)
        sign_out_at_provider(control, tokens["work"])
        assert control.state()["users"] == {}

        browser, tokens = both(url)
        issuer = tokens["work"]["iss"]
        index = app.extensions["oauth2login"].logout_store
        with app.app_context():
            assert index.members(index_key("work", issuer, "sub", "grace"))
            assert index.members(index_key("dev", issuer, "sub", "ada"))
        assert browser.post("/disconnect/work").status_code == 303
        with app.app_context():  # filed under the logins left only
            assert not index.members(index_key("work", issuer, "sub", "grace"))
            assert index.members(index_key("dev", issuer, "sub", "ada"))
        sign_out_at_provider(browser, tokens["work"])
        assert browser.state()["users"] == {"dev": "ada"}


def test_a_token_store_that_is_down_leaves_the_session_as_it_was(tmp_path):
    """The store first: a disconnect that cannot reach the token store (503)
    leaves the login in the session, and the session filed for logout under
    it, so a logout the provider sends still ends it."""
    from tests.support.redis_server import RedisServer, serve_redis

    servers = serve_redis()
    server: RedisServer = next(servers)
    clients = {
        "dev-client": {
            "client_secret": "dev-secret",
            "redirect_uris": None,
            "backchannel_logout_uri": "/backchannel-logout/work",
        }
    }
    try:
        app = make_app(
            tmp_path,
            OAUTH2LOGIN_DEVIDP_CLIENTS=clients,
            OAUTH2LOGIN_TOKEN_STORE=server.client(),
            OAUTH2LOGIN_TOKEN_CACHE_TTL=3600,  # this process read the logins lately
        )
        with serving(app) as url:
            browser, tokens = both(url)
            assert browser.state()["users"] == {"dev": "ada", "work": "grace"}
            key = index_key("work", tokens["work"]["iss"], "sub", "grace")
            index = app.extensions["oauth2login"].logout_store
            server.stop()
            assert browser.post("/disconnect/work").status_code == 503
            with app.app_context():
                assert index.members(key)  # still filed under the login it keeps
            server.start()
            assert browser.state()["users"] == {"dev": "ada", "work": "grace"}
    finally:
        servers.close()


@pytest.mark.parametrize("path", ["/logout", "/disconnect/work", "another person's login"])
def test_the_token_revoked_is_the_one_stored_now(tmp_path, token_store, path):
    """This process read the stored login a moment ago; since then the store
    holds another token for that same login (another process refreshed it).
    Ending the login (a logout, a disconnect, another person's login in the
    session) revokes the token the store held, not only the copy this
    process had read."""
    from flask_oauth2login.tokens.sealing import open_record, to_record
    from flask_oauth2login.tokenstore import TokenKey

    app = make_app(tmp_path, OAUTH2LOGIN_TOKEN_STORE=token_store)
    with serving(app) as url:
        browser, tokens = both(url)
        state = app.extensions["oauth2login"]
        key = TokenKey("work", tokens["work"]["iss"], "grace")
        with app.app_context():
            read = state.token_store.get(key)
        Browser(url).log_in("work", "grace")  # a second grant of the provider's
        with app.app_context():
            now = state.token_store.get(key)
            stored, _ = open_record(state, now)
            _, login = open_record(state, read)
            # The store holds the second grant's token for the session's login.
            state.token_store.replace(to_record(state, key, stored, login), now.version)
            state.recent.put("work", "grace", key.issuer, [read])  # read a moment ago
        assert api_status(url, stored) == 200
        if path.startswith("/"):
            assert browser.post(path).status_code in (302, 303)
        else:
            browser.log_in("work", "ada")  # Ada alone: Grace's login ends
            assert browser.state()["users"] == {"work": "ada"}
        assert_revoked(url, stored)
        assert_revoked(url, tokens["work"])
