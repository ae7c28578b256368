"""What logging out from the provider's side keeps in the session store.

A back-channel logout (OpenID Connect Back-Channel Logout 1.0) or a
front-channel one (Front-Channel Logout 1.0) arrives without the user's
browser: the provider names a session of its own (``sid``) or a user
(``sub``), and the app must find its sessions logged in with them. A
:class:`LogoutStore` keeps, in the session store's own backend so that every
process sharing the sessions shares it:

- **the index**: for (provider, issuer, ``sid``) and (provider, issuer,
  ``sub``), the store ids of the sessions logged in with them. A login files
  its session (:func:`file_session`); the entries are written when the
  session is, again whenever its id changes, and renewed while it lives, so
  they expire after the session does, never before (:meth:`LogoutStore.keep_filed`).
- **the logout tokens seen**: the ``jti`` of each one accepted, for as long
  as the token could be accepted again, so a replay ends nothing new.

Backends, chosen by the session interface:

- Redis: a sorted set per index key (each store id scored with its expiry)
  and ``SET NX EX`` for each ``jti``;
- a cachelib cache (the embedded file store): records read and written under
  a lock, a file lock for a file-system cache, so processes sharing the
  folder do not lose each other's entries;
- any other Flask-Session backend: records written with the session
  interface's own primitives. There a read and the write that follows are
  not atomic: two logins filed at the same instant may lose one entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
import typing as t
from datetime import timedelta

from .setup import KEY_PREFIX, store_errors_as_unavailable

if t.TYPE_CHECKING:  # pragma: no cover
    from .setup import GuardedSessionInterface

#: Session key of what a login filed its session under: ``keys`` (index
#: keys), ``store_id`` (the id they point to) and ``renew_at`` (a timestamp).
FILED_KEY = f"{KEY_PREFIX}logout_index"
#: Index entries live this many times the session's lifetime, and are
#: renewed after half of it: a session written at any time expires before them.
_TTL_FACTOR = 2


def index_key(provider: str, issuer: str, claim: str, value: str) -> str:
    """The index key of the sessions whose login at *provider* (issued by
    *issuer*) has *claim* (``"sid"`` or ``"sub"``) equal to *value*."""
    return "index:" + _digest(provider, issuer, claim, value)


def seen_key(provider: str, issuer: str, jti: str) -> str:
    """The key that remembers the logout token *jti* of *issuer*."""
    return "jti:" + _digest(provider, issuer, jti)


def file_session(session: t.Any, keys: t.Iterable[str]) -> None:
    """File *session* under *keys* (its login's :func:`index_key`\\ s) when it
    is next written."""
    session[FILED_KEY] = {"keys": sorted(set(keys)), "store_id": None, "renew_at": 0.0}


def filed_keys(session: t.Any) -> list[str]:
    """The index keys *session* is filed under."""
    record = session.get(FILED_KEY) or {}
    return list(record.get("keys") or ())


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "replace")).hexdigest()


class LogoutStore:
    """The index and the logout tokens seen, in one session store; see the module.

    Every method raises :class:`~flask_oauth2login.errors.SessionStoreUnavailable`
    when the store is down.
    """

    #: What counts as "the store is unavailable".
    store_errors: tuple[type[BaseException], ...] = (OSError,)

    def add(self, keys: t.Sequence[str], store_id: str, ttl: int) -> None:
        """Point each of *keys* to *store_id* for *ttl* seconds."""
        raise NotImplementedError

    def members(self, key: str) -> list[str]:
        """The store ids *key* points to (those not expired)."""
        raise NotImplementedError

    def discard(self, keys: t.Sequence[str], store_id: str) -> None:
        """Make *keys* point to *store_id* no longer."""
        raise NotImplementedError

    def first_seen(self, key: str, ttl: int) -> bool:
        """Remember *key* for *ttl* seconds; whether it was new (atomically)."""
        raise NotImplementedError

    def forget_seen(self, key: str) -> None:
        """Forget *key* (a logout that could not be carried out is retried)."""
        raise NotImplementedError

    def keep_filed(self, session: t.Any, store_id: str, lifetime: timedelta) -> None:
        """Before *session* is written under *store_id*: file it under its
        keys if its id changed, or renew its entries after half their life.
        Hooked into the session interface (``before_write``)."""
        record = dict.get(session, FILED_KEY)  # dict's: not marked accessed
        if not record or not record.get("keys"):
            return
        now = time.time()
        if record.get("store_id") == store_id and now < record.get("renew_at", 0):
            return
        seconds = max(int(lifetime.total_seconds()), 1)
        ttl = seconds * _TTL_FACTOR
        keys = list(record["keys"])
        self.add(keys, store_id, ttl)
        previous = record.get("store_id")
        if previous and previous != store_id:
            self.discard(keys, previous)
        renewed = {"keys": keys, "store_id": store_id, "renew_at": now + seconds / 2}
        dict.__setitem__(session, FILED_KEY, renewed)


class RedisLogoutStore(LogoutStore):
    """The index and the tokens seen in the sessions' Redis, under :attr:`prefix`."""

    def __init__(
        self, client: t.Any, prefix: str, errors: tuple[type[BaseException], ...] = ()
    ) -> None:
        self.client = client
        #: Prefix of every key: ``oauth2login:logout:`` and the sessions' own.
        self.prefix = prefix
        if errors:
            self.store_errors = errors

    def add(self, keys: t.Sequence[str], store_id: str, ttl: int) -> None:
        now = time.time()
        with store_errors_as_unavailable(self):
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                name = self.prefix + key
                pipe.zremrangebyscore(name, "-inf", now)
                pipe.zadd(name, {store_id: now + ttl})
                pipe.expire(name, ttl)
            pipe.execute()

    def members(self, key: str) -> list[str]:
        with store_errors_as_unavailable(self):
            found = self.client.zrangebyscore(self.prefix + key, time.time(), "+inf")
        return [m.decode() if isinstance(m, bytes) else str(m) for m in found]

    def discard(self, keys: t.Sequence[str], store_id: str) -> None:
        with store_errors_as_unavailable(self):
            pipe = self.client.pipeline(transaction=False)
            for key in keys:
                pipe.zrem(self.prefix + key, store_id)
            pipe.execute()

    def first_seen(self, key: str, ttl: int) -> bool:
        with store_errors_as_unavailable(self):
            return bool(self.client.set(self.prefix + key, b"1", nx=True, ex=ttl))

    def forget_seen(self, key: str) -> None:
        with store_errors_as_unavailable(self):
            self.client.delete(self.prefix + key)


class _RecordStore(LogoutStore):
    """Records (a dict of store id to expiry per index key), read and
    written under :meth:`_locked`."""

    def add(self, keys: t.Sequence[str], store_id: str, ttl: int) -> None:
        now = time.time()
        with self._locked(), store_errors_as_unavailable(self):
            for key in keys:
                entries = self._live(self._get(key), now)
                entries[store_id] = now + ttl
                self._put(key, entries, ttl)

    def members(self, key: str) -> list[str]:
        with store_errors_as_unavailable(self):
            return list(self._live(self._get(key), time.time()))

    def discard(self, keys: t.Sequence[str], store_id: str) -> None:
        now = time.time()
        with self._locked(), store_errors_as_unavailable(self):
            for key in keys:
                entries = self._live(self._get(key), now)
                if entries.pop(store_id, None) is None:
                    continue
                if entries:
                    self._put(key, entries, max(1, int(max(entries.values()) - now)))
                else:
                    self._delete(key)

    def first_seen(self, key: str, ttl: int) -> bool:
        with self._locked(), store_errors_as_unavailable(self):
            if self._get(key) is not None:
                return False
            self._put(key, {"seen": time.time() + ttl}, ttl)
            return True

    def forget_seen(self, key: str) -> None:
        with store_errors_as_unavailable(self):
            self._delete(key)

    @staticmethod
    def _live(record: t.Mapping[str, t.Any] | None, now: float) -> dict[str, float]:
        return {
            k: float(v) for k, v in (record or {}).items() if isinstance(v, int | float) and v > now
        }

    def _locked(self) -> t.ContextManager[object]:
        raise NotImplementedError

    def _get(self, key: str) -> dict[str, t.Any] | None:
        raise NotImplementedError

    def _put(self, key: str, record: dict[str, t.Any], ttl: int) -> None:
        raise NotImplementedError

    def _delete(self, key: str) -> None:
        raise NotImplementedError


class CacheLogoutStore(_RecordStore):
    """The index and the tokens seen in a cachelib cache: the embedded file
    store, or whatever cache the app gave Flask-Session.

    Reads and the writes that follow run under a lock of this process and,
    for a file-system cache, an exclusive lock on a file in its folder, which
    every process using the folder takes.
    """

    def __init__(self, cache: t.Any, prefix: str) -> None:
        self.cache = cache
        #: Prefix of every key.
        self.prefix = prefix
        self._lock = threading.Lock()
        folder = getattr(cache, "_path", None)
        #: The lock file of a file-system cache, else ``None``.
        self.lock_path = os.path.join(folder, ".oauth2login-logout.lock") if folder else None

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


class InterfaceLogoutStore(_RecordStore):
    """The index and the tokens seen as records of any other Flask-Session
    backend, written with the session interface's own primitives (read, then
    write: not atomic)."""

    def __init__(self, interface: GuardedSessionInterface, prefix: str) -> None:
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


def _redis(interface: t.Any, prefix: str) -> LogoutStore:
    return RedisLogoutStore(interface.client, prefix, getattr(interface, "store_errors", ()))


def _cache(interface: t.Any, prefix: str) -> LogoutStore:
    return CacheLogoutStore(interface.cache, prefix)


#: Session interface class name to the logout store that shares its backend.
_BACKENDS: dict[str, t.Callable[[t.Any, str], LogoutStore]] = {
    "RedisSessionInterface": _redis,
    "CacheLibSessionInterface": _cache,
    "FileSystemSessionInterface": _cache,
}


def for_session_interface(interface: GuardedSessionInterface) -> LogoutStore:
    """The logout store in *interface*'s backend, hooked into its writes."""
    prefix = "oauth2login:logout:" + str(getattr(interface, "key_prefix", "") or "")
    store: LogoutStore | None = None
    for cls in type(interface).__mro__:
        factory = _BACKENDS.get(cls.__name__)
        if factory is not None:
            store = factory(interface, prefix)
            break
    if store is None:
        store = InterfaceLogoutStore(interface, prefix)
    interface.before_write = store.keep_filed
    return store


def store_id_of(interface: t.Any, session: t.Any) -> str | None:
    """The store id the current *session* was loaded from, if it was."""
    loaded_sid = getattr(session, "_oauth2login_loaded", (None, {}))[0]
    return None if loaded_sid is None else str(interface._get_store_id(loaded_sid))
