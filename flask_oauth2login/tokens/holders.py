"""Where a token is kept, as a refresh needs it: a :class:`Holder`.

A holder loads its token, finds the result of a refresh another request
(or job, thread, process) finished, takes the single-flight lock of a
refresh, keeps the new token where the others find it, and forgets a login
that has ended. :class:`StoreHolder` is the token store's, for one login
(provider, issuer, subject): its lock is the store's, and it writes a new
token with a compare-and-swap before anything uses it, so a provider that
rotates refresh tokens never has its new one lost. The session's holder is
:class:`~flask_oauth2login.tokens.logins.SessionHolder`.

When the place to write a new token is down, it is kept in this process
(:attr:`AppState.unsaved <flask_oauth2login._runtime.AppState.unsaved>`) until
it can be written. Below the holders: reading and writing the token store
through this process's cache of recent reads, and the store's uses with no
request (:func:`stored`, :func:`revoke_stored`, :func:`reseal_stored`), and revoking
tokens at their providers (:func:`revoke_tokens`).
"""

from __future__ import annotations

import abc
import hashlib
import logging
import threading
import time
import typing as t
import weakref

from ..crypto.cipher import DecryptionFailed
from ..errors import NotLoggedInError, OAuth2LoginError, TokenStoreUnavailable
from ..protocol.token_answer import Token
from ..tokenstore import StoredToken, TokenKey, TokenStore
from .sealing import from_record, open_record, open_slot, seal_slot, to_record

if t.TYPE_CHECKING:
    from .._runtime import AppState

log = logging.getLogger(__name__)


class Holder(abc.ABC):
    """One place a token is kept, as
    :func:`~flask_oauth2login.tokens.refresh.refresh` needs it."""

    #: The provider the token is for.
    provider: str

    def __init__(self, app_state: AppState, provider: str) -> None:
        self.app_state = app_state
        self.provider = provider

    @abc.abstractmethod
    def load(self, fresh: bool = False) -> Token | None:
        """The token as kept now, or ``None`` (gone, or unreadable: then
        forgotten); *fresh*: as the store has it this instant, not as this
        process read it a moment ago."""

    @abc.abstractmethod
    def refreshed(self, stale: t.Mapping[str, t.Any]) -> Token | None:
        """A token that a finished refresh of *stale* left, if still of use."""

    @abc.abstractmethod
    def lock(self, stale: t.Mapping[str, t.Any], wait: float) -> t.ContextManager[bool]:
        """The single-flight lock of refreshing *stale*."""

    @abc.abstractmethod
    def keep(self, stale: t.Mapping[str, t.Any], token: t.Mapping[str, t.Any]) -> None:
        """Keep *token*, just refreshed from *stale*, where the others find it,
        before anything uses it."""

    @abc.abstractmethod
    def save(self, token: t.Mapping[str, t.Any]) -> None:
        """Make *token* the one this place holds from now on."""

    @abc.abstractmethod
    def forget(self, stale: t.Mapping[str, t.Any]) -> None:
        """Forget the login of *stale*, which has ended."""

    def _slot(self, stale: t.Mapping[str, t.Any]) -> str:
        """The name of the refresh of *stale*: a hash of its refresh token."""
        refresh_token = stale.get("refresh_token") or ""
        return hashlib.sha256(f"{self.provider}\0{refresh_token}".encode()).hexdigest()

    def _unsaved(self, slot: str, stale: t.Mapping[str, t.Any]) -> Token | None:
        """A refreshed token this process could not write yet."""
        return self._usable(open_slot(self.app_state, slot, self.app_state.unsaved), stale)

    def _usable(self, token: Token | None, stale: t.Mapping[str, t.Any]) -> Token | None:
        """*token*, if it is another one than *stale* and has not expired."""
        if (
            token is None
            or token.get("access_token") == stale.get("access_token")
            # An older result: a refresh token that is not rotated is used again.
            or token.is_expired(self.app_state.settings.refresh_leeway)
        ):
            return None
        return token

    def _stash(self, slot: str, token: t.Mapping[str, t.Any]) -> None:
        """Keep *token* in this process until it can be written."""
        self.app_state.unsaved.set_result(
            slot, seal_slot(self.app_state, slot, token), slot_ttl(token)
        )


class StoreHolder(Holder):
    """The token of one login in the token store.

    :param key: the login.
    :param record: the record, if just read.
    """

    def __init__(
        self,
        app_state: AppState,
        key: TokenKey,
        *,
        record: StoredToken | None = None,
    ) -> None:
        super().__init__(app_state, key.provider)
        assert app_state.token_store is not None
        self.store: TokenStore = app_state.token_store
        self.key = key
        #: The record as first read, if it was read already.
        self.record = record
        self._record = record
        #: The version of the record each token loaded came from, by access token.
        self._versions: dict[str, int] = {}
        #: The login each token loaded belongs to, by access token.
        self._logins: dict[str, str | None] = {}

    def load(self, fresh: bool = False) -> Token | None:
        record, self._record = self._record, None
        if record is None or fresh:
            record = get_record(self.app_state, self.key, fresh=fresh)
        if record is None:
            self._gone()
            return None
        try:
            token, login = open_record(self.app_state, record)
        except DecryptionFailed as exc:
            # The record stays: a process missing a key must not destroy it.
            log.info("The stored %s token does not open (%s); log in again.", self.key, exc)
            self._gone()
            return None
        if not self._ours(login):
            self._gone()
            return None
        self._note(token, record.version, login)
        return token

    def _ours(self, login: str | None) -> bool:
        """Whether a record written by *login* is this holder's: any login's,
        unless the holder belongs to one (see ``SessionStoreHolder``)."""
        return True

    def _note(self, token: t.Mapping[str, t.Any], version: int, login: str | None) -> None:
        access_token = str(token.get("access_token"))
        self._versions[access_token] = version
        self._logins[access_token] = login

    def refreshed(self, stale: t.Mapping[str, t.Any]) -> Token | None:
        record = get_record(self.app_state, self.key, fresh=True)
        if record is None:
            self._gone()
            raise NotLoggedInError(
                f"The {self.provider!r} login has ended meanwhile; please log in again.",
                provider=self.provider,
            )
        try:
            found, login = open_record(self.app_state, record)
        except DecryptionFailed:
            found, login = None, None
        # The same version can be another login's: the record was deleted (a
        # logout) and written anew by a new login, whose versions start again.
        changed = record.version != self._version(stale)
        replaced = not changed and found is not None and login != self._login(stale)
        if changed or replaced:
            if found is not None and not self._ours(login):
                # Another login of the same person took its place: not ours to use.
                self._gone()
                raise NotLoggedInError(
                    f"The {self.provider!r} login has ended meanwhile; please log in again.",
                    provider=self.provider,
                )
            token = self._usable(found, stale)
            if token is not None:
                self._note(token, record.version, login)
                return token
            if replaced:  # writing or deleting at that version would hit the new login
                raise NotLoggedInError(
                    f"The {self.provider!r} login has ended meanwhile; please log in again.",
                    provider=self.provider,
                )
        token = self._unsaved(self._stash_slot(stale), stale)
        if token is not None:  # refreshed here while the store was down: write it now
            self._write(stale, token)
        return token

    def lock(self, stale: t.Mapping[str, t.Any], wait: float) -> t.ContextManager[bool]:
        return self.store.lock(self.key, wait)

    def keep(self, stale: t.Mapping[str, t.Any], token: t.Mapping[str, t.Any]) -> None:
        try:
            self._write(stale, token)
        except TokenStoreUnavailable:
            self._stash(self._stash_slot(stale), token)
            raise

    def save(self, token: t.Mapping[str, t.Any]) -> None:
        pass  # written by keep(); the session refers to the store

    def forget(self, stale: t.Mapping[str, t.Any]) -> None:
        # Only if it still holds *stale*: a new login meanwhile stays.
        delete_record(self.app_state, self.key, expected_version=self._version(stale))
        self._gone()

    def _write(self, stale: t.Mapping[str, t.Any], token: t.Mapping[str, t.Any]) -> None:
        login = self._login(stale)
        record = to_record(self.app_state, self.key, token, login)
        try:
            version = self.store.replace(record, self._version(stale))
        finally:
            self.app_state.recent.forget(self.key)
        if version is None:
            # Written over by a login meanwhile, or deleted by a logout: that
            # wins; this token serves the call that asked for it, no more.
            log.info("The stored %s token changed during its refresh; kept the newer.", self.key)
            return
        self._note(token, version, login)
        self.app_state.unsaved.set_result(self._stash_slot(stale), {}, 1)  # written: drop it

    def _version(self, stale: t.Mapping[str, t.Any]) -> int:
        return self._versions.get(str(stale.get("access_token")), -1)

    def _login(self, stale: t.Mapping[str, t.Any]) -> str | None:
        """The id of the login *stale* was loaded from."""
        return self._logins.get(str(stale.get("access_token")))

    def _stash_slot(self, stale: t.Mapping[str, t.Any]) -> str:
        return f"{self.key.digest}:{self._slot(stale)}"

    def _gone(self) -> None:
        """The login has ended (or does not open here)."""


# -- the token store, through this process's recent reads ----------------------


def get_record(app_state: AppState, key: TokenKey, *, fresh: bool) -> StoredToken | None:
    """The record of *key*: as read lately by this process, unless *fresh*."""
    found = find_records(app_state, key.provider, key.subject, key.issuer, fresh=fresh)
    return found[0] if found else None


def find_records(
    app_state: AppState, provider: str, subject: str, issuer: str | None, *, fresh: bool
) -> list[StoredToken]:
    """The records of *subject*'s logins at *provider* (at *issuer*, if
    given): as read lately by this process, unless *fresh*."""
    if not fresh:
        found = app_state.recent.get(provider, subject, issuer)
        if found is not None:
            return found
    else:  # what was read before, with or without the issuer, is outdated
        app_state.recent.forget(TokenKey(provider, issuer or "", subject))
    store = require_store(app_state)
    if issuer is not None:
        record = store.get(TokenKey(provider, issuer, subject))
        found = [record] if record is not None else []
    else:
        found = store.find(provider=provider, subject=subject)
    app_state.recent.put(provider, subject, issuer, found)
    return found


def set_record(app_state: AppState, record: StoredToken) -> None:
    try:
        require_store(app_state).set(record)
    finally:
        app_state.recent.forget(record.key)


def delete_record(app_state: AppState, key: TokenKey, expected_version: int | None = None) -> bool:
    try:
        return require_store(app_state).delete(key, expected_version=expected_version)
    finally:
        app_state.recent.forget(key)


def slot_ttl(token: t.Mapping[str, t.Any]) -> int:
    ttl = max(60, int((token.get("expires_at") or time.time() + 3600) - time.time()))
    return min(ttl, 3600)


# -- outside a request ------------------------------------------------------------


def stored(
    app_state: AppState,
    provider: str,
    subject: str,
    issuer: str | None = None,
    *,
    fresh: bool = False,
) -> StoreHolder:
    """The stored token of *subject*'s login at *provider* (at *issuer*; may
    be left out unless the subject has logins at several of the provider's
    issuers); *fresh*: as the store has it this instant.

    :raises NotLoggedInError: if none is stored.
    """
    app_state.provider(provider)  # a configured provider, or ConfigurationError
    found = find_records(app_state, provider, str(subject), issuer, fresh=fresh)
    if not found:
        raise NotLoggedInError(
            f"No token of {subject!r} at {provider!r} is stored; they must log in first.",
            provider=provider,
        )
    if len(found) > 1:
        issuers = ", ".join(record.issuer for record in found)
        raise OAuth2LoginError(
            f"{subject!r} has logins at several issuers of {provider!r} ({issuers}); "
            "say which one with issuer=...",
            provider=provider,
        )
    return StoreHolder(app_state, found[0].key, record=found[0])


def require_store(app_state: AppState) -> TokenStore:
    """The app's token store.

    :raises ConfigurationError: if it has none.
    """
    if app_state.token_store is None:
        from ..errors import ConfigurationError

        raise ConfigurationError(
            "tokens outside a request need a token store; set it to a database URL "
            "(e.g. 'sqlite:///tokens.db') or a redis.Redis client",
            key="OAUTH2LOGIN_TOKEN_STORE",
        )
    return app_state.token_store


def revoke_stored(
    app_state: AppState, record: StoredToken, problems: list[str] | None = None
) -> bool:
    """Delete *record*'s login from the store, then revoke its token at the
    provider (best effort); whether the provider confirmed.

    :param problems: where to add why the revocation failed, if it did.
    """
    try:
        token = from_record(app_state, record)
    except DecryptionFailed:
        token = None
    delete_record(app_state, record.key)
    if token is None:
        if problems is not None:
            problems.append("the stored token opens with none of the configured keys")
        return False
    return revoke_tokens(app_state, {record.provider: token}, problems)


def end_login(app_state: AppState, key: TokenKey, login: str | None) -> Token | None:
    """Delete the stored login *key* if it is still the one *login* names (a
    newer login of the same person, from another session, stays); the token
    it held, for revoking, if it was deleted.

    :raises TokenStoreUnavailable: if the store is down; nothing changed then.
    """
    record = get_record(app_state, key, fresh=True)
    if record is None:
        return None
    try:
        token, found = open_record(app_state, record)
    except DecryptionFailed:
        return None  # whose it is cannot be told here: it stays
    if found != login:
        return None
    if not delete_record(app_state, key, expected_version=record.version):
        return None  # changed meanwhile: a refresh or a newer login; that one stays
    return token


#: Logins that ended while the token store was down, per store: each one's
#: key and login id, deleted and revoked by :func:`retry_ended`.
_ENDED_LATER: weakref.WeakKeyDictionary[TokenStore, dict[TokenKey, str | None]] = (
    weakref.WeakKeyDictionary()
)
_ENDED_LOCK = threading.Lock()


def end_later(app_state: AppState, key: TokenKey, login: str | None) -> None:
    """Note that the stored login *key* ended while the token store was down:
    :func:`retry_ended` deletes and revokes it once the store answers."""
    log.warning(
        "Could not end the stored %s login (the token store is unavailable); this process "
        "retries when the store answers again (else: flask oauth2login tokens --provider %s "
        "--subject %s --revoke).",
        key,
        key.provider,
        key.subject,
    )
    with _ENDED_LOCK:
        _ENDED_LATER.setdefault(require_store(app_state), {})[key] = login


def retry_ended(app_state: AppState) -> None:
    """End the stored logins :func:`end_later` noted, and revoke their
    tokens; those the store still cannot take stay noted."""
    store = app_state.token_store
    if store is None or store not in _ENDED_LATER:
        return
    with _ENDED_LOCK:
        waiting = _ENDED_LATER.pop(store, None)
    if not waiting:
        return
    for key, login in waiting.items():
        try:
            token = end_login(app_state, key, login)
        except TokenStoreUnavailable:
            with _ENDED_LOCK:
                _ENDED_LATER.setdefault(store, {})[key] = login
            continue
        log.info("Ended the stored %s login, noted while the store was down.", key)
        if token is not None:
            revoke_tokens(app_state, {key.provider: token})


def revoke_tokens(
    app_state: AppState,
    tokens: t.Mapping[str, t.Mapping[str, t.Any]],
    problems: list[str] | None = None,
) -> bool:
    """Revoke *tokens*, by provider name, at their providers (RFC 7009),
    best effort; whether every provider confirmed. A provider that is down
    or does not confirm is logged; one no longer configured cannot be asked,
    which is logged too. Why each failed is added to *problems*."""
    confirmed = True
    for name, token in tokens.items():
        provider = app_state.providers.get(name)
        if provider is None:
            log.warning("Could not revoke the %s token: no such provider is configured.", name)
            if problems is not None:
                problems.append(f"no provider called {name!r} is configured")
            confirmed = False
        elif not provider.revoke_token(token, problems):
            confirmed = False
    return confirmed


def reseal_stored(app_state: AppState, *, delete_unreadable: bool = False) -> dict[str, int]:
    """Seal every stored token that is not sealed with the first key anew
    with it (``flask oauth2login rotate-keys``).

    Returns how many were ``resealed``, were ``current`` already, changed
    meanwhile (``skipped``: a refresh or login writes with the first key
    anyway) and could not be opened (``unreadable``; ``deleted`` with
    *delete_unreadable*).
    """
    store = require_store(app_state)
    counts = dict.fromkeys(("resealed", "current", "skipped", "unreadable", "deleted"), 0)
    for record in store.find():
        if app_state.cipher.is_current(record.sealed):
            counts["current"] += 1
            continue
        try:
            token, login = open_record(app_state, record)
        except DecryptionFailed:
            counts["unreadable"] += 1
            if delete_unreadable and delete_record(app_state, record.key, record.version):
                counts["deleted"] += 1
            continue
        done = store.replace(to_record(app_state, record.key, token, login), record.version)
        app_state.recent.forget(record.key)
        counts["resealed" if done is not None else "skipped"] += 1
    return counts
