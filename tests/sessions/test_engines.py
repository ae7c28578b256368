"""The session engines: which one an app gets for each kind of session store,
and what it gives the app (coordinator, logout store, outage errors, description)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import typing as t

import pytest
import redis
from cachelib import SimpleCache
from flask import Flask

from flask_oauth2login import OAuth2Login
from flask_oauth2login.sessions.coordination import LocalCoordinator
from flask_oauth2login.sessions.engines import ENGINES, Engine
from flask_oauth2login.sessions.engines.base import MACHINE, PROCESS, SHARED
from flask_oauth2login.sessions.engines.cache import CacheEngine, CacheLogoutStore
from flask_oauth2login.sessions.engines.generic import GenericEngine, InterfaceLogoutStore
from flask_oauth2login.sessions.engines.redis import (
    RedisCoordinator,
    RedisEngine,
    RedisLogoutStore,
)
from flask_oauth2login.sessions.engines.sql import SQLEngine, SQLLogoutStore
from flask_oauth2login.storage.sql import SQLCoordinator
from tests.support.redis_server import RedisServer, serve_redis
from tests.support.rogue_idp import rogue_entry
from tests.support.session_interfaces import DictSessionInterface

#: The apps' SECRET_KEY: 32 random bytes.
SECRET_KEY = secrets.token_bytes(32)


@pytest.fixture(scope="module")
def redis_server() -> t.Iterator[RedisServer]:
    yield from serve_redis()


def sql_app(url: str, providers: dict[str, t.Any], tmp_path: t.Any, **config: t.Any) -> Flask:
    """An app whose sessions are in the database at *url* (Flask-SQLAlchemy)."""
    from flask_sqlalchemy import SQLAlchemy

    app = Flask("sql", instance_path=str(tmp_path / "sql"))
    app.config.update(
        SECRET_KEY=SECRET_KEY,
        SQLALCHEMY_DATABASE_URI=url,
        SESSION_TYPE="sqlalchemy",
        OAUTH2LOGIN_PROVIDERS=providers,
        **config,
    )
    app.config["SESSION_SQLALCHEMY"] = SQLAlchemy(app)
    OAuth2Login(app)
    return app


def engine_of(app: Flask) -> Engine:
    return app.extensions["oauth2login"].session_engine


def app_with(store: str, request: pytest.FixtureRequest, tmp_path: t.Any) -> Flask:
    """An app whose sessions are kept in *store*."""
    make_app: t.Callable[..., Flask] = request.getfixturevalue("make_app")
    providers = {"rogue": rogue_entry(request.getfixturevalue("rogue"))}
    if store == "embedded":
        return make_app(providers)
    if store == "simple":
        return make_app(providers, SESSION_TYPE="cachelib", SESSION_CACHELIB=SimpleCache())
    if store == "filesystem":
        with pytest.warns(DeprecationWarning):  # Flask-Session's own, deprecated
            return make_app(
                providers, SESSION_TYPE="filesystem", SESSION_FILE_DIR=str(tmp_path / "fs")
            )
    if store == "redis":
        client = request.getfixturevalue("redis_server").client()
        return make_app(providers, SESSION_TYPE="redis", SESSION_REDIS=client)
    if store == "sqlite":
        return sql_app(f"sqlite:///{tmp_path / 'sessions.db'}", providers, tmp_path)
    app = Flask("own", instance_path=str(tmp_path / "own"))
    app.session_interface = DictSessionInterface(app)
    app.config.update(SECRET_KEY="k", OAUTH2LOGIN_PROVIDERS=providers)
    OAuth2Login(app)
    return app


#: Per session store: its engine, and the kinds of its coordinator and logout store.
EXPECTED: dict[str, tuple[type[Engine], type, type]] = {
    "embedded": (CacheEngine, LocalCoordinator, CacheLogoutStore),
    "simple": (CacheEngine, LocalCoordinator, CacheLogoutStore),
    "filesystem": (CacheEngine, LocalCoordinator, CacheLogoutStore),
    "redis": (RedisEngine, RedisCoordinator, RedisLogoutStore),
    "own": (GenericEngine, LocalCoordinator, InterfaceLogoutStore),
    "sqlite": (SQLEngine, SQLCoordinator, SQLLogoutStore),
}


@pytest.mark.parametrize("store", sorted(EXPECTED))
def test_each_session_store_gets_its_engine(store, request, tmp_path):
    app = app_with(store, request, tmp_path)
    engine = engine_of(app)
    kind, coordinator, logout_store = EXPECTED[store]
    assert type(engine) is kind
    assert engine.interface is app.session_interface
    assert type(engine.coordinator) is coordinator
    assert type(engine.logout_store) is logout_store
    state = app.extensions["oauth2login"]
    assert state.coordinator is engine.coordinator
    assert state.logout_store is engine.logout_store
    # Writes of sessions keep the logout index in step.
    assert app.session_interface.before_write == engine.logout_store.keep_filed
    # Only its own engine and the one of last resort serve the interface.
    serving = [each for each in ENGINES if each.serves(app.session_interface)]
    assert serving == ([kind, GenericEngine] if kind is not GenericEngine else [kind])


def test_outage_errors_follow_the_store(request, tmp_path):
    files = app_with("embedded", request, tmp_path)
    assert files.session_interface.store_errors == (OSError,)
    shared = app_with("redis", request, tmp_path)
    errors = shared.session_interface.store_errors
    assert OSError in errors
    assert redis.exceptions.ConnectionError in errors
    assert redis.exceptions.TimeoutError in errors
    assert engine_of(shared).coordinator.store_errors == errors
    assert engine_of(shared).logout_store.store_errors == errors


def test_descriptions(request, tmp_path, redis_server):
    embedded = engine_of(app_with("embedded", request, tmp_path))
    folder = os.path.join(tmp_path, "instance", "flask_session")
    assert embedded.describe() == (f"files (cachelib FileSystemCache) at {folder}", MACHINE)
    simple = engine_of(app_with("simple", request, tmp_path))
    assert simple.describe() == ("process memory (cachelib SimpleCache)", PROCESS)
    filesystem = engine_of(app_with("filesystem", request, tmp_path))
    assert filesystem.describe() == (
        f"files (cachelib FileSystemCache) at {tmp_path / 'fs'}",
        MACHINE,
    )
    shared = engine_of(app_with("redis", request, tmp_path))
    assert shared.describe() == (f"Redis at 127.0.0.1:{redis_server.port}/0", SHARED)
    own = engine_of(app_with("own", request, tmp_path))
    assert own.describe() == ("DictSessionInterface", None)


def test_the_logout_store_shares_the_cache_and_its_folder(request, tmp_path):
    embedded = engine_of(app_with("embedded", request, tmp_path))
    store = t.cast(CacheLogoutStore, embedded.logout_store)
    assert store.cache is t.cast(t.Any, embedded.interface).cache
    # Beside the session folder, not in it (a sweep would take it for a session).
    assert store.lock_path == os.path.join(
        tmp_path, "instance", ".flask_session.oauth2login-logout.lock"
    )
    simple = engine_of(app_with("simple", request, tmp_path))
    assert t.cast(CacheLogoutStore, simple.logout_store).lock_path is None


def test_choosing_an_engine_imports_no_backend_the_app_does_not_use(tmp_path):
    code = (
        "import sys\n"
        "from flask import Flask\n"
        "from flask_oauth2login import OAuth2Login\n"
        f"app = Flask('plain', instance_path={str(tmp_path)!r})\n"
        "app.config.update(SECRET_KEY='k', OAUTH2LOGIN_PROVIDERS={'github': "
        "{'client_id': 'a', 'client_secret': 'b'}})\n"
        "OAuth2Login(app)\n"
        "engine = type(app.extensions['oauth2login'].session_engine).__name__\n"
        "print(engine, 'redis' in sys.modules, 'flask_session.redis' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["CacheEngine", "False", "False"]


def test_sql_coordination_never_waits_for_a_connection_the_request_holds(rogue, tmp_path):
    """A request holds a connection of the sessions' pool while it runs: the
    lock, the result slot and the logout index use a pool of their own."""
    from sqlalchemy import text

    app = sql_app(
        f"sqlite:///{tmp_path / 'sessions.db'}",
        {"rogue": rogue_entry(rogue)},
        tmp_path,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.5},
    )
    engine = engine_of(app)
    with app.app_context():
        db = app.config["SESSION_SQLALCHEMY"]
        db.session.execute(text("SELECT 1"))  # the one connection of the sessions' pool
        with engine.coordinator.lock("k", wait=1) as acquired:
            assert acquired
            engine.coordinator.set_result("k", {"access_token": "new"}, ttl=60)
        assert engine.coordinator.get_result("k") == {"access_token": "new"}
        assert engine.logout_store.first_seen("jti:1", 60) is True
        db.session.rollback()


def test_a_session_redis_that_is_no_client_is_refused(make_app, rogue):
    """Flask-Session would quietly use a Redis on localhost instead."""
    from flask_oauth2login import ConfigurationError

    with pytest.raises(ConfigurationError) as refused:
        make_app(
            {"rogue": rogue_entry(rogue)},
            SESSION_TYPE="redis",
            SESSION_REDIS="redis://sessions.internal:6379/0",
        )
    assert refused.value.key == "SESSION_REDIS"
    assert "must be a redis.Redis client" in str(refused.value)
    assert "not str" in str(refused.value)
