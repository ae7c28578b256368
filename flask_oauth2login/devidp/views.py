"""The provider's blueprint: its URL map, guard and error handling.

Paths, relative to the URL prefix:

=====================================  =========================================
``/``                                  a page listing endpoints, clients, users
``/.well-known/openid-configuration``  discovery document
``/jwks``                              public signing key
``/authorize``                         sign-in page (``GET``, form ``POST``)
``/token``                             token endpoint
``/userinfo``                          UserInfo endpoint
``/revoke``                            token revocation (:rfc:`7009`)
``/par``                               pushed authorization requests (:rfc:`9126`)
``/logout``                            end-session endpoint (confirmation page)
``/api/me``                            demo API protected by a bearer token
``/favicon.ico``                       the icon (pages also carry it inline)
=====================================  =========================================

Every answer refuses to be framed (``X-Frame-Options: DENY`` and
``Content-Security-Policy: frame-ancestors 'none'``) and to be cached.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from . import authorize, endpoints, logout, metadata, resources
from .errors import OAuthError
from .serving import remote_reason
from .state import get_state

logger = logging.getLogger(__name__)

blueprint = Blueprint("oauth2login_devidp", __name__, template_folder="templates")

#: The provider's icon: a white key on its accent colour.
FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="7" fill="#4f46e5"/>'
    '<circle cx="11" cy="16" r="5" fill="none" stroke="#fff" stroke-width="3"/>'
    '<path d="M16 16h11m-4 0v5m4-5v4" fill="none" stroke="#fff" stroke-width="3"'
    ' stroke-linecap="round"/></svg>'
)
#: The icon as a ``data:`` URI, for ``<link rel="icon">`` in every page.
FAVICON_HREF = "data:image/svg+xml," + quote(FAVICON_SVG)
#: Refuses framing in browsers that know CSP, and in those that only know XFO.
FRAME_ANCESTORS = "frame-ancestors 'none'"


@blueprint.before_request
def _only_in_development() -> ResponseReturnValue | None:
    # init_app already refused; this also catches debug being switched off later.
    if not (current_app.debug or current_app.testing):
        abort(404)
    # However the app is served (flask run --host 0.0.0.0, gunicorn, a proxy),
    # a page that lets anybody sign in as anybody answers this machine only.
    reason = remote_reason(request)
    if reason is not None:
        logger.warning("devidp: refused a request from %s: %s", request.remote_addr, reason)
        return authorize.error_page(
            "Local requests only",
            f"The development identity provider refused this request: {reason}. It answers"
            " only requests made on the machine that runs it, to 127.0.0.1, [::1] or"
            " localhost, because it lets anybody sign in as anybody. Do not deploy it.",
            403,
        )
    return None


@blueprint.after_request
def _no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    if response.headers["Cache-Control"] == "no-store":
        response.headers.setdefault("Pragma", "no-cache")
    return refuse_framing(response)


def refuse_framing(response: Response) -> Response:
    """Add ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'`` to ``response``."""
    response.headers.setdefault("X-Frame-Options", "DENY")
    csp = response.headers.get("Content-Security-Policy")
    if not csp:
        response.headers["Content-Security-Policy"] = f"default-src 'none'; {FRAME_ANCESTORS}"
    elif "frame-ancestors" not in csp:
        response.headers["Content-Security-Policy"] = f"{csp}; {FRAME_ANCESTORS}"
    return response


@blueprint.context_processor
def _page_globals() -> dict[str, str]:
    return {"favicon_href": FAVICON_HREF}


@blueprint.errorhandler(OAuthError)
def _oauth_error(error: OAuthError) -> ResponseReturnValue:
    return jsonify(error.to_dict()), error.status, error.headers


def index() -> ResponseReturnValue:
    """``GET /``: what this provider is and how to use it."""
    state = get_state()
    html = render_template(
        "devidp/index.html",
        metadata=metadata.provider_metadata(),
        clients=state.clients(),
        users=state.store.users(),
    )
    return html, 200, authorize.PAGE_HEADERS


def favicon() -> ResponseReturnValue:
    """``GET /favicon.ico``: the icon, for clients that ask for it by name."""
    headers = {"Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400"}
    return FAVICON_SVG, 200, headers


blueprint.add_url_rule("/", "index", index)
blueprint.add_url_rule(
    "/.well-known/openid-configuration",
    "openid_configuration",
    metadata.openid_configuration,
)
blueprint.add_url_rule("/jwks", "jwks", metadata.jwks)
blueprint.add_url_rule("/authorize", "authorize", authorize.authorize, methods=["GET", "POST"])
blueprint.add_url_rule("/token", "token", endpoints.token, methods=["POST"])
blueprint.add_url_rule("/userinfo", "userinfo", resources.userinfo, methods=["GET", "POST"])
blueprint.add_url_rule("/revoke", "revoke", endpoints.revoke, methods=["POST"])
blueprint.add_url_rule("/par", "par", endpoints.par, methods=["POST"])
blueprint.add_url_rule("/logout", "logout", logout.end_session, methods=["GET", "POST"])
blueprint.add_url_rule("/api/me", "api_me", resources.api_me)
blueprint.add_url_rule("/favicon.ico", "favicon", favicon)
