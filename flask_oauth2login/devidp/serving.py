"""Serving the standalone provider on a loopback address."""

from __future__ import annotations

import typing as t

from werkzeug.serving import run_simple

from .. import redaction
from ..errors import ConfigurationError
from .clients import is_loopback_host

if t.TYPE_CHECKING:  # pragma: no cover
    from flask import Flask


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
    redaction.install()  # no code or token in the access log
    run_simple(
        host,
        port,
        app,
        threaded=True,
        use_reloader=False,
        use_debugger=False,
    )
