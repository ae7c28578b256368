"""Connecting a second account, and one person per session: :mod:`flask_oauth2login.login.outcome`.

Two rogue providers with their own issuers (``rogue`` and ``second``); a
login is started from this site (``Sec-Fetch-Site: same-origin``, this
site's ``Origin``, or a ``POST``) or from another one.
"""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask, jsonify, session

from flask_oauth2login import logged_in, logged_out
from flask_oauth2login.login import held_login
from flask_oauth2login.tokens.logins import TOKENS_KEY, USER_KEY, USERS_KEY
from tests.support.logins import (
    CROSS_SITE,
    SAME_SITE,
    answer_connect,
    follow_callback,
    log_in_elsewhere,
    log_in_from,
    log_in_here,
    start_login,
)
from tests.support.oauth import query
from tests.support.rogue_idp import RogueProvider, default_user, rogue_entry
from tests.support.sealed import change_session_token, opened_session


@pytest.fixture(scope="module")
def _second_server() -> t.Iterator[RogueProvider]:
    with RogueProvider(client_id="second-client", client_secret="second-secret") as provider:
        yield provider


@pytest.fixture
def second(second: RogueProvider) -> RogueProvider:
    """The second provider, whose user is someone else."""
    second.behaviour.user = {**default_user(), "sub": "second-7", "name": "Al Second"}
    return second


@pytest.fixture
def app(make_app: t.Callable[..., Flask], rogue: RogueProvider, second: RogueProvider) -> Flask:
    app = make_app({"rogue": rogue_entry(rogue), "second": rogue_entry(second)})
    oauth = app.extensions["test_oauth"]

    @app.get("/users")
    def users() -> t.Any:
        return jsonify(
            users={name: user["sub"] for name, user in oauth.users.items()},
            user=oauth.user["provider"] if oauth.user else None,
        )

    @app.post("/cart")
    def cart() -> str:
        session["cart"] = ["book"]
        return "ok"

    return app


#: The logins of a session that connected both providers.
BOTH = {"rogue": "user-123", "second": "second-7"}


def logins(client: t.Any) -> dict[str, t.Any]:
    return client.get("/users").get_json()  # type: ignore[no-any-return]


def stored(client: t.Any) -> dict[str, t.Any]:
    return opened_session(client)


def signals(app: Flask) -> t.Any:
    """Record ``logged_in`` and ``logged_out`` as (signal, provider) pairs."""
    seen: list[tuple[str, str]] = []

    class Recorder:
        def __enter__(self) -> list[tuple[str, str]]:
            self.contexts = [
                logged_in.connected_to(lambda s, **kw: seen.append(("in", kw["provider"])), app),
                logged_out.connected_to(lambda s, **kw: seen.append(("out", kw["provider"])), app),
            ]
            for context in self.contexts:
                context.__enter__()
            return seen

        def __exit__(self, *exc: t.Any) -> None:
            for context in reversed(self.contexts):
                context.__exit__(*exc)

    return Recorder()


# -- connecting from this site -------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [SAME_SITE, {"Origin": "http://localhost"}, {"Origin": "http://LOCALHOST:80"}],
    ids=["sec-fetch-site", "origin", "origin-default-port"],
)
def test_a_login_started_here_connects_a_second_provider(app, client, rogue, second, headers):
    assert log_in_here(client, rogue).status_code == 302
    response = log_in_from(client, second, "second", headers)
    assert response.status_code == 302
    assert logins(client) == {"users": BOTH, "user": "second"}
    assert set(stored(client)[TOKENS_KEY]) == {"rogue", "second"}


def test_a_post_from_a_form_of_this_site_connects(app, client, rogue, second):
    log_in_here(client, rogue)
    started = client.post("/login/second", data={"next": "/private"})
    assert started.status_code == 303
    assert (
        follow_callback(client, second.authorize(started.headers["Location"])).headers["Location"]
        == "/private"
    )
    assert logins(client)["users"] == {"rogue": "user-123", "second": "second-7"}


def test_oauth_user_is_the_most_recent_login(app, client, rogue, second):
    log_in_here(client, rogue)
    log_in_here(client, second, "second")
    assert logins(client)["user"] == "second"
    log_in_here(client, rogue)  # the same person again: an update
    assert logins(client) == {"users": {"second": "second-7", "rogue": "user-123"}, "user": "rogue"}
    data = stored(client)
    assert list(data[USERS_KEY]) == ["second", "rogue"]
    assert data[USER_KEY] == data[USERS_KEY]["rogue"]


def test_forgetting_the_most_recent_login_leaves_the_other(app, client, rogue, second):
    log_in_here(client, rogue)
    log_in_here(client, second, "second")
    change_session_token(client, "second", expires_at=0, refresh_token=None)
    app.config["TEST_API_URLS"] = {"second": second.issuer + "/api/me"}
    assert client.get("/api/second").status_code == 302  # expired and not refreshable: it ends
    assert logins(client) == {"users": {"rogue": "user-123"}, "user": "rogue"}


# -- a login started elsewhere asks first ---------------------------------------------------


def test_a_login_started_elsewhere_asks_before_connecting(app, client, rogue, second):
    log_in_here(client, rogue)
    second.behaviour.user = {**default_user(), "sub": "second-7", "name": "<b>Mallory</b>"}
    with signals(app) as seen:
        response = log_in_elsewhere(client, second, "second")
    assert response.status_code == 303
    assert response.headers["Location"] == "/connect"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert seen == []
    # Nothing is attached yet.
    assert logins(client) == {"users": {"rogue": "user-123"}, "user": "rogue"}
    assert set(stored(client)[TOKENS_KEY]) == {"rogue"}
    page = client.get("/connect")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "Alice Example" in html  # who is signed in
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in html and "<b>Mallory" not in html  # who signs in
    assert 'method="post"' in html

    with signals(app) as seen:
        answer = answer_connect(client, "connect")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/"
    assert seen == [("in", "second")]
    assert logins(client) == {"users": BOTH, "user": "second"}
    assert held_login.HELD_KEY not in stored(client)


@pytest.mark.parametrize("headers", [{}, CROSS_SITE, {"Sec-Fetch-Site": "none"}])
def test_a_login_not_known_to_come_from_here_asks(app, client, rogue, second, headers):
    log_in_here(client, rogue)
    assert log_in_from(client, second, "second", headers).headers["Location"] == "/connect"
    assert logins(client)["users"] == {"rogue": "user-123"}


def test_declining_keeps_only_the_new_login_and_revokes_the_others(app, client, rogue, second):
    log_in_here(client, rogue)
    first = stored(client)[TOKENS_KEY]["rogue"]
    client.post("/cart")
    log_in_elsewhere(client, second, "second")
    with signals(app) as seen:
        answer = answer_connect(client, "decline")
    assert answer.status_code == 303
    assert seen == [("out", "rogue"), ("in", "second")]
    assert logins(client) == {"users": {"second": "second-7"}, "user": "second"}
    data = stored(client)
    assert set(data[TOKENS_KEY]) == {"second"}
    assert "cart" not in data  # a fresh session
    assert set(rogue.revoked) == {first["refresh_token"], first["access_token"]}
    assert second.revoked == []


def test_cancelling_drops_the_new_login(app, client, rogue, second):
    log_in_here(client, rogue)
    log_in_elsewhere(client, second, "second")
    held = stored(client)[held_login.HELD_KEY]["token"]
    answer = answer_connect(client, "cancel")
    assert answer.status_code == 303
    assert logins(client) == {"users": {"rogue": "user-123"}, "user": "rogue"}
    assert set(second.revoked) == {held["refresh_token"], held["access_token"]}
    assert rogue.revoked == []
    assert "Nothing to confirm" in client.get("/connect").get_data(as_text=True)


@pytest.mark.parametrize(
    "headers",
    [
        CROSS_SITE,
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://localhost:8080"},
    ],
)
def test_the_answer_is_refused_from_another_origin(app, client, rogue, second, headers):
    log_in_here(client, rogue)
    log_in_elsewhere(client, second, "second")
    answer = answer_connect(client, "connect", headers)
    assert answer.status_code == 403
    assert "another site" in answer.get_data(as_text=True)
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert logins(client)["users"] == {"rogue": "user-123"}
    assert held_login.HELD_KEY in stored(client)  # still waiting for the person
    assert answer_connect(client, "connect").status_code == 303


def test_an_answer_for_another_held_login_is_refused(app, client, rogue, second):
    log_in_here(client, rogue)
    log_in_elsewhere(client, second, "second")
    answer = client.post("/connect", data={"id": "forged", "action": "connect"})
    assert answer.status_code == 400
    assert logins(client)["users"] == {"rogue": "user-123"}
    bad = client.post("/connect", data={"id": "x", "action": "steal"}, headers=SAME_SITE)
    assert bad.status_code == 400


def test_a_held_login_expires_with_the_login_timeout(app, client, rogue, second):
    log_in_here(client, rogue)
    log_in_elsewhere(client, second, "second")
    with client.session_transaction() as sess:
        held = dict(sess[held_login.HELD_KEY])
        held["at"] -= app.config.get("OAUTH2LOGIN_LOGIN_TIMEOUT", 600) + 1
        sess[held_login.HELD_KEY] = held
    page = client.get("/connect")
    assert page.status_code == 200
    assert "took too long" in page.get_data(as_text=True)
    assert held_login.HELD_KEY not in stored(client)
    answer = client.post("/connect", data={"id": held["id"], "action": "connect"})
    assert answer.status_code == 400
    assert logins(client)["users"] == {"rogue": "user-123"}


def test_nothing_to_confirm(make_app, rogue):
    """With nothing pending, the page says so plainly: not an error, and no
    debug hint about a lost login, but a way back to the site."""
    app = make_app({"rogue": rogue_entry(rogue)})
    app.debug = True
    client = app.test_client()
    page = client.get("/connect")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1>Nothing to confirm</h1>" in text
    assert "Debug hint" not in text and "Login failed" not in text
    assert 'href="/" id="oauth2login-home"' in text
    assert page.headers["X-Frame-Options"] == "DENY"
    assert client.post("/connect", data={"id": "x", "action": "connect"}).status_code == 400


def test_the_same_person_under_another_name_connects_without_asking(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue), "again": rogue_entry(rogue)})
    client = app.test_client()
    log_in_here(client, rogue)
    assert log_in_elsewhere(client, rogue, "again").status_code == 302
    with client.session_transaction() as sess:
        assert set(sess[TOKENS_KEY]) == {"rogue", "again"}


def test_a_login_into_an_empty_session_is_not_asked_about(client, rogue):
    assert log_in_elsewhere(client, rogue).status_code == 302
    assert client.get("/").get_json()["user"]["sub"] == "user-123"


# -- refusing cross-origin POST /login -----------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        CROSS_SITE,
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "https://localhost"},
    ],
)
def test_post_login_from_another_origin_is_refused(client, rogue, failures, headers):
    log_in_here(client, rogue)
    before = stored(client)
    response = client.post("/login/rogue", headers=headers)
    assert response.status_code == 403
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Location" not in response.headers
    assert stored(client) == before  # nothing changed: not even a pending login
    assert [f["error"].error_code for f in failures] == ["cross_origin_request"]
    json = client.post("/login/rogue", headers={**headers, "Accept": "application/json"})
    assert json.status_code == 403
    assert json.get_json()["error"] == "cross_origin_request"


def test_post_login_honours_the_external_url(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)}, OAUTH2LOGIN_EXTERNAL_URL="https://app.example")
    client = app.test_client()
    foreign = {"Origin": "https://evil.example"}
    assert client.post("/login/rogue", headers=foreign).status_code == 403
    assert client.post("/login/rogue", headers={"Origin": "https://app.example"}).status_code == 303


# -- another person: a fresh login ---------------------------------------------------------


def test_another_persons_login_ends_the_first_persons_logins(app, client, rogue, second):
    log_in_here(client, rogue)
    log_in_here(client, second, "second")
    first = stored(client)[TOKENS_KEY]
    client.post("/cart")
    rogue.behaviour.user = {**default_user(), "sub": "bob", "name": "Bob"}
    with signals(app) as seen:
        assert log_in_here(client, rogue).status_code == 302
    assert seen == [("out", "rogue"), ("out", "second"), ("in", "rogue")]
    assert logins(client) == {"users": {"rogue": "bob"}, "user": "rogue"}
    data = stored(client)
    assert set(data[TOKENS_KEY]) == {"rogue"}
    assert data[TOKENS_KEY]["rogue"]["sub"] == "bob"
    assert "cart" not in data
    # The first person's tokens are revoked, at both providers.
    assert {first["rogue"]["refresh_token"], first["rogue"]["access_token"]} <= set(rogue.revoked)
    assert set(second.revoked) == {first["second"][k] for k in ("refresh_token", "access_token")}
    assert data[TOKENS_KEY]["rogue"]["access_token"] not in rogue.revoked


def test_another_person_started_elsewhere_is_a_fresh_login_too(app, client, rogue):
    log_in_here(client, rogue)
    rogue.behaviour.user = {**default_user(), "sub": "bob"}
    assert log_in_elsewhere(client, rogue).status_code == 302
    assert logins(client) == {"users": {"rogue": "bob"}, "user": "rogue"}


def test_a_fresh_login_survives_a_provider_that_cannot_revoke(app, client, rogue):
    log_in_here(client, rogue)
    rogue.behaviour.user = {**default_user(), "sub": "bob"}
    rogue.behaviour.revoke_status = 503
    assert log_in_here(client, rogue).status_code == 302
    assert logins(client)["users"] == {"rogue": "bob"}


def test_the_same_person_again_keeps_the_other_logins_and_revokes_nothing(
    app, client, rogue, second
):
    log_in_here(client, rogue)
    log_in_here(client, second, "second")
    old = stored(client)[TOKENS_KEY]["rogue"]
    assert log_in_elsewhere(client, rogue).status_code == 302
    assert logins(client)["users"] == {"second": "second-7", "rogue": "user-123"}
    assert stored(client)[TOKENS_KEY]["rogue"]["access_token"] != old["access_token"]
    assert rogue.revoked == [] and second.revoked == []


def test_an_update_keeps_the_refresh_token_when_the_new_answer_has_none(app, client, rogue):
    log_in_here(client, rogue)
    old = stored(client)[TOKENS_KEY]["rogue"]
    rogue.behaviour.token_overrides = {"refresh_token": None}
    log_in_here(client, rogue)
    new = stored(client)[TOKENS_KEY]["rogue"]
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] == old["refresh_token"]


def test_each_commit_rotates_the_session_id(app, client, rogue, second):
    log_in_here(client, rogue)
    first = client.get_cookie("session").value
    log_in_elsewhere(client, second, "second")
    answer_connect(client, "connect")
    assert client.get_cookie("session").value != first


def test_a_refused_connect_leaves_the_session_as_it_was(app, client, rogue, second):
    from flask_oauth2login import LoginError

    log_in_here(client, rogue)

    @app.extensions["test_oauth"].on_login
    def no_second(provider: str, user: t.Any, token: t.Any) -> None:
        if provider == "second":
            raise LoginError("Not that one.", provider=provider)

    log_in_elsewhere(client, second, "second")
    assert answer_connect(client, "decline").status_code == 400
    assert logins(client) == {"users": {"rogue": "user-123"}, "user": "rogue"}
    assert rogue.revoked == []


def test_the_start_page_link_of_a_started_here_login_is_kept(client, rogue):
    """A login started here records it in its pending login (and nowhere else)."""
    location = start_login(client, "rogue", SAME_SITE)
    assert "started_here" not in query(location)
    with client.session_transaction() as sess:
        (pending,) = sess["_oauth2login_pending"].values()
    assert pending["started_here"] is True


def test_back_to_the_callback_of_a_held_login_shows_the_connect_page_again(
    app, client, rogue, second
):
    log_in_here(client, rogue)
    callback = second.authorize(start_login(client, "second", CROSS_SITE))
    assert follow_callback(client, callback).headers["Location"] == "/connect"
    again = follow_callback(client, callback)  # Back, or a reload
    assert again.status_code == 303
    assert again.headers["Location"] == "/connect"
    answer_connect(client, "cancel")
    assert follow_callback(client, callback).status_code == 400
