"""Setting up the server-side session the tokens live in.

The app's own Flask-Session is used when it has one. Otherwise Flask-Session
is set up from the app's ``SESSION_*`` configuration, and when there is none,
with an embedded file-system store (cachelib) under the instance folder.
"""

from __future__ import annotations

import os
import typing as t

from flask import Flask, request, session
from flask_session import Session
from flask_session.base import ServerSideSessionInterface

from .errors import ConfigurationError


def setup_session(app: Flask) -> ServerSideSessionInterface:
    """Make sure *app* keeps its sessions on the server; return the interface."""
    interface = app.session_interface
    if not isinstance(interface, ServerSideSessionInterface):
        if type(interface).__name__ != "SecureCookieSessionInterface":
            raise ConfigurationError(
                f"the app's session interface {type(interface).__name__} does not keep "
                "sessions on the server; use Flask-Session (or leave the default in place "
                "and flask-oauth2login sets Flask-Session up)",
                key="SESSION_TYPE",
            )
        if app.config.get("SESSION_TYPE") in (None, "null"):
            app.config["SESSION_TYPE"] = "cachelib"
            app.config.setdefault("SESSION_CACHELIB", _embedded_store(app))
        elif app.config["SESSION_TYPE"] == "redis" and app.config.get("SESSION_REDIS") is None:
            raise ConfigurationError(
                "SESSION_TYPE is 'redis' but SESSION_REDIS is not set; set it to a "
                "redis.Redis client, e.g. redis.Redis.from_url('redis://localhost:6379/0')",
                key="SESSION_REDIS",
            )
        try:
            Session(app)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(str(exc), key="SESSION_TYPE") from None
        interface = app.session_interface
        assert isinstance(interface, ServerSideSessionInterface)

    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        # Lax: sent on the top-level redirect back from the provider, not on
        # cross-site POSTs.
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    _secure_on_https(interface)
    return interface


def regenerate() -> None:
    """Give the current session a new id, keeping its data (no session fixation)."""
    interface = t.cast(ServerSideSessionInterface, _current_interface())
    interface.regenerate(session)  # type: ignore[arg-type]


def _current_interface() -> t.Any:
    from flask import current_app

    return current_app.session_interface


def _embedded_store(app: Flask) -> t.Any:
    from cachelib.file import FileSystemCache

    path = os.path.join(app.instance_path, "flask_session")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return FileSystemCache(path, threshold=10_000, mode=0o600)


def _secure_on_https(interface: ServerSideSessionInterface) -> None:
    """Mark the session cookie ``Secure`` whenever the request came over HTTPS."""
    configured = interface.get_cookie_secure

    def get_cookie_secure(app: Flask) -> bool:
        return bool(configured(app)) or request.is_secure

    interface.get_cookie_secure = get_cookie_secure  # type: ignore[method-assign]
