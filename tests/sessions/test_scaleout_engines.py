"""Two app processes on each store teams run besides one Redis: PostgreSQL
(Flask-Session's SQLAlchemy backend, no Redis), a three-master Redis Cluster,
and a Redis master watched by a Sentinel.

Each deployment is real: its servers run on loopback, started here once per
store, and two gunicorn processes of :mod:`tests.support.scaleout_app` serve
the app, talking to the rogue provider of this test process. For each store:
one refresh per expired token across the processes, logout and back-channel
logout end the session in both, no token is stored in plain text, and an
outage (a failover, for the Sentinel) is a 503 that loses no login.
"""

from __future__ import annotations

import dataclasses
import functools
import secrets
import time
import typing as t
from pathlib import Path

import pytest
import requests

from tests.conftest import http_session
from tests.sessions.test_scaleout import EXTERNAL_URL, api_status, log_in, user_on
from tests.support.postgres_server import serve_postgres
from tests.support.processes import Gunicorn
from tests.support.redis_cluster import serve_redis_cluster
from tests.support.redis_sentinel import serve_redis_sentinel
from tests.support.rogue_idp import RogueProvider
from tests.support.threads import in_parallel

pytestmark = pytest.mark.xdist_group("scaleout-engines")

ROOT = Path(__file__).resolve().parents[2]
APP = "tests.support.scaleout_app:create_app()"


@dataclasses.dataclass
class Deployment:
    kind: str
    a: str
    b: str
    #: The servers: a PostgresServer, RedisCluster or SentinelSet.
    servers: t.Any

    def dump(self) -> bytes:
        """Everything the servers hold."""
        if self.kind != "postgresql":
            return t.cast(bytes, self.servers.dump())
        connection = self.servers.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                tables = [row[0] for row in cursor.fetchall()]
                found = []
                for table in tables:
                    cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - our own tables
                    for row in cursor.fetchall():
                        # Session data is bytes: looked at as such.
                        found += [
                            bytes(v) if isinstance(v, memoryview) else str(v).encode() for v in row
                        ]
            return b"\n".join(found)
        finally:
            connection.close()

    def empty(self) -> None:
        if self.kind != "postgresql":
            self.servers.flush()
            return
        connection = self.servers.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                for (table,) in cursor.fetchall():
                    cursor.execute(f'DELETE FROM "{table}"')
        finally:
            connection.close()


def _env(kind: str, servers: t.Any) -> dict[str, str]:
    if kind == "postgresql":
        return {"SCALEOUT_SESSIONS": "sql", "SCALEOUT_DATABASE_URL": servers.url}
    if kind == "cluster":
        return {"SCALEOUT_SESSIONS": "cluster", "SCALEOUT_CLUSTER_NODES": ",".join(servers.nodes)}
    sentinels = ",".join(f"{h}:{p}" for h, p in servers.sentinels)
    return {"SCALEOUT_SESSIONS": "sentinel", "SCALEOUT_SENTINELS": sentinels}


_SERVE = {
    "postgresql": serve_postgres,
    "cluster": serve_redis_cluster,
    "sentinel": serve_redis_sentinel,
}


@pytest.fixture(scope="module", params=sorted(_SERVE))
def deployment(request, _rogue_server: RogueProvider) -> t.Iterator[Deployment]:
    kind = request.param
    for servers in _SERVE[kind]():
        env = {
            **_env(kind, servers),
            "SCALEOUT_METADATA_URL": _rogue_server.metadata_url,
            "SCALEOUT_CLIENT_ID": _rogue_server.client_id,
            "SCALEOUT_CLIENT_SECRET": _rogue_server.client_secret,
            "SCALEOUT_SECRET_KEY": secrets.token_hex(32),
            "SCALEOUT_EXTERNAL_URL": EXTERNAL_URL,
            "SCALEOUT_API_URL": _rogue_server.issuer + "/api/me",
        }
        # One after the other: Flask-Session creates its table at start-up,
        # and two processes doing so at once may both try.
        with Gunicorn(APP, env=env, cwd=str(ROOT)) as a:
            a.wait_ready("/public")
            with Gunicorn(APP, env=env, cwd=str(ROOT)) as b:
                b.wait_ready("/public")
                yield Deployment(kind, a.url, b.url, servers)


@pytest.fixture
def servers(deployment: Deployment, rogue: RogueProvider) -> Deployment:
    """The deployment, with empty stores and a well-behaved provider."""
    deployment.empty()
    return deployment


def test_concurrent_requests_on_both_processes_refresh_once(servers, rogue):
    browser = http_session()
    rogue.behaviour.expires_in = 20  # within the app's 30 s refresh leeway
    log_in(browser, servers.a, servers.b, rogue)
    rogue.behaviour.expires_in = 3600
    rogue.expire_access_tokens()
    rogue.behaviour.token_delay = 0.5  # the refresh is in flight while the others arrive

    bases = [servers.a, servers.b] * 4
    responses = in_parallel(
        [
            functools.partial(browser.get, base + "/api/rogue", allow_redirects=False, timeout=30)
            for base in bases
        ]
    )
    assert [r.status_code for r in responses] == [200] * len(bases), [r.text for r in responses]
    assert [r.json()["status"] for r in responses] == [200] * len(bases)
    assert rogue.calls["token:refresh_token"] == 1
    assert len({r.json()["body"]["token_suffix"] for r in responses}) == 1  # one new token
    rogue.behaviour.token_delay = 0
    assert api_status(browser, servers.a) == 200
    assert api_status(browser, servers.b) == 200
    assert rogue.calls["token:refresh_token"] == 1

    # No token is kept in plain text anywhere on the servers.
    stored = servers.dump()
    assert b"oauth2login" in stored  # the dump sees our keys or tables
    issued = [*rogue._access_tokens, *rogue._refresh_tokens]
    assert issued
    assert not [token for token in issued if token.encode() in stored]


def test_logout_on_one_process_ends_the_session_on_both(servers, rogue):
    browser = http_session()
    log_in(browser, servers.a, servers.b, rogue)
    assert user_on(browser, servers.a)["sub"] == "user-123"
    logout = browser.post(servers.b + "/logout", allow_redirects=False, timeout=10)
    assert logout.status_code == 303
    assert user_on(browser, servers.a) is None
    assert user_on(browser, servers.b) is None


def test_a_logout_token_on_one_process_ends_the_session_on_the_other(servers, rogue):
    rogue.behaviour.id_token_claims = {"sid": "op-session-1"}
    browser = http_session()
    log_in(browser, servers.a, servers.b, rogue)
    rogue.behaviour.id_token_claims = {"sid": "op-session-2"}
    other = http_session()
    log_in(other, servers.b, servers.a, rogue)

    token = rogue.make_logout_token(sid="op-session-1")
    response = rogue.send_logout_token(servers.a + "/backchannel-logout/rogue", token)
    assert response.status_code == 200, response.text
    assert user_on(browser, servers.b) is None
    assert user_on(browser, servers.a) is None
    assert user_on(other, servers.b)["sub"] == "user-123"
    replay = rogue.send_logout_token(servers.b + "/backchannel-logout/rogue", token)
    assert replay.status_code == 400  # seen already, by the other process
    assert user_on(other, servers.a)["sub"] == "user-123"


def settle(browser: requests.Session, url: str, headers: dict[str, str]) -> list[int]:
    """The status codes of *url* asked again until it answers 200 (for up to 20 s)."""
    answers: list[int] = []
    deadline = time.monotonic() + 20
    while not answers or (answers[-1] != 200 and time.monotonic() < deadline):
        answers.append(browser.get(url, headers=headers, timeout=10).status_code)
        if answers[-1] != 200:
            time.sleep(0.1)
    return answers


def test_an_outage_is_a_503_and_the_login_survives(servers, rogue):
    browser = http_session()
    log_in(browser, servers.a, servers.b, rogue)
    assert user_on(browser, servers.b)["sub"] == "user-123"
    json = {"Accept": "application/json"}

    if servers.kind == "sentinel":
        # The master fails over to its replica: requests meanwhile get 503.
        old = servers.servers.stop_master()
        during = [browser.get(base + "/", headers=json) for base in (servers.a, servers.b)]
        servers.servers.wait_for_new_master(old)
        for base in (servers.a, servers.b):  # until each process has found the new master
            answers = settle(browser, base + "/", json)
            assert set(answers) <= {503, 200} and answers[-1] == 200, answers  # never a 500
    elif servers.kind == "cluster":
        servers.servers.pause()  # every node accepts connections, answers nothing
        try:
            during = [browser.get(base + "/", headers=json) for base in (servers.a, servers.b)]
        finally:
            servers.servers.resume()
    else:
        servers.servers.stop()
        try:
            during = [browser.get(base + "/", headers=json) for base in (servers.a, servers.b)]
        finally:
            servers.servers.start()

    assert [r.status_code for r in during] == [503, 503], [r.text for r in during]
    assert {r.json()["error"] for r in during} == {"session_store_unavailable"}
    assert all("Set-Cookie" not in r.headers for r in during)  # the browser keeps its session
    assert user_on(browser, servers.a)["sub"] == "user-123"
    assert user_on(browser, servers.b)["sub"] == "user-123"
    assert api_status(browser, servers.a) == 200


def test_check_tells_the_truth_about_the_store(servers, rogue, tmp_path):
    from tests.support.scaleout_app import create_app

    env = {
        **_env(servers.kind, servers.servers),
        "SCALEOUT_METADATA_URL": rogue.metadata_url,
        "SCALEOUT_CLIENT_ID": rogue.client_id,
        "SCALEOUT_CLIENT_SECRET": rogue.client_secret,
        "SCALEOUT_SECRET_KEY": secrets.token_hex(32),
        "SCALEOUT_EXTERNAL_URL": EXTERNAL_URL,
    }
    app = create_app(env)
    result = app.test_cli_runner().invoke(
        args=["oauth2login", "check", "--offline", "--processes", "2"]
    )
    assert result.exit_code == 0, result.output
    where = {
        "postgresql": "sessions are kept in PostgreSQL (SQLAlchemy) at postgresql+psycopg2://",
        "cluster": "sessions are kept in Redis Cluster at 127.0.0.1:",
        "sentinel": "sessions are kept in Redis master 'mymaster' through Sentinel at 127.0.0.1:",
    }[servers.kind]
    assert where in result.output
    assert "refresh is single-flight across processes and machines" in result.output
    assert "probe: a session was written, read back and deleted." in result.output
