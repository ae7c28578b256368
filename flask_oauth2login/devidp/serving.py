"""Serving the provider on loopback only.

:func:`serve` binds the standalone provider to a loopback address, and
:func:`remote_reason` lets the provider refuse, at request time, any request
that did not come from this machine: however the app is served (``flask run
--host 0.0.0.0``, gunicorn, behind a proxy), the sign-in page that lets
anybody be anybody never answers another machine.
"""

from __future__ import annotations

import re
import typing as t

from werkzeug.serving import run_simple

from ..errors import ConfigurationError
from ..protocol import redaction
from .clients import is_loopback_host

if t.TYPE_CHECKING:  # pragma: no cover
    from flask import Flask, Request

#: Headers by which a proxy names the client it forwards the request for.
FORWARDING_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
_FORWARDED_FOR = re.compile(r'\bfor\s*=\s*"?([^";,]*)', re.IGNORECASE)


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


def remote_reason(request: Request) -> str | None:
    """Why ``request`` did not come from this machine, or ``None`` if it did.

    A request is local when its peer address is loopback, it is addressed to
    a loopback host (which also defeats DNS rebinding), and every address a
    proxy names in ``Forwarded``, ``X-Forwarded-For`` or ``X-Real-IP`` is
    loopback too.
    """
    if not is_loopback_host(request.remote_addr or ""):
        return "it comes from another machine"
    if not _is_loopback_node(request.host):
        return "it is addressed to a host name that is not loopback"
    for name in FORWARDING_HEADERS:
        for value in request.headers.getlist(name):
            forwarded = name == "Forwarded"
            addresses = _FORWARDED_FOR.findall(value) if forwarded else value.split(",")
            if not all(_is_loopback_node(a) for a in addresses):
                return "a proxy forwarded it from another machine"
    return None


def _is_loopback_node(node: str) -> bool:
    """Whether a host or node (``localhost:5000``, ``[::1]:80``, ``::1``) is loopback."""
    node = node.strip().strip('"')
    if node.startswith("["):
        node = node[1:].split("]", 1)[0]
    elif node.count(":") == 1:
        node = node.split(":", 1)[0]
    return is_loopback_host(node)
