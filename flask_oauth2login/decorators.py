"""``@login_required``: guard views that need a logged-in user, and a scope.

``@login_required("github", scope="repo")`` also wants the session's GitHub
token to have been granted ``repo``. Without it, a browser is sent to log in
again asking for it (incremental authorization: the configured scope, plus
the granted one, plus ``repo``) and comes back to the same page; a JSON
client gets ``401`` with ``"error": "insufficient_scope"`` and the
``login_url`` to send the user to.

A provider may grant less than was asked. That is not an error: the page
asks again, but only once per login timeout for the same missing scope (the
loop guard): a browser that was just sent to ask for it, and came back
without it, gets a ``403`` page saying so, with a button to ask again.
"""

from __future__ import annotations

import functools
import inspect
import typing as t

from flask import current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ._runtime import get_state
from .errors import NotLoggedInError
from .login import outcome
from .pages.responses import protect, wants_json
from .tokens import logins

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: A scope argument: space-separated scopes, or a list of them.
Scope = str | t.Sequence[str] | None


@t.overload
def login_required(view: F, /) -> F: ...
@t.overload
def login_required(
    provider: str | None = None, /, *, scope: Scope = None
) -> t.Callable[[F], F]: ...


def login_required(view_or_provider: t.Any = None, /, *, scope: Scope = None) -> t.Any:
    """Let only logged-in users through.

    ``@login_required`` wants any login; ``@login_required("github")`` a
    login with that provider (a token for it in the session). Others are
    redirected to log in and come back here afterwards; requests that ask
    for JSON get a 401 instead. Works for sync and ``async`` views.

    :param scope: scopes the provider's token must have been granted
        (space-separated, or a list); each must be in the provider's
        ``allowed_scopes``. Without a provider, the provider of the
        session's most recent login.
    """
    if callable(view_or_provider):
        return _guard(view_or_provider, None, ())
    provider = view_or_provider
    scopes = _scopes(scope)

    def decorator(view: F) -> F:
        return _guard(view, provider, scopes)

    return decorator


def _scopes(scope: Scope) -> tuple[str, ...]:
    if scope is None:
        return ()
    return tuple(dict.fromkeys(scope.split() if isinstance(scope, str) else scope))


def _guard(view: F, provider: str | None, scopes: tuple[str, ...]) -> F:
    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            refused = _refusal(provider, scopes)
            if refused is not None:
                return refused
            return await view(*args, **kwargs)

        return t.cast(F, async_wrapper)

    @functools.wraps(view)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        refused = _refusal(provider, scopes)
        if refused is not None:
            return refused
        return view(*args, **kwargs)

    return t.cast(F, wrapper)


def _refusal(provider: str | None, scopes: tuple[str, ...]) -> Response | None:
    """The answer to a request that may not see the view, or ``None``."""
    if not is_logged_in(provider):
        return unauthorized(provider, scope=scopes)
    if scopes:
        if provider is None:
            user = logins.get_user()
            provider = user["provider"] if user is not None else None
        if provider is None or provider not in get_state().providers:
            return unauthorized(None, scope=scopes)
        missing = missing_scopes(provider, scopes)
        if missing:
            return insufficient_scope(provider, missing)
    return None


def is_logged_in(provider: str | None = None) -> bool:
    """Whether the session holds a login (with *provider*, if given)."""
    if provider is None:
        return logins.get_user() is not None
    return logins.get_token(provider) is not None


def missing_scopes(provider: str, scope: Scope) -> tuple[str, ...]:
    """The scopes of *scope* the session's token for *provider* was not
    granted (all of them without a token)."""
    found = get_state().provider(provider)
    return found.config.preset.missing_scopes(_scopes(scope), logins.granted_scope(found))


def unauthorized(
    provider: str | None = None, message: str | None = None, *, scope: Scope = None
) -> Response:
    """The answer to a request that needs a login it does not have."""
    login_url = login_url_for(provider, next_url=request.full_path.rstrip("?"), scope=scope)
    if wants_json():
        response = jsonify(
            error="login_required",
            message=message or "Log in to continue.",
            login_url=login_url,
        )
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="login"'
        return response
    return redirect(login_url, 302)


def insufficient_scope(provider: str, missing: t.Sequence[str]) -> Response:
    """The answer to a request whose token lacks the scopes *missing*: a
    redirect to log in asking for them, a 401 for JSON, or (when the provider
    just did not grant them) a 403 page that says so."""
    app_state = get_state()
    scope = " ".join(missing)
    login_url = login_url_for(provider, next_url=request.full_path.rstrip("?"), scope=missing)
    title = app_state.provider(provider).config.title
    if wants_json():
        response = jsonify(
            error="insufficient_scope",
            scope=scope,
            login_url=login_url,
            message=f"This needs more permission from {title}: {scope}.",
        )
        response.status_code = 401
        response.headers["WWW-Authenticate"] = (
            f'Bearer realm="login", error="insufficient_scope", scope="{scope}"'
        )
        return response
    if outcome.lately_refused(provider, missing, app_state.settings.login_timeout):
        # Asked moments ago and not granted: another redirect would loop.
        page = render_template(
            "oauth2login/scope.html",
            title=title,
            missing=missing,
            login_url=login_url,
            home=app_state.settings.redirect_url,
        )
        return protect(current_app.response_class(page, 403, mimetype="text/html"))  # type: ignore[no-any-return]
    return redirect(login_url, 302)


def login_url_for(provider: str | None, next_url: str | None = None, scope: Scope = None) -> str:
    """Where to send a browser to log in: the named provider, the only one
    configured, or the page listing them (which asks for no extra scope)."""
    app_state = get_state()
    if provider is None and len(app_state.providers) == 1:
        provider = next(iter(app_state.providers))
    args: dict[str, t.Any] = {"next": next_url} if next_url else {}
    if provider is None or provider not in app_state.providers:
        return url_for("oauth2login.choose", **args)
    scopes = _scopes(scope)
    if scopes:
        args["scope"] = " ".join(scopes)
    return url_for("oauth2login.login", provider=provider, **args)


def handle_not_logged_in(error: NotLoggedInError) -> Response:
    """Answer a :class:`NotLoggedInError` that escaped a view like
    ``@login_required`` does."""
    return unauthorized(
        error.provider if error.provider in get_state().providers else None, error.message
    )
