"""Sessions in any other Flask-Session backend (Memcached, MongoDB,
DynamoDB, or one of the app's own): the engine of last resort.

- Refreshes are coordinated within the process only
  (:class:`~flask_oauth2login.sessions.coordination.LocalCoordinator`).
- The logout index and the logout tokens seen are records written with the
  session interface's own primitives (:class:`InterfaceLogoutStore`). A read
  and the write that follows are not atomic: two logins filed at the same
  instant may lose one entry.
- Only ``OSError`` means the store is down.
"""

from __future__ import annotations

import threading
import typing as t
from datetime import timedelta

from flask_session.base import ServerSideSessionInterface

from ...storage.imports import loaded_class
from ..coordination import Coordinator, LocalCoordinator
from ..logout_index import LogoutStore, RecordStore
from .base import SHARED, Engine

if t.TYPE_CHECKING:  # pragma: no cover
    from ..setup import GuardedSessionInterface

#: Flask-Session's other backends: the module and name of each one's
#: interface, and what it is; each is shared by whoever reaches its server.
_KNOWN: tuple[tuple[str, str, str], ...] = (
    ("flask_session.memcached", "MemcachedSessionInterface", "Memcached"),
    ("flask_session.mongodb", "MongoDBSessionInterface", "MongoDB"),
    ("flask_session.dynamodb", "DynamoDBSessionInterface", "DynamoDB"),
)


class GenericEngine(Engine):
    """The engine of any Flask-Session backend no other engine serves; see the module."""

    @classmethod
    def serves(cls, interface: ServerSideSessionInterface) -> bool:
        return isinstance(interface, ServerSideSessionInterface)

    def make_coordinator(self) -> Coordinator:
        return LocalCoordinator()

    def make_logout_store(self, prefix: str) -> LogoutStore:
        return InterfaceLogoutStore(self.interface, prefix)

    def describe(self) -> tuple[str, str | None]:
        for module, name, label in _KNOWN:
            kind = loaded_class(module, name)
            if kind is not None and isinstance(self.interface, kind):
                return label, SHARED
        return self.interface_name(), None


class InterfaceLogoutStore(RecordStore):
    """The index and the tokens seen as records of the session interface,
    written with its own primitives (read, then write: not atomic)."""

    def __init__(self, interface: GuardedSessionInterface, prefix: str) -> None:
        #: The session interface.
        self.interface = interface
        #: Prefix of every key.
        self.prefix = prefix
        self.store_errors = interface.store_errors
        self._lock = threading.Lock()

    def _locked(self) -> t.ContextManager[object]:
        return self._lock  # this process only

    def _get(self, key: str) -> dict[str, t.Any] | None:
        return self.interface.get_record(self.prefix + key)

    def _put(self, key: str, record: dict[str, t.Any], ttl: int) -> None:
        self.interface.put_record(self.prefix + key, record, timedelta(seconds=ttl))

    def _delete(self, key: str) -> None:
        self.interface._delete_session(self.prefix + key)
