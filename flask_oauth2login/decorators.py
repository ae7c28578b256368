"""``@login_required``: guard views that need a logged-in user."""

from __future__ import annotations

import functools
import inspect
import typing as t

from flask import jsonify, redirect, request, url_for
from werkzeug.wrappers import Response

from . import tokens
from .errors import NotLoggedInError
from .responses import wants_json
from .state import get_state

F = t.TypeVar("F", bound=t.Callable[..., t.Any])


@t.overload
def login_required(view: F, /) -> F: ...
@t.overload
def login_required(provider: str | None = None, /) -> t.Callable[[F], F]: ...


def login_required(view_or_provider: t.Any = None, /) -> t.Any:
    """Let only logged-in users through.

    ``@login_required`` wants any login; ``@login_required("github")`` a
    login with that provider (a token for it in the session). Others are
    redirected to log in and come back here afterwards; requests that ask
    for JSON get a 401 instead. Works for sync and ``async`` views.
    """
    if callable(view_or_provider):
        return _guard(view_or_provider, None)
    provider = view_or_provider

    def decorator(view: F) -> F:
        return _guard(view, provider)

    return decorator


def _guard(view: F, provider: str | None) -> F:
    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            if not is_logged_in(provider):
                return unauthorized(provider)
            return await view(*args, **kwargs)

        return t.cast(F, async_wrapper)

    @functools.wraps(view)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        if not is_logged_in(provider):
            return unauthorized(provider)
        return view(*args, **kwargs)

    return t.cast(F, wrapper)


def is_logged_in(provider: str | None = None) -> bool:
    """Whether the session holds a login (with *provider*, if given)."""
    if provider is None:
        return tokens.get_user() is not None
    return tokens.get_token(provider) is not None


def unauthorized(provider: str | None = None, message: str | None = None) -> Response:
    """The answer to a request that needs a login it does not have."""
    login_url = login_url_for(provider, next_url=request.full_path.rstrip("?"))
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


def login_url_for(provider: str | None, next_url: str | None = None) -> str:
    """Where to send a browser to log in: the named provider, the only one
    configured, or the page listing them."""
    state = get_state()
    if provider is None and len(state.clients) == 1:
        provider = next(iter(state.clients))
    args: dict[str, t.Any] = {"next": next_url} if next_url else {}
    if provider is None or provider not in state.clients:
        return url_for("oauth2login.choose", **args)
    return url_for("oauth2login.login", provider=provider, **args)


def handle_not_logged_in(error: NotLoggedInError) -> Response:
    """Answer a :class:`NotLoggedInError` that escaped a view like
    ``@login_required`` does."""
    return unauthorized(
        error.provider if error.provider in get_state().clients else None, error.message
    )
