"""Sessions in a cachelib cache: the embedded file store
(:mod:`~flask_oauth2login.sessions.files`), Flask-Session's ``filesystem``
backend, or whatever cache the app gave its ``cachelib`` backend.

- Refreshes are coordinated within the process
  (:class:`~flask_oauth2login.sessions.coordination.LocalCoordinator`).
- The logout index and the logout tokens seen are records in the cache,
  read and written under a lock of this process and, for a file-system
  cache, an exclusive lock on a file beside its folder, which every process
  using the folder takes (:class:`CacheLogoutStore`): processes sharing the
  folder do not lose each other's entries.
- Only ``OSError`` means the store is down.
"""

from __future__ import annotations

import contextlib
import os
import threading
import typing as t

from cachelib import (
    DynamoDbCache,
    FileSystemCache,
    MemcachedCache,
    MongoDbCache,
    NullCache,
    RedisCache,
    SimpleCache,
    UWSGICache,
)
from flask_session.cachelib import CacheLibSessionInterface
from flask_session.filesystem import FileSystemSessionInterface

from ...storage.imports import loaded_class
from ..coordination import Coordinator, LocalCoordinator
from ..logout_index import LogoutStore, RecordStore
from .base import MACHINE, PROCESS, SHARED, Engine

if t.TYPE_CHECKING:  # pragma: no cover
    from flask_session.base import ServerSideSessionInterface

#: cachelib's caches: each one's class, what it is, and how widely it is shared.
_CACHES: tuple[tuple[type | None, str, str], ...] = (
    (FileSystemCache, "files (cachelib FileSystemCache)", MACHINE),
    (SimpleCache, "process memory (cachelib SimpleCache)", PROCESS),
    (NullCache, "nowhere (cachelib NullCache)", PROCESS),
    (UWSGICache, "uWSGI cache (cachelib)", MACHINE),
    (RedisCache, "Redis (cachelib RedisCache)", SHARED),
    (loaded_class("cachelib.valkey", "ValkeyCache"), "Valkey (cachelib ValkeyCache)", SHARED),
    (MemcachedCache, "Memcached (cachelib MemcachedCache)", SHARED),
    (MongoDbCache, "MongoDB (cachelib MongoDbCache)", SHARED),
    (DynamoDbCache, "DynamoDB (cachelib DynamoDbCache)", SHARED),
)


class CacheEngine(Engine):
    """The engine of sessions in a cachelib cache; see the module."""

    @classmethod
    def serves(cls, interface: ServerSideSessionInterface) -> bool:
        return isinstance(interface, CacheLibSessionInterface | FileSystemSessionInterface)

    @property
    def cache(self) -> t.Any:
        """The cachelib cache that holds the sessions."""
        return t.cast(t.Any, self.interface).cache

    def make_coordinator(self) -> Coordinator:
        return LocalCoordinator()

    def make_logout_store(self, prefix: str) -> LogoutStore:
        return CacheLogoutStore(self.cache, prefix)

    def describe(self) -> tuple[str, str | None]:
        cache = self.cache
        for kind, label, sharing in _CACHES:
            if kind is not None and isinstance(cache, kind):
                path = getattr(cache, "_path", None)
                return (f"{label} at {path}" if isinstance(path, str) else label), sharing
        return self.interface_name(), None


def lock_path_for(folder: str) -> str:
    """The lock file of the logout index of the sessions in *folder*: beside
    the folder, not in it, where cachelib's sweeps would take it for a
    broken session file. Where the folder's parent cannot be written, in the
    folder under a name cachelib leaves alone (that of its files being
    written)."""
    folder = os.path.abspath(folder)
    parent, name = os.path.split(folder.rstrip(os.sep))
    if parent and os.access(parent, os.W_OK):
        return os.path.join(parent, f".{name}.oauth2login-logout.lock")
    return os.path.join(folder, f"oauth2login-logout.lock{FileSystemCache._fs_transaction_suffix}")


class CacheLogoutStore(RecordStore):
    """The index and the tokens seen in a cachelib cache; see the module."""

    def __init__(self, cache: t.Any, prefix: str) -> None:
        #: The cachelib cache.
        self.cache = cache
        #: Prefix of every key.
        self.prefix = prefix
        self._lock = threading.Lock()
        folder = getattr(cache, "_path", None)
        #: The lock file of a file-system cache, else ``None``.
        self.lock_path = lock_path_for(folder) if isinstance(folder, str) else None

    @contextlib.contextmanager
    def _locked(self) -> t.Iterator[object]:
        with self._lock:
            if self.lock_path is None:
                yield None
                return
            import fcntl

            with open(self.lock_path, "a+b") as handle:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
                try:
                    yield handle
                finally:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _get(self, key: str) -> dict[str, t.Any] | None:
        record = self.cache.get(self.prefix + key)
        return record if isinstance(record, dict) else None

    def _put(self, key: str, record: dict[str, t.Any], ttl: int) -> None:
        self.cache.set(self.prefix + key, record, timeout=ttl)

    def _delete(self, key: str) -> None:
        self.cache.delete(self.prefix + key)
