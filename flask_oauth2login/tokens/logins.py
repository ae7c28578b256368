"""The session's logins: their tokens and users.

The session holds, per provider, the token the provider issued (access
token, refresh token, expiry, ID token, granted scope) and the normalized
user, and which login is the most recent. None of it ever reaches the
browser: the session cookie carries only the session id.

**At rest, tokens are sealed** (:mod:`~flask_oauth2login.tokens.sealing`); a value
that no configured key opens ends that login ("log in again"), never the
request.

**With a token store** (``OAUTH2LOGIN_TOKEN_STORE``) every login also saves
its token in the store under (provider, issuer, subject), and the session
keeps only that reference: the store is the one source of truth, for
requests and for jobs that run with no request
(:func:`~flask_oauth2login.tokens.holders.stored`). Each login has an id of
its own, sealed in the record and kept in the reference: a session whose
login was logged out elsewhere, or replaced by a newer login of the same
person, is logged out (:func:`get_user` is ``None``); it never takes up
another login's token.

Where the session's token for a provider is kept is a holder
(:func:`holder`): :class:`SessionHolder` or :class:`SessionStoreHolder`;
:mod:`~flask_oauth2login.tokens.refresh` refreshes it through that holder.
"""

from __future__ import annotations

import copy
import logging
import secrets
import time
import typing as t

from flask import g, has_request_context, session

from .._runtime import AppState, get_state
from ..crypto.cipher import DecryptionFailed
from ..errors import SessionStoreUnavailable, TokenStoreUnavailable
from ..protocol.provider import Provider
from ..protocol.token_answer import ID_TOKEN_SUB, Token
from ..signals import current_sender, logged_out
from ..tokenstore import TokenKey
from ..user import User
from .holders import Holder as Holder
from .holders import (
    StoreHolder,
    delete_record,
    end_later,
    end_login,
    get_record,
    retry_ended,
    set_record,
    slot_ttl,
)
from .holders import require_store as require_store
from .holders import reseal_stored as reseal_stored
from .holders import revoke_stored as revoke_stored
from .holders import revoke_tokens as revoke_tokens
from .holders import stored as stored
from .refresh import HeldTokenSource as HeldTokenSource
from .refresh import fresh_token as fresh_token
from .sealing import SEALED as SEALED
from .sealing import is_plain, key_of, open_slot, seal_slot, to_record
from .sealing import seal as seal
from .sealing import unseal as unseal

log = logging.getLogger(__name__)

#: Session key of the tokens, a dict of provider name to token (sealed).
TOKENS_KEY = "_oauth2login_tokens"
#: Session key of the logged-in user (a plain dict): the most recent login's.
USER_KEY = "_oauth2login_user"
#: Session key of the users of the session's logins, a dict of provider name
#: to user (plain dicts), the oldest login first and the most recent last.
USERS_KEY = "_oauth2login_users"
#: Session key of when each login was connected, a dict of provider name to
#: a timestamp (an update of the same identity keeps its time).
CONNECTED_KEY = "_oauth2login_connected"
#: Of :data:`~flask_oauth2login.tokens.sealing.PUBLIC_FIELDS`, the fields a
#: session entry that refers to the token store keeps; the rest is the store's
#: to say.
REFERENCE_FIELDS = ("iss", "sub", ID_TOKEN_SUB, "sid")
#: Field of a session entry whose token is in the token store.
STORED = "stored"
#: Field of such an entry: the id of its login (see the module).
LOGIN = "login"
#: ``g`` attribute: this request checked that its stored logins still live.
_CHECKED = "_oauth2login_logins_checked"
#: ``g`` attribute: the store writes of this request's login, to undo.
_UNDO = "_oauth2login_store_undo"


class SessionHolder(Holder):
    """The token in the current session, when there is no token store (or the
    login is one a store cannot hold: one with no issuer or subject).

    Refreshes are coordinated through the app's coordinator: a lock and a
    result slot per refresh token used, so any request (in any process
    sharing the store) holding the old token finds the new one, also one
    that loaded the session before the refresh was saved.

    Loading seals the token anew when it was kept in plain text by an
    earlier version or sealed with a key that no longer encrypts; a reference
    to a token store that was configured away ends the login.
    """

    def load(self, fresh: bool = False) -> Token | None:
        entry = session.get(TOKENS_KEY, {}).get(self.provider)
        if not entry:
            return None
        if entry.get(STORED):  # in a token store, configured away since
            _forget_in_session(self.provider)
            return None
        token = _open_entry(self.app_state, self.provider, entry)
        if token is not None and not _sealed_now(self.app_state, entry):
            self.save(token)
        return token

    def refreshed(self, stale: t.Mapping[str, t.Any]) -> Token | None:
        slot = self._slot(stale)
        found = self._usable(open_slot(self.app_state, slot, self.app_state.coordinator), stale)
        return found or self._unsaved(slot, stale)

    def lock(self, stale: t.Mapping[str, t.Any], wait: float) -> t.ContextManager[bool]:
        return self.app_state.coordinator.lock(self._slot(stale), wait)

    def keep(self, stale: t.Mapping[str, t.Any], token: t.Mapping[str, t.Any]) -> None:
        slot = self._slot(stale)
        try:
            self.app_state.coordinator.set_result(
                slot, seal_slot(self.app_state, slot, token), slot_ttl(token)
            )
        except SessionStoreUnavailable:
            self._stash(slot, token)  # the next request of this session takes it
            raise

    def save(self, token: t.Mapping[str, t.Any]) -> None:
        save_token(self.provider, token)

    def forget(self, stale: t.Mapping[str, t.Any]) -> None:
        forget(self.provider)


class SessionStoreHolder(StoreHolder):
    """The token store's holder of the current session's login: when the
    login ends there, the session forgets it too.

    :param login: the id of the session's login: a record another login
        wrote (the same person's, from another session) is not this one's.
    :param move: the session still holds the token itself (a login from
        before the store was configured): the first load, in the request,
        moves it into the store; from then on every load, lock and write
        goes to the store, also after the request.
    """

    def __init__(
        self, app_state: AppState, key: TokenKey, *, login: str | None = None, move: bool = False
    ) -> None:
        super().__init__(app_state, key)
        self.login = login
        self._move = move

    def load(self, fresh: bool = False) -> Token | None:
        if self._move:
            self._move = False
            entry = session.get(TOKENS_KEY, {}).get(self.provider)
            if entry and not entry.get(STORED):
                token = _open_entry(self.app_state, self.provider, entry)
                if token is None:
                    return None
                save_token(self.provider, token)  # the session now refers to the store
                self.login = session[TOKENS_KEY][self.provider].get(LOGIN)
        return super().load(fresh)

    def _ours(self, login: str | None) -> bool:
        return login == self.login

    def _gone(self) -> None:
        _forget_in_session(self.provider)


def _open_entry(app_state: AppState, provider: str, entry: t.Mapping[str, t.Any]) -> Token | None:
    """The token a session entry holds itself: sealed, or in plain text from an
    earlier version. ``None``, and the login forgotten, if it does not open."""
    if SEALED not in entry:
        return Token(entry)
    key = key_of(provider, entry)
    try:
        return unseal(app_state, key, entry)
    except DecryptionFailed as exc:
        log.info("The %s token in the session does not open (%s); log in again.", key, exc)
        _forget_in_session(provider)
        return None


def _sealed_now(app_state: AppState, entry: t.Mapping[str, t.Any]) -> bool:
    """Whether *entry* is sealed with the key that encrypts now."""
    return SEALED in entry and app_state.cipher.is_current(entry[SEALED])


# -- the session ------------------------------------------------------------------


def holder(provider: str, app_state: AppState | None = None) -> Holder | None:
    """Where the current session's token for *provider* is, or ``None``.
    Nothing is written here: a token that belongs in the token store but is
    still in the session moves there on its holder's first load."""
    app_state = app_state or get_state()
    entry = session.get(TOKENS_KEY, {}).get(provider)
    if not entry:
        return None
    if app_state.token_store is not None:
        key = key_of(provider, entry)
        if entry.get(STORED):
            return SessionStoreHolder(app_state, key, login=entry.get(LOGIN))
        if key.issuer and key.subject:
            return SessionStoreHolder(app_state, key, move=True)
    return SessionHolder(app_state, provider)


def get_token(provider: str) -> Token | None:
    """The token for *provider* of the current session, or ``None``.

    :raises TokenStoreUnavailable: if it is in a token store that is down.
    """
    place = holder(provider)
    return None if place is None else place.load()


def held_tokens(*, reachable_only: bool = False) -> dict[str, Token]:
    """Every token of the current session, by provider (for revocation).

    :param reachable_only: leave out the tokens of a token store that is
        down, rather than raise :class:`TokenStoreUnavailable`.
    """
    held = {}
    for provider in list(session.get(TOKENS_KEY, {})):
        try:
            token = get_token(provider)
        except TokenStoreUnavailable:
            if not reachable_only:
                raise
            continue
        if token is not None:
            held[provider] = token
    return held


def save_token(provider: str, token: t.Mapping[str, t.Any]) -> None:
    """Keep *token* for *provider*: in the token store if there is one
    (the session then refers to it), else in the session.

    :raises TokenStoreUnavailable: if the store is down; nothing changed then.
    """
    app_state = get_state()
    key = key_of(provider, token)
    if app_state.token_store is not None and key.issuer and key.subject:
        login = secrets.token_urlsafe(16)  # this login's own id
        set_record(app_state, to_record(app_state, key, token, login))
        entry = {name: token[name] for name in REFERENCE_FIELDS if is_plain(token.get(name, ()))}
        entry[STORED] = True
        entry[LOGIN] = login
    else:
        entry = seal(app_state, key, token)
    tokens = dict(session.get(TOKENS_KEY, {}))
    tokens[provider] = entry
    session[TOKENS_KEY] = tokens


def get_user() -> User | None:
    """The user of the session's most recent login, or ``None``."""
    check_logins()
    data = session.get(USER_KEY)
    return User(data) if data else None


def get_users() -> dict[str, User]:
    """The users of the session's logins, by provider, the most recent last."""
    check_logins()
    return {provider: User(data) for provider, data in _users().items()}


def check_logins() -> None:
    """With a token store, once per request: forget the session's logins
    that ended elsewhere (logged out in another session, by a job, or
    replaced by a newer login of the same person), and send ``logged_out``
    (``reason="ended"``) for each. While the store is down the session stays
    as it is (its tokens cannot be used meanwhile)."""
    if not has_request_context() or g.get(_CHECKED):
        return
    app_state = get_state()
    if app_state.token_store is None:
        return
    setattr(g, _CHECKED, True)
    retry_ended(app_state)
    for provider, entry in list(session.get(TOKENS_KEY, {}).items()):
        if not entry.get(STORED):
            continue
        place = SessionStoreHolder(app_state, key_of(provider, entry), login=entry.get(LOGIN))
        try:
            ended = place.load() is None  # then forgotten in the session by the load
        except TokenStoreUnavailable:
            log.warning("Could not check the %s login: the token store is unavailable.", provider)
            continue
        if ended:
            log.info("The %s login of this session ended elsewhere.", provider)
            logged_out.send(current_sender(), provider=provider, reason="ended")


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
    app_state = get_state()
    if app_state.token_store is not None:
        key = key_of(provider, token)
        # What the login writes over, put back if a hook refuses it (restore).
        undo = g.setdefault(_UNDO, [])
        undo.append((key, get_record(app_state, key, fresh=True)))
    save_token(provider, token)
    _note_connected(provider, user)
    users = {name: data for name, data in _users().items() if name != provider}
    users[provider] = user.to_dict()
    session[USERS_KEY] = users
    session[USER_KEY] = users[provider]


def _note_connected(provider: str, user: User) -> None:
    """Remember when the login with *provider* was connected, unless it is
    the same identity's again (a scope upgrade, a refresh of its login)."""
    before = _users()
    times = {name: at for name, at in session.get(CONNECTED_KEY, {}).items() if name in before}
    same = provider in before and User(before[provider]).id == user.id
    if not same or provider not in times:
        times[provider] = int(time.time())
    session[CONNECTED_KEY] = times


def connected_at(provider: str) -> int | None:
    """When the session's login with *provider* was connected (a timestamp),
    or ``None`` (not logged in with it, or logged in before this was kept)."""
    if provider not in _users():
        return None
    return t.cast(int | None, session.get(CONNECTED_KEY, {}).get(provider))


def forget(
    provider: str | None = None,
    *,
    later: bool = False,
    ended: dict[str, Token] | None = None,
) -> list[str]:
    """Forget the login with *provider* (all when ``None``): its token and its
    user; stored tokens are deleted from the token store (if they are still
    this session's login's). The most recent login left, if any, gives
    :func:`get_user`. Returns the providers forgotten.

    :param later: if the token store is down, end the stored logins when it
        answers again (:func:`~flask_oauth2login.tokens.holders.end_later`)
        rather than raise :class:`TokenStoreUnavailable` with nothing changed.
    :param ended: where to put, by provider, the tokens deleted from the
        store (as the store held them: newer than a copy read before, if
        another process refreshed them meanwhile), for revoking.
    """
    end_stored(stored_logins(provider), later=later, ended=ended)
    return _forget_in_session(provider)


def stored_logins(provider: str | None = None) -> list[tuple[TokenKey, str | None]]:
    """The session's logins (with *provider*, if given) in the token store:
    each one's key and id."""
    if get_state().token_store is None:
        return []
    return [
        (key_of(name, entry), entry.get(LOGIN))
        for name, entry in session.get(TOKENS_KEY, {}).items()
        if entry.get(STORED) and provider in (None, name)
    ]


def end_stored(
    found: t.Sequence[tuple[TokenKey, str | None]],
    *,
    later: bool = False,
    keep: TokenKey | None = None,
    ended: dict[str, Token] | None = None,
) -> None:
    """Delete the stored logins *found* (see :func:`stored_logins`) from the
    token store, each only if it is still that login (a newer one of the same
    person stays); *keep*: the key of a login just written, which stays.

    :param later: see :func:`forget`.
    :param ended: see :func:`forget`.
    """
    app_state = get_state()
    for key, login in found:
        if key == keep:
            continue
        try:
            token = end_login(app_state, key, login)
        except TokenStoreUnavailable:
            if not later:
                raise
            end_later(app_state, key, login)
            continue
        if token is not None and ended is not None:
            ended[key.provider] = token


def newer_than(
    held: t.Mapping[str, t.Mapping[str, t.Any]], ended: t.Mapping[str, Token]
) -> dict[str, Token]:
    """Of the tokens the token store *ended* with (see :func:`forget`), by
    provider, those that are not the ones *held* (read before): refreshed
    meanwhile by another process, so still to be revoked."""
    return {
        name: token
        for name, token in ended.items()
        if (held.get(name) or {}).get("access_token") != token.get("access_token")
    }


def forget_in_session(provider: str | None = None) -> list[str]:
    """:func:`forget` in the session only (the token store is left as it is)."""
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


def granted_scope(provider: Provider) -> tuple[str, ...]:
    """The scopes the session's token for *provider* was granted (none
    without a token; the configured scope for a token that does not say)."""
    token = get_token(provider.name)
    if token is None:
        return ()
    config = provider.config
    return config.preset.granted_scope(token.get("scope"), config.scope)


def snapshot() -> dict[str, t.Any]:
    """The whole session as it is now, for :func:`restore`; from now on the
    token store writes of logins are noted, for :func:`restore` to take back
    (those of earlier logins of this app context are not theirs)."""
    g.pop(_UNDO, None)
    return copy.deepcopy(dict(session))


def restore(saved: t.Mapping[str, t.Any]) -> None:
    """Put the session back as a :func:`snapshot` saw it, after a refused
    login: its logins, and whatever hooks stored meanwhile (a Flask-Login
    user id, say). Tokens this request's logins wrote to the token store
    are put back as they were."""
    session.clear()
    session.update(copy.deepcopy(dict(saved)))
    app_state = get_state()
    undo = g.pop(_UNDO, [])
    if app_state.token_store is None:
        return
    for key, before in reversed(undo):
        if before is None:
            delete_record(app_state, key)
        else:
            set_record(app_state, before)
