"""The sign-in page: the authorization endpoint.

``GET /authorize`` (or a form ``POST`` without ``request_id``) validates an
authorization request and shows the page to pick a test user. The page posts
back to ``/authorize`` with the pending request's id and its CSRF token; that
issues a code (or ``access_denied``) and redirects to the client with
``code``, ``state`` and ``iss`` (:rfc:`9207`).

Signing in starts (or goes on with) the browser's session at the provider
(:mod:`~flask_oauth2login.devidp.cookies`), whose ``sid`` the ID tokens carry. The end-session
endpoint is in :mod:`~flask_oauth2login.devidp.logout`.

A request with an unknown ``client_id`` or a ``redirect_uri`` the client may
not use gets an error page and is never redirected.
"""

from __future__ import annotations

import hmac
import logging
import typing as t
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from . import pkce
from .cookies import session_cookie, set_session_cookie
from .memory import Grant, PendingAuthorization, new_secret
from .state import get_state
from .users import InvalidUser, user_from_form

logger = logging.getLogger(__name__)

#: Headers of every HTML page: never cached, never framed, no referrer to
#: other sites ("same-origin" keeps the Origin header on our own form posts,
#: which "no-referrer" would turn into "null").
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    # No form-action: browsers apply it to the redirect after the POST.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
    ),
}

_SINGLE_PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)


def add_query(uri: str, params: t.Mapping[str, str | None]) -> str:
    """Add ``params`` (skipping ``None`` values) to the query of ``uri``."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.extend((k, v) for k, v in params.items() if v is not None)
    return urlunsplit(parts._replace(query=urlencode(query)))


def error_page(
    title: str,
    message: str,
    status: int = 400,
    details: t.Sequence[tuple[str, t.Sequence[str]]] = (),
) -> ResponseReturnValue:
    """An HTML error page; used when redirecting to the client is not safe.

    :param details: what the request sent and what was expected, as
        (label, values) pairs shown under the message.
    """
    html = render_template("devidp/error.html", title=title, message=message, details=details)
    return html, status, PAGE_HEADERS


def authorize() -> ResponseReturnValue:
    """``GET|POST /authorize``: the authorization endpoint."""
    if request.method == "POST" and "request_id" in request.form:
        return _decide()
    params = request.form if request.method == "POST" else request.args
    return _start(params)


def _start(params: MultiDict[str, str]) -> ResponseReturnValue:
    state = get_state()
    for name in ("client_id", "redirect_uri", "request_uri"):
        if len(params.getlist(name)) > 1:
            return error_page("Invalid request", f"The {name} parameter was sent twice.")

    client_id = params.get("client_id", "")
    client = state.clients().get(client_id)
    if client is None:
        return error_page(
            "Unknown client",
            "The application asking you to sign in is not registered with this provider"
            " (check OAUTH2LOGIN_DEVIDP_CLIENTS).",
        )
    if "request_uri" in params:  # RFC 9126: the parameters were pushed
        pushed = state.pushed.take(params["request_uri"], client_id)
        if pushed is None:
            return error_page(
                "Sign-in request expired",
                "This sign-in request has expired or was already used. Go back to the"
                " application and start again.",
            )
        params = MultiDict(pushed)
        pushed_request = True
    else:
        pushed_request = False
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri:
        return error_page("Invalid request", "The redirect_uri parameter is missing.")
    if not client.allows_redirect_uri(redirect_uri):
        return error_page(
            "Redirect URI not allowed",
            "The redirect_uri is not registered for this client. By default only"
            " loopback addresses (localhost, 127.0.0.1, [::1]) are allowed.",
            details=[
                ("Sent", [redirect_uri]),
                (
                    "Registered for " + client_id,
                    list(client.redirect_uris)
                    if client.redirect_uris is not None
                    else ["any loopback URL (localhost, 127.0.0.1, [::1]), any port and path"],
                ),
            ],
        )

    client_state = params.get("state")
    issuer = state.issuer()

    def fail(error: str, description: str) -> ResponseReturnValue:
        target = add_query(
            redirect_uri,
            {
                "error": error,
                "error_description": description,
                "state": client_state,
                "iss": issuer,
            },
        )
        return redirect(target, code=302)

    for name in _SINGLE_PARAMS:
        if len(params.getlist(name)) > 1:
            return fail("invalid_request", f"The {name} parameter was sent twice.")
    if "request" in params:
        return fail("request_not_supported", "Request objects are not supported.")
    if client.require_par and not pushed_request:
        return fail("invalid_request", "This client must push its authorization requests (PAR).")
    if params.get("response_type") != "code":
        return fail("unsupported_response_type", "Only response_type=code is supported.")
    if params.get("response_mode", "query") != "query":
        return fail("invalid_request", "Only response_mode=query is supported.")
    if not client_state:
        return fail("invalid_request", "The state parameter is required.")
    challenge = params.get("code_challenge", "")
    if not challenge:
        return fail("invalid_request", "PKCE is required: send a code_challenge.")
    if params.get("code_challenge_method") != pkce.METHOD:
        return fail("invalid_request", "code_challenge_method must be S256.")
    if not pkce.is_valid_challenge(challenge):
        return fail("invalid_request", "The code_challenge is malformed.")
    if "none" in params.get("prompt", "").split():
        return fail("login_required", "This provider always asks which user to sign in as.")

    scope = tuple(dict.fromkeys(params.get("scope", "").split()))
    pending = state.store.add_pending(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        state=client_state,
        nonce=params.get("nonce") or None,
        code_challenge=challenge,
    )
    return _sign_in_page(pending)


def _sign_in_page(
    pending: PendingAuthorization, error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    target = urlsplit(pending.redirect_uri)
    html = render_template(
        "devidp/authorize.html",
        pending=pending,
        users=get_state().store.users(),
        redirect_origin=f"{target.scheme}://{target.netloc}",
        action=url_for(".authorize"),
        error=error,
    )
    return html, status, PAGE_HEADERS


def same_origin() -> bool:
    """Whether a form POST came from this site (or does not say)."""
    origin = request.headers.get("Origin")
    if origin is None:  # not sent by every client; the CSRF token still is
        return True
    return origin.rstrip("/") == request.host_url.rstrip("/")


def _decide() -> ResponseReturnValue:
    state = get_state()
    store = state.store
    form = request.form
    pending = store.get_pending(form.get("request_id", ""))
    if pending is None:
        return error_page(
            "Sign-in request expired",
            "This sign-in request has expired or was already answered. Go back to the"
            " application and start again.",
        )
    token = form.get("csrf_token", "")
    if not token or not hmac.compare_digest(token.encode(), pending.csrf_token.encode()):
        return error_page("Invalid form", "The form's CSRF token is missing or wrong.")
    if not same_origin():
        return error_page("Invalid form", "The form was posted from another site.")

    action = form.get("action")
    if action == "deny":
        return _finish(pending, error="access_denied")
    if action == "login":
        user = store.get_user(form.get("sub", ""))
        if user is None:
            return _sign_in_page(pending, "Pick one of the users below.", 400)
    elif action == "new":
        try:
            user = user_from_form(
                form.get("name", ""), form.get("email", ""), form.get("email_verified") == "on"
            )
        except InvalidUser as exc:
            return _sign_in_page(pending, str(exc), 400)
        user = store.add_user(user)
    else:
        return error_page("Invalid form", "Unknown action.")
    return _finish(pending, user=user)


def _finish(
    pending: PendingAuthorization,
    *,
    user: t.Mapping[str, t.Any] | None = None,
    error: str | None = None,
) -> ResponseReturnValue:
    state = get_state()
    store = state.store
    if store.take_pending(pending.id) is None:  # answered twice
        return error_page("Sign-in request expired", "This sign-in request was already answered.")
    params: dict[str, str | None]
    cookie = None
    if user is None:
        logger.info("devidp: sign-in denied for client %s", pending.client_id)
        params = {"error": error, "error_description": "The user denied the request."}
    else:
        session_ttl = int(state.setting("SESSION_TTL"))
        cookie, session = store.sign_in(
            session_cookie(), user["sub"], pending.client_id, ttl=session_ttl
        )
        grant = Grant(
            id=new_secret(),
            client_id=pending.client_id,
            sub=user["sub"],
            scope=pending.scope,
            auth_time=int(store.clock()),
            nonce=pending.nonce,
            sid=session.sid,
        )
        code = store.add_code(
            grant,
            pending.redirect_uri,
            pending.code_challenge,
            ttl=state.setting("CODE_TTL"),
        )
        logger.info("devidp: %s signed in to client %s", user["sub"], pending.client_id)
        params = {"code": code}
    params.update(state=pending.state, iss=state.issuer())
    response = redirect(add_query(pending.redirect_uri, params), code=303)
    if cookie is not None:
        set_session_cookie(response, cookie, session_ttl)
    return response
