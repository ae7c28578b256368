"""The server-side session: set-up, store outages, and concurrent requests of one session."""

from __future__ import annotations

import datetime
import struct
import time
import typing as t
from email.utils import parsedate_to_datetime

import cachelib
import pytest
from flask import Flask, session
from flask_session import Session
from flask_session.cachelib import CacheLibSessionInterface

from flask_oauth2login import OAuth2Login, SessionStoreUnavailable
from flask_oauth2login.sessions.setup import GuardedSessionInterface, UnavailableSession, guard
from flask_oauth2login.tokens.logins import TOKENS_KEY, USER_KEY
from tests.conftest import follow_callback, log_in, rogue_entry, start_login
from tests.support.redis_server import RedisServer, serve_redis


@pytest.fixture(scope="module")
def redis_server() -> t.Iterator[RedisServer]:
    yield from serve_redis()


@pytest.fixture
def outage_redis() -> t.Iterator[RedisServer]:
    """A server of the test's own, to stop and start."""
    yield from serve_redis()


@pytest.fixture(params=["filesystem", "redis"])
def store_app(request, make_app, rogue) -> Flask:
    """The test app on the embedded file-system store, or on Redis."""
    config: dict[str, t.Any] = {}
    if request.param == "redis":
        config = {
            "SESSION_TYPE": "redis",
            "SESSION_REDIS": request.getfixturevalue("redis_server").client(),
        }
    return make_app(
        {"rogue": rogue_entry(rogue)}, TEST_API_URLS={"rogue": rogue.issuer + "/api/me"}, **config
    )


def redis_app(make_app, rogue, server: RedisServer) -> Flask:
    app = make_app(
        {"rogue": rogue_entry(rogue)},
        TEST_API_URLS={"rogue": rogue.issuer + "/api/me"},
        SESSION_TYPE="redis",
        SESSION_REDIS=server.client(socket_timeout=0.5, socket_connect_timeout=0.5),
    )

    @app.get("/ping")
    def ping() -> str:
        return "pong"

    return app


def cookie_header(app: Flask, client: t.Any) -> dict[str, str]:
    name = app.config["SESSION_COOKIE_NAME"]
    return {"Cookie": f"{name}={client.get_cookie(name).value}"}


def open_in_flight(app: Flask, headers: dict[str, str]) -> t.Any:
    """The session as a request that began now loaded it."""
    with app.test_request_context("/", headers=headers) as ctx:
        return ctx.session


def save_in_flight(app: Flask, headers: dict[str, str], in_flight: t.Any) -> t.Any:
    """End that request: save its session; return the response."""
    with app.test_request_context("/", headers=headers):
        response = app.response_class("done")
        app.session_interface.save_session(app, in_flight, response)
        return response


def stored(app: Flask, headers: dict[str, str]) -> dict[str, t.Any]:
    with app.test_request_context("/", headers=headers) as ctx:
        return dict(ctx.session)


def make_expired(client: t.Any) -> None:
    with client.session_transaction() as sess:
        tokens = dict(sess[TOKENS_KEY])
        tokens["rogue"] = {**tokens["rogue"], "expires_at": 0}
        sess[TOKENS_KEY] = tokens


# -- set-up --------------------------------------------------------------------


def test_apps_own_interface_is_guarded_in_place(tmp_path, rogue):
    app = Flask("own", instance_path=str(tmp_path))
    app.config.update(
        SECRET_KEY="k",
        SESSION_TYPE="cachelib",
        SESSION_CACHELIB=cachelib.SimpleCache(),
        OAUTH2LOGIN_PROVIDERS={"rogue": rogue_entry(rogue)},
    )
    Session(app)
    interface = app.session_interface
    OAuth2Login(app)
    assert app.session_interface is interface
    assert isinstance(interface, CacheLibSessionInterface)
    assert isinstance(interface, GuardedSessionInterface)
    guarded = type(interface)
    guard(interface)  # a second time changes nothing
    assert type(interface) is guarded


def test_cookie_is_secure_on_https_only(app):
    client = app.test_client()
    plain = client.get("/login/rogue").headers["Set-Cookie"]
    secure = app.test_client().get("/login/rogue", base_url="https://localhost")
    assert "Secure" not in plain
    assert "Secure" in secure.headers["Set-Cookie"]
    assert "HttpOnly" in plain and "SameSite=Lax" in plain


def test_logging_in_again_keeps_the_new_session(store_app, rogue):
    client = store_app.test_client()
    log_in(client, rogue)
    first = client.get_cookie("session").value
    log_in(client, rogue)
    assert client.get_cookie("session").value != first
    assert client.get("/").get_json()["user"]["sub"] == "user-123"


# -- concurrent requests of one session ----------------------------------------


def test_request_that_began_before_a_refresh_does_not_write_the_old_token_back(store_app, rogue):
    client = store_app.test_client()
    log_in(client, rogue)
    make_expired(client)
    rogue.expire_access_tokens()
    headers = cookie_header(store_app, client)
    in_flight = open_in_flight(store_app, headers)
    assert client.get("/api/rogue").get_json()["status"] == 200  # refreshes
    refreshed = stored(store_app, headers)[TOKENS_KEY]["rogue"]

    save_in_flight(store_app, headers, in_flight)
    assert stored(store_app, headers)[TOKENS_KEY]["rogue"] == refreshed


def test_request_that_began_before_a_refresh_keeps_its_own_changes(store_app, rogue):
    client = store_app.test_client()
    log_in(client, rogue)
    make_expired(client)
    rogue.expire_access_tokens()
    headers = cookie_header(store_app, client)
    in_flight = open_in_flight(store_app, headers)
    in_flight["cart"] = ["book"]
    assert client.get("/api/rogue").get_json()["status"] == 200

    save_in_flight(store_app, headers, in_flight)
    data = stored(store_app, headers)
    assert data["cart"] == ["book"]
    assert data[TOKENS_KEY]["rogue"]["expires_at"] > 0  # the refreshed token
    assert client.get("/api/rogue").get_json()["status"] == 200
    assert rogue.calls["token:refresh_token"] == 1


def test_logout_is_not_undone_by_a_request_that_began_before_it(store_app, rogue):
    client = store_app.test_client()
    log_in(client, rogue)
    headers = cookie_header(store_app, client)
    in_flight = open_in_flight(store_app, headers)
    assert client.post("/logout").status_code == 303

    response = save_in_flight(store_app, headers, in_flight)
    assert "Set-Cookie" not in response.headers  # the old session id is not handed back
    assert USER_KEY not in stored(store_app, headers)
    assert TOKENS_KEY not in stored(store_app, headers)


def test_login_started_in_another_tab_survives_a_request_that_began_before_it(store_app, rogue):
    client = store_app.test_client()
    log_in(client, rogue)
    headers = cookie_header(store_app, client)
    in_flight = open_in_flight(store_app, headers)
    provider_url = start_login(client)

    save_in_flight(store_app, headers, in_flight)
    assert follow_callback(client, rogue.authorize(provider_url)).status_code == 302


# -- store outages --------------------------------------------------------------


def test_unavailable_session_refuses_every_access():
    unavailable = UnavailableSession()
    for use in (
        lambda: unavailable["a"],
        lambda: unavailable.get("a"),
        lambda: "a" in unavailable,
        lambda: bool(unavailable),
        lambda: unavailable.setdefault("a", 1),
        lambda: unavailable.update(a=1),
        lambda: unavailable.permanent,
    ):
        with pytest.raises(SessionStoreUnavailable):
            use()
    assert not unavailable.modified
    assert repr(unavailable) == "<UnavailableSession>"


def test_redis_down_answers_503_and_keeps_the_login(make_app, rogue, outage_redis):
    app = redis_app(make_app, rogue, outage_redis)
    client = app.test_client()
    log_in(client, rogue)

    outage_redis.stop()
    try:
        page = client.get("/", headers={"Accept": "text/html"})
        data = client.get("/private", headers={"Accept": "application/json"})
        ping = client.get("/ping")
        login = app.test_client().get("/login/rogue")
    finally:
        outage_redis.start()

    assert page.status_code == 503
    assert page.mimetype == "text/html"
    assert page.headers["Retry-After"] == "5"
    assert page.headers["Cache-Control"] == "no-store"
    assert "temporarily unavailable" in page.get_data(as_text=True).lower()
    assert "Set-Cookie" not in page.headers
    assert data.status_code == 503
    assert data.get_json()["error"] == "session_store_unavailable"
    assert ping.status_code == 200  # needs no session
    assert login.status_code == 503  # its pending login could not be kept
    assert "Location" not in login.headers
    assert client.get("/").get_json()["user"]["sub"] == "user-123"


def test_redis_lost_before_the_save_answers_503_and_keeps_the_old_session(
    make_app, rogue, outage_redis
):
    app = redis_app(make_app, rogue, outage_redis)

    @app.get("/write")
    def write() -> str:
        session["note"] = "written"
        outage_redis.stop()
        return "written"

    client = app.test_client()
    log_in(client, rogue)
    try:
        response = client.get("/write", headers={"Accept": "application/json"})
    finally:
        outage_redis.start()
    assert response.status_code == 503
    assert response.get_json()["error"] == "session_store_unavailable"
    assert "Set-Cookie" not in response.headers
    assert client.get("/").get_json()["user"]["sub"] == "user-123"
    assert "note" not in stored(app, cookie_header(app, client))


def test_redis_lost_during_the_login_callback_answers_503(make_app, rogue, outage_redis):
    app = redis_app(make_app, rogue, outage_redis)
    losing = []

    @app.before_request
    def lose_the_store() -> None:  # after the session was loaded
        if losing:
            outage_redis.stop()

    client = app.test_client()
    callback = rogue.authorize(start_login(client))
    losing.append(True)
    try:
        response = follow_callback(client, callback, headers={"Accept": "application/json"})
    finally:
        outage_redis.start()
    assert response.status_code == 503
    assert response.get_json()["error"] == "session_store_unavailable"


# -- logout wins over requests that began before it -----------------------------


def test_logout_is_not_undone_by_a_request_that_refreshed_meanwhile(store_app, rogue):
    """The session holds the app's own keys too, and the request that began
    before the logout refreshed the token: it must not log the user back in."""
    client = store_app.test_client()
    log_in(client, rogue)
    with client.session_transaction() as sess:
        sess["cart"] = ["book"]
        sess["_user_id"] = "42"  # a Flask-Login user
    make_expired(client)
    rogue.expire_access_tokens()
    headers = cookie_header(store_app, client)
    in_flight = open_in_flight(store_app, headers)
    # The in-flight request refreshes its token, as oauth.session would.
    tokens = dict(in_flight[TOKENS_KEY])
    tokens["rogue"] = {**tokens["rogue"], "access_token": "refreshed", "expires_at": 2**40}
    in_flight[TOKENS_KEY] = tokens
    assert client.post("/logout").status_code == 303

    response = save_in_flight(store_app, headers, in_flight)
    assert "Set-Cookie" not in response.headers
    assert stored(store_app, headers) in ({}, {"_permanent": True})
    assert client.get("/").get_json()["user"] is None
    again = store_app.test_client()
    again.set_cookie("session", headers["Cookie"].split("=", 1)[1])
    assert again.get("/").get_json()["user"] is None
    assert again.get("/private", headers={"Accept": "application/json"}).status_code == 401


def test_logout_between_the_read_and_the_write_of_a_running_request(store_app, rogue):
    """The narrowest race: a running request has re-read the stored session
    (it still exists) and writes it back after the logout deleted it."""
    client = store_app.test_client()
    log_in(client, rogue)
    headers = cookie_header(store_app, client)
    in_flight = open_in_flight(store_app, headers)
    in_flight["note"] = "changed by the running request"
    interface = store_app.session_interface
    read = interface._retrieve_session_data
    logged_out = []

    def read_then_logout(store_id: str) -> t.Any:
        data = read(store_id)
        if not logged_out and not store_id.endswith(":ended"):
            logged_out.append("pending")  # the logout's own reads pass through
            logged_out[0] = client.post("/logout").status_code
        return data

    with store_app.test_request_context("/", headers=headers):
        response = store_app.response_class("done")
        interface._retrieve_session_data = read_then_logout  # type: ignore[method-assign]
        try:
            interface.save_session(store_app, in_flight, response)
        finally:
            del interface._retrieve_session_data
    assert logged_out == [303]
    assert "Set-Cookie" not in response.headers
    assert not stored(store_app, headers).get(USER_KEY)
    assert not stored(store_app, headers).get("note")
    again = store_app.test_client()
    again.set_cookie("session", headers["Cookie"].split("=", 1)[1])
    assert again.get("/").get_json()["user"] is None


def test_logout_gives_a_new_session_id_and_deletes_the_old_one(store_app, rogue):
    client = store_app.test_client()
    log_in(client, rogue)
    headers = cookie_header(store_app, client)
    response = client.post("/logout")
    assert "session=;" in response.headers["Set-Cookie"]  # the cookie is deleted
    assert stored(store_app, headers) in ({}, {"_permanent": True})


# -- visitors who are not logged in ---------------------------------------------


def _stored_expiry(app: Flask, client: t.Any) -> float:
    """Seconds until the stored session of *client* expires."""
    interface = app.session_interface
    store_id = interface._get_store_id(client.get_cookie("session").value)
    if hasattr(interface, "cache"):
        with open(interface.cache._get_filename(store_id), "rb") as f:
            return struct.unpack("I", f.read(4))[0] - time.time()
    return float(interface.client.ttl(store_id))


def test_starting_a_login_stores_the_visitor_only_while_the_login_may_run(store_app, rogue):
    client = store_app.test_client()
    response = client.get("/login/rogue")
    assert response.status_code == 302
    assert 0 < _stored_expiry(store_app, client) <= 600  # OAUTH2LOGIN_LOGIN_TIMEOUT
    cookie = response.headers["Set-Cookie"]
    assert "Expires=" in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert expires - datetime.datetime.now(datetime.UTC) <= datetime.timedelta(seconds=601)

    follow_callback(client, rogue.authorize(response.headers["Location"]))
    assert _stored_expiry(store_app, client) > 30 * 24 * 3600  # a login: the full lifetime


def test_a_session_with_the_apps_own_data_keeps_its_lifetime(store_app, rogue):
    @store_app.get("/remember")
    def remember() -> str:
        session["theme"] = "dark"
        return "ok"

    client = store_app.test_client()
    client.get("/remember")
    client.get("/login/rogue")
    assert _stored_expiry(store_app, client) > 30 * 24 * 3600


def test_anonymous_floods_never_evict_a_logged_in_session(app, rogue):
    """cachelib's file store deleted sessions past 10,000 files to make room."""
    client = app.test_client()
    log_in(client, rogue)
    cache = app.session_interface.cache
    for i in range(10_050):  # what cookie-less /login requests left: 31-day sessions
        cache.set(f"session:anonymous-{i}", {"_oauth2login_pending": {}}, timeout=32 * 86400)
    for _ in range(3):
        assert app.test_client().get("/login/rogue").status_code == 302
    assert client.get("/").get_json()["user"]["sub"] == "user-123"


# -- what no store can keep -----------------------------------------------------


@pytest.mark.parametrize("where", ["id_token_claims", "userinfo_overrides"])
def test_text_that_is_not_unicode_is_refused_and_the_old_login_kept(
    store_app, rogue, failures, where
):
    """A lone surrogate in a claim made the Redis store fail after the old
    session was deleted and ``logged_in`` had fired."""
    from flask_oauth2login import logged_in

    client = store_app.test_client()
    log_in(client, rogue)
    setattr(rogue.behaviour, where, {"given_name": "\ud800"})
    if where == "userinfo_overrides":  # an ID token without picture: UserInfo is asked
        rogue.behaviour.id_token_claims = {"picture": None}
    logins: list[t.Any] = []
    with logged_in.connected_to(lambda sender, **kw: logins.append(kw)):
        response = log_in(client, rogue)
    assert response.status_code == 502
    assert "not valid Unicode" in response.get_data(as_text=True)
    assert logins == []
    assert len(failures) == 1
    assert client.get("/").get_json()["user"]["name"] == "Alice Example"
