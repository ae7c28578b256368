"""The token store's commands: ``flask oauth2login tokens``, ``rotate-keys``, ``init-db``,
and the configuration of ``OAUTH2LOGIN_TOKEN_STORE``."""

from __future__ import annotations

import logging
import typing as t
from pathlib import Path

import pytest
from flask import Flask

from flask_oauth2login import ConfigurationError
from flask_oauth2login.tokenstore import StoredToken, TokenStore
from flask_oauth2login.tokenstore.sql import SQLTokenStore
from tests.conftest import log_in, rogue_entry
from tests.support.postgres_server import PostgresServer, serve_postgres
from tests.support.rogue_idp import RogueProvider

SECRET_KEY = "cli-test-secret-key-0123456789abcdef"


@pytest.fixture
def build(make_app: t.Callable[..., Flask], rogue: RogueProvider, tmp_path: Path) -> t.Any:
    def factory(**config: t.Any) -> Flask:
        config.setdefault("SECRET_KEY", SECRET_KEY)
        config.setdefault("OAUTH2LOGIN_TOKEN_STORE", f"sqlite:///{tmp_path / 'tokens.db'}")
        config.setdefault("TEST_API_URLS", {"rogue": rogue.issuer + "/api/me"})
        return make_app({"rogue": rogue_entry(rogue)}, **config)

    return factory


def run(app: Flask, *args: str) -> t.Any:
    return app.test_cli_runner().invoke(args=["oauth2login", *args])


def test_the_commands_are_listed(build):
    output = run(build(), "--help").output
    for command in ("tokens", "rotate-keys", "init-db"):
        assert command in output


def test_tokens_lists_logins_and_never_a_token(build, rogue):
    app = build()
    client = app.test_client()
    assert log_in(client, rogue).status_code == 302
    with app.app_context():
        token = app.extensions["test_oauth"].token("rogue", subject="user-123")

    result = run(app, "tokens")
    assert result.exit_code == 0, result.output
    header, row, summary = result.output.splitlines()
    assert header.split() == ["PROVIDER", "ISSUER", "SUBJECT", "SCOPE", "EXPIRES", "UPDATED"]
    assert row.split()[:3] == ["rogue", rogue.issuer, "user-123"]
    assert token["scope"] in row
    assert " UTC" in row
    assert summary.startswith("1 login in the table oauth2login_tokens at sqlite:///")
    for secret in (token["access_token"], token["refresh_token"], token["id_token"]):
        assert secret not in result.output
    assert "1 login" in run(app, "tokens", "--subject", "user-123").output
    assert "0 logins" in run(app, "tokens", "--provider", "other").output


def test_tokens_revokes_the_logins_of_a_subject(build, rogue):
    app = build()
    assert log_in(app.test_client(), rogue).status_code == 302
    browser = app.test_client()
    assert log_in(browser, rogue).status_code == 302
    with app.app_context():
        token = app.extensions["test_oauth"].token("rogue", subject="user-123")

    refused = run(app, "tokens", "--revoke")
    assert refused.exit_code == 2
    assert "--revoke needs --subject" in refused.output
    assert (
        "0 logins deleted: 0 revoked"
        in run(app, "tokens", "--revoke", "--subject", "nobody").output
    )

    result = run(app, "tokens", "--revoke", "--subject", "user-123")
    assert result.exit_code == 0, result.output
    assert "and revoked at the provider" in result.output
    assert "1 login deleted: 1 revoked at the provider, 0 failed, 0 not revocable." in result.output
    assert token["refresh_token"] in rogue.revoked
    assert "0 logins" in run(app, "tokens").output
    # The browser's session refers to the deleted token: logged out at its next use.
    assert browser.get("/api/rogue").status_code == 302
    assert browser.get("/").get_json()["user"] is None


def test_the_commands_need_a_token_store(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)})
    for command in ("tokens", "rotate-keys", "init-db"):
        result = run(app, command)
        assert result.exit_code == 1
        assert "OAUTH2LOGIN_TOKEN_STORE: tokens outside a request need a token store" in (
            result.output
        )


def test_init_db_on_sqlite(build, tmp_path):
    app = build(OAUTH2LOGIN_TOKEN_STORE=f"sqlite:///{tmp_path / 'fresh.db'}")
    result = run(app, "init-db")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Created the table oauth2login_tokens at sqlite:///")
    assert run(app, "init-db").output.startswith("Nothing to create")
    sql = run(app, "init-db", "--sql").output
    assert sql.startswith("CREATE TABLE oauth2login_tokens (")
    assert "PRIMARY KEY (provider, subject, issuer)" in sql


def test_a_relative_sqlite_path_is_in_the_instance_folder_and_private(build):
    app = build(OAUTH2LOGIN_TOKEN_STORE="sqlite:///tokens/app.db")
    path = Path(app.instance_path, "tokens", "app.db")
    assert path.exists()
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.fixture(scope="module")
def postgres_server() -> t.Iterator[PostgresServer]:
    yield from serve_postgres()


def test_init_db_on_postgresql(build, rogue, postgres_server, caplog):
    connection = postgres_server.connect()
    connection.cursor().execute("DROP TABLE IF EXISTS oauth2login_tokens")
    connection.close()
    app = build(OAUTH2LOGIN_TOKEN_STORE=postgres_server.url)
    client = app.test_client()

    # Not created on first use: the login says the store is unavailable,
    # and the log says what to do.
    with caplog.at_level(logging.ERROR, logger="flask_oauth2login"):
        assert log_in(client, rogue).status_code == 503
    assert "flask oauth2login init-db" in caplog.text

    assert "CREATE TABLE oauth2login_tokens" in run(app, "init-db", "--sql").output
    result = run(app, "init-db")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Created the table oauth2login_tokens at postgresql")
    assert log_in(client, rogue).status_code == 302
    assert "1 login" in run(app, "tokens").output


def test_a_store_that_is_down_is_a_message_not_a_traceback(build, postgres_server):
    app = build(OAUTH2LOGIN_TOKEN_STORE=postgres_server.url)
    postgres_server.stop()
    try:
        result = run(app, "tokens")
    finally:
        postgres_server.start()
    assert result.exit_code == 1
    assert "The token store cannot be reached" in result.output
    assert "Traceback" not in result.output


# -- OAUTH2LOGIN_TOKEN_STORE ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (42, "must be a database URL such as 'sqlite:///tokens.db', a redis.Redis client"),
        ("not a url", "is not a database URL"),
        ("sqlite:///:memory:", "in-memory SQLite database is not shared"),
        ("sqlite://", "in-memory SQLite database is not shared"),
        ("nosuchdb://host/db", "cannot use 'nosuchdb://host/db'"),
        ("postgresql+nosuchdriver://u:pw@host/db", "cannot use 'postgresql+nosuchdriver://u:***@"),
    ],
)
def test_a_wrong_token_store_fails_at_start_up(build, value, message):
    with pytest.raises(ConfigurationError, match="OAUTH2LOGIN_TOKEN_STORE: ") as caught:
        build(OAUTH2LOGIN_TOKEN_STORE=value)
    assert message in str(caught.value)
    assert caught.value.key == "OAUTH2LOGIN_TOKEN_STORE"


class Redis:
    """Not redis-py's client, whatever its name says."""


def test_a_token_store_is_chosen_by_what_the_value_is_not_by_its_class_name(build, tmp_path):
    with pytest.raises(ConfigurationError, match="must be a database URL"):
        build(OAUTH2LOGIN_TOKEN_STORE=Redis())
    import redis
    import sqlalchemy

    class LoggingRedis(redis.Redis):  # a subclass is still a Redis client
        pass

    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'tokens.db'}")
    app = build(OAUTH2LOGIN_TOKEN_STORE=engine)
    assert type(app.extensions["oauth2login"].token_store).__name__ == "SQLTokenStore"
    app = build(OAUTH2LOGIN_TOKEN_STORE=LoggingRedis(port=1, socket_connect_timeout=0.1))
    assert type(app.extensions["oauth2login"].token_store).__name__ == "RedisTokenStore"


class MemoryStore(TokenStore):
    """A store of one's own: any TokenStore is used as it is."""

    def __init__(self) -> None:
        self.records: dict[t.Any, StoredToken] = {}

    def get(self, key: t.Any) -> StoredToken | None:
        return self.records.get(key)

    def set(self, token: StoredToken) -> int:
        old = self.records.get(token.key)
        version = (old.version if old else 0) + 1
        self.records[token.key] = StoredToken(**{**token.__dict__, "version": version})
        return version

    def replace(self, token: StoredToken, expected_version: int) -> int | None:
        old = self.records.get(token.key)
        if old is None or old.version != expected_version:
            return None
        return self.set(token)

    def delete(self, key: t.Any, expected_version: int | None = None) -> bool:
        old = self.records.get(key)
        if old is None or expected_version not in (None, old.version):
            return False
        del self.records[key]
        return True

    def lock(self, key: t.Any, wait: float) -> t.Any:
        import contextlib

        return contextlib.nullcontext(True)

    def find(
        self, provider: str | None = None, subject: str | None = None, issuer: str | None = None
    ) -> list[StoredToken]:
        wanted = {"provider": provider, "subject": subject, "issuer": issuer}
        return [
            r
            for r in self.records.values()
            if all(v is None or getattr(r, k) == v for k, v in wanted.items())
        ]


def test_a_token_store_of_ones_own(build, rogue):
    store = MemoryStore()
    app = build(OAUTH2LOGIN_TOKEN_STORE=store)
    assert log_in(app.test_client(), rogue).status_code == 302
    assert [r.subject for r in store.records.values()] == ["user-123"]
    with app.app_context():
        api = app.extensions["test_oauth"].session("rogue", subject="user-123")
        assert api.get(rogue.issuer + "/api/me").status_code == 200


def test_an_engine_is_a_token_store_too(build, rogue, tmp_path):
    import sqlalchemy

    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'engine.db'}")
    app = build(OAUTH2LOGIN_TOKEN_STORE=engine)
    assert isinstance(app.extensions["oauth2login"].token_store, SQLTokenStore)
    assert log_in(app.test_client(), rogue).status_code == 302
    assert "1 login" in run(app, "tokens").output


@pytest.mark.parametrize("value", [-1, "soon", None])
def test_the_token_cache_ttl_is_checked(build, value):
    with pytest.raises(ConfigurationError, match="OAUTH2LOGIN_TOKEN_CACHE_TTL: must be"):
        build(OAUTH2LOGIN_TOKEN_CACHE_TTL=value)
