"""Tokens in the server-side session, and refreshing them."""

from __future__ import annotations

import logging
import threading
import typing as t

import pytest

from flask_oauth2login import token_refreshed
from flask_oauth2login.tokens.holders import revoke_tokens
from flask_oauth2login.tokens.logins import STORED, TOKENS_KEY
from tests.conftest import http_session, log_in, serve_with_expire_view
from tests.support.rogue_idp import rogue_entry
from tests.support.sealed import session_token


def expire(client: t.Any, provider: str = "rogue") -> None:
    """Make the stored token look expired to the app."""
    with client.session_transaction() as sess:
        stored = dict(sess[TOKENS_KEY])
        stored[provider] = {**stored[provider], "expires_at": 0}
        sess[TOKENS_KEY] = stored


def stored_token(client: t.Any, provider: str = "rogue") -> dict[str, t.Any]:
    token = session_token(client, provider)
    assert token is not None
    return token


def test_expired_token_is_refreshed_and_saved(client, rogue, app):
    log_in(client, rogue)
    old = stored_token(client)
    rogue.expire_access_tokens()
    expire(client)
    seen = []
    with token_refreshed.connected_to(lambda sender, **kw: seen.append(kw), app):
        answer = client.get("/api/rogue").get_json()
    assert answer["status"] == 200
    assert rogue.calls["token:refresh_token"] == 1
    new = stored_token(client)
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]  # the provider rotated it
    assert new["expires_at"] > 0
    assert [kw["provider"] for kw in seen] == ["rogue"]
    # The saved token is used from now on: no second refresh.
    assert client.get("/api/rogue").get_json()["status"] == 200
    assert rogue.calls["token:refresh_token"] == 1


def test_refresh_keeps_old_refresh_token_when_answer_has_none(client, rogue):
    log_in(client, rogue)
    old = stored_token(client)
    rogue.behaviour.refresh_omits_refresh_token = True
    rogue.behaviour.rotate_refresh_tokens = False
    expire(client)
    assert client.get("/api/rogue").get_json()["status"] == 200
    assert stored_token(client)["refresh_token"] == old["refresh_token"]


def test_invalid_grant_ends_login_cleanly(client, rogue):
    log_in(client, rogue)
    rogue.behaviour.refresh_error = "invalid_grant"
    expire(client)
    response = client.get("/api/rogue")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/rogue?next=")
    assert client.get("/").get_json()["user"] is None
    with client.session_transaction() as sess:
        assert "rogue" not in sess.get(TOKENS_KEY, {})


def test_invalid_grant_answers_json_clients_with_401(client, rogue):
    log_in(client, rogue)
    rogue.behaviour.refresh_error = "invalid_grant"
    expire(client)
    response = client.get("/api/rogue", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "login_required"


def test_refreshed_id_token_must_name_same_subject(client, rogue):
    log_in(client, rogue)
    rogue.behaviour.refresh_id_token_claims = {"sub": "someone-else"}
    expire(client)
    response = client.get("/api/rogue")
    assert response.status_code == 302
    assert client.get("/").get_json()["user"] is None


def test_refresh_provider_down_is_a_503_not_a_500(client, rogue, app):
    log_in(client, rogue)
    app.extensions["oauth2login"].providers["rogue"].timeout = 0.3
    rogue.behaviour.token_delay = 2
    expire(client)
    response = client.get("/api/rogue")
    assert response.status_code == 503
    # The login survives a provider outage.
    assert client.get("/").get_json()["user"]["sub"] == "user-123"


def test_api_401_triggers_one_refresh_and_retry(client, rogue):
    log_in(client, rogue)
    rogue.expire_access_tokens()  # the app still thinks the token is fresh
    answer = client.get("/api/rogue").get_json()
    assert answer["status"] == 200
    assert rogue.calls["token:refresh_token"] == 1
    assert rogue.calls["api"] == 2


def test_api_401_after_refresh_is_returned_not_looped(client, rogue):
    log_in(client, rogue)
    rogue.behaviour.api_status = 401
    answer = client.get("/api/rogue").get_json()
    assert answer["status"] == 401
    assert rogue.calls["token:refresh_token"] == 1
    assert rogue.calls["api"] == 2


def test_session_without_token_raises_not_logged_in(client, app):
    response = client.get("/api/rogue")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/rogue?next=/api/rogue"


@pytest.fixture
def served_app(app):
    with serve_with_expire_view(app) as url:
        yield url


def test_concurrent_requests_refresh_once(served_app, rogue, app):
    browser = http_session()
    response = browser.get(served_app + "/login/rogue", allow_redirects=False)
    callback = rogue.authorize(response.headers["Location"])
    browser.get(callback.replace("http://localhost", served_app), allow_redirects=False)
    assert browser.get(served_app + "/").json()["user"]["sub"] == "user-123"

    browser.post(served_app + "/_test/expire")
    rogue.expire_access_tokens()
    rogue.behaviour.token_delay = 0.5  # keep the refresh in flight while others arrive

    results: list[int] = []
    barrier = threading.Barrier(6)

    def call() -> None:
        barrier.wait()
        results.append(browser.get(served_app + "/api/rogue").json()["status"])

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 6
    assert rogue.calls["token:refresh_token"] == 1


# -- a token store configured, or configured away, after the login ---------------------


def with_session_of(client: t.Any, app: t.Any) -> t.Any:
    """A test client of *app* (sharing the session store) with *client*'s session."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def test_a_login_from_before_the_token_store_moves_there(make_app, rogue, tmp_path):
    providers = {"rogue": rogue_entry(rogue)}
    urls = {"rogue": rogue.issuer + "/api/me"}
    client = make_app(providers, TEST_API_URLS=urls).test_client()
    assert log_in(client, rogue).status_code == 302
    store = f"sqlite:///{tmp_path / 'tokens.db'}"
    later = make_app(providers, TEST_API_URLS=urls, OAUTH2LOGIN_TOKEN_STORE=store)
    browser = with_session_of(client, later)
    assert browser.get("/api/rogue").get_json()["status"] == 200
    with later.app_context():
        stored = later.extensions["test_oauth"].stored_logins("rogue")
    assert [login.subject for login in stored] == ["user-123"]
    with browser.session_transaction() as sess:
        assert sess[TOKENS_KEY]["rogue"][STORED] is True
    assert browser.get("/api/rogue").get_json()["status"] == 200


def test_the_request_that_moves_a_login_into_the_store_keeps_it(make_app, rogue, tmp_path):
    # The first request after the store was configured moves the session's
    # token there; its API session then calls twice (the second load reads the
    # store), and after a refused call refreshes: the login stays throughout.
    providers = {"rogue": rogue_entry(rogue)}
    client = make_app(providers).test_client()
    assert log_in(client, rogue).status_code == 302
    store = f"sqlite:///{tmp_path / 'tokens.db'}"
    later = make_app(providers, OAUTH2LOGIN_TOKEN_STORE=store)

    @later.get("/calls")
    def calls() -> t.Any:
        api = later.extensions["test_oauth"].session("rogue")
        statuses = [api.get(rogue.issuer + "/api/me", timeout=5).status_code for _ in range(2)]
        rogue.expire_access_tokens()
        statuses.append(api.get(rogue.issuer + "/api/me", timeout=5).status_code)
        return {"statuses": statuses}

    browser = with_session_of(client, later)
    assert browser.get("/calls").get_json()["statuses"] == [200, 200, 200]
    assert rogue.calls["token:refresh_token"] == 1
    assert browser.get("/").get_json()["user"]["sub"] == "user-123"
    with later.app_context():
        stored = later.extensions["test_oauth"].stored_logins("rogue")
    assert [login.subject for login in stored] == ["user-123"]


def test_a_login_in_a_token_store_configured_away_ends(make_app, rogue, tmp_path):
    providers = {"rogue": rogue_entry(rogue)}
    urls = {"rogue": rogue.issuer + "/api/me"}
    store = f"sqlite:///{tmp_path / 'tokens.db'}"
    client = make_app(providers, TEST_API_URLS=urls, OAUTH2LOGIN_TOKEN_STORE=store).test_client()
    assert log_in(client, rogue).status_code == 302
    browser = with_session_of(client, make_app(providers, TEST_API_URLS=urls))
    assert browser.get("/api/rogue").status_code == 302  # to log in again
    assert browser.get("/").get_json()["user"] is None


def test_an_api_session_of_a_stored_login_works_after_its_request(make_app, rogue, tmp_path):
    # An oauth.session() kept past its request (a thread, a job it started)
    # reads and refreshes its login in the token store, not in the session.
    store = f"sqlite:///{tmp_path / 'tokens.db'}"
    app = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_TOKEN_STORE=store)
    kept: dict[str, t.Any] = {}

    @app.get("/keep")
    def keep() -> t.Any:
        kept["api"] = app.extensions["test_oauth"].session("rogue")
        return "kept"

    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    assert client.get("/keep").status_code == 200
    api = kept["api"]
    statuses = [api.get(rogue.issuer + "/api/me", timeout=5).status_code for _ in range(2)]
    rogue.expire_access_tokens()
    with app.app_context():  # as a job would call it
        statuses.append(api.get(rogue.issuer + "/api/me", timeout=5).status_code)
    assert statuses == [200, 200, 200]
    assert rogue.calls["token:refresh_token"] == 1


def test_a_token_of_a_provider_no_longer_configured_is_not_revoked_and_that_is_logged(app, caplog):
    # A session can still hold the token of a provider since removed from the
    # configuration: logging out cannot ask that provider, and says so.
    with caplog.at_level(logging.WARNING, logger="flask_oauth2login.tokens.holders"):
        assert (
            revoke_tokens(app.extensions["oauth2login"], {"gone": {"access_token": "at"}}) is False
        )
    assert "Could not revoke the gone token: no such provider is configured." in caplog.text
