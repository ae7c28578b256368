"""The logout index stays bounded, costs a logout token only the sessions it
ends, and costs a login no write it does not need
(:mod:`flask_oauth2login.sessions.logout_index`).

The app keeps its sessions in the embedded file store and logs in at the
rogue provider on loopback, which advertises back-channel logout unless a
test says otherwise; the stores themselves are each tested on Redis (also
with the hash tags of a Redis Cluster), files, memory and SQLite.
"""

from __future__ import annotations

import collections
import logging
import typing as t

import pytest
from cachelib import SimpleCache
from flask import Flask

from flask_oauth2login.sessions.engines.cache import CacheLogoutStore
from flask_oauth2login.sessions.engines.redis import RedisLogoutStore
from flask_oauth2login.sessions.engines.sql import SQLLogoutStore
from flask_oauth2login.sessions.files import SessionFileStore
from flask_oauth2login.sessions.logout_index import FILED_KEY, LogoutStore, index_key
from tests.conftest import log_in, rogue_entry
from tests.support.redis_server import RedisServer, serve_redis
from tests.support.rogue_idp import RogueProvider

SECRET_KEY = "logout-index-test-secret-key-0123456789abcdef"
#: Where the app's logout index keeps its keys in the session store.
INDEX_PREFIX = "oauth2login:logout:session:index:"


@pytest.fixture(scope="module")
def redis_server() -> t.Iterator[RedisServer]:
    yield from serve_redis()


@pytest.fixture(params=["redis", "redis, keys tagged", "files", "memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: t.Any) -> LogoutStore:
    if request.param.startswith("redis"):
        request.applymarker(pytest.mark.xdist_group("redis"))
        client = request.getfixturevalue("redis_server").client()
        client.flushdb()
        # Tagged: each key a hash tag of its own, as on a Redis Cluster.
        tagged = request.param.endswith("tagged")
        return RedisLogoutStore(client, "oauth2login:logout:test:", tagged=tagged)
    if request.param == "files":
        return CacheLogoutStore(SessionFileStore(str(tmp_path / "sessions")), "test:")
    if request.param == "sqlite":
        import sqlalchemy

        engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'index.db'}")
        return SQLLogoutStore(engine, "test:", (sqlalchemy.exc.OperationalError,))
    return CacheLogoutStore(SimpleCache(), "test:")


@pytest.fixture
def app(make_app: t.Callable[..., Flask], rogue: RogueProvider) -> Flask:
    return make_app({"rogue": rogue_entry(rogue)}, SECRET_KEY=SECRET_KEY)


class Writes:
    """Counts the writes to an app's session store (the embedded file store),
    by kind: ``session`` and ``index``."""

    def __init__(self, app: Flask) -> None:
        self.cache = t.cast(t.Any, app.session_interface).cache
        self.counts: collections.Counter[str] = collections.Counter()
        write = self.cache.set

        def counted(key: str, *args: t.Any, **kwargs: t.Any) -> t.Any:
            self.counts["index" if key.startswith(INDEX_PREFIX) else "session"] += 1
            return write(key, *args, **kwargs)

        self.cache.set = counted


def members(app: Flask, claim: str, value: str, rogue: RogueProvider) -> list[str]:
    store = app.extensions["oauth2login"].logout_store
    return list(store.members(index_key("rogue", rogue.issuer, claim, value)))


# -- entries leave when their session's id changes or ends --------------------------------


def test_logging_in_again_and_again_leaves_one_entry(app, client, rogue):
    for _ in range(12):
        assert log_in(client, rogue).status_code == 302
    assert len(members(app, "sub", "user-123", rogue)) == 1


def test_a_fresh_login_of_another_person_takes_the_session_out_of_the_earlier_ones(
    app, client, rogue
):
    assert log_in(client, rogue).status_code == 302
    rogue.behaviour.user = {**rogue.behaviour.user, "sub": "somebody-else"}
    assert log_in(client, rogue).status_code == 302
    assert members(app, "sub", "user-123", rogue) == []
    assert len(members(app, "sub", "somebody-else", rogue)) == 1


def test_a_login_at_a_provider_without_logout_tokens_unfiles_the_session(
    app, client, rogue, make_app
):
    assert log_in(client, rogue).status_code == 302
    assert len(members(app, "sub", "user-123", rogue)) == 1
    rogue.behaviour.metadata_overrides = {"backchannel_logout_supported": False}
    # The same sessions, served by an app that discovers the provider anew.
    client.application = make_app({"rogue": rogue_entry(rogue)}, SECRET_KEY=SECRET_KEY)
    assert log_in(client, rogue).status_code == 302
    assert members(app, "sub", "user-123", rogue) == []
    with client.session_transaction() as sess:
        assert FILED_KEY not in sess


@pytest.mark.parametrize(
    ("advertised", "configured", "filed"),
    [(False, True, 1), (True, False, 0), (True, None, 1), (False, None, 0)],
)
def test_the_entry_says_whether_the_provider_sends_logout_tokens(
    make_app, rogue, advertised, configured, filed
):
    rogue.behaviour.metadata_overrides = {"backchannel_logout_supported": advertised}
    entry = rogue_entry(rogue, backchannel_logout=configured)
    app = make_app({"rogue": entry}, SECRET_KEY=SECRET_KEY)
    assert log_in(app.test_client(), rogue).status_code == 302
    assert len(members(app, "sub", "user-123", rogue)) == filed


# -- each key is capped ----------------------------------------------------------------------


def test_each_key_keeps_at_most_its_cap_the_last_to_expire(store):
    key = index_key("p", "https://i", "sub", "u")
    store.cap = 5
    for number in range(8):
        store.add([key], f"session:{number}", 60 + number)
    assert sorted(store.members(key)) == [f"session:{n}" for n in range(3, 8)]


def test_many_entries_leave_at_once(store):
    keys = [index_key("p", "https://i", "sub", "u"), index_key("p", "https://i", "sid", "s")]
    for number in range(6):
        store.add(keys, f"session:{number}", 60)
    store.discard_many({keys[0]: {"session:0", "session:1", "session:2"}, keys[1]: {"session:5"}})
    assert sorted(store.members(keys[0])) == ["session:3", "session:4", "session:5"]
    assert sorted(store.members(keys[1])) == [f"session:{n}" for n in range(5)]


# -- a logout token costs the sessions it ends ------------------------------------------------


def test_a_logout_token_writes_the_index_once_per_key_whatever_its_history(app, rogue):
    browsers = []
    for sid in ("sid-a", "sid-b"):
        rogue.behaviour.id_token_claims = {"sid": sid}
        browser = app.test_client()
        assert log_in(browser, rogue).status_code == 302
        browsers.append(browser)
    store = app.extensions["oauth2login"].logout_store
    sub_key = index_key("rogue", rogue.issuer, "sub", "user-123")
    for number in range(40):  # sessions long gone, still filed
        store.add([sub_key], f"session:gone-{number}", 3600)
    writes = Writes(app)
    token = rogue.make_logout_token(sid=None, sub="user-123")
    answer = browsers[0].post("/backchannel-logout/rogue", data={"logout_token": token})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    for browser in browsers:
        assert browser.get("/").get_json()["user"] is None
    # The subject's key and each ended session's sid key: written once each.
    assert writes.counts["index"] <= 3
    assert members(app, "sub", "user-123", rogue) == []


# -- the cost of a login ------------------------------------------------------------------------


def test_a_login_at_a_provider_without_logout_tokens_writes_the_store_twice(app, client, rogue):
    rogue.behaviour.metadata_overrides = {
        "backchannel_logout_supported": False,
        "backchannel_logout_session_supported": False,
    }
    assert log_in(client, rogue).status_code == 302  # discovery, keys
    writes = Writes(app)
    assert log_in(app.test_client(), rogue).status_code == 302
    assert writes.counts == {"session": 2}  # at the start and at the callback


def test_a_login_at_a_provider_with_back_channel_logout_is_filed_once(app, client, rogue):
    assert log_in(client, rogue).status_code == 302
    writes = Writes(app)
    assert log_in(app.test_client(), rogue).status_code == 302
    assert writes.counts == {"session": 2, "index": 1}


# -- the index's lock is not in the session folder --------------------------------------------


def test_a_sweep_of_the_session_folder_logs_no_warning(app, client, rogue, caplog):
    assert log_in(client, rogue).status_code == 302  # the index is written, under its lock
    cache = t.cast(t.Any, app.session_interface).cache
    with caplog.at_level(logging.WARNING):
        cache.sweep()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert client.get("/").get_json()["user"] is not None
