"""The blueprint: ``/login``, ``/login/<provider>``, ``/callback/<provider>``,
``/connect``, ``/logout``, ``/disconnect/<provider>``, and the logout routes
the provider calls back: ``/logout/callback/<provider>``,
``/backchannel-logout/<provider>`` and ``/frontchannel-logout/<provider>``.

The views are thin: the flow is in :mod:`~flask_oauth2login.login.code_flow`
and :mod:`~flask_oauth2login.login.logout`, where a login goes (fresh, update,
connect, or ask first) in :mod:`~flask_oauth2login.login.outcome`, storage in
:mod:`~flask_oauth2login.tokens.logins`. Every failed login ends on an error
page (or a JSON error) with a 4xx or 5xx status, never an unhandled
exception. Routes that change something refuse cross-origin requests
(:mod:`~flask_oauth2login.csrf`).
"""

from __future__ import annotations

import functools
import logging
import typing as t

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from . import csrf
from ._runtime import AppState, get_state
from .config.settings import Settings
from .csrf import same_origin_only
from .errors import (
    CrossOriginRequest,
    InvalidLoginRequest,
    InvalidState,
    InvalidToken,
    LoginError,
    ProviderError,
    SessionStoreUnavailable,
    UnknownProvider,
    docs_url_for,
)
from .login import code_flow, disconnect, held_login, logout, outcome
from .login import pending as pending_logins
from .login.hints import debug_hint, operator_detail
from .pages import messages
from .pages.locale import N_, gettext
from .pages.responses import protect, wants_json
from .protocol.provider import Provider
from .sessions.setup import RETRY_AFTER
from .signals import current_sender, login_failed
from .tokens import logins
from .user import User

log = logging.getLogger(__name__)

#: Form field marking a ``form_post`` callback re-sent by our own page.
RESUBMIT_FIELD = "_oauth2login_resubmit"


def create_blueprint(url_prefix: str) -> Blueprint:
    """Build the blueprint with the routes under *url_prefix*."""
    bp = Blueprint(
        "oauth2login", __name__, template_folder="templates", url_prefix=url_prefix or None
    )
    bp.add_url_rule("/login", "choose", choose)
    bp.add_url_rule("/login/<provider>", "login", start_login, methods=["GET", "POST"])
    bp.add_url_rule("/callback/<provider>", "callback", callback, methods=["GET", "POST"])
    bp.add_url_rule("/connect", "connect", connect_page, methods=["GET"])
    bp.add_url_rule("/connect", "connect_answer", connect_answer, methods=["POST"])
    bp.add_url_rule("/logout", "logout", same_origin_only(log_out), methods=["POST"])
    bp.add_url_rule("/logout", "logout_page", logout_page, methods=["GET"])
    ending = functools.partial(disconnect.view, log_out_view=log_out)
    bp.add_url_rule(
        "/disconnect/<provider>", "disconnect", same_origin_only(ending), methods=["POST"]
    )
    bp.add_url_rule("/disconnect/<provider>", "disconnect_page", disconnect.get_view)
    bp.add_url_rule("/logout/callback/<provider>", "logout_callback", logout_callback)
    bp.add_url_rule(
        "/backchannel-logout/<provider>",
        "backchannel_logout",
        backchannel_logout,
        methods=["POST"],
    )
    bp.add_url_rule("/frontchannel-logout/<provider>", "frontchannel_logout", frontchannel_logout)
    bp.before_app_request(held_login.drop_if_expired)
    return bp


def choose() -> t.Any:
    """A page listing the configured providers."""
    app_state = get_state()
    next_url = pending_logins.safe_next(request.args.get("next"), app_state.settings.redirect_url)
    providers = [(name, p.config.title) for name, p in app_state.providers.items()]
    page = render_template("oauth2login/choose.html", providers=providers, next=next_url)
    return protect(current_app.make_response(page))


def start_login(provider: str) -> t.Any:
    """Start a login: redirect to the provider's consent page.

    ``GET`` (a link) or ``POST`` (a form of this site; refused when it comes
    from another origin), with ``next``, ``scope``, ``prompt``,
    ``login_hint`` and ``max_age``. A login started from this site may join
    the session's earlier logins (see :mod:`~flask_oauth2login.login.outcome`).
    """
    app_state, found = _state_for(provider)
    if request.method == "POST":
        if csrf.is_cross_origin():
            return _failed(provider, CrossOriginRequest(csrf.REFUSED_MESSAGE, provider=provider))
        params: t.Mapping[str, str] = request.values
        started_here = True
    else:
        params = request.args
        started_here = csrf.is_same_origin()
    next_url = pending_logins.safe_next(params.get("next"), app_state.settings.redirect_url)
    try:
        options = code_flow.read_options(found, params)
        granted = logins.granted_scope(found)
        url = code_flow.start(
            found, app_state.settings, next_url, options, granted=granted, started_here=started_here
        )
    except LoginError as exc:
        return _failed(provider, exc)
    return protect(redirect(url, 303 if request.method == "POST" else 302))


def callback(provider: str) -> t.Any:
    """Complete a login: check the answer, exchange the code, store the token."""
    app_state, found = _state_for(provider)
    params = request.form if request.method == "POST" else request.args
    if request.method == "POST" and _cookie_missing() and RESUBMIT_FIELD not in params:
        # A cross-site form_post carries no SameSite=Lax cookie; re-send it
        # from this site, where the browser adds the cookie.
        fields = {k: v for k, v in params.items() if k != RESUBMIT_FIELD}
        page = render_template("oauth2login/resubmit.html", fields=fields, field=RESUBMIT_FIELD)
        return protect(Response(page, 200, mimetype="text/html"))
    try:
        user, token, next_url, pending = code_flow.complete(found, app_state.settings, params)
        asked = pending.get("scope") or ()
        started_here = bool(pending.get("started_here"))
        kind = outcome.decide(provider, user, started_here=started_here)
        if kind == outcome.ASK:
            # Started elsewhere: the person says whether to connect it.
            held_login.hold(provider, user, token, next_url=next_url, asked=asked)
            response = redirect(url_for("oauth2login.connect"), 303)
            went_to = url_for("oauth2login.connect")
        else:
            response = outcome.commit(
                app_state, found, user, token, kind=kind, linking=started_here, asked=asked
            )
            went_to = next_url
        pending_logins.remember_completed(params["state"], provider=provider, next_url=went_to)
    except InvalidState as exc:
        replayed = _replayed_to(app_state, provider, params.get("state"))
        if replayed is not None:  # Back or reload after this very login
            return protect(redirect(replayed, 303))
        return _failed(provider, exc)
    except LoginError as exc:
        return _failed(provider, exc)
    except SessionStoreUnavailable as exc:  # answered 503 by its error handler
        login_failed.send(current_sender(), provider=provider, error=exc)
        raise
    return _after_login(response, next_url, 302)


#: The answers of the connect page: connect the held login to the session,
#: use it alone (the session's other logins end), or drop it.
CONNECT_ACTIONS = ("connect", "decline", "cancel")


def connect_page() -> t.Any:
    """``GET /connect``: ask whether to connect a login started elsewhere, if one waits."""
    app_state = get_state()
    found = held_login.held(app_state.settings.login_timeout)
    if found is None or found["provider"] not in app_state.providers:
        page = render_template("oauth2login/connect_none.html")
        return protect(current_app.response_class(page, mimetype="text/html"))
    new = User(found["user"])
    current = [
        (app_state.providers[name].config.title if name in app_state.providers else name, user)
        for name, user in reversed(logins.get_users().items())
    ]
    page = render_template(
        "oauth2login/connect.html",
        held_id=found["id"],
        new=new,
        new_title=app_state.providers[found["provider"]].config.title,
        current=current,
    )
    response = current_app.response_class(page, mimetype="text/html")
    # Not no-referrer: that would turn the Origin header of its form into "null".
    response.headers["Referrer-Policy"] = "same-origin"
    return protect(response)


def connect_answer() -> t.Any:
    """``POST /connect``: the person's answer (refused from another origin)."""
    app_state = get_state()
    if csrf.is_cross_origin():
        return _failed(None, CrossOriginRequest(csrf.REFUSED_MESSAGE))
    action = request.form.get("action")
    if action not in CONNECT_ACTIONS:
        return _failed(None, InvalidLoginRequest(N_("Answer with one of the page's buttons.")))
    try:
        found = held_login.take_held(request.form.get("id"), app_state.settings.login_timeout)
    except InvalidState as exc:
        return _failed(None, exc)
    provider = found["provider"]
    if provider not in app_state.providers:
        return _failed(None, InvalidState(held_login.NOTHING_HELD))
    user, token = User(found["user"]), found["token"]
    next_url = pending_logins.safe_next(found.get("next"), app_state.settings.redirect_url)
    if action == "cancel":  # stay as before, where a login lands by default
        log.info("A held %s login was dropped by the person.", provider)
        logins.revoke_tokens(app_state, {provider: token})
        return protect(redirect(app_state.settings.redirect_url, 303))
    # "decline": the held login alone, the session's others end.
    kind = (
        outcome.decide(provider, user, started_here=True) if action == "connect" else outcome.FRESH
    )
    try:
        response = outcome.commit(
            app_state,
            app_state.providers[provider],
            user,
            token,
            kind=kind,
            linking=action == "connect",
            asked=found.get("asked"),
        )
    except LoginError as exc:
        return _failed(provider, exc)
    except SessionStoreUnavailable as exc:  # answered 503 by its error handler
        login_failed.send(current_sender(), provider=provider, error=exc)
        raise
    return _after_login(response, next_url, 303)


def log_out() -> t.Any:
    """``POST /logout``: end the session, revoke its tokens at the provider
    where it can, and with ``logout_at_provider`` log out there too.

    The session ends first, for every request and process (a request still
    running cannot bring the login back), so a slow or failing provider
    never keeps anyone logged in. With several logins in the session, the
    browser goes on to the provider of the most recent one. A token store
    that is down does not keep anyone logged in either: the stored logins
    are ended (and revoked) when it answers again.
    """
    app_state = get_state()
    held, last, _ = disconnect.end_whole_session(app_state)
    target = request.form.get("next") or request.args.get("next")
    next_url = pending_logins.safe_next(target, app_state.settings.logout_redirect_url)
    # Several logins: the provider of the most recent one (the user's).
    latest = app_state.providers.get(last["provider"]) if last is not None else None
    if latest is not None and latest.config.logout_at_provider:
        return _log_out_at_provider(latest, app_state.settings, held.get(latest.name), next_url)
    if wants_json():
        return protect(current_app.response_class(status=204))
    return protect(redirect(next_url, 303))


def _log_out_at_provider(
    provider: Provider, settings: Settings, token: t.Mapping[str, t.Any] | None, next_url: str
) -> t.Any:
    """Send the browser on to log out at *provider*, or say why it cannot."""
    try:
        url = logout.end_session_url(provider, settings, token, next_url)
        problem = messages.NO_LOGOUT_THERE
    except ProviderError as exc:
        log.warning("Could not log out at %s: %s %s", provider.name, exc.message, exc.detail or "")
        url, problem = None, messages.PROVIDER_UNREACHED_AT_LOGOUT
    message = gettext(problem, provider=provider.config.title)
    if wants_json():
        return protect(jsonify(end_session_url=url, message=None if url else message))
    if url is not None:
        return protect(redirect(url, 303))
    page = render_template("oauth2login/logged_out.html", message=message, next=next_url)
    return protect(current_app.response_class(page, mimetype="text/html"))


def logout_callback(provider: str) -> t.Any:
    """``GET /logout/callback/<provider>``: back from logging out at the
    provider; on to the logout's ``next`` when its ``state`` is this
    browser's, else to the default landing page."""
    app_state, _ = _state_for(provider)
    next_url = logout.take_logout(
        request.args.get("state"), provider=provider, timeout=app_state.settings.login_timeout
    )
    if next_url is None:
        log.info("Back from logging out at %s with an unknown state.", provider)
        next_url = app_state.settings.logout_redirect_url
    response = redirect(next_url, 303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return protect(response)


def backchannel_logout(provider: str) -> t.Any:
    """``POST /backchannel-logout/<provider>``: the provider ends sessions
    with a logout token (OpenID Connect Back-Channel Logout 1.0).

    Answers 200 once every matching session has ended, 400 with a JSON
    ``error`` for a token that is refused (nothing ends then), 503 when the
    provider's keys or the session store cannot be reached (nothing ends,
    and the provider may try again).
    """
    app_state = get_state()
    if provider not in app_state.providers:
        return _backchannel_error(404, "invalid_request", "No provider of that name is configured.")
    tokens_given = request.form.getlist("logout_token")
    try:
        logout.backchannel_logout(
            app_state,
            app_state.providers[provider],
            tokens_given[0] if len(tokens_given) == 1 else None,
        )
    except InvalidToken as exc:
        log.warning("Refused a back-channel logout of %s: %s", provider, exc.message)
        return _backchannel_error(400, "invalid_request", exc.message)
    except (ProviderError, SessionStoreUnavailable) as exc:
        log.warning(
            "Could not carry out a back-channel logout of %s: %s %s",
            provider,
            exc.message,
            exc.detail or "",
        )
        response = _backchannel_error(503, "temporarily_unavailable", exc.message)
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response
    return protect(current_app.response_class(status=200))


def _backchannel_error(status: int, error: str, description: str) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    return t.cast(Response, protect(response))


def frontchannel_logout(provider: str) -> t.Any:
    """``GET /frontchannel-logout/<provider>?iss=...&sid=...``: the
    provider's logout page, framing this one, ends the sessions of ``sid``
    (OpenID Connect Front-Channel Logout 1.0).

    Only the provider may frame the answer; other sites may not. Only an
    iframe navigation (``Sec-Fetch-Dest: iframe``) is carried out: an image,
    a link or a script elsewhere, or a request without a browser, is
    refused with 403 and ends nothing.
    """
    app_state, found = _state_for(provider)
    ancestors = "'none'"
    try:
        args, dest = request.args, request.headers.get("Sec-Fetch-Dest")
        ancestors = logout.frontchannel_logout(
            app_state, found, dest, args.get("iss"), args.get("sid")
        )
        status, message = 200, gettext("You are logged out of this site.")
    except LoginError as exc:
        log.warning("Refused a front-channel logout of %s: %s", provider, exc.message)
        status, message = exc.status_code, messages.person_message(exc)[0]
    title = gettext("Logged out") if status == 200 else gettext("Not logged out")
    page = render_template("oauth2login/frontchannel.html", message=message, title=title)
    response = current_app.response_class(page, status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def logout_page() -> t.Any:
    """``GET /logout``: logging out takes a POST (a link elsewhere must not log
    anyone out); this page offers the button."""
    app_state = get_state()
    next_url = pending_logins.safe_next(
        request.args.get("next"), app_state.settings.logout_redirect_url
    )
    if wants_json():
        response = jsonify(
            error="method_not_allowed", message="Log out with POST /logout.", provider=None
        )
    else:
        page = render_template("oauth2login/logout.html", next=next_url)
        response = current_app.response_class(page, mimetype="text/html")
    response.status_code = 405
    response.headers["Allow"] = "POST"
    return protect(response)


def jwks() -> t.Any:
    """``OAUTH2LOGIN_JWKS_URL_PATH``: the public keys this app signs its
    ``private_key_jwt`` client assertions with, as a JWK Set, for providers
    that fetch them (register this URL as the client's ``jwks_uri``)."""
    app_state = get_state()
    keys: dict[str, dict[str, str]] = {}
    for provider in app_state.providers.values():
        jwk = provider.registration_jwk()
        if jwk is not None:
            keys.setdefault(jwk["kid"], jwk)
    response = jsonify(keys=list(keys.values()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _replayed_to(app_state: AppState, provider: str, state_value: str | None) -> str | None:
    """Where a callback this session already completed went, if the user is
    still logged in with *provider* (or its login still waits on the connect page)."""
    held = held_login.held(app_state.settings.login_timeout)
    if logins.get_token(provider) is None and (held is None or held["provider"] != provider):
        return None
    return pending_logins.completed_next(
        state_value, provider=provider, timeout=app_state.settings.login_timeout
    )


def _after_login(response: t.Any, next_url: str, status: int) -> t.Any:
    """The answer once a login is stored: what a hook returned, else a
    redirect to *next_url*; the URL it came from (with the code) is never
    sent on as a referrer."""
    if response is None:
        response = redirect(next_url, status)
    response = current_app.make_response(response)
    response.headers["Referrer-Policy"] = "no-referrer"
    return protect(response)


def _failed(provider: str | None, error: LoginError) -> t.Any:
    """Answer a failed login: signal, log, and an error page or JSON.

    The log line says what the operator should know (the error's
    :attr:`~flask_oauth2login.errors.OAuth2LoginError.detail`) and links to
    the error's entry in the documentation.
    """
    settings = get_state().settings
    detail = operator_detail(error, provider)
    log.warning(
        "Login with %s failed: %s%s See %s",
        provider,
        error.message,
        f" {detail}" if detail else "",
        docs_url_for(error, settings.docs_url),
    )
    login_failed.send(current_sender(), provider=provider, error=error)
    return error_response(error, provider)


def error_response(error: LoginError, provider: str | None = None) -> Response:
    """The page (or JSON) that tells the user why a login failed."""
    if wants_json():
        body = {"error": error.error_code, "message": error.message, "provider": provider}
        response = jsonify(body)
        response.status_code = error.status_code
    else:
        app_state = get_state()
        message, detail = messages.person_message(error)
        known = app_state.providers.get(provider or "")
        page = render_template(
            "oauth2login/error.html",
            error=error,
            message=message,
            detail=detail,
            provider=provider if known else None,
            title=known.config.title if known else None,
            hint=debug_hint(error, provider) if current_app.debug else None,
            docs_url=docs_url_for(error, app_state.settings.docs_url)
            if current_app.debug
            else None,
        )
        response = current_app.response_class(page, error.status_code, mimetype="text/html")
    response.headers["Referrer-Policy"] = "no-referrer"
    return protect(response)


def _state_for(provider: str) -> tuple[AppState, Provider]:
    """The app's state and the provider called *provider*.

    :raises UnknownProvider: if there is none (answered 404).
    """
    app_state = get_state()
    found = app_state.providers.get(provider)
    if found is None:
        raise UnknownProvider(
            N_("There is no way to log in by that name here; pick one of the ways offered."),
            provider=provider,
        )
    return app_state, found


def _cookie_missing() -> bool:
    return current_app.config["SESSION_COOKIE_NAME"] not in request.cookies
