"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0) against the
rogue provider, which sends logout tokens good and bad to the app served on
a real HTTP server on loopback.

Two browsers are logged in as the same user, each with its own session at
the provider (``sid``). A logout token ends exactly the sessions it names,
before the answer; a bad one answers 400 and ends nothing.
"""

from __future__ import annotations

import dataclasses
import time
import typing as t
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask, current_app, session

from flask_oauth2login import OAuth2Login, logged_out
from flask_oauth2login.sessions.engines.generic import InterfaceLogoutStore
from flask_oauth2login.sessions.logout_index import index_key
from tests.conftest import http_session, rogue_entry
from tests.support.redis_server import RedisServer, serve_redis
from tests.support.rogue_idp import RogueProvider
from tests.support.session_interfaces import DictSessionInterface
from tests.support.threads import serving

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@dataclasses.dataclass
class Live:
    app: Flask
    url: str

    @property
    def backchannel(self) -> str:
        return self.url + "/backchannel-logout/rogue"


@pytest.fixture
def live(make_app: t.Callable[..., Flask], rogue: RogueProvider) -> t.Iterator[Live]:
    app = make_app({"rogue": rogue_entry(rogue)})
    with serving(app) as url:
        yield Live(app, url)


def browser_login(live: Live, rogue: RogueProvider, sid: str | None) -> requests.Session:
    """A new browser, logged in with a provider session *sid* (``None``: the
    ID token names no session)."""
    rogue.behaviour.id_token_claims = {"sid": sid}
    browser = http_session()
    start = browser.get(live.url + "/login/rogue", allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text
    callback = urlsplit(rogue.authorize(start.headers["Location"]))
    done = browser.get(
        f"{live.url}{callback.path}?{callback.query}", allow_redirects=False, timeout=10
    )
    assert done.status_code == 302, done.text
    rogue.behaviour.id_token_claims = {}
    return browser


def user_of(live: Live, browser: requests.Session) -> t.Any:
    return browser.get(live.url + "/", timeout=10).json()["user"]


@pytest.fixture
def two_browsers(live: Live, rogue: RogueProvider) -> tuple[requests.Session, requests.Session]:
    """Two browsers logged in as the same user, with provider sessions sid-a and sid-b."""
    a = browser_login(live, rogue, "sid-a")
    b = browser_login(live, rogue, "sid-b")
    assert user_of(live, a)["sub"] == user_of(live, b)["sub"] == "user-123"
    return a, b


@pytest.fixture
def signals(live: Live) -> t.Iterator[list[dict[str, t.Any]]]:
    seen: list[dict[str, t.Any]] = []
    with logged_out.connected_to(lambda sender, **kw: seen.append(kw), live.app):
        yield seen


def test_a_logout_token_ends_the_session_it_names_and_no_other(live, rogue, two_browsers, signals):
    a, b = two_browsers
    response = rogue.send_logout_token(live.backchannel, rogue.make_logout_token(sid="sid-a"))
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    # Ended before the answer: the very next request is not logged in.
    assert user_of(live, a) is None
    assert user_of(live, b)["sub"] == "user-123"
    assert signals == [{"provider": "rogue", "reason": "backchannel"}]
    assert a.get(live.url + "/private", allow_redirects=False).status_code == 302


def test_a_logout_token_with_only_a_subject_ends_all_its_sessions(live, rogue, two_browsers):
    a, b = two_browsers
    token = rogue.make_logout_token(sid=None, sub="user-123")
    assert rogue.send_logout_token(live.backchannel, token).status_code == 200
    assert user_of(live, a) is None
    assert user_of(live, b) is None


def test_a_login_without_sid_is_ended_by_subject(live, rogue):
    browser = browser_login(live, rogue, None)
    token = rogue.make_logout_token(sid=None)
    assert rogue.send_logout_token(live.backchannel, token).status_code == 200
    assert user_of(live, browser) is None


def test_a_token_for_another_session_or_subject_ends_nothing(live, rogue, two_browsers):
    a, b = two_browsers
    for token in (
        rogue.make_logout_token(sid="sid-c"),
        rogue.make_logout_token(sid=None, sub="someone-else"),
    ):
        assert rogue.send_logout_token(live.backchannel, token).status_code == 200
    assert user_of(live, a) is not None
    assert user_of(live, b) is not None


def _bad_tokens(rogue: RogueProvider) -> dict[str, str]:
    now = rogue.make_logout_token
    t0 = int(time.time())
    return {
        "with a nonce": now(sid="sid-a", nonce="n-1"),
        "for another client (aud)": now(sid="sid-a", aud="another-client"),
        "also for an untrusted audience": now(sid="sid-a", aud=[rogue.client_id, "other"]),
        "from another issuer (iss)": now(sid="sid-a", iss="https://evil.example"),
        "without events": now(sid="sid-a", events=None),
        "with another event": now(sid="sid-a", events={"urn:other": {}}),
        "with the event's value not an object": now(sid="sid-a", events={EVENT: "yes"}),
        "with a bad signature": now(sid="sid-a", signing="wrong-key"),
        "expired": now(sid="sid-a", iat=t0 - 400, exp=t0 - 300),
        "issued in the future": now(sid="sid-a", iat=t0 + 3600, exp=t0 + 3720),
        "too old, however long it lives": now(sid="sid-a", iat=t0 - 3600, exp=t0 + 3600),
        "without iat": now(sid="sid-a", iat=None),
        "without jti": now(sid="sid-a", jti=None),
        "with neither sid nor sub": now(sid=None, sub=None),
        "with an empty sid": now(sid="", sub=None),
        "with alg none": now(sid="sid-a", signing="none"),
        "signed with HS256 keyed by the public key": now(sid="sid-a", signing="hs256-public-key"),
        "with an unknown critical header": now(sid="sid-a", header={"crit": ["exp"]}),
        "of another type": now(sid="sid-a", header={"typ": "at+jwt"}),
        "that is not a JWT": "not-a-jwt",
    }


BAD = [
    "with a nonce",
    "for another client (aud)",
    "also for an untrusted audience",
    "from another issuer (iss)",
    "without events",
    "with another event",
    "with the event's value not an object",
    "with a bad signature",
    "expired",
    "issued in the future",
    "too old, however long it lives",
    "without iat",
    "without jti",
    "with neither sid nor sub",
    "with an empty sid",
    "with alg none",
    "signed with HS256 keyed by the public key",
    "with an unknown critical header",
    "of another type",
    "that is not a JWT",
]


@pytest.mark.parametrize("kind", BAD)
def test_a_bad_logout_token_is_refused_and_ends_nothing(live, rogue, two_browsers, signals, kind):
    a, b = two_browsers
    response = rogue.send_logout_token(live.backchannel, _bad_tokens(rogue)[kind])
    assert response.status_code == 400, response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_description"]
    assert user_of(live, a) is not None
    assert user_of(live, b) is not None
    assert signals == []


def test_an_id_token_does_not_pass_for_a_logout_token(live, rogue, two_browsers):
    a, _ = two_browsers
    id_token = rogue.make_id_token(sid="sid-a", nonce="n-1")
    assert rogue.send_logout_token(live.backchannel, id_token).status_code == 400
    assert user_of(live, a) is not None


def test_a_replayed_logout_token_ends_nothing_new(live, rogue, two_browsers):
    a, b = two_browsers
    token = rogue.make_logout_token(sid="sid-a")
    assert rogue.send_logout_token(live.backchannel, token).status_code == 200
    assert user_of(live, a) is None
    again = browser_login(live, rogue, "sid-a")  # logged in again in the same provider session
    replay = rogue.send_logout_token(live.backchannel, token)
    assert replay.status_code == 400
    assert "used before" in replay.json()["error_description"]
    assert user_of(live, again) is not None
    assert user_of(live, b) is not None


def test_a_typed_and_an_untyped_token_are_both_accepted(live, rogue, two_browsers):
    a, b = two_browsers
    plain = rogue.make_logout_token(sid="sid-a", header={"typ": "JWT"})
    untyped = rogue.make_logout_token(sid="sid-b", header={"typ": None})
    assert rogue.send_logout_token(live.backchannel, plain).status_code == 200
    assert rogue.send_logout_token(live.backchannel, untyped).status_code == 200
    assert user_of(live, a) is None
    assert user_of(live, b) is None


def test_requests_without_one_logout_token_are_refused(live, rogue, two_browsers):
    a, _ = two_browsers
    http = http_session()
    assert http.post(live.backchannel, data={}, timeout=10).status_code == 400
    token = rogue.make_logout_token(sid="sid-a")
    twice = http.post(live.backchannel, data=[("logout_token", token)] * 2, timeout=10)
    assert twice.status_code == 400
    as_json = http.post(live.backchannel, json={"logout_token": token}, timeout=10)
    assert as_json.status_code == 400
    assert http.get(live.backchannel, timeout=10).status_code == 405
    unknown = http.post(live.url + "/backchannel-logout/nobody", data={"logout_token": token})
    assert unknown.status_code == 404
    assert user_of(live, a) is not None


def test_the_answer_waits_for_unreachable_keys_with_a_503(live, rogue, two_browsers):
    a, _ = two_browsers
    rogue.rotate_keys()  # an unknown kid: the app fetches the keys again...
    rogue.behaviour.jwks_status = 503  # ...and cannot
    token = rogue.make_logout_token(sid="sid-a")
    response = rogue.send_logout_token(live.backchannel, token)
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert user_of(live, a) is not None


def test_a_logout_of_this_app_takes_the_session_out_of_the_index(live, rogue, two_browsers):
    a, b = two_browsers
    assert a.post(live.url + "/logout", allow_redirects=False).status_code == 303
    store = live.app.extensions["oauth2login"].logout_store
    assert store.members(index_key("rogue", rogue.issuer, "sid", "sid-a")) == []
    assert len(store.members(index_key("rogue", rogue.issuer, "sub", "user-123"))) == 1
    token = rogue.make_logout_token(sid=None)
    assert rogue.send_logout_token(live.backchannel, token).status_code == 200
    assert user_of(live, b) is None


# -- other session stores --------------------------------------------------------


@pytest.fixture(scope="module")
def redis_server() -> t.Iterator[RedisServer]:
    yield from serve_redis()


@pytest.mark.xdist_group("redis")
def test_with_sessions_in_redis(make_app, rogue, redis_server):
    store = redis_server.client()
    store.flushdb()
    app = make_app({"rogue": rogue_entry(rogue)}, SESSION_TYPE="redis", SESSION_REDIS=store)
    with serving(app) as url:
        live = Live(app, url)
        a = browser_login(live, rogue, "sid-a")
        b = browser_login(live, rogue, "sid-b")
        keys = store.keys("oauth2login:logout:session:index:*")
        assert len(keys) == 3  # sid-a, sid-b and the subject
        token = rogue.make_logout_token(sid="sid-a")
        assert rogue.send_logout_token(live.backchannel, token).status_code == 200
        assert user_of(live, a) is None
        assert user_of(live, b) is not None
        assert rogue.send_logout_token(live.backchannel, token).status_code == 400  # replayed
        # The index entries live past the session: never shorter.
        session_ttl = max(store.ttl(k) for k in store.keys("session:*") if b":" not in k[8:])
        index = store.keys("oauth2login:logout:session:index:*")
        assert min(store.ttl(k) for k in index) > session_ttl
        assert len(store.keys("oauth2login:logout:session:jti:*")) == 1


def test_with_any_other_flask_session_backend(rogue, tmp_path):
    app = Flask("otherstore", instance_path=str(tmp_path))
    app.session_interface = DictSessionInterface(app)
    app.config.update(
        SECRET_KEY="test-secret", TESTING=True, OAUTH2LOGIN_PROVIDERS={"rogue": rogue_entry(rogue)}
    )
    oauth = OAuth2Login(app)

    @app.get("/")
    def index() -> t.Any:
        user = oauth.user
        return {"user": user.to_dict() if user else None}

    assert isinstance(app.extensions["oauth2login"].logout_store, InterfaceLogoutStore)
    with serving(app) as url:
        live = Live(app, url)
        a = browser_login(live, rogue, "sid-a")
        b = browser_login(live, rogue, "sid-b")
        token = rogue.make_logout_token(sid="sid-b")
        assert rogue.send_logout_token(live.backchannel, token).status_code == 200
        assert user_of(live, a) is not None
        assert user_of(live, b) is None
        assert rogue.send_logout_token(live.backchannel, token).status_code == 400


def test_a_session_whose_id_the_app_regenerates_stays_filed(live, rogue):
    @live.app.post("/_test/regenerate")
    def regenerate() -> str:
        current_app.session_interface.regenerate(session._get_current_object())
        return "ok"

    browser = browser_login(live, rogue, "sid-a")
    old = browser.cookies["session"]
    assert browser.post(live.url + "/_test/regenerate", timeout=10).status_code == 200
    assert browser.cookies["session"] != old
    assert user_of(live, browser) is not None
    token = rogue.make_logout_token(sid="sid-a")
    assert rogue.send_logout_token(live.backchannel, token).status_code == 200
    assert user_of(live, browser) is None
