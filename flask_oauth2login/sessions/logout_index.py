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

Each session engine (:mod:`~flask_oauth2login.sessions.engines`) makes the
:class:`LogoutStore` of its store: Redis keeps a sorted set per index key;
the others keep records (:class:`RecordStore`), read and written under a
lock as wide as their store allows.
"""

from __future__ import annotations

import hashlib
import time
import typing as t
from datetime import timedelta

from .setup import KEY_PREFIX, store_errors_as_unavailable

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


class RecordStore(LogoutStore):
    """Records (a dict of store id to expiry per index key), read and
    written under :meth:`_locked`: for engines whose store keeps values,
    not sets. A subclass gives the lock and the three primitives."""

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


def store_id_of(interface: t.Any, session: t.Any) -> str | None:
    """The store id the current *session* was loaded from, if it was."""
    loaded_sid = getattr(session, "_oauth2login_loaded", (None, {}))[0]
    return None if loaded_sid is None else str(interface._get_store_id(loaded_sid))
