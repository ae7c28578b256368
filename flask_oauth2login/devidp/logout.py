"""Signing out at the provider: the end-session endpoint and back-channel logout.

``GET|POST /logout`` is the end-session endpoint of OpenID Connect
RP-Initiated Logout 1.0. A client that sends a valid ``id_token_hint`` is
trusted to ask: the session the hint names (its ``sid``) ends at once. A
browser that comes without one, but signed in here (the provider's
cookie), is asked first, on a confirmation page whose form carries a CSRF
token. Either way the browser then goes to the client's
``post_logout_redirect_uri`` (with its ``state``), when one was given and
the client may use it, or sees a "Signed out" page.

Ending a session tells each client the browser signed in to, that
registered a ``backchannel_logout_uri``, with a logout token (OpenID Connect
Back-Channel Logout 1.0 §2.5): ``sub``, ``sid``, the logout event, a fresh
``jti``, valid two minutes, typed ``logout+jwt``. The provider waits for
each answer (``OAUTH2LOGIN_DEVIDP_BACKCHANNEL_TIMEOUT`` seconds at most) and
shows on the page whom it told.
"""

from __future__ import annotations

import hmac
import logging
import typing as t
from dataclasses import dataclass
from urllib.parse import urljoin

import jwt
import requests
from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from .authorize import PAGE_HEADERS, add_query, error_page, same_origin
from .cookies import clear_session_cookie, session_cookie
from .idtoken import logout_token_claims
from .keys import ALGORITHM
from .memory import new_secret
from .records import PendingLogout, ProviderSession
from .state import get_state

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """Whether one client heard of a sign-out."""

    client_id: str
    #: ``True`` when its back-channel logout URI answered 200 or 204.
    delivered: bool
    #: What happened, for the page.
    detail: str


def end_session() -> ResponseReturnValue:
    """``GET|POST /logout``: the end-session endpoint."""
    if request.method == "POST" and "request_id" in request.form:
        return _confirmed()
    state = get_state()
    params = request.values
    client_id = params.get("client_id")
    hint: dict[str, t.Any] | None = None
    if params.get("id_token_hint"):
        try:
            hint = jwt.decode(
                params["id_token_hint"],
                state.key.public_key,
                algorithms=[ALGORITHM],
                issuer=state.issuer(),
                options={"verify_aud": False, "verify_exp": False},
            )
        except jwt.PyJWTError:
            return error_page("Invalid logout request", "The id_token_hint is not valid.")
        if client_id and client_id != hint.get("aud"):
            return error_page("Invalid logout request", "client_id does not match the hint.")
        client_id = hint.get("aud")

    target = params.get("post_logout_redirect_uri")
    if target:
        client = state.clients().get(client_id or "")
        if client is None or not client.allows_post_logout_redirect_uri(target):
            return error_page(
                "Invalid logout request",
                "The post_logout_redirect_uri is not allowed for this client.",
            )
        target = add_query(target, {"state": params.get("state")})

    browser = state.store.session_for(session_cookie())
    if hint is not None:
        # A client with a valid hint asks: no question, its session ends.
        ended = state.store.end_session(hint["sid"]) if hint.get("sid") else None
        return _signed_out(ended, target, clear=browser is not None and browser is ended)
    if browser is not None:
        pending = state.store.add_pending_logout(browser.sid, target, client_id)
        return _confirm_page(pending, browser)
    return _signed_out(None, target, clear=False)


def _confirm_page(pending: PendingLogout, browser: ProviderSession) -> ResponseReturnValue:
    state = get_state()
    html = render_template(
        "devidp/logout.html",
        pending=pending,
        user=state.store.get_user(browser.sub),
        action=url_for(".logout"),
    )
    return html, 200, PAGE_HEADERS


def _confirmed() -> ResponseReturnValue:
    """The confirmation page's answer: sign out, or stay signed in."""
    store = get_state().store
    form = request.form
    pending = store.take_pending_logout(form.get("request_id", ""))
    if pending is None:
        return error_page(
            "Sign-out request expired",
            "This sign-out request has expired or was already answered.",
        )
    token = form.get("csrf_token", "")
    if not token or not hmac.compare_digest(token.encode(), pending.csrf_token.encode()):
        return error_page("Invalid form", "The form's CSRF token is missing or wrong.")
    if not same_origin():
        return error_page("Invalid form", "The form was posted from another site.")
    if form.get("action") != "logout":
        if pending.target:
            return redirect(pending.target, code=303)
        html = render_template("devidp/logged_out.html", stayed=True, notices=[])
        return html, 200, PAGE_HEADERS
    ended = store.end_session(pending.sid)
    return _signed_out(ended, pending.target, clear=True)


def _signed_out(
    ended: ProviderSession | None, target: str | None, *, clear: bool
) -> ResponseReturnValue:
    """Tell the clients of *ended*, then send the browser on (or show the page)."""
    notices = notify(ended) if ended is not None else []
    if ended is not None:
        logger.info("devidp: %s signed out (%d client(s) told)", ended.sub, len(notices))
    response: Response
    if target:
        response = redirect(target, code=303)
    else:
        html = render_template("devidp/logged_out.html", stayed=False, notices=notices)
        response = Response(html, 200, headers=PAGE_HEADERS, mimetype="text/html")
    if clear:
        clear_session_cookie(response)
    return response


def notify(session: ProviderSession) -> list[Notice]:
    """Send a logout token to each client of *session* that asked for them."""
    state = get_state()
    clients = state.clients()
    timeout = float(state.setting("BACKCHANNEL_TIMEOUT"))
    notices = []
    for client_id in session.clients:
        client = clients.get(client_id)
        if client is None or client.backchannel_logout_uri is None:
            continue
        claims = logout_token_claims(
            issuer=state.issuer(),
            client_id=client_id,
            sub=session.sub,
            sid=session.sid,
            now=int(state.store.clock()),
            jti=new_secret(),
        )
        uri = urljoin(request.url_root, client.backchannel_logout_uri)
        notices.append(
            _deliver(client_id, uri, state.key.sign(claims, {"typ": "logout+jwt"}), timeout)
        )
    return notices


def _deliver(client_id: str, uri: str, logout_token: str, timeout: float) -> Notice:
    http = requests.Session()
    http.trust_env = False  # no proxy, no .netrc: the client is on this machine or named
    try:
        response = http.post(
            uri, data={"logout_token": logout_token}, timeout=timeout, allow_redirects=False
        )
    except requests.RequestException as exc:
        logger.warning("devidp: could not tell %s of a sign-out: %s", client_id, type(exc).__name__)
        return Notice(client_id, False, f"could not be reached ({type(exc).__name__})")
    finally:
        http.close()
    if response.status_code in (200, 204):
        return Notice(client_id, True, "signed out")
    logger.warning("devidp: %s answered a logout token with %d", client_id, response.status_code)
    return Notice(client_id, False, f"answered HTTP {response.status_code}")
