"""A login held for the person's confirmation (the ``/connect`` question).

A login of another provider that was not started from this site is not
joined to the session's logins at once (see
:mod:`~flask_oauth2login.login.outcome`): it is held, one at a time, until
the person answers on the ``/connect`` page. Its token is sealed for that
held login only. It can be answered only within the login timeout; it is
dropped and revoked when the person cancels, at logout (also a logout the
provider sends), when another login commits, and, once the timeout has
passed, at the session's next request, whatever page it asks for
(:func:`drop_if_expired`). A session that never comes back keeps it sealed
until the session itself expires.
"""

from __future__ import annotations

import logging
import secrets
import time
import typing as t

from flask import session

from .._runtime import AppState, get_state
from ..crypto.cipher import DecryptionFailed
from ..errors import InvalidState
from ..pages.locale import N_
from ..protocol.token_answer import Token
from ..tokens import logins
from ..user import User

log = logging.getLogger(__name__)

#: Session key of a login held until the person confirms a connect.
HELD_KEY = "_oauth2login_held"
#: Why a held login cannot be answered.
NOTHING_HELD = N_(
    "There is no login waiting here to be connected: it was already answered, or it took "
    "too long. Please log in again."
)


def hold(
    provider: str,
    user: User,
    token: t.Mapping[str, t.Any],
    *,
    next_url: str,
    asked: t.Sequence[str],
) -> None:
    """Keep a checked login until the person says whether to connect it
    (one at a time: a newer one takes the place of an older one, which is
    revoked). Its token is sealed for this held login only."""
    app_state = get_state()
    drop_held(app_state, "a newer login took its place")
    held_id = secrets.token_urlsafe(16)
    session[HELD_KEY] = {
        "id": held_id,
        "provider": provider,
        "user": user.to_dict(),
        logins.SEALED: app_state.cipher.seal(dict(token), _held_context(held_id, provider)),
        "next": next_url,
        "asked": list(asked),
        "at": time.time(),
    }


def held(timeout: float) -> dict[str, t.Any] | None:
    """The login held for confirmation (without its token), if it is not
    older than *timeout* seconds (an older one is dropped and revoked)."""
    found = session.get(HELD_KEY)
    if found is None:
        return None
    if time.time() - found.get("at", 0) > timeout:
        drop_held(get_state(), "it expired")
        return None
    return {key: value for key, value in found.items() if key != logins.SEALED}


def take_held(held_id: str | None, timeout: float) -> dict[str, t.Any]:
    """Take the held login *held_id* names out of the session, with its
    token (``token``) opened.

    :raises InvalidState: if there is none, it expired, is another one, or
        its token does not open.
    """
    found = held(timeout)
    if found is None or not held_id or not _same(str(found.get("id")), held_id):
        raise InvalidState(NOTHING_HELD)
    token = open_held(get_state(), session.pop(HELD_KEY))
    if token is None:
        raise InvalidState(NOTHING_HELD)
    return {**found, "token": token}


def take_any_held(app_state: AppState) -> tuple[str, Token] | None:
    """Take the login held for confirmation, if any, out of the session; its
    provider and token, for the caller to revoke."""
    found = session.pop(HELD_KEY, None)
    token = open_held(app_state, found) if found else None
    if found is None or token is None:
        return None
    log.info("A held %s login was dropped (the session ended).", found.get("provider"))
    return str(found.get("provider")), token


def drop_if_expired() -> None:
    """Before every request of the app: drop and revoke the held login once
    it is older than the login timeout, whatever page the person opens next.
    The session is read without being marked accessed."""
    current = session._get_current_object()  # type: ignore[attr-defined]
    if not isinstance(current, dict):  # the session store is down: nothing to read
        return
    found = dict.get(current, HELD_KEY)
    if not isinstance(found, dict):
        return
    app_state = get_state()
    if time.time() - found.get("at", 0) > app_state.settings.login_timeout:
        drop_held(app_state, "it expired")


def drop_held(app_state: AppState, why: str) -> None:
    """Drop the login held for confirmation, if any, and revoke its token."""
    found = session.pop(HELD_KEY, None)
    if found:
        revoke_held(app_state, found, why)


def revoke_held(app_state: AppState, found: t.Mapping[str, t.Any], why: str) -> None:
    token = open_held(app_state, found)
    provider = str(found.get("provider"))
    log.info("A held %s login was dropped (%s).", provider, why)
    if token is not None:
        logins.revoke_tokens(app_state, {provider: token})


def open_held(app_state: AppState, found: t.Mapping[str, t.Any]) -> Token | None:
    """The token of the held login *found* (as the session keeps it), or
    ``None`` if it does not open."""
    sealed = found.get(logins.SEALED)
    if sealed is None:  # held in plain text by an earlier version
        plain = found.get("token")
        return Token(plain) if isinstance(plain, dict) else None
    try:
        token = app_state.cipher.open(
            sealed, _held_context(str(found.get("id")), str(found.get("provider")))
        )
    except DecryptionFailed:
        return None
    return Token(token) if isinstance(token, dict) else None


def _same(held_id: str, answered: str) -> bool:
    """Whether *answered* is *held_id* (in constant time; any text, also
    one that is not ASCII, is compared)."""
    return secrets.compare_digest(held_id.encode(), answered.encode("utf-8", "replace"))


def _held_context(held_id: str, provider: str) -> str:
    """What a held login's token is sealed for: that held login only."""
    return f"held\0{held_id}\0{provider}"
