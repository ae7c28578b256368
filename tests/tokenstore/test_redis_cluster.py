"""Sessions, the token store and every command on a real three-master Redis Cluster."""

from __future__ import annotations

import secrets
import typing as t

import pytest
from flask import Flask

from flask_oauth2login.cli import oauth2login_group
from flask_oauth2login.sessions.engines.redis import RedisCoordinator, RedisLogoutStore
from tests.conftest import log_in, rogue_entry
from tests.support.redis_cluster import RedisCluster, serve_redis_cluster
from tests.support.rogue_idp import RogueProvider

pytestmark = pytest.mark.xdist_group("redis-cluster")


@pytest.fixture(scope="module")
def cluster() -> t.Iterator[RedisCluster]:
    yield from serve_redis_cluster()


@pytest.fixture
def app(make_app: t.Callable[..., Flask], rogue: RogueProvider, cluster: RedisCluster) -> Flask:
    cluster.flush()
    client = cluster.client()
    built = make_app(
        {"rogue": rogue_entry(rogue)},
        SECRET_KEY=secrets.token_hex(32),
        SESSION_TYPE="redis",
        SESSION_REDIS=client,
        OAUTH2LOGIN_TOKEN_STORE=client,
        TEST_API_URLS={"rogue": rogue.issuer + "/api/me"},
    )
    built.cli.add_command(oauth2login_group)
    return built


def run(app: Flask, *args: str) -> t.Any:
    return app.test_cli_runner().invoke(args=["oauth2login", *args])


def test_the_configured_cluster_client_keeps_the_sessions(app, cluster):
    """Flask-Session replaces a client that is not a redis.Redis with one on
    localhost: the cluster client is the one used."""
    client = app.config["SESSION_REDIS"]
    assert app.session_interface.client is client
    engine = app.extensions["oauth2login"].session_engine
    assert isinstance(engine.coordinator, RedisCoordinator)
    assert engine.coordinator.client is client
    assert isinstance(engine.logout_store, RedisLogoutStore)
    assert engine.logout_store.tagged
    description, sharing = engine.describe()
    assert description.startswith("Redis Cluster at 127.0.0.1:")
    assert sharing == "shared"


def test_a_login_on_the_cluster_and_every_command(app, rogue, cluster):
    browser = app.test_client()
    assert log_in(browser, rogue).status_code == 302
    assert browser.get("/").get_json()["user"]["sub"] == "user-123"
    with app.app_context():
        token = app.extensions["test_oauth"].token("rogue", subject="user-123")
    assert token is not None

    listed = run(app, "tokens")
    assert listed.exit_code == 0, listed.output
    assert "user-123" in listed.output
    assert "Redis Cluster at 127.0.0.1:" in listed.output
    assert token["access_token"] not in listed.output
    rotated = run(app, "rotate-keys")
    assert rotated.exit_code == 0, rotated.output
    assert "already were" in rotated.output
    created = run(app, "init-db")
    assert created.exit_code == 0, created.output
    checked = run(app, "check", "--offline", "--processes", "4")
    assert checked.exit_code == 0, checked.output
    assert "sessions are kept in Redis Cluster at 127.0.0.1:" in checked.output
    assert "refresh is single-flight across processes and machines" in checked.output

    stored = cluster.dump()
    for secret in (token["access_token"], token["refresh_token"]):
        assert secret.encode() not in stored
    revoked = run(app, "tokens", "--revoke", "--subject", "user-123")
    assert revoked.exit_code == 0, revoked.output
    assert "0 logins" in run(app, "tokens").output
