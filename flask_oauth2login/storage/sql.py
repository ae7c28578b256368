"""SQL databases, as the session engine and the token store use them: the
refresh lease and result slot, a conditional insert, and the errors that
mean "the database is down".

One table holds the refreshes being coordinated, one row per refresh::

    CREATE TABLE oauth2login_refresh (
        name VARCHAR(128) PRIMARY KEY,  -- the refresh (a digest of the refresh token used)
        lease_until FLOAT,              -- the lease (Unix time), or NULL
        holder VARCHAR(32),             -- who holds the lease
        result TEXT,                    -- the refreshed token, sealed, or NULL
        result_until FLOAT              -- until when the result is kept (Unix time)
    )

A lease is taken with an ``UPDATE`` that succeeds only while no live lease
is there; no transaction and no row lock is held while the provider answers,
and a lease whose holder died runs out by itself. This works on every
database SQLAlchemy speaks to (PostgreSQL, SQLite, MySQL ...), also across
machines.

SQLAlchemy is imported only by the apps that keep something in a database.
"""

from __future__ import annotations

import json
import secrets
import time
import typing as t
from contextlib import contextmanager, suppress

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

#: Seconds between two tries of a waiter for a lease.
LEASE_POLL = 0.02
#: The table of refreshes being coordinated.
REFRESH_TABLE = "oauth2login_refresh"

Unavailable = t.Callable[[], t.ContextManager[object]]


def outage_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean the database is unreachable, restarting,
    locked or too slow, or that no connection is free in the pool."""
    return (
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        sa_exc.DisconnectionError,
        sa_exc.TimeoutError,
        OSError,
    )


def refresh_table(metadata: sa.MetaData, name: str = REFRESH_TABLE) -> sa.Table:
    """The table of refreshes being coordinated (see the module docstring)."""
    return sa.Table(
        name,
        metadata,
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("lease_until", sa.Float),
        sa.Column("holder", sa.String(32)),
        sa.Column("result", sa.Text),
        sa.Column("result_until", sa.Float),
    )


def create_table(table: sa.Table, engine: t.Any) -> None:
    """Create *table* unless it is there, also when another process creates
    it at the same moment."""
    try:
        table.create(engine, checkfirst=True)
    except (sa_exc.ProgrammingError, sa_exc.IntegrityError):
        if not sa.inspect(engine).has_table(table.name):
            raise


def insert_new(conn: sa.Connection, table: sa.Table, values: dict[str, t.Any]) -> bool:
    """Insert *values* into *table* unless a row with the same primary key is
    there (one atomic step); return whether the row was inserted."""
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite"):
        module = __import__(f"sqlalchemy.dialects.{dialect}", fromlist=["insert"])
        statement = module.insert(table).values(**values).on_conflict_do_nothing()
        return bool(conn.execute(statement).rowcount)
    try:  # elsewhere: the insert in a savepoint of its own
        with conn.begin_nested():
            conn.execute(table.insert().values(**values))
    except sa_exc.IntegrityError:
        return False
    return True


class SQLCoordinator:
    """The lock (a lease on a row) and result slot of single-flight refreshes,
    in a table of *engine*'s database; see the module docstring.

    :param unavailable: makes the context that turns this database's
        outages into the caller's own "store unavailable" error.
    """

    def __init__(self, engine: t.Any, *, unavailable: Unavailable) -> None:
        #: The SQLAlchemy engine.
        self.engine = engine
        #: The table.
        self.table = refresh_table(sa.MetaData())
        self.unavailable = unavailable
        self._ready = False

    def create_schema(self) -> None:
        """Create the table if it is not there."""
        create_table(self.table, self.engine)
        self._ready = True

    @contextmanager
    def lock(self, key: str, wait: float) -> t.Iterator[bool]:
        holder = secrets.token_hex(8)
        c = self.table.c
        deadline = time.monotonic() + wait
        acquired = False
        while True:
            now = time.time()
            until = now + max(wait, 1.0) * 2  # outlives a refresh, not a dead holder
            with self._begin() as conn:
                insert_new(conn, self.table, {"name": key})
                taken = conn.execute(
                    self.table.update()
                    .where(c.name == key)
                    .where(sa.or_(c.lease_until.is_(None), c.lease_until < now))
                    .values(lease_until=until, holder=holder)
                )
                acquired = bool(taken.rowcount)
            if acquired or time.monotonic() >= deadline:
                break
            time.sleep(LEASE_POLL)
        try:
            yield acquired
        finally:
            if acquired:
                # Gone with the database: the lease runs out by itself.
                with suppress(*outage_errors()), self.engine.begin() as conn:
                    conn.execute(
                        self.table.update()
                        .where(c.name == key)
                        .where(c.holder == holder)
                        .values(lease_until=None, holder=None)
                    )

    def get_result(self, key: str) -> dict[str, t.Any] | None:
        c = self.table.c
        query = sa.select(c.result).where(c.name == key).where(c.result_until >= time.time())
        with self._begin() as conn:
            raw = conn.execute(query).scalar()
        return t.cast(dict[str, t.Any], json.loads(raw)) if raw else None

    def set_result(self, key: str, token: t.Mapping[str, t.Any], ttl: int) -> None:
        c = self.table.c
        now = time.time()
        with self._begin() as conn:
            # Rows of finished refreshes whose results ran out go first, and
            # those of refreshes that left no result (the provider refused).
            conn.execute(
                self.table.delete()
                .where(sa.or_(c.result_until < now, c.result_until.is_(None)))
                .where(sa.or_(c.lease_until.is_(None), c.lease_until < now))
            )
            insert_new(conn, self.table, {"name": key})
            conn.execute(
                self.table.update()
                .where(c.name == key)
                .values(result=json.dumps(dict(token)), result_until=now + ttl)
            )

    @contextmanager
    def _begin(self) -> t.Iterator[sa.Connection]:
        with self.unavailable():
            if not self._ready:
                self.create_schema()
            with self.engine.begin() as conn:
                yield conn
