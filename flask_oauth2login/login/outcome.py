"""Storing a checked login in the session: one person per session.

The callback, the connect confirmation and
:func:`flask_oauth2login.testing.login_as` all store a login with
:func:`commit`. What it does depends on what the session holds
(:func:`decide`):

``fresh``
    The session holds no login, or the new one is another person's at a
    provider the session already holds. The earlier logins end first: the
    session is emptied (like Django's ``login()`` does for another user),
    ``logged_out`` is sent for them, and their tokens are revoked where the
    provider offers revocation (best effort). One session never holds two
    people's tokens.
``update``
    The identity (issuer, subject) is the one the session holds for that
    provider: its token is replaced (a scope upgrade, say); the other
    logins stay.
``connect``
    Another provider, and the login was started from this site (a ``POST``,
    ``Sec-Fetch-Site: same-origin`` or this site's ``Origin``; see
    :mod:`~flask_oauth2login.csrf`), or the person confirmed it: the login joins the others.
``ask``
    Another provider, started from anywhere else: the login is held (at most
    the login timeout) and the person is asked, on this site's
    ``/connect`` page, to connect it (``connect``) or to use it alone
    (``fresh``). Another site can thus never attach an identity to someone's
    session (the class of OmniAuth's CVE-2015-9284). Its token is sealed
    like every token at rest; it is dropped, and revoked, when the person
    cancels, at logout, when another login commits, and once it has
    expired, at the session's next request
    (:mod:`~flask_oauth2login.login.held_login`).

:func:`linking` tells ``on_login`` hooks (the Flask-Login bridge) whether
the login may be linked to the app user logged in before it.
"""

from __future__ import annotations

import logging
import time
import typing as t

from flask import g, has_app_context, session

from .._runtime import AppState
from ..protocol.token_answer import Token
from ..sessions.logout_index import FILED_KEY
from ..sessions.setup import regenerate
from ..signals import current_sender, logged_in, logged_out
from ..tokens import logins
from ..tokens.sealing import key_of
from ..user import User
from . import logout, pending
from .held_login import HELD_KEY, revoke_held

if t.TYPE_CHECKING:  # pragma: no cover
    from ..protocol.provider import Provider

log = logging.getLogger(__name__)

#: The kinds of commit (see the module docstring).
FRESH, UPDATE, CONNECT, ASK = "fresh", "update", "connect", "ask"

#: Session key of the scopes providers lately did not grant, by provider:
#: ``{"scope": [...], "at": <time>}`` (the loop guard of incremental
#: authorization).
REFUSED_KEY = "_oauth2login_refused_scopes"
#: Session keys a fresh login keeps: the browser's own logins in flight, and
#: what the session was filed under in the logout index (taken out of it
#: when the new login is filed).
_KEPT_BY_FRESH = (pending.SESSION_KEY, pending.COMPLETED_KEY, FILED_KEY)
#: Where :func:`linking` finds the commit in progress (request-local).
_G_COMMIT = "_oauth2login_commit"


def decide(provider: str, user: User, *, started_here: bool) -> str:
    """Where a checked login of *user* with *provider* goes: :data:`FRESH`,
    :data:`UPDATE`, :data:`CONNECT` or :data:`ASK`."""
    users = logins.get_users()
    if not users:
        return FRESH
    current = users.get(provider)
    if current is not None:
        return UPDATE if current.id == user.id else FRESH
    if started_here or any(u.id == user.id for u in users.values()):
        return CONNECT
    return ASK


def commit(
    app_state: AppState,
    provider: Provider,
    user: User,
    token: t.Mapping[str, t.Any],
    *,
    kind: str,
    linking: bool,
    asked: t.Sequence[str] | None = None,
    hooks: bool = True,
    revoke: bool = True,
) -> t.Any:
    """Store a checked login as *kind* says; run the ``on_login`` hooks and
    send ``logged_in`` (and ``logged_out`` for the logins it ended).

    Returns what a hook returned (a response to show), if anything.

    :param kind: :data:`FRESH`, :data:`UPDATE` or :data:`CONNECT`.
    :param linking: whether the login was started from this site or
        confirmed by the person (see :func:`linking`).
    :param asked: the scopes the login asked for; what the provider did not
        grant of them is remembered for :func:`lately_refused`.
    :param revoke: revoke the tokens of the logins a fresh login ends.
    :raises LoginError: if a hook refused the login; the session is then as
        it was before.
    """
    name = provider.name
    before = logins.snapshot()
    dropped = session.get(HELD_KEY)  # replaced by this login: revoked once it commits
    ended: dict[str, t.Any] = {}
    ended_stored: list[tuple[t.Any, str | None]] = []
    token = Token(token)
    if kind == FRESH and (logins.get_users() or session.get(logins.TOKENS_KEY)):
        ended = logins.held_tokens()
        # Out of the store only once the hooks accept the new login.
        ended_stored = logins.stored_logins()
        ended_names = logins.forget_in_session()
        kept = {key: session[key] for key in _KEPT_BY_FRESH if key in session}
        session.clear()
        session.update(kept)
        linking = False  # another person's app user must not get this identity
    else:
        ended_names = []
        old = logins.get_token(name) if kind == UPDATE else None
        if old and old.get("refresh_token") and not token.get("refresh_token"):
            token["refresh_token"] = old["refresh_token"]  # still the same grant's
    session.pop(HELD_KEY, None)
    regenerate()
    logins.save_login(name, user, token)
    _note_refused(provider, asked, token.scope)
    app = current_sender()
    setattr(g, _G_COMMIT, linking)
    try:
        response = None
        if hooks:
            try:
                for hook in app_state.login_hooks:
                    result = hook(name, user, token)
                    if result is not None:
                        response = result
            except BaseException:
                # A refused login, or a hook that failed, leaves the logins it found.
                logins.restore(before)
                raise
            for ended_name in ended_names:
                logged_out.send(app, provider=ended_name, reason="replaced")
    finally:
        delattr(g, _G_COMMIT)
    stored_ended: dict[str, Token] = {}
    logins.end_stored(ended_stored, later=True, keep=key_of(name, token), ended=stored_ended)
    if dropped:
        revoke_held(app_state, dropped, "another login took its place")
    # Under its new id: where a back-channel logout will look for it.
    logout.file_login(app_state)
    log.info("Logged in %s:%s (%s).", name, user["sub"], kind)
    if hooks:
        logged_in.send(app, provider=name, user=user, token=token)
    if revoke:
        logins.revoke_tokens(app_state, ended)
        # Refreshed by another process since they were read: those too.
        logins.revoke_tokens(app_state, logins.newer_than(ended, stored_ended))
    return response


def linking() -> bool | None:
    """While :func:`commit` runs the ``on_login`` hooks: whether this login
    may be linked to the app user logged in before it (it was started from
    this site, or the person confirmed it, and it does not replace another
    person's logins). ``None`` outside a commit."""
    value = getattr(g, _G_COMMIT, None) if has_app_context() else None
    return None if value is None else bool(value)


# -- the loop guard of incremental authorization ------------------------------------


def _note_refused(provider: Provider, asked: t.Sequence[str] | None, granted: str | None) -> None:
    """Remember the scopes *provider* did not grant of those *asked*."""
    refused = dict(session.get(REFUSED_KEY, {}))
    missing = provider.config.preset.missing_scopes(asked or (), (granted or "").split())
    if missing:
        refused[provider.name] = {"scope": list(missing), "at": time.time()}
    else:
        refused.pop(provider.name, None)
    if refused:
        session[REFUSED_KEY] = refused
    else:
        session.pop(REFUSED_KEY, None)


def lately_refused(provider: str, scopes: t.Iterable[str], timeout: float) -> bool:
    """Whether a login of this session asked *provider* for all of *scopes*
    within *timeout* seconds, and the provider did not grant them."""
    entry = session.get(REFUSED_KEY, {}).get(provider)
    if not entry or time.time() - entry.get("at", 0) > timeout:
        return False
    return set(scopes) <= set(entry.get("scope", ()))
