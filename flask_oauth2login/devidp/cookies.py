"""The provider's own session cookie: a browser signed in at the provider.

Its value is a random secret naming a :class:`~.records.ProviderSession` in
the store; it is ``HttpOnly``, ``SameSite=Lax`` and scoped to the provider's
URL prefix, so the app the provider is mounted in never sees it.
"""

from __future__ import annotations

import typing as t

from flask import request

from .state import get_state

if t.TYPE_CHECKING:  # pragma: no cover
    from werkzeug.wrappers import Response

#: The cookie's name.
SESSION_COOKIE = "devidp_session"


def session_cookie() -> str | None:
    """The provider session cookie this request carries, if any."""
    return request.cookies.get(SESSION_COOKIE)


def set_session_cookie(response: Response, value: str, ttl: int) -> None:
    """Make the browser keep *value* for *ttl* seconds."""
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=ttl,
        path=get_state().url_prefix or "/",
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )


def clear_session_cookie(response: Response) -> None:
    """Make the browser forget the provider session cookie."""
    response.delete_cookie(
        SESSION_COOKIE,
        path=get_state().url_prefix or "/",
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )
