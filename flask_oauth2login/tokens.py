"""Tokens and the user in the server-side session or the token store, and refreshing them.

The session holds, per provider, the token the provider issued (access
token, refresh token, expiry, ID token, granted scope) and the normalized
user, and which login is the most recent. None of it ever reaches the
browser: the session cookie carries only the session id.

**At rest, tokens are sealed** (:mod:`~flask_oauth2login.crypto`): what
grants anything (access, refresh and ID tokens) is encrypted and bound to
the login's provider, issuer and subject; only :data:`PUBLIC_FIELDS` (who,
and until when) are kept readable next to it. A value that no configured
key opens ends that login ("log in again"), never the request.

**With a token store** (``OAUTH2LOGIN_TOKEN_STORE``) every login also saves
its token in the store under (provider, issuer, subject), and the session
keeps only that reference: the store is the one source of truth, for
requests and for jobs that run with no request (:func:`stored`).

**A refresh is single-flight**, whoever asks for it: the requests (and
jobs, threads, processes) that find one token expired at the same moment
wait for the first one's refresh and use its result. One function,
:func:`refresh`, does it for both places a token can be (a :class:`Holder`):
:class:`SessionHolder` coordinates through the app's
:mod:`~flask_oauth2login.coordination` backend; :class:`StoreHolder` through
the store's lock, and writes the new token with a compare-and-swap before
anything uses it, so a provider that rotates refresh tokens never has its
new one lost, even when the process dies right after. When the place to
write it is down, the new token is kept in this process (:attr:`AppState.unsaved
<flask_oauth2login.state.AppState.unsaved>`) until it can be written.
"""

from __future__ import annotations

import abc
import copy
import hashlib
import logging
import time
import typing as t

from flask import g, session

from .crypto import DecryptionFailed
from .errors import (
    InvalidToken,
    NotLoggedInError,
    OAuth2LoginError,
    RefreshError,
    SessionStoreUnavailable,
    TokenStoreUnavailable,
)
from .signals import current_sender, token_refreshed
from .state import AppState, get_state
from .store import StoredToken, TokenKey, TokenStore
from .user import User

log = logging.getLogger(__name__)

#: Session key of the tokens, a dict of provider name to token (sealed).
TOKENS_KEY = "_oauth2login_tokens"
#: Session key of the logged-in user (a plain dict): the most recent login's.
USER_KEY = "_oauth2login_user"
#: Session key of the users of the session's logins, a dict of provider name
#: to user (plain dicts), the oldest login first and the most recent last.
USERS_KEY = "_oauth2login_users"
#: Fields of a token kept readable next to the sealed rest: they say whose
#: token it is (``sid``: the login's session at the provider, which
#: back-channel logout looks for) and until when, and grant nothing.
PUBLIC_FIELDS = ("iss", "sub", "sid", "expires_at", "scope")
#: Of those, the fields a session entry that refers to the token store
#: keeps; the rest is the store's to say.
REFERENCE_FIELDS = ("iss", "sub", "sid")
#: Of those, the fields the token store keeps readable (its columns).
_STORE_FIELDS = ("iss", "sub", "expires_at", "scope")
#: Field of a session entry that holds the sealed rest of the token.
SEALED = "sealed"
#: Field of a session entry whose token is in the token store.
STORED = "stored"
#: ``g`` attribute: the store writes of this request's login, to undo.
_UNDO = "_oauth2login_store_undo"


# -- sealing ------------------------------------------------------------------


def seal(
    state: AppState,
    key: TokenKey,
    token: t.Mapping[str, t.Any],
    public_fields: t.Sequence[str] = PUBLIC_FIELDS,
) -> dict[str, t.Any]:
    """*token* as kept at rest: the *public_fields* it has as they are, the
    rest sealed for *key*'s login under :data:`SEALED`."""
    public = {name: token[name] for name in public_fields if _plain(token.get(name, ()))}
    secret = {name: value for name, value in token.items() if name not in public}
    return {**public, SEALED: state.cipher.seal(secret, key.context)}


def unseal(state: AppState, key: TokenKey, entry: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The token a :func:`seal` result holds.

    :raises DecryptionFailed: if no configured key opens it.
    """
    secret = state.cipher.open(entry[SEALED], key.context)
    if not isinstance(secret, dict):
        raise DecryptionFailed("not a token")
    return {**secret, **{name: entry[name] for name in PUBLIC_FIELDS if name in entry}}


def _plain(value: t.Any) -> bool:
    """Whether *value* can be kept as it is next to a sealed token (or a
    column): a string, a number or nothing."""
    return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))


def _key_of(provider: str, token: t.Mapping[str, t.Any]) -> TokenKey:
    return TokenKey(provider, str(token.get("iss") or ""), str(token.get("sub") or ""))


def _record(state: AppState, key: TokenKey, token: t.Mapping[str, t.Any]) -> StoredToken:
    expires_at = token.get("expires_at")
    if isinstance(expires_at, float):
        token = {**token, "expires_at": int(expires_at)}
    scope = token.get("scope")
    if scope is not None and not isinstance(scope, str):
        token = {**token, "scope": " ".join(map(str, scope))}
    entry = seal(state, key, token, _STORE_FIELDS)
    return StoredToken(
        provider=key.provider,
        issuer=key.issuer,
        subject=key.subject,
        sealed=entry[SEALED],
        scope=entry.get("scope"),
        expires_at=entry.get("expires_at"),
    )


def _from_record(state: AppState, record: StoredToken) -> dict[str, t.Any]:
    entry: dict[str, t.Any] = {
        "iss": record.issuer,
        "sub": record.subject,
        "expires_at": record.expires_at,
        SEALED: record.sealed,
    }
    if record.scope is not None:
        entry["scope"] = record.scope
    return unseal(state, record.key, entry)


# -- where a token is -------------------------------------------------------------


class Holder(abc.ABC):
    """One place a token is kept, as :func:`refresh` needs it."""

    #: The provider the token is for.
    provider: str

    def __init__(self, state: AppState, provider: str) -> None:
        self.state = state
        self.provider = provider

    @abc.abstractmethod
    def load(self, fresh: bool = False) -> dict[str, t.Any] | None:
        """The token as kept now, or ``None`` (gone, or unreadable: then
        forgotten); *fresh*: as the store has it this instant, not as this
        process read it a moment ago."""

    @abc.abstractmethod
    def refreshed(self, stale: t.Mapping[str, t.Any]) -> dict[str, t.Any] | None:
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

    def _unsaved(self, slot: str, stale: t.Mapping[str, t.Any]) -> dict[str, t.Any] | None:
        """A refreshed token this process could not write yet."""
        return _usable(self.state, _open_slot(self.state, slot, self.state.unsaved), stale)

    def _stash(self, slot: str, token: t.Mapping[str, t.Any]) -> None:
        """Keep *token* in this process until it can be written."""
        self.state.unsaved.set_result(slot, _sealed_slot(self.state, slot, token), _ttl(token))


class SessionHolder(Holder):
    """The token in the current session (no token store).

    Refreshes are coordinated through the app's coordinator: a lock and a
    result slot per refresh token used, so any request (in any process
    sharing the store) holding the old token finds the new one, also one
    that loaded the session before the refresh was saved.
    """

    def load(self, fresh: bool = False) -> dict[str, t.Any] | None:
        entry = session.get(TOKENS_KEY, {}).get(self.provider)
        if not entry:
            return None
        if SEALED not in entry:  # kept in plain text by an earlier version
            token = dict(entry)
            self.save(token)
            return token
        key = _key_of(self.provider, entry)
        try:
            token = unseal(self.state, key, entry)
        except DecryptionFailed as exc:
            log.info("The %s token in the session does not open (%s); log in again.", key, exc)
            _forget_in_session(self.provider)
            return None
        if not self.state.cipher.is_current(entry[SEALED]):
            self.save(token)  # sealed anew with the key that encrypts now
        return token

    def refreshed(self, stale: t.Mapping[str, t.Any]) -> dict[str, t.Any] | None:
        slot = self._slot(stale)
        found = _usable(self.state, _open_slot(self.state, slot, self.state.coordinator), stale)
        return found or self._unsaved(slot, stale)

    def lock(self, stale: t.Mapping[str, t.Any], wait: float) -> t.ContextManager[bool]:
        return self.state.coordinator.lock(self._slot(stale), wait)

    def keep(self, stale: t.Mapping[str, t.Any], token: t.Mapping[str, t.Any]) -> None:
        slot = self._slot(stale)
        try:
            self.state.coordinator.set_result(
                slot, _sealed_slot(self.state, slot, token), _ttl(token)
            )
        except SessionStoreUnavailable:
            self._stash(slot, token)  # the next request of this session takes it
            raise

    def save(self, token: t.Mapping[str, t.Any]) -> None:
        save_token(self.provider, token)

    def forget(self, stale: t.Mapping[str, t.Any]) -> None:
        forget(self.provider)


class StoreHolder(Holder):
    """The token of one login in the token store.

    :param key: the login.
    :param in_session: whether the current session refers to it (then the
        session forgets it too when the login ends).
    :param record: the record, if just read.
    """

    def __init__(
        self,
        state: AppState,
        key: TokenKey,
        *,
        in_session: bool = False,
        record: StoredToken | None = None,
    ) -> None:
        super().__init__(state, key.provider)
        assert state.token_store is not None
        self.store: TokenStore = state.token_store
        self.key = key
        self.in_session = in_session
        #: The record as first read, if it was read already.
        self.record = record
        self._record = record
        #: The version of the record each token loaded came from, by access token.
        self._versions: dict[str, int] = {}

    def load(self, fresh: bool = False) -> dict[str, t.Any] | None:
        record, self._record = self._record, None
        if record is None or fresh:
            record = _get(self.state, self.key, fresh=fresh)
        if record is None:
            self._gone()
            return None
        try:
            token = _from_record(self.state, record)
        except DecryptionFailed as exc:
            # The record stays: a process missing a key must not destroy it.
            log.info("The stored %s token does not open (%s); log in again.", self.key, exc)
            self._gone()
            return None
        self._versions[str(token.get("access_token"))] = record.version
        return token

    def refreshed(self, stale: t.Mapping[str, t.Any]) -> dict[str, t.Any] | None:
        record = _get(self.state, self.key, fresh=True)
        if record is None:
            self._gone()
            raise NotLoggedInError(
                f"The {self.provider!r} login has ended meanwhile; please log in again.",
                provider=self.provider,
            )
        if record.version != self._version(stale):
            try:
                token = _usable(self.state, _from_record(self.state, record), stale)
            except DecryptionFailed:
                token = None
            if token is not None:
                self._versions[str(token["access_token"])] = record.version
                return token
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
        _delete(self.state, self.key, expected_version=self._version(stale))
        self._gone()

    def _write(self, stale: t.Mapping[str, t.Any], token: t.Mapping[str, t.Any]) -> None:
        record = _record(self.state, self.key, token)
        try:
            version = self.store.replace(record, self._version(stale))
        finally:
            self.state.recent.forget(self.key)
        if version is None:
            # Written over by a login meanwhile, or deleted by a logout: that
            # wins; this token serves the call that asked for it, no more.
            log.info("The stored %s token changed during its refresh; kept the newer.", self.key)
            return
        self._versions[str(token["access_token"])] = version
        self.state.unsaved.set_result(self._stash_slot(stale), {}, 1)  # written: drop it

    def _version(self, stale: t.Mapping[str, t.Any]) -> int:
        return self._versions.get(str(stale.get("access_token")), -1)

    def _stash_slot(self, stale: t.Mapping[str, t.Any]) -> str:
        return f"{self.key.digest}:{self._slot(stale)}"

    def _gone(self) -> None:
        if self.in_session:
            _forget_in_session(self.provider)


def _get(state: AppState, key: TokenKey, *, fresh: bool) -> StoredToken | None:
    """The record of *key*: as read lately by this process, unless *fresh*."""
    found = _find(state, key.provider, key.subject, key.issuer, fresh=fresh)
    return found[0] if found else None


def _find(
    state: AppState, provider: str, subject: str, issuer: str | None, *, fresh: bool
) -> list[StoredToken]:
    """The records of *subject*'s logins at *provider* (at *issuer*, if
    given): as read lately by this process, unless *fresh*."""
    if not fresh:
        found = state.recent.get(provider, subject, issuer)
        if found is not None:
            return found
    else:  # what was read before, with or without the issuer, is outdated
        state.recent.forget(TokenKey(provider, issuer or "", subject))
    store = require_store(state)
    if issuer is not None:
        record = store.get(TokenKey(provider, issuer, subject))
        found = [record] if record is not None else []
    else:
        found = store.find(provider=provider, subject=subject)
    state.recent.put(provider, subject, issuer, found)
    return found


def _set(state: AppState, record: StoredToken) -> None:
    try:
        require_store(state).set(record)
    finally:
        state.recent.forget(record.key)


def _delete(state: AppState, key: TokenKey, expected_version: int | None = None) -> bool:
    try:
        return require_store(state).delete(key, expected_version=expected_version)
    finally:
        state.recent.forget(key)


def _sealed_slot(state: AppState, slot: str, token: t.Mapping[str, t.Any]) -> dict[str, str]:
    """What a result slot holds: the token sealed for that slot only."""
    return {SEALED: state.cipher.seal(dict(token), f"refresh\0{slot}")}


def _open_slot(state: AppState, slot: str, slots: t.Any) -> dict[str, t.Any] | None:
    found = slots.get_result(slot)
    if not found or SEALED not in found:
        return None
    try:
        token = state.cipher.open(found[SEALED], f"refresh\0{slot}")
    except DecryptionFailed:
        return None
    return token if isinstance(token, dict) else None


def _usable(
    state: AppState, token: dict[str, t.Any] | None, stale: t.Mapping[str, t.Any]
) -> dict[str, t.Any] | None:
    """*token*, if it is another one than *stale* and has not expired."""
    if (
        token is None
        or token.get("access_token") == stale.get("access_token")
        # An older result: a refresh token that is not rotated is used again.
        or is_expired(token, state.settings.refresh_leeway)
    ):
        return None
    return token


def _ttl(token: t.Mapping[str, t.Any]) -> int:
    ttl = max(60, int((token.get("expires_at") or time.time() + 3600) - time.time()))
    return min(ttl, 3600)


# -- the session ------------------------------------------------------------------


def holder(provider: str, state: AppState | None = None) -> Holder | None:
    """Where the current session's token for *provider* is, or ``None``."""
    state = state or get_state()
    entry = session.get(TOKENS_KEY, {}).get(provider)
    if not entry:
        return None
    if not entry.get(STORED):
        if state.token_store is not None and SEALED in entry:
            # Logged in before the store was configured: move it there.
            token = SessionHolder(state, provider).load()
            if token is not None:
                save_token(provider, token)
            return holder(provider, state) if token is not None else None
        return SessionHolder(state, provider)
    if state.token_store is None:  # the store was configured away
        _forget_in_session(provider)
        return None
    return StoreHolder(state, _key_of(provider, entry), in_session=True)


def get_token(provider: str) -> dict[str, t.Any] | None:
    """The token for *provider* of the current session, or ``None``.

    :raises TokenStoreUnavailable: if it is in a token store that is down.
    """
    place = holder(provider)
    return None if place is None else place.load()


def held_tokens() -> dict[str, dict[str, t.Any]]:
    """Every token of the current session, by provider (for revocation)."""
    held = {}
    for provider in list(session.get(TOKENS_KEY, {})):
        token = get_token(provider)
        if token is not None:
            held[provider] = token
    return held


def save_token(provider: str, token: t.Mapping[str, t.Any]) -> None:
    """Keep *token* for *provider*: in the token store if there is one
    (the session then refers to it), else in the session.

    :raises TokenStoreUnavailable: if the store is down; nothing changed then.
    """
    state = get_state()
    key = _key_of(provider, token)
    if state.token_store is not None and key.issuer and key.subject:
        _set(state, _record(state, key, token))
        entry = {name: token[name] for name in REFERENCE_FIELDS if _plain(token.get(name, ()))}
        entry[STORED] = True
    else:
        entry = seal(state, key, token)
    tokens = dict(session.get(TOKENS_KEY, {}))
    tokens[provider] = entry
    session[TOKENS_KEY] = tokens


def get_user() -> User | None:
    """The user of the session's most recent login, or ``None``."""
    data = session.get(USER_KEY)
    return User(data) if data else None


def get_users() -> dict[str, User]:
    """The users of the session's logins, by provider, the most recent last."""
    return {provider: User(data) for provider, data in _users().items()}


def _users() -> dict[str, dict[str, t.Any]]:
    users = session.get(USERS_KEY)
    if users is None:  # a session stored before there was a users map
        user = session.get(USER_KEY)
        return {user["provider"]: user} if user else {}
    return dict(users)


def save_login(provider: str, user: User, token: t.Mapping[str, t.Any]) -> None:
    """Store a completed login, as the session's most recent one, in place of
    any earlier login with *provider* (the token store first: if it is down,
    the session is left as it was)."""
    state = get_state()
    if state.token_store is not None:
        key = _key_of(provider, token)
        # What the login writes over, put back if a hook refuses it (restore).
        undo = g.setdefault(_UNDO, [])
        undo.append((key, _get(state, key, fresh=True)))
    save_token(provider, token)
    users = {name: data for name, data in _users().items() if name != provider}
    users[provider] = user.to_dict()
    session[USERS_KEY] = users
    session[USER_KEY] = users[provider]


def forget(provider: str | None = None) -> list[str]:
    """Forget the login with *provider* (all when ``None``): its token and its
    user; stored tokens are deleted from the token store. The most recent
    login left, if any, gives :func:`get_user`. Returns the providers
    forgotten."""
    state = get_state()
    if state.token_store is not None:  # first: if the store is down, nothing changes
        for name, entry in session.get(TOKENS_KEY, {}).items():
            if entry.get(STORED) and provider in (None, name):
                _delete(state, _key_of(name, entry))
    return _forget_in_session(provider)


def _forget_in_session(provider: str | None) -> list[str]:
    """:func:`forget` in the session only."""
    tokens = dict(session.get(TOKENS_KEY, {}))
    names = list(tokens) if provider is None else [p for p in tokens if p == provider]
    for name in names:
        del tokens[name]
    if tokens:
        session[TOKENS_KEY] = tokens
    else:
        session.pop(TOKENS_KEY, None)
    users = _users()
    names.extend(p for p in users if (provider is None or p == provider) and p not in names)
    left = {name: data for name, data in users.items() if name not in names}
    if left:
        session[USERS_KEY] = left
        session[USER_KEY] = list(left.values())[-1]
    else:
        session.pop(USERS_KEY, None)
        session.pop(USER_KEY, None)
    return names


def granted_scope(state: AppState, provider: str) -> tuple[str, ...]:
    """The scopes the session's token for *provider* was granted (none
    without a token; the configured scope for a token that does not say)."""
    token = get_token(provider)
    if token is None:
        return ()
    config = state.client(provider).config
    return config.preset.granted_scope(token.get("scope"), config.scope)


def snapshot() -> dict[str, t.Any]:
    """The whole session as it is now, for :func:`restore`."""
    return copy.deepcopy(dict(session))


def restore(saved: t.Mapping[str, t.Any]) -> None:
    """Put the session back as a :func:`snapshot` saw it, after a refused
    login: its logins, and whatever hooks stored meanwhile (a Flask-Login
    user id, say). Tokens this request's logins wrote to the token store
    are put back as they were."""
    session.clear()
    session.update(copy.deepcopy(dict(saved)))
    state = get_state()
    undo = g.pop(_UNDO, [])
    if state.token_store is None:
        return
    for key, before in reversed(undo):
        if before is None:
            _delete(state, key)
        else:
            _set(state, before)


def is_expired(token: t.Mapping[str, t.Any], leeway: float) -> bool:
    """Whether *token* expires within *leeway* seconds (never, if its expiry is unknown)."""
    expires_at = token.get("expires_at")
    return expires_at is not None and expires_at - leeway <= time.time()


# -- outside a request ------------------------------------------------------------


def stored(
    state: AppState,
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
    state.client(provider)  # a configured provider, or ConfigurationError
    found = _find(state, provider, str(subject), issuer, fresh=fresh)
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
    return StoreHolder(state, found[0].key, record=found[0])


def require_store(state: AppState) -> TokenStore:
    """The app's token store.

    :raises ConfigurationError: if it has none.
    """
    if state.token_store is None:
        from .errors import ConfigurationError

        raise ConfigurationError(
            "tokens outside a request need a token store; set it to a database URL "
            "(e.g. 'sqlite:///tokens.db') or a redis.Redis client",
            key="OAUTH2LOGIN_TOKEN_STORE",
        )
    return state.token_store


def revoke_stored(state: AppState, record: StoredToken) -> bool:
    """Delete *record*'s login from the store, then revoke its token at the
    provider (best effort); whether the provider confirmed."""
    try:
        token = _from_record(state, record)
    except DecryptionFailed:
        token = None
    _delete(state, record.key)
    return token is not None and revoke_at_provider(state, record.provider, token)


def reseal_stored(state: AppState, *, delete_unreadable: bool = False) -> dict[str, int]:
    """Seal every stored token that is not sealed with the first key anew
    with it (``flask oauth2login rotate-keys``).

    Returns how many were ``resealed``, were ``current`` already, changed
    meanwhile (``skipped``: a refresh or login writes with the first key
    anyway) and could not be opened (``unreadable``; ``deleted`` with
    *delete_unreadable*).
    """
    store = require_store(state)
    counts = dict.fromkeys(("resealed", "current", "skipped", "unreadable", "deleted"), 0)
    for record in store.find():
        if state.cipher.is_current(record.sealed):
            counts["current"] += 1
            continue
        try:
            token = _from_record(state, record)
        except DecryptionFailed:
            counts["unreadable"] += 1
            if delete_unreadable and _delete(state, record.key, record.version):
                counts["deleted"] += 1
            continue
        done = store.replace(_record(state, record.key, token), record.version)
        state.recent.forget(record.key)
        counts["resealed" if done is not None else "skipped"] += 1
    return counts


def revoke_at_provider(state: AppState, provider: str, token: t.Mapping[str, t.Any]) -> bool:
    """Revoke *token* at *provider* (RFC 7009), best effort: whether the
    provider confirmed it (``False`` also when it offers no revocation)."""
    try:
        client = state.client(provider)
        endpoints = state.endpoints(provider)
    except OAuth2LoginError:
        log.warning("Could not revoke the %s token: the provider is unavailable.", provider)
        return False
    if endpoints.revocation_url is None:
        return False
    confirmed = True
    for hint in ("refresh_token", "access_token"):
        if token.get(hint) and not client.revoke(endpoints, token[hint], hint):
            log.warning("The %s provider did not confirm revocation of a %s.", provider, hint)
            confirmed = False
    return confirmed


# -- refreshing -----------------------------------------------------------------


def fresh_token(state: AppState, place: Holder) -> dict[str, t.Any]:
    """The token *place* holds, refreshed first if it has expired.

    :raises NotLoggedInError: if there is none, or it expired and cannot be
        refreshed (the stale token is then forgotten).
    """
    token = place.load()
    if token is None:
        raise NotLoggedInError(
            f"Nobody is logged in with {place.provider!r}.", provider=place.provider
        )
    if is_expired(token, state.settings.refresh_leeway):
        token = refresh(state, place, token)
    return token


def refresh(state: AppState, place: Holder, stale: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Refresh *stale*, once for all concurrent requests and jobs.

    :raises RefreshError: if the provider refused; the login is forgotten.
    :raises SessionStoreUnavailable: if the store that coordinates or keeps
        the token is down (before anything reached the provider, or after:
        then the new token is kept in this process until the store is back).
    """
    provider = place.provider
    if not stale.get("refresh_token"):
        place.forget(stale)
        raise NotLoggedInError(
            f"The {provider!r} token has expired and cannot be refreshed; please log in again.",
            provider=provider,
        )
    token = place.refreshed(stale)
    if token is None:
        with place.lock(stale, state.settings.refresh_wait) as acquired:
            token = place.refreshed(stale)  # another one did it meanwhile
            if token is None:
                token = _refresh_once(state, place, stale, acquired)
    place.save(token)
    return token


def _refresh_once(
    state: AppState, place: Holder, stale: t.Mapping[str, t.Any], acquired: bool
) -> dict[str, t.Any]:
    """Refresh at the provider and keep the result for the others."""
    token: dict[str, t.Any] | None
    try:
        token = _refresh_at_provider(state, place.provider, stale)
    except RefreshError:
        # A provider that rotates refresh tokens refuses the second use of
        # one: if a concurrent refresh that did not wait for this lock (or
        # whose lock expired) won, its token is the answer, not a logout.
        token = place.refreshed(stale)
        if token is None and not acquired:
            with place.lock(stale, state.settings.refresh_wait):
                token = place.refreshed(stale)
        if token is None:
            place.forget(stale)
            raise
        return token
    place.keep(stale, token)  # before anything uses it
    token_refreshed.send(current_sender(), provider=place.provider, token=token)
    return token


def _refresh_at_provider(state: AppState, provider: str, stale: t.Mapping[str, t.Any]) -> dict:
    client = state.client(provider)
    endpoints = state.endpoints(provider)
    try:
        token = client.refresh(endpoints, stale["refresh_token"])
        if token.get("id_token"):
            _check_same_identity(state, provider, stale, token)
        elif stale.get("id_token"):  # still the hint for logging out at the provider
            token["id_token"] = stale["id_token"]
        for key in ("iss", "sub", "sid"):  # the identity (and session) it was issued for
            if key in stale:
                token[key] = stale[key]
        # The granted scope: as the provider says, else as it was (RFC 6749 §5.1).
        config = state.client(provider).config
        asked = str(stale["scope"]).split() if stale.get("scope") else config.scope
        token["scope"] = " ".join(config.preset.granted_scope(token.get("scope"), asked))
    except (RefreshError, InvalidToken) as exc:
        log.info("Refresh of the %s login refused; the login ends: %s", provider, exc)
        raise RefreshError(
            f"The provider {provider!r} refused to refresh the login; please log in again.",
            provider=provider,
        ) from None
    log.debug("Refreshed the %s token.", provider)
    return token


def _check_same_identity(
    state: AppState, provider: str, stale: t.Mapping[str, t.Any], token: t.Mapping[str, t.Any]
) -> None:
    """OpenID Connect Core §12.2: a refreshed ID token names the same iss and sub."""
    claims = state.client(provider).check_id_token(
        state.endpoints(provider),
        token["id_token"],
        leeway=state.settings.clock_skew,
        access_token=token["access_token"],
    )
    if claims.get("iss") != stale.get("iss") or claims.get("sub") != stale.get("sub"):
        raise InvalidToken(
            "The refreshed ID token names another issuer or subject.", provider=provider
        )


class HeldTokenSource:
    """Gives :class:`~flask_oauth2login.auth.BearerAuth` the token a
    :class:`Holder` keeps: the current session's, or a stored one.

    :param first: the token just loaded, used for the first request (so
        making the API session and its first call read the token once).
    """

    def __init__(
        self, state: AppState, place: Holder, first: t.Mapping[str, t.Any] | None = None
    ) -> None:
        self.state = state
        self.place = place
        self._first = dict(first) if first is not None else None

    @property
    def provider(self) -> str:
        return self.place.provider

    def access_token(self) -> str:
        token, self._first = self._first, None
        if token is not None and is_expired(token, self.state.settings.refresh_leeway):
            token = refresh(self.state, self.place, token)
        if token is None:
            token = fresh_token(self.state, self.place)
        return token["access_token"]  # type: ignore[no-any-return]

    def refresh(self, rejected: str) -> str | None:
        self._first = None
        token = self.place.load(fresh=True)  # refreshed or revoked meanwhile?
        if token is None or not token.get("refresh_token"):
            return None
        if token["access_token"] != rejected:  # refreshed meanwhile
            return token["access_token"]  # type: ignore[no-any-return]
        return refresh(self.state, self.place, token)["access_token"]  # type: ignore[no-any-return]
