"""Where a request comes from, and refusing cross-origin requests to the
routes that change something: Fetch Metadata and ``Origin`` (RFC 6454).

A browser tells where a request comes from. With Fetch Metadata (W3C Fetch
Metadata Request Headers) it sends ``Sec-Fetch-Site``: ``same-origin``,
``same-site`` (a sibling subdomain), ``cross-site`` or ``none`` (typed by
the user). Older browsers send only ``Origin`` (RFC 6454, and the Fetch
standard's rules for it), the scheme, host and port of the page that made
the request. A state-changing route (``POST /logout``, ``POST
/login/<provider>``, confirming a connect) is refused, with 403 and before
anything changes, when:

- ``Sec-Fetch-Site`` is ``same-site`` or ``cross-site``; or
- there is no ``Sec-Fetch-Site`` and ``Origin`` is not this site; an opaque
  ``Origin: null`` is not this site either.

"This site" is the origin the request was sent to, and that of
``OAUTH2LOGIN_EXTERNAL_URL`` when it is set. A request with neither header
(a script, an old browser) goes through: the session cookie is
``SameSite=Lax``, so a browser does not send it with another site's POST
anyway. These checks add what ``SameSite`` lacks: a sibling subdomain is the
*same site*, and an app may set ``SameSite=None``.

Connecting a second account needs more: a request known to come from this
site (:func:`is_same_origin`). Guard a view with one line::

    bp.add_url_rule("/logout", "logout", same_origin_only(logout), methods=["POST"])
"""

from __future__ import annotations

import functools
import logging
import typing as t
from urllib.parse import urlsplit

from flask import current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from ._runtime import EXTENSION_KEY
from .errors import CrossOriginRequest
from .pages.locale import N_, gettext
from .pages.responses import protect, wants_json

log = logging.getLogger(__name__)

#: ``Sec-Fetch-Site`` values of requests another site (or a sibling
#: subdomain) started.
FOREIGN_SITES = frozenset(("cross-site", "same-site"))

#: What the refusal says.
REFUSED_MESSAGE = N_(
    "This request came from another site, so it was refused and nothing changed. "
    "If you meant it, use the button on this site."
)

_View = t.TypeVar("_View", bound=t.Callable[..., t.Any])
_DEFAULT_PORTS = {"http": 80, "https": 443}


def cross_origin_reason() -> str | None:
    """Why the current request comes from another origin, or ``None`` if it
    does not (or cannot tell)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        site = site.strip().lower()
        return f"Sec-Fetch-Site is {site!r}" if site in FOREIGN_SITES else None
    origin = request.headers.get("Origin")
    if origin is None or _origin(origin) in this_site():
        return None
    return "its Origin is another site" if origin.strip() != "null" else "its Origin is opaque"


def is_cross_origin() -> bool:
    """Whether the request says it comes from another origin (see the module
    docstring)."""
    return cross_origin_reason() is not None


def is_same_origin() -> bool:
    """Whether the request says it comes from this site: ``Sec-Fetch-Site:
    same-origin``, or (without it) this site's ``Origin``."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site.strip().lower() == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and _origin(origin) in this_site()


def this_site() -> set[str]:
    """The origins of this site: the request's own, and the external URL's."""
    origins = {_origin(request.host_url)}
    app_state = current_app.extensions.get(EXTENSION_KEY)  # views of an app without it too
    if app_state is not None and app_state.settings.external_url:
        origins.add(_origin(app_state.settings.external_url))
    return origins


def same_origin_only(view: _View) -> _View:
    """Refuse cross-origin requests to *view* (see the module docstring)."""

    @functools.wraps(view)
    def guarded(*args: t.Any, **kwargs: t.Any) -> t.Any:
        refused = refuse_cross_origin()
        return refused if refused is not None else view(*args, **kwargs)

    return t.cast(_View, guarded)


def refuse_cross_origin() -> Response | None:
    """The 403 answer to a cross-origin request, or ``None`` when the request
    may go on."""
    reason = cross_origin_reason()
    if reason is None:
        return None
    log.warning("Refused a cross-origin %s %s: %s.", request.method, request.path, reason)
    return refused_response()


def refused_response() -> Response:
    """The 403 answer: JSON for JSON clients, else the extension's page."""
    error = CrossOriginRequest(REFUSED_MESSAGE)
    if wants_json():
        response = jsonify(error=error.error_code, message=error.message, provider=None)
    else:
        page = render_template("oauth2login/refused.html", message=gettext(error.message))
        response = current_app.response_class(page, mimetype="text/html")
    response.status_code = error.status_code
    response.headers["Referrer-Policy"] = "no-referrer"
    return t.cast(Response, protect(response))


def _origin(url: str) -> str:
    """``scheme://host:port`` of *url*, lower-cased, with the port spelled
    out; ``""`` for anything that is not an http(s) origin (``null``)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    scheme = parts.scheme.lower()
    if not parts.hostname or scheme not in _DEFAULT_PORTS:
        return ""
    return f"{scheme}://{parts.hostname.lower()}:{port or _DEFAULT_PORTS[scheme]}"
