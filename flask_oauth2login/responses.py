"""How to answer: the request's preferred format."""

from __future__ import annotations

from flask import request


def wants_json() -> bool:
    """Whether the current request asks for JSON rather than a page."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json"
