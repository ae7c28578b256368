"""Where a request comes from: Fetch Metadata and ``Origin`` (RFC 6454).

A state-changing request (``POST /login/<provider>``, confirming a connect)
from another site, or from a sibling subdomain, is refused before anything
changes: browsers say so in ``Sec-Fetch-Site`` (Fetch Metadata,
https://www.w3.org/TR/fetch-metadata/) or in ``Origin``. A request that
says neither (an old browser, a script) is not known to be cross-origin;
such a request carries no ``SameSite=Lax`` session cookie when it comes
from another site, so it finds nobody logged in.

"This site" is the origin of ``OAUTH2LOGIN_EXTERNAL_URL`` when it is set,
else the origin the request was sent to.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, jsonify, render_template, request
from werkzeug.wrappers import Response

from .errors import CrossOriginRequest
from .responses import protect, wants_json
from .state import get_state

#: ``Sec-Fetch-Site`` values of requests another site (or a sibling
#: subdomain) started.
FOREIGN_SITES = frozenset(("cross-site", "same-site"))

#: Shown when a request is refused.
REFUSED_MESSAGE = (
    "This request came from another site, so nothing was changed. "
    "If you meant to do this, use the button on this site's own page."
)


def this_origin() -> str:
    """The origin of this site: ``scheme://host[:port]``, lower-case."""
    external = get_state().settings.external_url
    return _origin(external or request.host_url)


def is_cross_origin() -> bool:
    """Whether the request says it comes from another origin: ``Sec-Fetch-Site``
    is ``cross-site`` or ``same-site``, or ``Origin`` is not this site's.

    ``Origin: null`` counts as another origin, except beside ``Sec-Fetch-Site:
    same-origin``: a form of this site on a page whose referrer policy is
    ``no-referrer`` (the extension's own pages) sends that.
    """
    site = request.headers.get("Sec-Fetch-Site", "").lower()
    if site in FOREIGN_SITES:
        return True
    origin = request.headers.get("Origin")
    if origin is None or (origin.strip() == "null" and site == "same-origin"):
        return False
    return _origin(origin) != this_origin()


def is_same_origin() -> bool:
    """Whether the request says it comes from this site: ``Sec-Fetch-Site:
    same-origin`` or this site's ``Origin``, and nothing says otherwise."""
    if is_cross_origin():
        return False
    if request.headers.get("Sec-Fetch-Site", "").lower() == "same-origin":
        return True
    origin = request.headers.get("Origin")
    return origin is not None and _origin(origin) == this_origin()


def refuse_cross_origin() -> Response | None:
    """The 403 answer to a cross-origin request (a page, or JSON), or
    ``None`` when the request may go on."""
    if not is_cross_origin():
        return None
    error = CrossOriginRequest(REFUSED_MESSAGE)
    if wants_json():
        response = jsonify(error=error.error_code, message=error.message)
    else:
        page = render_template(
            "oauth2login/error.html", error=error, provider=None, title=None, hint=None
        )
        response = current_app.response_class(page, mimetype="text/html")
    response.status_code = error.status_code
    response.headers["Referrer-Policy"] = "no-referrer"
    return protect(response)  # type: ignore[no-any-return]


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of *url*, lower-case, without a default port."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if not scheme or not host:
        return url.strip().lower()  # "null", or nonsense: matches no origin
    try:
        port = parts.port
    except ValueError:  # not a port number
        return url.strip().lower()
    if port == {"http": 80, "https": 443}.get(scheme):
        port = None
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port else "")
