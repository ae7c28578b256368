"""The blueprint: ``/login``, ``/login/<provider>``, ``/callback/<provider>``, ``/logout``.

The views are thin: the protocol is in :mod:`.login`, storage in
:mod:`.tokens`. Every failed login ends on an error page (or a JSON error)
with a 4xx or 5xx status, never an unhandled exception.
"""

from __future__ import annotations

import logging
import typing as t

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from werkzeug.wrappers import Response

from . import flow, login, tokens
from .errors import (
    InvalidState,
    LoginError,
    OAuth2LoginError,
    SessionStoreUnavailable,
    UnknownProvider,
)
from .hints import diagnose_missing_login
from .responses import protect, wants_json
from .sessions import end as end_session
from .sessions import regenerate
from .signals import current_sender, logged_in, logged_out, login_failed
from .state import AppState, get_state

log = logging.getLogger(__name__)

#: Form field marking a ``form_post`` callback re-sent by our own page.
RESUBMIT_FIELD = "_oauth2login_resubmit"


def create_blueprint(url_prefix: str) -> Blueprint:
    """Build the blueprint with the routes under *url_prefix*."""
    bp = Blueprint(
        "oauth2login", __name__, template_folder="templates", url_prefix=url_prefix or None
    )
    bp.add_url_rule("/login", "choose", choose)
    bp.add_url_rule("/login/<provider>", "login", start_login)
    bp.add_url_rule("/callback/<provider>", "callback", callback, methods=["GET", "POST"])
    bp.add_url_rule("/logout", "logout", logout, methods=["POST"])
    bp.add_url_rule("/logout", "logout_page", logout_page, methods=["GET"])
    return bp


def choose() -> t.Any:
    """A page listing the configured providers."""
    state = get_state()
    next_url = flow.safe_next(request.args.get("next"), state.settings.redirect_url)
    providers = [(name, c.config.title) for name, c in state.clients.items()]
    page = render_template("oauth2login/choose.html", providers=providers, next=next_url)
    return protect(current_app.make_response(page))


def start_login(provider: str) -> t.Any:
    """Start a login: redirect to the provider's consent page."""
    state = _state_for(provider)
    next_url = flow.safe_next(request.args.get("next"), state.settings.redirect_url)
    try:
        url = login.start(state, provider, next_url)
    except LoginError as exc:
        return _failed(provider, exc)
    return protect(redirect(url, 302))


def callback(provider: str) -> t.Any:
    """Complete a login: check the answer, exchange the code, store the token."""
    state = _state_for(provider)
    params = request.form if request.method == "POST" else request.args
    if request.method == "POST" and _cookie_missing() and RESUBMIT_FIELD not in params:
        # A cross-site form_post carries no SameSite=Lax cookie; re-send it
        # from this site, where the browser adds the cookie.
        fields = {k: v for k, v in params.items() if k != RESUBMIT_FIELD}
        page = render_template("oauth2login/resubmit.html", fields=fields, field=RESUBMIT_FIELD)
        return protect(Response(page, 200, mimetype="text/html"))
    try:
        user, token, next_url = login.complete(state, provider, params)
        before = tokens.snapshot()
        regenerate()
        tokens.save_login(provider, user, token)
        flow.remember_completed(params["state"], provider=provider, next_url=next_url)
        response = _run_login_hooks(state, provider, user, token, before)
    except InvalidState as exc:
        replayed = _replayed_to(state, provider, params.get("state"))
        if replayed is not None:  # Back or reload after this very login
            return protect(redirect(replayed, 303))
        return _failed(provider, exc)
    except LoginError as exc:
        return _failed(provider, exc)
    except SessionStoreUnavailable as exc:  # answered 503 by its error handler
        login_failed.send(current_sender(), provider=provider, error=exc)
        raise
    log.info("Logged in %s:%s.", provider, user["sub"])
    logged_in.send(current_sender(), provider=provider, user=user, token=token)
    if response is None:
        response = redirect(next_url, 302)
    response = current_app.make_response(response)
    response.headers["Referrer-Policy"] = "no-referrer"
    return protect(response)


def logout() -> t.Any:
    """End the session, then revoke its tokens at the provider where it can.

    The session ends first, for every request and process (a request still
    running cannot bring the login back), so a slow or failing provider
    never keeps anyone logged in.
    """
    state = get_state()
    held = tokens.held_tokens()  # decrypted, from the session or the token store
    forgotten = tokens.forget()
    app = current_sender()
    for provider in forgotten:
        logged_out.send(app, provider=provider)
    session.clear()
    end_session()
    for provider, token in held.items():
        _revoke(state, provider, token)
    target = request.form.get("next") or request.args.get("next")
    next_url = flow.safe_next(target, state.settings.logout_redirect_url)
    if wants_json():
        return protect(current_app.response_class(status=204))
    return protect(redirect(next_url, 303))


def logout_page() -> t.Any:
    """``GET /logout``: logging out takes a POST (a link elsewhere must not log
    anyone out); this page offers the button."""
    state = get_state()
    next_url = flow.safe_next(request.args.get("next"), state.settings.logout_redirect_url)
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


def _replayed_to(state: AppState, provider: str, state_value: str | None) -> str | None:
    """Where a callback this session already completed went, if the user is
    still logged in with *provider*."""
    if tokens.get_token(provider) is None:
        return None
    return flow.completed_next(state_value, provider=provider, timeout=state.settings.login_timeout)


def _run_login_hooks(
    state: AppState, provider: str, user: t.Any, token: t.Any, before: t.Mapping[str, t.Any]
) -> t.Any:
    response = None
    try:
        for hook in state.login_hooks:
            result = hook(provider, user, token)
            if result is not None:
                response = result
    except BaseException:
        # A refused login, or a hook that failed, leaves the logins it found.
        tokens.restore(before)
        raise
    return response


def _revoke(state: AppState, provider: str, token: t.Mapping[str, t.Any]) -> None:
    client = state.clients.get(provider)
    if client is None:
        return
    try:
        endpoints = state.endpoints(provider)
    except OAuth2LoginError:
        log.warning("Could not revoke the %s token: the provider is unavailable.", provider)
        return
    for hint in ("refresh_token", "access_token"):
        if token.get(hint) and not client.revoke(endpoints, token[hint], hint):
            log.warning("The %s provider did not confirm revocation of a %s.", provider, hint)


def _failed(provider: str, error: LoginError) -> t.Any:
    """Answer a failed login: signal, log, and an error page or JSON."""
    log.warning("Login with %s failed: %s", provider, error.message)
    login_failed.send(current_sender(), provider=provider, error=error)
    return error_response(error, provider)


def error_response(error: LoginError, provider: str | None = None) -> Response:
    """The page (or JSON) that tells the user why a login failed."""
    if wants_json():
        body = {"error": error.error_code, "message": error.message, "provider": provider}
        response = jsonify(body)
        response.status_code = error.status_code
    else:
        state = get_state()
        page = render_template(
            "oauth2login/error.html",
            error=error,
            provider=provider if provider in state.clients else None,
            title=state.clients[provider].config.title if provider in state.clients else None,
            hint=diagnose_missing_login()
            if current_app.debug and isinstance(error, InvalidState)
            else None,
        )
        response = current_app.response_class(page, error.status_code, mimetype="text/html")
    response.headers["Referrer-Policy"] = "no-referrer"
    return protect(response)


def _state_for(provider: str) -> AppState:
    state = get_state()
    if provider not in state.clients:
        raise UnknownProvider(
            "There is no way to log in by that name here; pick one of the ways offered.",
            provider=provider,
        )
    return state


def _cookie_missing() -> bool:
    return current_app.config["SESSION_COOKIE_NAME"] not in request.cookies
