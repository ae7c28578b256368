"""Tokens in a SQL database, through SQLAlchemy 2 Core: SQLite or PostgreSQL.

One table, ``oauth2login_tokens``, one row per login::

    CREATE TABLE oauth2login_tokens (
        provider VARCHAR(64) NOT NULL,      -- the provider's name in the app's configuration
        subject VARCHAR(255) NOT NULL,      -- the user's subject at the issuer
        issuer VARCHAR(255) NOT NULL,       -- the issuer the login belongs to
        sealed TEXT NOT NULL,               -- the token, encrypted (crypto.cipher)
        scope TEXT,                         -- the granted scope
        expires_at BIGINT,                  -- when the access token expires (Unix time)
        version INTEGER NOT NULL,           -- grows with every write (compare-and-swap)
        locked_until FLOAT,                 -- the refresh lease (Unix time), or NULL
        updated_at BIGINT NOT NULL,         -- when the row was last written (Unix time)
        PRIMARY KEY (provider, subject, issuer)
    )

``flask oauth2login init-db`` creates it (``--sql`` prints the statement for
your database instead), and the table of refreshes of logins the store does
not hold (:mod:`~flask_oauth2login.storage.sql`). SQLite creates them on
first use.

A refresh is single-flight through a lease on the row: an ``UPDATE ... SET
locked_until`` that succeeds only while no live lease is there. No
transaction and no row lock is held while the provider answers, so a slow
provider holds up nothing but the refreshes of that one login, and a lease
whose holder died runs out by itself. The refreshed token is written with a
compare-and-swap on ``version``.
"""

from __future__ import annotations

import os
import threading
import time
import typing as t
from contextlib import contextmanager, suppress

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.schema import CreateTable

from ..errors import ConfigurationError, TokenStoreUnavailable
from ..storage.sql import SQLCoordinator
from .base import (
    OUTAGE_MESSAGE,
    StoredToken,
    TokenKey,
    TokenStore,
    check_storable,
    log,
    unstorable,
)

#: The table's name.
TABLE_NAME = "oauth2login_tokens"
#: Seconds between two tries of a waiter for the refresh lease.
POLL_INTERVAL = 0.02
#: The columns a record is read from, in :class:`StoredToken`'s order.
_COLUMNS = (
    "provider",
    "issuer",
    "subject",
    "sealed",
    "scope",
    "expires_at",
    "version",
    "updated_at",
)


def token_table(metadata: sa.MetaData, name: str = TABLE_NAME) -> sa.Table:
    """The table of stored tokens (see the module docstring)."""
    return sa.Table(
        name,
        metadata,
        sa.Column("provider", sa.String(64), primary_key=True),
        # Subject before issuer: a job looks logins up by provider and subject.
        sa.Column("subject", sa.String(255), primary_key=True),
        sa.Column("issuer", sa.String(255), primary_key=True),
        sa.Column("sealed", sa.Text, nullable=False),
        sa.Column("scope", sa.Text),
        sa.Column("expires_at", sa.BigInteger),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.Float),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )


class SQLTokenStore(TokenStore):
    """Tokens in a table of a SQL database.

    :param engine: a SQLAlchemy engine.
    :param create: create the table on first use; by default only on SQLite
        (elsewhere, run ``flask oauth2login init-db``).
    """

    store_errors = (
        sa_exc.OperationalError,  # unreachable, restarting, locked, timed out
        sa_exc.InterfaceError,
        sa_exc.DisconnectionError,
        sa_exc.TimeoutError,  # no connection free in the pool
        OSError,
    )

    def __init__(self, engine: Engine, *, create: bool | None = None) -> None:
        #: The SQLAlchemy engine.
        self.engine = engine
        #: The table.
        self.table = token_table(sa.MetaData())
        self._create = engine.dialect.name == "sqlite" if create is None else create
        self._ready = not self._create
        self._ready_lock = threading.Lock()
        self._coordinator: SQLCoordinator | None = None
        self._statements()

    @classmethod
    def from_config(cls, value: str | URL | Engine, *, instance_path: str) -> SQLTokenStore:
        """The store for ``OAUTH2LOGIN_TOKEN_STORE`` = *value*, a URL or an engine.

        A relative SQLite path is taken relative to the instance folder,
        and the file is made readable by its owner only.
        """
        if isinstance(value, Engine):
            return cls(value)
        try:
            url = make_url(value)
        except sa_exc.ArgumentError as exc:
            raise ConfigurationError(
                f"is not a database URL ({exc}); e.g. 'sqlite:///tokens.db' or "
                "'postgresql://user:password@host/db?connect_timeout=2'",
                key="OAUTH2LOGIN_TOKEN_STORE",
            ) from None
        options: dict[str, t.Any] = {}
        if url.get_backend_name() == "sqlite":
            url = _sqlite_in_instance(url, instance_path)
        else:
            options["pool_pre_ping"] = True  # a restarted server costs no request
        try:
            engine = sa.create_engine(url, **options)
        except (ImportError, sa_exc.ArgumentError) as exc:
            raise ConfigurationError(
                f"cannot use {url.render_as_string(hide_password=True)!r}: {exc}; install the "
                "database's driver, or name the one you have in the URL, e.g. "
                "'postgresql+psycopg://...' (pip install 'psycopg[binary]') or "
                "'postgresql+psycopg2://...' (pip install psycopg2-binary)",
                key="OAUTH2LOGIN_TOKEN_STORE",
            ) from None
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        return cls(engine)

    def _statements(self) -> None:
        """Statements built once; SQLAlchemy caches their compiled form."""
        c = self.table.c
        where = sa.and_(
            c.provider == sa.bindparam("p"),
            c.issuer == sa.bindparam("i"),
            c.subject == sa.bindparam("s"),
        )
        values: dict[str, t.Any] = {
            "sealed": sa.bindparam("sealed"),
            "scope": sa.bindparam("scope"),
            "expires_at": sa.bindparam("expires_at"),
            "updated_at": sa.bindparam("now"),
        }
        self._select = sa.select(*(c[name] for name in _COLUMNS)).where(where)
        self._update = self.table.update().where(where).values(version=c.version + 1, **values)
        self._insert = self.table.insert().values(
            provider=sa.bindparam("p"),
            issuer=sa.bindparam("i"),
            subject=sa.bindparam("s"),
            version=1,
            **values,
        )
        self._replace = (
            self.table.update()
            .where(where, c.version == sa.bindparam("expected"))
            .values(version=sa.bindparam("new"), **values)
        )
        self._delete = self.table.delete().where(where)
        self._delete_version = self.table.delete().where(
            where, c.version == sa.bindparam("expected")
        )
        self._acquire = (
            self.table.update()
            .where(where, sa.or_(c.locked_until.is_(None), c.locked_until < sa.bindparam("now")))
            .values(locked_until=sa.bindparam("until"))
        )
        self._finds: dict[tuple[str, ...], sa.Select[t.Any]] = {}
        self._release = (
            self.table.update()
            .where(where, c.locked_until == sa.bindparam("until"))
            .values(locked_until=None)
        )

    # -- the interface ------------------------------------------------------------

    def get(self, key: TokenKey) -> StoredToken | None:
        if not key.storable:  # nothing can be stored there (PostgreSQL would refuse it)
            return None
        with self._connection() as conn:
            row = conn.execute(self._select, _key_params(key)).first()
        return None if row is None else StoredToken(*row)

    def set(self, token: StoredToken) -> int:
        check_storable(token.key)
        params = {**_key_params(token.key), **_value_params(token)}
        for _ in range(3):  # a concurrent first write of the same login: update it then
            with suppress(sa_exc.IntegrityError), self._transaction() as conn:
                if not conn.execute(self._update, params).rowcount:
                    conn.execute(self._insert, params)
                version = conn.execute(self._select, params).one().version
                return int(version)
        raise TokenStoreUnavailable(OUTAGE_MESSAGE)

    def replace(self, token: StoredToken, expected_version: int) -> int | None:
        check_storable(token.key)
        params = {
            **_key_params(token.key),
            **_value_params(token),
            "expected": expected_version,
            "new": expected_version + 1,
        }
        with self._transaction() as conn:
            done = conn.execute(self._replace, params).rowcount
        return expected_version + 1 if done else None

    def delete(self, key: TokenKey, expected_version: int | None = None) -> bool:
        if not key.storable:
            return False
        params: dict[str, t.Any] = _key_params(key)
        statement = self._delete
        if expected_version is not None:
            statement, params["expected"] = self._delete_version, expected_version
        with self._transaction() as conn:
            return bool(conn.execute(statement, params).rowcount)

    @contextmanager
    def lock(self, key: TokenKey, wait: float) -> t.Iterator[bool]:
        params: dict[str, t.Any] = _key_params(key)
        deadline = time.monotonic() + wait
        lease = None
        while lease is None:
            now = time.time()
            until = now + max(wait, 1.0) * 2  # outlives a refresh, not a dead holder
            with self._transaction() as conn:
                if conn.execute(self._acquire, {**params, "now": now, "until": until}).rowcount:
                    lease = until
                elif conn.execute(self._select, params).first() is None:
                    break  # deleted meanwhile (a logout): nothing to wait for
            if lease is None:
                if time.monotonic() >= deadline:
                    break
                time.sleep(POLL_INTERVAL)
        try:
            yield lease is not None
        finally:
            if lease is not None:
                # Gone with the database: it runs out by itself.
                with suppress(*self.store_errors), self.engine.begin() as conn:
                    conn.execute(self._release, {**params, "until": lease})

    def find(
        self, provider: str | None = None, subject: str | None = None, issuer: str | None = None
    ) -> list[StoredToken]:
        given = {"provider": provider, "subject": subject, "issuer": issuer}
        given = {name: value for name, value in given.items() if value is not None}
        if any(unstorable(value) for value in given.values() if value is not None):
            return []  # nothing can be stored under it
        query = self._finds.get(tuple(given))
        if query is None:  # built once per combination of filters
            c = self.table.c
            query = sa.select(*(c[name] for name in _COLUMNS))
            for name in given:
                query = query.where(c[name] == sa.bindparam(name))
            query = self._finds[tuple(given)] = query.order_by(c.provider, c.issuer, c.subject)
        with self._connection() as conn:
            return [StoredToken(*row) for row in conn.execute(query, given)]

    def create_schema(self) -> bool:
        with self.errors_as_unavailable():
            exists = sa.inspect(self.engine).has_table(self.table.name)
            if not exists:
                self.table.create(self.engine, checkfirst=True)
            # The lock and result slot of the logins the store does not hold.
            self.coordinator().create_schema()
        self._ready = True
        return not exists

    def schema_sql(self) -> str:
        """The ``CREATE TABLE`` statements for this database."""
        tables = (self.table, self.coordinator().table)
        return "\n\n".join(
            str(CreateTable(table).compile(dialect=self.engine.dialect)).strip() + ";"
            for table in tables
        )

    def coordinator(self) -> SQLCoordinator:
        if self._coordinator is None:
            self._coordinator = SQLCoordinator(self.engine, unavailable=self.errors_as_unavailable)
        return self._coordinator

    def describe(self) -> str:
        return f"the table {self.table.name} at {self.engine.url.render_as_string()}"

    def close(self) -> None:
        self.engine.dispose()

    # -- plumbing -----------------------------------------------------------------

    @contextmanager
    def _connection(self) -> t.Iterator[sa.Connection]:
        with self._errors(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def _transaction(self) -> t.Iterator[sa.Connection]:
        with self._errors(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def _errors(self) -> t.Iterator[None]:
        """Create the table first if need be; errors of a store that is down
        (or has no table) become :class:`TokenStoreUnavailable`."""
        with self.errors_as_unavailable():
            if not self._ready:
                with self._ready_lock:
                    if not self._ready:
                        self.create_schema()
            try:
                yield
            except sa_exc.ProgrammingError as exc:
                if sa.inspect(self.engine).has_table(self.table.name):
                    raise
                log.error(
                    "The token store has no table %s; create it with `flask oauth2login "
                    "init-db` (%s).",
                    self.table.name,
                    type(exc).__name__,
                )
                raise TokenStoreUnavailable(OUTAGE_MESSAGE) from None


def _key_params(key: TokenKey) -> dict[str, t.Any]:
    return {"p": key.provider, "i": key.issuer, "s": key.subject}


def _value_params(token: StoredToken) -> dict[str, t.Any]:
    return {
        "sealed": token.sealed,
        "scope": token.scope,
        "expires_at": token.expires_at,
        "now": int(time.time()),
    }


def _sqlite_in_instance(url: URL, instance_path: str) -> URL:
    """A relative SQLite path under the instance folder; the file created
    readable by its owner only."""
    database = url.database
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        raise ConfigurationError(
            "an in-memory SQLite database is not shared between processes or connections; "
            "give a file, e.g. 'sqlite:///tokens.db' (under the instance folder)",
            key="OAUTH2LOGIN_TOKEN_STORE",
        )
    if database.startswith("file:"):
        return url
    if not os.path.isabs(database):
        database = os.path.join(instance_path, database)
        url = url.set(database=database)
    os.makedirs(os.path.dirname(database) or ".", exist_ok=True)
    if not os.path.exists(database):
        with suppress(FileExistsError):
            os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return url


def _sqlite_pragmas(dbapi_connection: t.Any, connection_record: t.Any) -> None:
    """Readers never wait for a writer, nor a writer for readers (WAL)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()
