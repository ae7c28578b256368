"""Sessions in a SQL database (Flask-Session's ``SqlAlchemySessionInterface``):
PostgreSQL, or SQLite for one machine.

Everything that shares the sessions' store lives in the same database, next
to Flask-Session's table, so it is shared by every process (and, but for
SQLite, every machine) that serves the app:

- refreshes are coordinated with a lease and a result slot per refresh in
  the table ``oauth2login_refresh``
  (:class:`~flask_oauth2login.storage.sql.SQLCoordinator`);
- the logout index is a row per (index key, store id) with its expiry, and
  each logout token seen a row of its own, in ``oauth2login_logout``
  (:class:`SQLLogoutStore`); a logout token is taken with an
  ``INSERT ... ON CONFLICT DO NOTHING``, so a replay is refused atomically,
  in every process;
- SQLAlchemy's ``OperationalError`` and friends mean the store is down
  (:func:`~flask_oauth2login.storage.sql.outage_errors`), answered with a 503.

Both tables are created at set-up when they are not there.
"""

from __future__ import annotations

import functools
import logging
import time
import typing as t
from contextlib import contextmanager

from ...storage.imports import loaded_class
from ..coordination import Coordinator
from ..logout_index import LogoutStore
from ..setup import store_errors_as_unavailable
from .base import MACHINE, PROCESS, SHARED, Engine

if t.TYPE_CHECKING:  # pragma: no cover
    import sqlalchemy as sa
    from flask_session.base import ServerSideSessionInterface

log = logging.getLogger(__name__)

#: The table of the logout index and the logout tokens seen.
LOGOUT_TABLE = "oauth2login_logout"


class SQLEngine(Engine):
    """The engine of sessions in a SQL database; see the module."""

    @classmethod
    def serves(cls, interface: ServerSideSessionInterface) -> bool:
        sql_sessions = loaded_class("flask_session.sqlalchemy", "SqlAlchemySessionInterface")
        return sql_sessions is not None and isinstance(interface, sql_sessions)

    @functools.cached_property
    def engine(self) -> t.Any:
        """A SQLAlchemy engine on the sessions' database, with a connection
        pool of its own (and the same settings): a request holds a
        connection of the sessions' pool while it runs, so taking a second
        one from that pool could wait for ever once every thread holds one."""
        import sqlalchemy as sa

        interface = t.cast(t.Any, self.interface)
        bind_key = getattr(interface.sql_session_model, "__bind_key__", None)
        with interface.app.app_context():
            sessions = interface.client.engines[bind_key]
        return sa.create_engine(sessions.url, pool=sessions.pool.recreate())

    def outage_errors(self) -> tuple[type[BaseException], ...]:
        from sqlalchemy import exc as sa_exc

        from ...storage.sql import outage_errors

        # A request whose session query failed cannot use the session's
        # transaction again until it is rolled back: still the outage.
        return (*outage_errors(), sa_exc.PendingRollbackError)

    def make_coordinator(self) -> Coordinator:
        from ...storage.sql import SQLCoordinator

        coordinator = SQLCoordinator(self.engine, unavailable=self._unavailable)
        try:
            coordinator.create_schema()
        except self.outage_errors() as exc:  # created on first use instead
            log.warning("Could not create the table of refreshes (%s).", type(exc).__name__)
        return coordinator

    def make_logout_store(self, prefix: str) -> LogoutStore:
        store = SQLLogoutStore(self.engine, prefix, self.outage_errors())
        try:
            store.create_schema()
        except self.outage_errors() as exc:
            log.warning("Could not create the logout index's table (%s).", type(exc).__name__)
        return store

    def coordination(self) -> str | None:
        return self.describe()[1]

    def describe(self) -> tuple[str, str | None]:
        url = self.engine.url
        where = url.render_as_string(hide_password=True)
        if url.get_backend_name() == "sqlite":
            return f"SQLite (SQLAlchemy) at {where}", (
                PROCESS if url.database in (None, "", ":memory:") else MACHINE
            )
        name = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB"}.get(
            url.get_backend_name(), url.get_backend_name()
        )
        return f"{name} (SQLAlchemy) at {where}", SHARED

    def _unavailable(self) -> t.ContextManager[object]:
        return store_errors_as_unavailable(self.interface)


def logout_table(metadata: sa.MetaData, name: str = LOGOUT_TABLE) -> sa.Table:
    """The table of the logout index (a row per index key and store id) and
    of the logout tokens seen (a row per token, with an empty store id)."""
    import sqlalchemy as sa

    return sa.Table(
        name,
        metadata,
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("store_id", sa.String(255), primary_key=True),
        sa.Column("expires_at", sa.Float, nullable=False, index=True),
    )


class SQLLogoutStore(LogoutStore):
    """The index and the tokens seen as rows of a table; see the module."""

    def __init__(
        self, engine: t.Any, prefix: str, store_errors: tuple[type[BaseException], ...]
    ) -> None:
        import sqlalchemy as sa

        #: The SQLAlchemy engine.
        self.engine = engine
        #: Prefix of every key.
        self.prefix = prefix
        self.store_errors = store_errors
        #: The table.
        self.table = logout_table(sa.MetaData())
        self._ready = False

    def create_schema(self) -> None:
        """Create the table if it is not there."""
        from ...storage.sql import create_table

        create_table(self.table, self.engine)
        self._ready = True

    def add(self, keys: t.Sequence[str], store_id: str, ttl: int) -> None:
        from ...storage.sql import insert_new

        c = self.table.c
        now = time.time()
        with self._begin() as conn:
            for key in keys:
                name = self.prefix + key
                conn.execute(self.table.delete().where(c.key == name).where(c.expires_at <= now))
                row = {"key": name, "store_id": store_id, "expires_at": now + ttl}
                if not insert_new(conn, self.table, row):
                    conn.execute(
                        self.table.update()
                        .where(c.key == name)
                        .where(c.store_id == store_id)
                        .values(expires_at=now + ttl)
                    )

    def members(self, key: str) -> list[str]:
        import sqlalchemy as sa

        c = self.table.c
        query = (
            sa.select(c.store_id)
            .where(c.key == self.prefix + key)
            .where(c.expires_at > time.time())
            .order_by(c.store_id)
        )
        with self._begin() as conn:
            return [str(store_id) for store_id in conn.execute(query).scalars()]

    def discard(self, keys: t.Sequence[str], store_id: str) -> None:
        c = self.table.c
        names = [self.prefix + key for key in keys]
        with self._begin() as conn:
            conn.execute(self.table.delete().where(c.key.in_(names)).where(c.store_id == store_id))

    def first_seen(self, key: str, ttl: int) -> bool:
        from ...storage.sql import insert_new

        c = self.table.c
        name, now = self.prefix + key, time.time()
        with self._begin() as conn:
            conn.execute(
                self.table.delete()
                .where(c.key == name)
                .where(c.store_id == "")
                .where(c.expires_at <= now)
            )
            return insert_new(
                conn, self.table, {"key": name, "store_id": "", "expires_at": now + ttl}
            )

    def forget_seen(self, key: str) -> None:
        c = self.table.c
        with self._begin() as conn:
            conn.execute(
                self.table.delete().where(c.key == self.prefix + key).where(c.store_id == "")
            )

    @contextmanager
    def _begin(self) -> t.Iterator[t.Any]:
        with store_errors_as_unavailable(self):
            if not self._ready:
                self.create_schema()
            with self.engine.begin() as conn:
                yield conn
