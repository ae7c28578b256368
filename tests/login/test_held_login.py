"""A login held for the ``/connect`` question: sealed at rest, short-lived,
revoked whenever it is dropped (:mod:`flask_oauth2login.login.held_login`).

Two rogue providers with their own issuers (``rogue`` and ``second``); the
second login is started from another site, so it is held until the person
answers.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_oauth2login.login import held_login
from tests.support.logins import answer_connect, log_in_elsewhere, log_in_here
from tests.support.redis_server import RedisServer, serve_redis
from tests.support.rogue_idp import RogueProvider, default_user, rogue_entry
from tests.support.sealed import opened_session

SECRET_KEY = "held-login-test-secret-key-0123456789abcdef"


@pytest.fixture(scope="module")
def _second_server() -> t.Iterator[RogueProvider]:
    with RogueProvider(client_id="second-client", client_secret="second-secret") as provider:
        yield provider


@pytest.fixture(scope="module")
def redis_server() -> t.Iterator[RedisServer]:
    yield from serve_redis()


@pytest.fixture
def second(second: RogueProvider) -> RogueProvider:
    """The second provider, whose user is someone else."""
    second.behaviour.user = {**default_user(), "sub": "second-7", "name": "Al Second"}
    return second


@pytest.fixture
def build(
    make_app: t.Callable[..., Flask], rogue: RogueProvider, second: RogueProvider
) -> t.Callable[..., Flask]:
    def factory(**config: t.Any) -> Flask:
        config.setdefault("SECRET_KEY", SECRET_KEY)
        return make_app({"rogue": rogue_entry(rogue), "second": rogue_entry(second)}, **config)

    return factory


@pytest.fixture
def app(build: t.Callable[..., Flask]) -> Flask:
    return build()


def held_token(client: t.Any) -> dict[str, t.Any]:
    """The token of the login *client*'s session holds, opened with the app's keys."""
    token = opened_session(client)[held_login.HELD_KEY]["token"]
    assert token and token["access_token"] and token["refresh_token"]
    return dict(token)


def secrets_of(token: t.Mapping[str, t.Any]) -> list[bytes]:
    return [token[name].encode() for name in ("access_token", "refresh_token", "id_token")]


def hold_a_login(client: t.Any, rogue: RogueProvider, second: RogueProvider) -> dict[str, t.Any]:
    """Log *client* in at rogue, then at second from another site: held."""
    assert log_in_here(client, rogue).status_code == 302
    assert log_in_elsewhere(client, second, "second").status_code == 303
    return held_token(client)


def test_a_held_login_is_sealed_in_the_session_files(app, client, rogue, second):
    token = hold_a_login(client, rogue, second)
    raw = b"".join(p.read_bytes() for p in Path(app.instance_path, "flask_session").iterdir())
    assert b"second-7" in raw  # the held login is there, who it is readable
    for secret in secrets_of(token):
        assert secret not in raw


def test_a_held_login_is_sealed_in_redis(build, rogue, second, redis_server):
    store = redis_server.client()
    store.flushdb()
    client = build(SESSION_TYPE="redis", SESSION_REDIS=store).test_client()
    token = hold_a_login(client, rogue, second)
    raw = b"".join(store.get(key) or b"" for key in store.keys("*") if store.type(key) == b"string")
    assert b"second-7" in raw
    for secret in secrets_of(token):
        assert secret not in raw


def test_a_held_login_that_expired_is_dropped_and_revoked(app, client, rogue, second):
    token = hold_a_login(client, rogue, second)
    with client.session_transaction() as sess:
        held = dict(sess[held_login.HELD_KEY])
        held["at"] -= app.config.get("OAUTH2LOGIN_LOGIN_TIMEOUT", 600) + 1
        sess[held_login.HELD_KEY] = held
    answer = client.get("/connect")
    # The question is gone: a plain page, with nothing left to confirm.
    assert answer.status_code == 200
    assert b"Nothing to confirm" in answer.data
    assert held_login.HELD_KEY not in opened_session(client)
    assert {token["access_token"], token["refresh_token"]} <= set(second.revoked)


def test_a_held_login_that_expired_is_dropped_at_the_next_request_of_any_page(
    app, client, rogue, second
):
    token = hold_a_login(client, rogue, second)
    with client.session_transaction() as sess:
        held = dict(sess[held_login.HELD_KEY])
        held["at"] -= app.config.get("OAUTH2LOGIN_LOGIN_TIMEOUT", 600) + 1
        sess[held_login.HELD_KEY] = held
    assert client.get("/").status_code == 200  # a page of the app's own
    assert held_login.HELD_KEY not in opened_session(client)
    assert {token["access_token"], token["refresh_token"]} <= set(second.revoked)


def test_a_held_login_within_the_timeout_stays_while_the_person_browses(client, rogue, second):
    hold_a_login(client, rogue, second)
    assert client.get("/").status_code == 200
    assert held_login.HELD_KEY in opened_session(client)
    assert not second.revoked


def test_cancel_revokes_the_held_login(app, client, rogue, second):
    token = hold_a_login(client, rogue, second)
    assert answer_connect(client, "cancel").status_code == 303
    assert {token["access_token"], token["refresh_token"]} <= set(second.revoked)


def test_logout_drops_and_revokes_the_held_login(app, client, rogue, second):
    token = hold_a_login(client, rogue, second)
    assert client.post("/logout").status_code == 303
    assert {token["access_token"], token["refresh_token"]} <= set(second.revoked)
    assert held_login.HELD_KEY not in opened_session(client)


def test_a_logout_token_that_ends_the_session_revokes_the_held_login(app, client, rogue, second):
    rogue.behaviour.id_token_claims = {"sid": "op-1"}
    token = hold_a_login(client, rogue, second)
    logout_token = rogue.make_logout_token(sid="op-1")
    answer = app.test_client().post(
        "/backchannel-logout/rogue", data={"logout_token": logout_token}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert {token["access_token"], token["refresh_token"]} <= set(second.revoked)


def test_another_login_that_commits_revokes_the_held_one(app, client, rogue, second):
    token = hold_a_login(client, rogue, second)
    assert log_in_here(client, rogue).status_code == 302  # a new login, the same person
    assert held_login.HELD_KEY not in opened_session(client)
    assert {token["access_token"], token["refresh_token"]} <= set(second.revoked)


def test_a_newer_held_login_revokes_the_older(app, client, rogue, second):
    older = hold_a_login(client, rogue, second)
    assert log_in_elsewhere(client, second, "second").status_code == 303
    newer = held_token(client)
    assert newer["access_token"] != older["access_token"]
    assert {older["access_token"], older["refresh_token"]} <= set(second.revoked)
    assert newer["access_token"] not in second.revoked


def test_a_held_token_moved_to_another_held_login_does_not_open(app, client, rogue, second):
    hold_a_login(client, rogue, second)
    with client.session_transaction() as sess:
        held = dict(sess[held_login.HELD_KEY])
        held["id"] = "another-held-login"
        sess[held_login.HELD_KEY] = held
    answer = answer_connect(client, "connect")
    assert answer.status_code == 400
    assert client.get("/").get_json()["user"]["provider"] == "rogue"


def test_an_answer_naming_another_held_login_is_refused_cleanly(app, client, rogue, second):
    """Any id that is not the held login's, also one no held login can have
    (not ASCII), is refused with the error page; the held login stays."""
    from tests.support.logins import SAME_SITE

    hold_a_login(client, rogue, second)
    for other in ("not-this-one", "é"):
        answer = client.post("/connect", data={"id": other, "action": "connect"}, headers=SAME_SITE)
        assert answer.status_code == 400
    assert held_login.HELD_KEY in opened_session(client)
