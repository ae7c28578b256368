"""Logging a test client in from this site or from another one.

A browser tells where a login was started: a link or form of this site sends
``Sec-Fetch-Site: same-origin`` (or this site's ``Origin``); a link on
another site sends ``cross-site``. These helpers send the same headers.
"""

from __future__ import annotations

import typing as t
from urllib.parse import parse_qs, urlencode, urlsplit

from flask.testing import FlaskClient

from tests.conftest import follow_callback
from tests.support.rogue_idp import RogueProvider

#: Headers of a navigation started on this site.
SAME_SITE = {"Sec-Fetch-Site": "same-origin"}
#: Headers of a navigation started on another site.
CROSS_SITE = {"Sec-Fetch-Site": "cross-site"}


def query(url: str) -> dict[str, str]:
    """The query parameters of *url* (the first value of each)."""
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def start(
    client: FlaskClient,
    provider: str = "rogue",
    headers: t.Mapping[str, str] | None = None,
    **params: str,
) -> str:
    """``GET /login/<provider>?...`` with *headers*; the provider URL it
    redirects to."""
    url = f"/login/{provider}" + (f"?{urlencode(params)}" if params else "")
    response = client.get(url, headers=dict(headers or {}))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def log_in_from(
    client: FlaskClient,
    server: RogueProvider,
    provider: str = "rogue",
    headers: t.Mapping[str, str] | None = None,
    **params: str,
) -> t.Any:
    """A whole login at a rogue provider, started with *headers*; the callback's answer."""
    return follow_callback(client, server.authorize(start(client, provider, headers, **params)))


def log_in_here(client: FlaskClient, server: RogueProvider, provider: str = "rogue") -> t.Any:
    """A whole login started from a page of this site."""
    return log_in_from(client, server, provider, SAME_SITE)


def log_in_elsewhere(client: FlaskClient, server: RogueProvider, provider: str = "rogue") -> t.Any:
    """A whole login started from another site."""
    return log_in_from(client, server, provider, CROSS_SITE)


def held_id(client: FlaskClient) -> str:
    """The id of the login held for confirmation, read from the connect page."""
    page = client.get("/connect")
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    marker = 'name="id" value="'
    return html[html.index(marker) + len(marker) :].split('"', 1)[0]


def answer_connect(
    client: FlaskClient, action: str, headers: t.Mapping[str, str] | None = None
) -> t.Any:
    """Press one of the connect page's buttons (``connect``, ``decline``, ``cancel``)."""
    data = {"id": held_id(client), "action": action}
    return client.post("/connect", data=data, headers=dict(headers or SAME_SITE))
