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
  It holds live sessions only: an entry leaves when its session's id
  changes (a new login, a regenerated id) or the session ends, and each key
  keeps at most :attr:`LogoutStore.cap` entries (the oldest give way). A
  logout token costs time in proportion to the sessions it ends.
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
    is next written; what it was filed under before is taken out then."""
    before = session.get(FILED_KEY) or {}
    session[FILED_KEY] = {
        "keys": sorted(set(keys)),
        "store_id": before.get("store_id"),
        # Filed under these before: taken out of them at the next write.
        "old_keys": sorted({*(before.get("keys") or ()), *(before.get("old_keys") or ())}),
        "renew_at": 0.0,
    }


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
    #: The most entries one index key keeps: adding more drops those that
    #: expire first (one person's sessions, or one provider session's).
    cap: int = 64

    def add(self, keys: t.Sequence[str], store_id: str, ttl: int) -> None:
        """Point each of *keys* to *store_id* for *ttl* seconds."""
        raise NotImplementedError

    def members(self, key: str) -> list[str]:
        """The store ids *key* points to (those not expired)."""
        raise NotImplementedError

    def discard(self, keys: t.Sequence[str], store_id: str) -> None:
        """Make *keys* point to *store_id* no longer."""
        raise NotImplementedError

    def discard_many(self, entries: t.Mapping[str, t.Collection[str]]) -> None:
        """Make each key of *entries* point to its store ids no longer, all
        at once (a store that can, in one write)."""
        by_store_id: dict[str, list[str]] = {}
        for key, store_ids in entries.items():
            for store_id in store_ids:
                by_store_id.setdefault(store_id, []).append(key)
        for store_id, keys in by_store_id.items():
            self.discard(keys, store_id)

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
        if not record:
            return
        now = time.time()
        keys = list(record.get("keys") or ())
        old_keys = list(record.get("old_keys") or ())
        previous = record.get("store_id")
        if previous == store_id and not old_keys and now < record.get("renew_at", 0):
            return
        # Out of what it was filed under before: its old id, keys no longer its.
        gone = {key: [previous] for key in {*keys, *old_keys} if previous}
        if previous == store_id:
            gone = {key: ids for key, ids in gone.items() if key not in keys}
        if gone:
            self.discard_many(gone)
        if not keys:
            dict.pop(session, FILED_KEY, None)
            return
        seconds = max(int(lifetime.total_seconds()), 1)
        self.add(keys, store_id, seconds * _TTL_FACTOR)
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
                if len(entries) > self.cap:  # the first to expire give way
                    kept = sorted(entries, key=entries.__getitem__)[-self.cap :]
                    entries = {member: entries[member] for member in kept}
                self._put(key, entries, ttl)

    def members(self, key: str) -> list[str]:
        with store_errors_as_unavailable(self):
            return list(self._live(self._get(key), time.time()))

    def discard(self, keys: t.Sequence[str], store_id: str) -> None:
        self.discard_many({key: [store_id] for key in keys})

    def discard_many(self, entries: t.Mapping[str, t.Collection[str]]) -> None:
        now = time.time()
        with self._locked(), store_errors_as_unavailable(self):
            for key, store_ids in entries.items():
                found = self._live(self._get(key), now)
                left = {member: until for member, until in found.items() if member not in store_ids}
                if len(left) == len(found):
                    continue
                if left:
                    self._put(key, left, max(1, int(max(left.values()) - now)))
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
