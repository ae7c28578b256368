"""How to answer: the request's preferred format, and the headers of every
answer the extension makes."""

from __future__ import annotations

import typing as t

from flask import request

#: Refuses framing by other sites (clickjacking), in both the current and
#: the legacy header.
FRAME_HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}


def wants_json() -> bool:
    """Whether the current request asks for JSON rather than a page."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json"


def protect(response: t.Any) -> t.Any:
    """Mark one of the extension's answers as never cached and never framed."""
    response.headers["Cache-Control"] = "no-store"
    for name, value in FRAME_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
