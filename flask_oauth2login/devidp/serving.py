"""Serving the standalone provider on a loopback address."""

from __future__ import annotations

import typing as t
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from werkzeug.serving import WSGIRequestHandler, run_simple

from ..errors import ConfigurationError
from .clients import is_loopback_host

if t.TYPE_CHECKING:  # pragma: no cover
    from flask import Flask

#: Query parameters whose values never reach the access log.
SENSITIVE_PARAMS = frozenset(
    (
        "code",
        "access_token",
        "refresh_token",
        "id_token",
        "id_token_hint",
        "token",
        "client_secret",
        "code_verifier",
    )
)


def redact(path: str) -> str:
    """``path`` with the values of :data:`SENSITIVE_PARAMS` replaced by ``***``."""
    parts = urlsplit(path)
    if not parts.query:
        return path
    query = [
        (k, "***" if k in SENSITIVE_PARAMS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


class RedactingRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, but codes and tokens are not logged."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = getattr(self, "path", None)
        if path is None:
            super().log_request(code, size)
            return
        self.path = redact(path)
        try:
            super().log_request(code, size)
        finally:
            self.path = path


def check_loopback(host: str) -> None:
    """Refuse to serve anywhere but on a loopback address.

    :raises ConfigurationError: if ``host`` is not loopback.
    """
    if not is_loopback_host(host):
        raise ConfigurationError(
            f"Refusing to serve the development identity provider on {host!r}:"
            " it lets anybody sign in as anybody. Use 127.0.0.1, ::1 or localhost."
        )


def serve(app: Flask, host: str = "127.0.0.1", port: int = 8400) -> None:
    """Serve ``app`` with Werkzeug's threaded server on a loopback ``host``."""
    check_loopback(host)
    run_simple(
        host,
        port,
        app,
        threaded=True,
        use_reloader=False,
        use_debugger=False,
        request_handler=RedactingRequestHandler,
    )
