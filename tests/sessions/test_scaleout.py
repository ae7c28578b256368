"""Two app processes sharing one Redis: logins, refreshes and outages across them.

The deployment is real: a ``redis-server`` on loopback and two gunicorn
processes of :mod:`tests.support.scaleout_app`, talking to the rogue provider
that runs in this test process. Both processes pin their public base URL
(``OAUTH2LOGIN_EXTERNAL_URL``) to ``http://app.test``, the name of a load
balancer in front of them; the test plays that load balancer and sends each
request (the provider's redirect back included) to the process it chooses.
"""

from __future__ import annotations

import dataclasses
import functools
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.conftest import http_session
from tests.support.processes import Gunicorn
from tests.support.redis_server import RedisServer, serve_redis
from tests.support.rogue_idp import RogueProvider
from tests.support.scaleout_app import HELD_KEY, RELEASE_KEY
from tests.support.threads import in_parallel

pytestmark = pytest.mark.xdist_group("redis")

ROOT = Path(__file__).resolve().parents[2]
APP = "tests.support.scaleout_app:create_app()"
#: The deployment's public base URL, as its load balancer would have it.
EXTERNAL_URL = "http://app.test"


@dataclasses.dataclass
class Deployment:
    a: str
    b: str
    redis: RedisServer
    store: t.Any

    def hold(self, browser: requests.Session, base: str, **params: str) -> t.Any:
        """Start ``/hold`` on *base* in a thread; return once it has loaded the session."""
        pool = ThreadPoolExecutor(1)
        future = pool.submit(browser.get, base + "/hold", params=params, timeout=30)
        pool.shutdown(wait=False)
        assert self.store.blpop([HELD_KEY], timeout=15) is not None, "/hold did not start"
        return future

    def release(self, held: t.Any) -> requests.Response:
        self.store.rpush(RELEASE_KEY, 1)
        return held.result(timeout=30)

    def forget_refresh_results(self) -> None:
        """Drop the refresh result slots, as their expiry would."""
        keys = self.store.keys("oauth2login:refresh:result:*")
        if keys:
            self.store.delete(*keys)


@pytest.fixture(scope="module")
def redis_server() -> t.Iterator[RedisServer]:
    yield from serve_redis()


@pytest.fixture(scope="module")
def deployment(redis_server: RedisServer, _rogue_server: RogueProvider) -> t.Iterator[Deployment]:
    env = {
        "SCALEOUT_REDIS_URL": redis_server.url,
        "SCALEOUT_METADATA_URL": _rogue_server.metadata_url,
        "SCALEOUT_CLIENT_ID": _rogue_server.client_id,
        "SCALEOUT_CLIENT_SECRET": _rogue_server.client_secret,
        "SCALEOUT_SECRET_KEY": "scale-out-secret",
        "SCALEOUT_EXTERNAL_URL": EXTERNAL_URL,
        "SCALEOUT_API_URL": _rogue_server.issuer + "/api/me",
    }
    store = redis_server.client()
    with Gunicorn(APP, env=env, cwd=str(ROOT)) as a, Gunicorn(APP, env=env, cwd=str(ROOT)) as b:
        a.wait_ready("/public")
        b.wait_ready("/public")
        yield Deployment(a.url, b.url, redis_server, store)
    store.close()


@pytest.fixture
def app_servers(deployment: Deployment, rogue: RogueProvider) -> Deployment:
    """The deployment, with an empty Redis and a well-behaved provider."""
    deployment.store.flushdb()
    return deployment


def log_in(browser: requests.Session, start: str, finish: str, rogue: RogueProvider) -> None:
    """Start a login on the process at *start*; deliver the provider's answer to *finish*."""
    response = browser.get(start + "/login/rogue", allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["redirect_uri"] == [EXTERNAL_URL + "/callback/rogue"]
    callback = urlsplit(rogue.authorize(response.headers["Location"]))
    response = browser.get(
        f"{finish}{callback.path}?{callback.query}", allow_redirects=False, timeout=10
    )
    assert response.status_code == 302, response.text


def log_in_with_expired_token(
    browser: requests.Session, servers: Deployment, rogue: RogueProvider
) -> None:
    """Log in; the token is then expired for the app and the provider alike."""
    rogue.behaviour.expires_in = 20  # within the app's 30 s refresh leeway
    log_in(browser, servers.a, servers.b, rogue)
    rogue.behaviour.expires_in = 3600
    rogue.expire_access_tokens()


def user_on(browser: requests.Session, base: str) -> t.Any:
    response = browser.get(base + "/", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["user"]


def api_status(browser: requests.Session, base: str) -> int:
    response = browser.get(base + "/api/rogue", allow_redirects=False, timeout=20)
    assert response.status_code == 200, (response.status_code, response.text)
    return int(response.json()["status"])


def test_processes_are_distinct(app_servers):
    pids = {http_session().get(base + "/").json()["pid"] for base in (app_servers.a, app_servers.b)}
    assert len(pids) == 2


def test_login_started_on_one_process_completes_on_the_other(app_servers, rogue):
    browser = http_session()
    log_in(browser, app_servers.a, app_servers.b, rogue)
    assert user_on(browser, app_servers.a)["sub"] == "user-123"
    assert user_on(browser, app_servers.b)["sub"] == "user-123"
    assert rogue.calls["token:authorization_code"] == 1


def test_pending_login_is_used_once_across_processes(app_servers, rogue):
    browser = http_session()
    response = browser.get(app_servers.a + "/login/rogue", allow_redirects=False)
    callback = urlsplit(rogue.authorize(response.headers["Location"]))
    path = f"{callback.path}?{callback.query}"
    assert browser.get(app_servers.b + path, allow_redirects=False).status_code == 302
    replay = browser.get(app_servers.a + path, allow_redirects=False)
    assert replay.status_code == 303  # logged in already: on to where it was going
    intruder = http_session()  # another browser replaying the answer
    assert intruder.get(app_servers.a + path, allow_redirects=False).status_code == 400
    assert rogue.calls["token:authorization_code"] == 1


def test_concurrent_requests_on_both_processes_refresh_once(app_servers, rogue):
    browser = http_session()
    log_in_with_expired_token(browser, app_servers, rogue)
    rogue.behaviour.token_delay = 0.5  # the refresh is in flight while the others arrive

    bases = [app_servers.a, app_servers.b] * 4
    responses = in_parallel(
        [
            functools.partial(browser.get, base + "/api/rogue", allow_redirects=False, timeout=30)
            for base in bases
        ]
    )
    assert [r.status_code for r in responses] == [200] * len(bases)
    assert [r.json()["status"] for r in responses] == [200] * len(bases)
    assert rogue.calls["token:refresh_token"] == 1
    assert len({r.json()["body"]["token_suffix"] for r in responses}) == 1  # one new token

    # Every process has the new token from the session itself.
    rogue.behaviour.token_delay = 0
    app_servers.forget_refresh_results()
    assert api_status(browser, app_servers.a) == 200
    assert api_status(browser, app_servers.b) == 200
    assert rogue.calls["token:refresh_token"] == 1


@pytest.mark.parametrize("modify", ["", "1"], ids=["reads-only", "changes-own-key"])
def test_request_that_began_before_a_refresh_does_not_write_the_old_token_back(
    app_servers, rogue, modify
):
    browser = http_session()
    log_in_with_expired_token(browser, app_servers, rogue)
    held = app_servers.hold(browser, app_servers.a, modify=modify)  # has the old token
    assert api_status(browser, app_servers.b) == 200  # refreshes and saves the new one
    assert rogue.calls["token:refresh_token"] == 1
    assert app_servers.release(held).status_code == 200  # saves its session

    # The old refresh token was rotated away: using it would end the login.
    app_servers.forget_refresh_results()
    assert api_status(browser, app_servers.a) == 200
    assert api_status(browser, app_servers.b) == 200
    assert rogue.calls["token:refresh_token"] == 1


def test_logout_is_not_undone_by_a_request_that_began_before_it(app_servers, rogue):
    browser = http_session()
    log_in(browser, app_servers.a, app_servers.b, rogue)
    held = app_servers.hold(browser, app_servers.a)
    logout = browser.post(app_servers.b + "/logout", allow_redirects=False)
    assert logout.status_code == 303
    assert app_servers.release(held).status_code == 200
    assert user_on(browser, app_servers.a) is None
    assert user_on(browser, app_servers.b) is None


def test_logout_wins_over_a_refresh_in_flight_on_another_process(app_servers, rogue):
    """Process A is refreshing the token (its provider call is slow) when
    process B logs the browser out: A's answer must not log it back in,
    neither through the store nor through the cookie it sends."""
    browser = http_session()
    log_in_with_expired_token(browser, app_servers, rogue)
    # The session holds a key of the app's own too.
    app_servers.release(app_servers.hold(browser, app_servers.b, modify="1"))
    rogue.behaviour.token_delay = 1.0
    rogue.behaviour.revoke_status = 503  # the refresh then succeeds despite the logout
    pool = ThreadPoolExecutor(1)
    refreshing = pool.submit(
        browser.get, app_servers.a + "/api/rogue", allow_redirects=False, timeout=30
    )
    pool.shutdown(wait=False)
    deadline = time.monotonic() + 15
    while not rogue.calls["token:refresh_token"] and time.monotonic() < deadline:
        time.sleep(0.01)  # until the refresh reached the provider
    assert rogue.calls["token:refresh_token"] == 1
    logout = browser.post(app_servers.b + "/logout", allow_redirects=False, timeout=10)
    assert logout.status_code == 303
    finished = refreshing.result(timeout=30)
    assert finished.status_code == 200, (finished.status_code, finished.text)  # its own work done

    rogue.behaviour.token_delay = 0
    for base in (app_servers.a, app_servers.b):
        assert user_on(browser, base) is None
        response = browser.get(base + "/api/rogue", allow_redirects=False, timeout=10)
        assert response.status_code in (302, 401), response.text  # not logged in
    left = [k for k in app_servers.store.keys("session:*") if not k.endswith(b":ended")]
    assert left == []  # no session is left, only the marks of ended ones


def test_login_started_in_another_tab_survives_a_request_that_began_before_it(app_servers, rogue):
    browser = http_session()
    log_in(browser, app_servers.a, app_servers.b, rogue)
    held = app_servers.hold(browser, app_servers.a, modify="1")
    started = browser.get(app_servers.b + "/login/rogue", allow_redirects=False)
    assert app_servers.release(held).status_code == 200
    callback = urlsplit(rogue.authorize(started.headers["Location"]))
    finished = browser.get(
        f"{app_servers.a}{callback.path}?{callback.query}", allow_redirects=False
    )
    assert finished.status_code == 302, finished.text


def test_redis_down_is_a_503_and_the_login_survives(app_servers, rogue):
    browser = http_session()
    log_in(browser, app_servers.a, app_servers.b, rogue)
    newcomer = http_session()

    app_servers.redis.stop()
    try:
        page = browser.get(app_servers.a + "/", headers={"Accept": "text/html"})
        api = browser.get(app_servers.b + "/api/rogue", headers={"Accept": "application/json"})
        public = browser.get(app_servers.a + "/public")
        login = newcomer.get(app_servers.b + "/login/rogue", allow_redirects=False)
    finally:
        app_servers.redis.start()

    assert page.status_code == 503
    assert page.headers["Retry-After"].isdigit()
    assert page.headers["Content-Type"].startswith("text/html")
    assert "temporarily unavailable" in page.text.lower()
    assert "Set-Cookie" not in page.headers  # the browser keeps its session
    assert api.status_code == 503
    assert api.json()["error"] == "session_store_unavailable"
    assert "Retry-After" in api.headers
    assert public.status_code == 200  # a page that needs no session is served
    assert login.status_code == 503  # the pending login could not be kept
    assert "Location" not in login.headers
    assert rogue.calls["token:refresh_token"] == 0

    # Redis is back: the same login, on both processes.
    assert user_on(browser, app_servers.a)["sub"] == "user-123"
    assert user_on(browser, app_servers.b)["sub"] == "user-123"
    assert api_status(browser, app_servers.b) == 200


def test_redis_too_slow_is_a_503_and_the_login_survives(app_servers, rogue):
    browser = http_session()
    log_in(browser, app_servers.a, app_servers.b, rogue)

    app_servers.redis.pause()  # accepts connections, answers nothing
    try:
        page = browser.get(app_servers.b + "/", headers={"Accept": "application/json"})
    finally:
        app_servers.redis.resume()

    assert page.status_code == 503
    assert page.json()["error"] == "session_store_unavailable"
    assert user_on(browser, app_servers.b)["sub"] == "user-123"
    assert user_on(browser, app_servers.a)["sub"] == "user-123"


def test_a_logout_token_on_one_process_ends_the_session_on_the_other(app_servers, rogue):
    """Back-channel logout: the provider's logout token reaches process A;
    the session it names is gone on process B at once, the other stays."""
    rogue.behaviour.id_token_claims = {"sid": "op-session-1"}
    browser = http_session()
    log_in(browser, app_servers.a, app_servers.b, rogue)
    rogue.behaviour.id_token_claims = {"sid": "op-session-2"}
    other = http_session()
    log_in(other, app_servers.b, app_servers.a, rogue)
    assert user_on(browser, app_servers.b)["sub"] == user_on(other, app_servers.b)["sub"]

    token = rogue.make_logout_token(sid="op-session-1")
    response = rogue.send_logout_token(app_servers.a + "/backchannel-logout/rogue", token)
    assert response.status_code == 200, response.text
    assert user_on(browser, app_servers.b) is None
    assert user_on(browser, app_servers.a) is None
    assert user_on(other, app_servers.b)["sub"] == "user-123"
    # The same token sent again, to the other process: seen already, ends nothing.
    replay = rogue.send_logout_token(app_servers.b + "/backchannel-logout/rogue", token)
    assert replay.status_code == 400
    assert user_on(other, app_servers.a)["sub"] == "user-123"
