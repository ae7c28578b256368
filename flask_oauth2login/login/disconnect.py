"""Disconnecting one account: ``POST /disconnect/<provider>`` and
``oauth.disconnect(provider)``.

A session may hold logins with several providers (connected accounts, see
:mod:`~flask_oauth2login.login.outcome`). Disconnecting one ends that login
alone:

- it leaves the session and the token store (the store first: if the store
  is down, nothing changes);
- its refresh and access tokens are revoked at the provider (RFC 7009, best
  effort, after the login has ended: a slow provider never keeps it alive);
- the session is filed in the logout index under the logins left only;
- :data:`~flask_oauth2login.signals.disconnected` is sent;
- the other logins stay.

Disconnecting the session's only login would leave it logged in with none:
it is refused (:class:`~flask_oauth2login.errors.DisconnectRefused`, a 409
page) unless ``OAUTH2LOGIN_DISCONNECT_LAST`` is ``"logout"``, which makes it
a logout. The route is a state-changing one: POST only, and refused from
another origin (the view registers it behind
:func:`~flask_oauth2login.csrf.same_origin_only`).
"""

from __future__ import annotations

import logging
import typing as t

from flask import current_app, jsonify, redirect, render_template, request, session, url_for

from .._runtime import AppState, get_state
from ..errors import DisconnectRefused, NotLoggedInError, UnknownProvider
from ..pages.locale import N_, gettext
from ..pages.responses import protect, wants_json
from ..protocol.provider import Provider
from ..protocol.token_answer import Token
from ..sessions.setup import end as end_session
from ..signals import current_sender, disconnected, logged_out
from ..tokens import logins
from ..user import User
from . import held_login, logout, pending

log = logging.getLogger(__name__)

#: ``OAUTH2LOGIN_DISCONNECT_LAST``: refuse to disconnect the only login, or log out.
REFUSE, LOGOUT = "refuse", "logout"
#: Why the only login is not disconnected.
LAST_LOGIN = N_(
    "This is the only account you are signed in with here, so it cannot be disconnected. "
    "To stop using it, log out."
)
#: Why a provider that is not configured is not disconnected.
UNKNOWN = N_("There is no account by that name here to disconnect.")
#: Why a login the session does not hold is not disconnected.
NOT_CONNECTED = N_(
    "You are not signed in with %(provider)s here, so there is nothing to disconnect."
)


def connected(provider: str) -> bool:
    """Whether the session holds a login with *provider*."""
    return provider in logins.get_users() or provider in session.get(logins.TOKENS_KEY, {})


def is_last(provider: str) -> bool:
    """Whether the login with *provider* is the session's only one."""
    names = set(logins.get_users()) | set(session.get(logins.TOKENS_KEY, {}))
    return names <= {provider}


def disconnect(app_state: AppState, provider: Provider) -> bool:
    """End the session's login with *provider*, keep the others (see the
    module docstring); whether the provider confirmed the revocation.

    The only login is refused, or (``OAUTH2LOGIN_DISCONNECT_LAST =
    "logout"``) logged out: the whole session ends, as ``POST /logout`` ends
    it, and ``logged_out`` is sent instead of ``disconnected``.

    :raises NotLoggedInError: if the session holds no login with *provider*.
    :raises DisconnectRefused: if it is the only login, and that is refused.
    :raises TokenStoreUnavailable: if the token store is down (nothing changed).
    """
    name = provider.name
    if not connected(name):
        raise NotLoggedInError(f"Nobody is logged in with {name!r} in this session.", provider=name)
    if is_last(name):
        if app_state.settings.disconnect_last != LOGOUT:
            raise DisconnectRefused(LAST_LOGIN, provider=name)
        return log_out(app_state)
    token = logins.get_token(name)
    user = logins.get_users().get(name)
    ended: dict[str, Token] = {}
    logins.forget(name, ended=ended)  # the store first: if it is down, nothing changed
    logout.unfile_session(app_state)
    logout.file_login(app_state)  # under the logins left
    held = {name: token} if token is not None else {}
    revoked = bool(held) and logins.revoke_tokens(app_state, held)
    newer = logins.newer_than(held, ended)  # refreshed by another process meanwhile
    if newer:
        revoked = logins.revoke_tokens(app_state, newer) and (revoked or not held)
    log.info("Disconnected the %s login of the session.", name)
    disconnected.send(current_sender(), provider=name, user=user, revoked=revoked)
    return revoked


def log_out(app_state: AppState) -> bool:
    """End the whole session as ``POST /logout`` does (without logging out
    at the provider); whether every provider confirmed the revocation."""
    return end_whole_session(app_state)[2]


def end_whole_session(app_state: AppState) -> tuple[dict[str, t.Any], User | None, bool]:
    """End the whole session: every login (``logged_out`` is sent), a login
    held for the connect question, and the session itself, for every request
    and process; then revoke their tokens (best effort). A token store that
    is down does not keep anyone logged in: the stored logins are ended, and
    revoked, when it answers again.

    Returns the tokens the session held (by provider), its user, and whether
    every provider confirmed the revocation.
    """
    held = logins.held_tokens(reachable_only=True)  # decrypted, where the store answers
    last = logins.get_user()
    logout.unfile_session(app_state)
    waiting = held_login.take_any_held(app_state)
    ended: dict[str, Token] = {}
    forgotten = logins.forget(later=True, ended=ended)
    app = current_sender()
    for name in forgotten:
        logged_out.send(app, provider=name, reason="logout")
    session.clear()
    end_session()
    confirmed = logins.revoke_tokens(app_state, held)
    newer = logins.newer_than(held, ended)  # refreshed by another process meanwhile
    if newer:
        confirmed = logins.revoke_tokens(app_state, newer) and confirmed
    if waiting is not None:
        confirmed = logins.revoke_tokens(app_state, {waiting[0]: waiting[1]}) and confirmed
    return held, last, confirmed


def view(provider: str, *, log_out_view: t.Callable[[], t.Any]) -> t.Any:
    """``POST /disconnect/<provider>``: disconnect one login, then on to
    ``next`` (a path of this site), else the accounts page when it is on,
    else ``OAUTH2LOGIN_REDIRECT_URL``.

    A JSON client gets ``{"disconnected": provider, "revoked": ...}``. The
    only login answers 409 (or, with ``OAUTH2LOGIN_DISCONNECT_LAST =
    "logout"``, is logged out by *log_out_view*, ``POST /logout``'s view); a
    provider the session holds no login with answers 409 too, and nothing
    is revoked.

    :raises UnknownProvider: if no provider of that name is configured (404).
    """
    app_state = get_state()
    found = app_state.providers.get(provider)
    if found is None:
        raise UnknownProvider(UNKNOWN, provider=provider)
    title = found.config.title
    if not connected(provider):
        return _refused(provider, title, NOT_CONNECTED, "not_connected")
    if is_last(provider) and app_state.settings.disconnect_last == LOGOUT:
        return log_out_view()
    try:
        revoked = disconnect(app_state, found)
    except DisconnectRefused as exc:
        return _refused(provider, title, exc.message, exc.error_code)
    if wants_json():
        return protect(jsonify(disconnected=provider, revoked=revoked))
    target = request.form.get("next") or request.args.get("next")
    return protect(redirect(pending.safe_next(target, landing(app_state)), 303))


def get_view(provider: str) -> t.Any:
    """``GET /disconnect/<provider>``: disconnecting takes a POST (a link
    elsewhere must not disconnect anyone), so this answers 405 with a page
    that says why and, when there is a login to disconnect, offers the button.

    :raises UnknownProvider: if no provider of that name is configured (404).
    """
    app_state = get_state()
    found = app_state.providers.get(provider)
    if found is None:
        raise UnknownProvider(UNKNOWN, provider=provider)
    if wants_json():
        action = url_for("oauth2login.disconnect", provider=provider)
        response = jsonify(
            error="method_not_allowed", message=f"Disconnect with POST {action}.", provider=provider
        )
    else:
        title = found.config.title
        if not connected(provider):
            why: str | None = gettext(NOT_CONNECTED, provider=title)
        elif is_last(provider) and app_state.settings.disconnect_last != LOGOUT:
            why = gettext(LAST_LOGIN)
        else:
            why = None  # the button
        page = render_template(
            "oauth2login/disconnect.html",
            provider=provider,
            title=title,
            message=why,
            next=landing(app_state),
        )
        response = current_app.response_class(page, mimetype="text/html")
    response.status_code = 405
    response.headers["Allow"] = "POST"
    return protect(response)


def landing(app_state: AppState) -> str:
    """Where a disconnect lands without ``next``."""
    if app_state.settings.accounts_page:
        return url_for("oauth2login.accounts")
    return app_state.settings.redirect_url


def _refused(provider: str, title: str, message: str, code: str) -> t.Any:
    """The 409 answer to a disconnect that did not happen; *message* may
    name the provider as ``%(provider)s``."""
    log.info("Did not disconnect %s: %s", provider, code)
    if wants_json():
        response = jsonify(error=code, message=message % {"provider": title}, provider=provider)
    else:
        back = landing(get_state())
        shown = gettext(message, provider=title)
        page = render_template(
            "oauth2login/disconnect_failed.html", title=title, message=shown, code=code, back=back
        )
        response = current_app.response_class(page, mimetype="text/html")
    response.status_code = DisconnectRefused.status_code
    response.headers["Referrer-Policy"] = "no-referrer"
    return protect(response)
