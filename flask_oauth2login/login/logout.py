"""Logging out everywhere: at the provider, and when the provider says so.

``POST /logout`` ends this app's session (:mod:`~flask_oauth2login.views`). This module adds
the provider's side, in three OpenID Connect specifications:

- **RP-Initiated Logout 1.0.** With ``logout_at_provider`` on, the browser
  goes on to the provider's ``end_session_endpoint`` (:func:`end_session_url`)
  with ``id_token_hint``, ``client_id``, ``state`` and
  ``post_logout_redirect_uri``, the absolute URL of
  ``GET /logout/callback/<provider>`` (:func:`post_logout_redirect_uri`). The
  ``state`` is kept in the browser's new, otherwise empty, session: single
  use, and only as long as a login may take (:func:`take_logout`).
- **Back-Channel Logout 1.0.** The provider POSTs a logout token to
  ``/backchannel-logout/<provider>``; :func:`backchannel_logout` checks it
  (:func:`.oidc.validate_logout_token`, and its ``jti`` against replays in
  every process) and ends, before answering, every session of this app whose
  login at that provider has its ``sid`` (or its ``sub``, when it names no
  ``sid``).
- **Front-Channel Logout 1.0.** The provider's logout page frames
  ``/frontchannel-logout/<provider>?iss=...&sid=...``;
  :func:`frontchannel_logout` ends the sessions of that ``sid``. Only for
  provider entries that switch it on (``frontchannel_logout``), whose
  provider advertises it with ``sid`` (``frontchannel_logout_supported`` and
  ``frontchannel_logout_session_supported``) and not back-channel logout.

Sessions are found without the user's browser through the index of
:mod:`~flask_oauth2login.sessions.logout_index`: each login with a provider
that can send logouts (:func:`sends_logout`) files its session under
(provider, issuer, ``sid``) and (provider, issuer, ``sub``)
(:func:`file_login`), and a logout or disconnect takes it out again
(:func:`unfile_session`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import time
import typing as t
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import current_app, session, url_for

from .._runtime import AppState
from ..config.settings import Settings
from ..errors import (
    CrossOriginRequest,
    InvalidCallback,
    InvalidToken,
    ProviderError,
    SessionStoreUnavailable,
    TokenStoreUnavailable,
)
from ..protocol.oidc import MAX_LOGOUT_TOKEN_AGE
from ..protocol.token_answer import protocol_subject
from ..sessions.logout_index import (
    FILED_KEY,
    file_session,
    filed_keys,
    index_key,
    seen_key,
    store_id_of,
)
from ..sessions.setup import store_errors_as_unavailable
from ..signals import current_sender, logged_out
from ..tokens.holders import end_later, end_login, revoke_tokens
from ..tokens.logins import LOGIN, STORED, TOKENS_KEY, USER_KEY
from ..tokens.sealing import key_of
from . import pending as pending_logins
from .held_login import HELD_KEY, open_held

if t.TYPE_CHECKING:  # pragma: no cover
    from ..protocol.provider import Provider

log = logging.getLogger(__name__)

#: The longest logout token accepted, in characters.
MAX_LOGOUT_TOKEN_LENGTH = 16 * 1024


# -- RP-initiated logout --------------------------------------------------------


def post_logout_redirect_uri(settings: Settings, provider: str) -> str | None:
    """The absolute URL of ``GET /logout/callback/<provider>``, to register
    with the provider as a ``post_logout_redirect_uri``.

    It is fixed by ``OAUTH2LOGIN_EXTERNAL_URL``; only in debug and testing
    may it follow the request's host. Otherwise there is none (``None``):
    the browser then stays on the provider's page after logging out there.
    """
    if settings.external_url is not None:
        return settings.external_url + url_for("oauth2login.logout_callback", provider=provider)
    if current_app.debug or current_app.testing:
        return url_for("oauth2login.logout_callback", provider=provider, _external=True)
    return None


def end_session_url(
    provider: Provider, settings: Settings, token: t.Mapping[str, t.Any] | None, next_url: str
) -> str | None:
    """Where the browser logs out at *provider* (RP-Initiated Logout 1.0
    §2), or ``None`` when the provider offers no ``end_session_endpoint``.

    Call it once the session has ended: the logout's ``state`` (and
    *next_url*) go into the browser's new session.

    :param token: the login's token, whose ID token is the ``id_token_hint``.
    :raises ProviderError: if the provider's discovery cannot be fetched.
    """
    url = provider.endpoints().end_session_url
    if url is None:
        return None
    params = {"client_id": provider.config.client_id}
    if token and token.get("id_token"):
        params["id_token_hint"] = token["id_token"]
    callback = post_logout_redirect_uri(settings, provider.name)
    if callback is not None:
        params["post_logout_redirect_uri"] = callback
        params["state"] = _remember_logout(provider.name, next_url, settings.login_timeout)
    else:
        log.warning(
            "Logging out at %s without a post_logout_redirect_uri: set OAUTH2LOGIN_EXTERNAL_URL "
            "so that the browser comes back after logging out there.",
            provider.name,
        )
    parts = urlsplit(url)
    query = urlencode(params)
    return urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))


def take_logout(value: str | None, *, provider: str, timeout: float) -> str | None:
    """Take the logout *value* (the ``state`` the provider sent back) out of
    the session; return where it was going, or ``None`` if it is unknown,
    used, expired or was sent to another provider."""
    if not value:
        return None
    pending = dict(session.get(pending_logins.SESSION_KEY, {}))
    entry = pending.pop(_pending_key(value), None)
    if entry is None:
        return None
    if pending:
        session[pending_logins.SESSION_KEY] = pending
    else:
        session.pop(pending_logins.SESSION_KEY, None)
    if entry.get("provider") != provider or time.time() - entry.get("started", 0) > timeout:
        return None
    return str(entry["next"])


def _remember_logout(provider: str, next_url: str, timeout: float) -> str:
    """Keep a new logout ``state`` in the session, beside pending logins
    (under a key no login's state can produce), so that it lives no longer
    than they do."""
    value = secrets.token_urlsafe(32)
    now = time.time()
    pending = {
        key: entry
        for key, entry in session.get(pending_logins.SESSION_KEY, {}).items()
        if now - entry.get("started", 0) < timeout
    }
    pending[_pending_key(value)] = {
        "kind": "logout",
        "provider": provider,
        "next": next_url,
        "started": now,
    }
    session[pending_logins.SESSION_KEY] = pending
    return value


def _pending_key(value: str) -> str:
    return hashlib.sha256(("logout\0" + value).encode("utf-8", "replace")).hexdigest()


# -- the index ------------------------------------------------------------------


def sends_logout(provider: Provider) -> bool:
    """Whether *provider* may log its users out of this app without their
    browser: back-channel logout (as its entry's ``backchannel_logout`` says,
    else as it advertises), or front-channel logout with ``sid`` where its
    entry switches that on (``frontchannel_logout``). Only the logins of such
    providers are filed in the index."""
    configured = provider.config.backchannel_logout
    if configured:
        return True
    if configured is None or provider.config.frontchannel_logout:
        try:
            endpoints = provider.endpoints()
        except ProviderError:
            return True  # cannot tell: filed, so that a logout it sends is not lost
        if configured is None and endpoints.backchannel_logout:
            return True
        return provider.config.frontchannel_logout and endpoints.frontchannel_logout_session
    return False


def sends_logout_tokens(configured: bool | None, advertised: bool) -> bool:
    """Whether a provider sends logout tokens: as its entry's
    ``backchannel_logout`` says (*configured*), else as it *advertised*."""
    return configured if configured is not None else bool(advertised)


def file_login(app_state: AppState) -> None:
    """File the current session in the logout index, under each of its
    OpenID Connect logins' (issuer, ``sid``) and (issuer, ``sub``), for the
    providers that can send logout tokens (:func:`sends_logout`); out of what
    it was filed under before.

    Call it after a login, once the session has its new id. Nothing is
    written for a session that is and was filed under nothing.
    """
    keys = []
    for provider, token in session.get(TOKENS_KEY, {}).items():
        found = app_state.providers.get(provider)
        issuer, sub, sid = token.get("iss"), protocol_subject(token), token.get("sid")
        if found is None or not found.config.is_oidc or not issuer or not sub:
            continue
        if not sends_logout(found):
            continue
        keys.append(index_key(provider, issuer, "sub", sub))
        if sid:
            keys.append(index_key(provider, issuer, "sid", sid))
    if not keys and FILED_KEY not in session:
        return
    current = session._get_current_object()  # type: ignore[attr-defined]
    file_session(current, keys)
    interface = t.cast(t.Any, current_app.session_interface)
    store_id = str(interface._get_store_id(current.sid))
    app_state.logout_store.keep_filed(current, store_id, current_app.permanent_session_lifetime)


def unfile_session(app_state: AppState) -> None:
    """Take the current session out of the logout index (it is ending).

    Best effort: an entry left behind points to a session that no longer
    exists, which a later logout skips, and expires.
    """
    keys = filed_keys(session)
    store_id = (session.get(FILED_KEY) or {}).get("store_id")
    store_id = store_id or store_id_of(current_app.session_interface, session)
    if not keys or not store_id:
        return
    try:
        app_state.logout_store.discard(keys, store_id)
    except SessionStoreUnavailable:
        log.warning("Could not take an ending session out of the logout index.")


# -- back-channel and front-channel logout --------------------------------------


def backchannel_logout(app_state: AppState, provider: Provider, logout_token: str | None) -> int:
    """Carry out a logout token *provider* sent; return how many sessions ended.

    :raises InvalidToken: if the token is missing, does not validate, or
        was seen before.
    :raises ProviderError: if the provider's keys cannot be fetched.
    :raises SessionStoreUnavailable: if the store is down (nothing ended then,
        and the token may be sent again).
    """
    name = provider.name
    if not logout_token or len(logout_token) > MAX_LOGOUT_TOKEN_LENGTH:
        raise InvalidToken("The request carries no usable logout_token.", provider=name)
    if not provider.config.is_oidc:
        raise InvalidToken(
            "This provider is not configured for OpenID Connect, so it cannot log anyone "
            "out by back-channel.",
            provider=name,
        )
    claims = provider.check_logout_token(logout_token)
    issuer = str(claims["iss"])
    seen = seen_key(name, issuer, claims["jti"])
    # Remembered as long as the token could be accepted again (see oidc).
    if not app_state.logout_store.first_seen(
        seen, MAX_LOGOUT_TOKEN_AGE + 2 * int(provider.leeway) + 1
    ):
        raise InvalidToken("This logout token was used before (jti).", provider=name)
    claim = "sid" if "sid" in claims else "sub"
    try:
        return end_sessions(app_state, name, issuer, claim, claims[claim], "backchannel")
    except SessionStoreUnavailable:
        with contextlib.suppress(SessionStoreUnavailable):  # let the provider retry
            app_state.logout_store.forget_seen(seen)
        raise


def frontchannel_logout(
    app_state: AppState, provider: Provider, dest: str | None, iss: str | None, sid: str | None
) -> str:
    """Carry out a front-channel logout of *provider*; return the origin that
    may frame the answer (the provider's).

    :param dest: the request's ``Sec-Fetch-Dest``: only an iframe navigation
        is carried out (not an image, a link or a script of another site, nor
        a request from outside a browser).
    :raises CrossOriginRequest: if the request is not an iframe navigation.
    :raises InvalidCallback: unless the provider entry switches it on
        (``frontchannel_logout``), the provider advertises front-channel
        logout with ``sid`` and does not send logout tokens (as its entry's
        ``backchannel_logout`` says, else as it advertises), and the request
        names its issuer and a ``sid``.
    :raises ProviderError: if the provider's discovery cannot be fetched.
    """
    name = provider.name
    if dest != "iframe":
        raise CrossOriginRequest(
            "This address logs people out when the provider's logout page frames it; "
            "it was not framed, so nothing happened.",
            provider=name,
        )
    if not provider.config.frontchannel_logout:
        raise InvalidCallback(
            "Front-channel logout is not switched on for this provider.", provider=name
        )
    endpoints = provider.endpoints()
    if not provider.config.is_oidc or not endpoints.frontchannel_logout_session:
        raise InvalidCallback(
            "This provider does not advertise front-channel logout with a session id.",
            provider=name,
        )
    if sends_logout_tokens(provider.config.backchannel_logout, endpoints.backchannel_logout):
        # The safer way is there: a signed logout token.
        raise InvalidCallback(
            "This provider logs out by back-channel; front-channel logout is not accepted.",
            provider=name,
        )
    matches = provider.config.preset.issuer_matches
    if not iss or not sid or endpoints.issuer is None:
        raise InvalidCallback("A front-channel logout names an issuer and a sid.", provider=name)
    if not (matches(endpoints.issuer, {"iss": iss}) if matches else iss == endpoints.issuer):
        raise InvalidCallback("This logout names another issuer.", provider=name)
    end_sessions(app_state, name, iss, "sid", sid, "frontchannel")
    parts = urlsplit(endpoints.issuer)
    return f"{parts.scheme}://{parts.netloc}"


def end_sessions(
    app_state: AppState, provider: str, issuer: str, claim: str, value: str, reason: str
) -> int:
    """End every session whose login at *provider* by *issuer* has *claim*
    equal to *value*; send ``logged_out`` for each login it held. Returns
    how many sessions ended."""
    store = app_state.logout_store
    interface = t.cast(t.Any, current_app.session_interface)
    key = index_key(provider, issuer, claim, value)
    ended = 0
    # What leaves the index: every entry of *key*, and the other entries of
    # the sessions ended; taken out at the end, in one go.
    gone: dict[str, set[str]] = {key: set()}
    try:
        for store_id in store.members(key):
            with store_errors_as_unavailable(interface):
                data = interface.get_record(store_id)
            token = ((data or {}).get(TOKENS_KEY) or {}).get(provider) or {}
            held = protocol_subject(token) if claim == "sub" else token.get(claim)
            if token.get("iss") != issuer or held != value:
                gone[key].add(store_id)  # gone, or holding another login now: not to end
                continue
            with store_errors_as_unavailable(interface):
                interface.end_stored(store_id)
            assert data is not None
            gone[key].add(store_id)
            for other in (data.get(FILED_KEY) or {}).get("keys") or ():
                gone.setdefault(other, set()).add(store_id)
            ended += 1
            _ended_signals(data, reason)
            _end_stored_logins(app_state, data)
    finally:
        if any(gone.values()):
            store.discard_many(gone)
    log.info("%s logout of %s: %d session(s) ended.", reason.capitalize(), provider, ended)
    return ended


def _end_stored_logins(app_state: AppState, data: t.Mapping[str, t.Any]) -> None:
    """Revoke the login the ended session *data* held for the connect
    question, if any; end the logins in the token store it referred to, each
    only if it is still that login (a newer one of the same person stays),
    and revoke their tokens (best effort): background jobs lose them too. A
    token store that is down ends them when it answers."""
    held = data.get(HELD_KEY)
    token = open_held(app_state, held) if isinstance(held, dict) else None
    if token is not None:
        revoke_tokens(app_state, {str(t.cast(dict, held).get("provider")): token})
    if app_state.token_store is None:
        return
    for name, entry in (data.get(TOKENS_KEY) or {}).items():
        if not isinstance(entry, dict) or not entry.get(STORED):
            continue
        key, login = key_of(name, entry), entry.get(LOGIN)
        try:
            token = end_login(app_state, key, login)
        except TokenStoreUnavailable:
            end_later(app_state, key, login)
            continue
        if token is not None:
            revoke_tokens(app_state, {name: token})


def _ended_signals(data: t.Mapping[str, t.Any], reason: str) -> None:
    """Send ``logged_out`` for each login the ended session *data* held."""
    names = list(data.get(TOKENS_KEY) or {})
    user = data.get(USER_KEY) or {}
    if user.get("provider") and user["provider"] not in names:
        names.append(user["provider"])
    app = current_sender()
    for name in names:
        logged_out.send(app, provider=name, reason=reason)
