"""Pending logins: ``state``, the PKCE verifier and the ``nonce``.

Each login started gets fresh random values, kept in the server-side session
under a hash of its state, bound to the provider and issuer. The callback
takes them out again: once, before the time limit, for the same provider.
Several logins may be pending in one session (several tabs).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
import typing as t
from urllib.parse import unquote

from flask import session

from ..errors import InvalidState
from ..pages.locale import N_

#: Session key holding the pending logins.
SESSION_KEY = "_oauth2login_pending"
#: Session key holding the logins this session completed lately, so that a
#: callback replayed with Back (or reloaded) goes on to where it was going.
COMPLETED_KEY = "_oauth2login_completed"
#: Completed logins remembered at most.
MAX_COMPLETED = 4


def new_login(
    *,
    provider: str,
    issuer: str | None,
    redirect_uri: str,
    next_url: str,
    oidc: bool,
    max_pending: int,
    timeout: float,
    scope: t.Sequence[str] = (),
    max_age: int | None = None,
    started_here: bool = False,
) -> dict[str, t.Any]:
    """Start a login: make its secrets and keep them in the session.

    Returns the pending login, whose ``state``, ``nonce`` and ``verifier``
    go into the authorization request.

    :param scope: the scopes asked, the granted scope when the provider
        does not say.
    :param max_age: the ``max_age`` asked, which the ID token's
        ``auth_time`` must then meet.
    :param started_here: whether the login was started from this site (a
        ``POST``, or a request whose ``Sec-Fetch-Site`` or ``Origin`` says so),
        which a login must be to join the session's earlier logins.
    """
    state = secrets.token_urlsafe(32)  # 256 bits
    login = {
        "state": state,
        "provider": provider,
        "issuer": issuer,
        "verifier": secrets.token_urlsafe(64),  # 86 characters, RFC 7636 allows 43-128
        "nonce": secrets.token_urlsafe(32) if oidc else None,
        "redirect_uri": redirect_uri,
        "next": next_url,
        "started": time.time(),
        "scope": list(scope),
        "max_age": max_age,
        "started_here": started_here,
    }
    now = login["started"]
    pending = {
        key: value
        for key, value in session.get(SESSION_KEY, {}).items()
        if now - value.get("started", 0) < timeout
    }
    while len(pending) >= max_pending:  # the oldest gives way
        del pending[min(pending, key=lambda k: pending[k]["started"])]
    pending[_key(state)] = login
    session[SESSION_KEY] = pending
    return login


def take_login(state: str | None, *, provider: str, timeout: float) -> dict[str, t.Any]:
    """Take the pending login *state* names out of the session.

    :raises InvalidState: if the state is missing, unknown (never issued,
        already used, or issued to another browser), expired, or was issued
        for another provider.
    """
    if not state:
        raise InvalidState(
            N_(
                "The provider's answer carries no state, so it cannot be matched to a login "
                "started here. Please log in again."
            ),
            provider=provider,
        )
    pending = dict(session.get(SESSION_KEY, {}))
    login = pending.pop(_key(state), None)
    if login is None:
        raise InvalidState(
            N_(
                "This login is unknown here: it was already completed, started in another "
                "browser, or your session expired. Please log in again."
            ),
            provider=provider,
        )
    session[SESSION_KEY] = pending
    if login["provider"] != provider:
        raise InvalidState(
            f"This answer belongs to a login with {login['provider']!r}, not {provider!r}.",
            provider=provider,
        )
    if time.time() - login["started"] > timeout:
        raise InvalidState(
            N_("This login took too long and has expired. Please log in again."),
            provider=provider,
        )
    return login


def remember_completed(state: str, *, provider: str, next_url: str) -> None:
    """Note that the login *state* named completed, and where it went."""
    now = time.time()
    done = dict(session.get(COMPLETED_KEY, {}))
    done[_key(state)] = {"provider": provider, "next": next_url, "at": now}
    while len(done) > MAX_COMPLETED:
        del done[min(done, key=lambda k: done[k]["at"])]
    session[COMPLETED_KEY] = done


def completed_next(state: str | None, *, provider: str, timeout: float) -> str | None:
    """Where the login *state* named went, if this session completed it
    with *provider* within *timeout* seconds; else ``None``."""
    if not state:
        return None
    done = session.get(COMPLETED_KEY, {}).get(_key(state))
    if not done or done["provider"] != provider or time.time() - done["at"] > timeout:
        return None
    return done["next"]  # type: ignore[no-any-return]


def code_challenge(verifier: str) -> str:
    """The PKCE ``S256`` challenge of *verifier* (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def safe_next(target: str | None, default: str) -> str:
    """Return *target* if it is a path on this site, else *default*.

    Refuses anything with a scheme or host, protocol-relative ``//`` paths and
    backslashes, also when they appear only after percent-decoding.
    """
    if not target or not isinstance(target, str):
        return default
    decoded = target
    for _ in range(3):  # undo double and triple encoding too
        decoded = unquote(decoded)
    for candidate in (target, decoded):
        if (
            not candidate.startswith("/")
            or candidate.startswith("//")
            or "\\" in candidate
            or any(ord(ch) < 32 or ch == "\x7f" for ch in candidate)
        ):
            return default
    return target


def _key(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8", "replace")).hexdigest()
