"""With a token store, a login has an identity of its own: logging out, a
newer login of the same person, a refused login and a store outage, on
SQLite, PostgreSQL and Redis (the fixtures of :mod:`tests.tokenstore.test_tokenstore`).
"""

from __future__ import annotations

import dataclasses
import logging
import typing as t

import pytest
from flask import Flask

from flask_oauth2login import LoginError, logged_out
from flask_oauth2login.crypto.cipher import DecryptionFailed
from flask_oauth2login.tokens.sealing import from_record
from flask_oauth2login.tokenstore import TokenKey
from tests.conftest import log_in, rogue_entry
from tests.support.rogue_idp import RogueProvider
from tests.tokenstore.test_tokenstore import SECRET_KEY, SUBJECT, Backend, oauth_of, stored_token


def logged_in(client: t.Any) -> bool:
    """Whether the test app says *client* is logged in, and lets it see a
    ``@login_required`` page."""
    user = client.get("/").get_json()["user"]
    private = client.get("/private").status_code
    assert (user is None) == (private != 200)
    return user is not None


# -- 1. a session whose login ended elsewhere, or was replaced, is logged out ---------------


def test_a_newer_login_of_the_same_person_logs_the_older_session_out(app, rogue):
    older, newer = app.test_client(), app.test_client()
    assert log_in(older, rogue).status_code == 302
    assert log_in(newer, rogue).status_code == 302  # the same person, another device
    calls = rogue.calls["api"]
    assert not logged_in(older)
    assert older.get("/api/rogue").status_code == 302  # to log in again: no token taken up
    assert rogue.calls["api"] == calls
    assert logged_in(newer)
    assert newer.get("/api/rogue").get_json()["status"] == 200


def test_the_older_session_is_told_its_login_ended(app, rogue):
    older, newer = app.test_client(), app.test_client()
    assert log_in(older, rogue).status_code == 302
    assert log_in(newer, rogue).status_code == 302
    seen: list[dict[str, t.Any]] = []
    with logged_out.connected_to(lambda sender, **kw: seen.append(kw), app):
        assert not logged_in(older)
        assert not logged_in(older)  # told once
    assert seen == [{"provider": "rogue", "reason": "ended"}]


def test_a_session_never_takes_up_a_later_login_of_the_same_person(app, rogue):
    first, second, third = app.test_client(), app.test_client(), app.test_client()
    assert log_in(first, rogue).status_code == 302
    assert log_in(second, rogue).status_code == 302
    assert second.post("/logout").status_code == 303
    with app.app_context():
        assert oauth_of(app).stored_logins() == []
    assert log_in(third, rogue).status_code == 302  # the person logs in again, anywhere
    for ended in (first, second):
        assert not logged_in(ended)
        assert ended.get("/api/rogue").status_code == 302
    assert logged_in(third)


def test_logging_out_a_replaced_session_leaves_the_newer_login(app, rogue):
    older, newer = app.test_client(), app.test_client()
    assert log_in(older, rogue).status_code == 302
    assert log_in(newer, rogue).status_code == 302
    token = stored_token(app)
    assert older.post("/logout").status_code == 303
    assert stored_token(app) == token  # not the older session's to delete
    assert token["access_token"] not in rogue.revoked
    assert logged_in(newer)


def test_a_refresh_keeps_the_login_its_session_refers_to(app, rogue):
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    rogue.expire_access_tokens()
    with app.app_context():  # a job refreshes the stored login meanwhile
        api = oauth_of(app).session("rogue", subject=SUBJECT)
        assert api.get(rogue.issuer + "/api/me").status_code == 200
    assert rogue.calls["token:refresh_token"] == 1
    assert logged_in(client)
    assert client.get("/api/rogue").get_json()["status"] == 200


# -- 4. a login refused by a hook deletes nothing ----------------------------------------------


def test_a_refused_login_of_another_person_deletes_nothing(app, rogue):
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    before = stored_token(app)

    @oauth_of(app).on_login
    def refuse(provider: str, user: t.Any, token: t.Any) -> None:
        raise LoginError("not today", provider=provider)

    rogue.behaviour.user = {**rogue.behaviour.user, "sub": "somebody-else"}
    assert log_in(client, rogue).status_code == 400  # in the same session: a fresh login
    assert stored_token(app) == before
    assert rogue.revoked == []
    assert logged_in(client)
    assert client.get("/api/rogue").get_json()["status"] == 200


def test_an_accepted_login_of_another_person_ends_the_earlier_one(app, rogue):
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    before = stored_token(app)
    rogue.behaviour.user = {**rogue.behaviour.user, "sub": "somebody-else"}
    assert log_in(client, rogue).status_code == 302
    with app.app_context():
        assert [login.subject for login in oauth_of(app).stored_logins()] == ["somebody-else"]
    assert {before["access_token"], before["refresh_token"]} <= set(rogue.revoked)


# -- logouts the provider sends reach the stored login too ----------------------------------


def send_logout(app: Flask, rogue: RogueProvider, **claims: t.Any) -> None:
    token = rogue.make_logout_token(**claims)
    answer = app.test_client().post("/backchannel-logout/rogue", data={"logout_token": token})
    assert answer.status_code == 200, answer.get_data(as_text=True)


def test_a_logout_token_ends_the_stored_login_and_revokes_it(app, rogue):
    rogue.behaviour.id_token_claims = {"sid": "op-1"}
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    token = stored_token(app)
    send_logout(app, rogue, sid="op-1")
    assert not logged_in(client)
    with app.app_context():  # gone for background jobs too
        assert oauth_of(app).stored_logins() == []
    assert {token["access_token"], token["refresh_token"]} <= set(rogue.revoked)


def test_a_logout_token_for_a_replaced_session_leaves_the_newer_login(app, rogue):
    rogue.behaviour.id_token_claims = {"sid": "op-1"}
    older, newer = app.test_client(), app.test_client()
    assert log_in(older, rogue).status_code == 302
    rogue.behaviour.id_token_claims = {"sid": "op-2"}
    assert log_in(newer, rogue).status_code == 302
    token = stored_token(app)
    send_logout(app, rogue, sid="op-1")
    assert stored_token(app) == token
    assert token["access_token"] not in rogue.revoked
    assert logged_in(newer)


# -- 9. logging out while the store is down --------------------------------------------------


def test_logout_while_the_store_is_down_ends_the_session(
    make_app: t.Callable[..., Flask], rogue: RogueProvider, server_backend: Backend, caplog
):
    app = make_app(
        {"rogue": rogue_entry(rogue)},
        SECRET_KEY=SECRET_KEY,
        OAUTH2LOGIN_TOKEN_STORE=server_backend.setting(),
    )
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    token = stored_token(app)
    with server_backend.down(), caplog.at_level(logging.WARNING):
        answer = client.post("/logout")
        assert answer.status_code == 303
        assert not logged_in(client)
    assert "token store is unavailable" in caplog.text
    # Once the store answers again, the login ends there too, and is revoked.
    assert not logged_in(app.test_client())
    with app.app_context():
        assert oauth_of(app).stored_logins() == []
    assert {token["access_token"], token["refresh_token"]} <= set(rogue.revoked)


# -- sealed tokens are bound to provider, issuer and subject -----------------------------------


@pytest.mark.parametrize(
    "moved",
    [
        {"issuer": "https://another-issuer.example"},
        {"provider": "twin"},  # another provider entry for the same issuer and subject
        {"subject": "somebody-else"},
    ],
)
def test_a_sealed_record_moved_to_another_login_does_not_open(store_app, rogue, moved):
    app = store_app(OAUTH2LOGIN_PROVIDERS={"rogue": rogue_entry(rogue), "twin": rogue_entry(rogue)})
    assert log_in(app.test_client(), rogue).status_code == 302
    with app.app_context():
        state = app.extensions["oauth2login"]
        record = state.token_store.get(TokenKey("rogue", rogue.issuer, SUBJECT))
        from_record(state, record)  # it opens where it is
        elsewhere = dataclasses.replace(record, **moved)
        state.token_store.set(elsewhere)
        found = state.token_store.get(elsewhere.key)
        assert found is not None and found.sealed == record.sealed
        with pytest.raises(DecryptionFailed):
            from_record(state, found)
