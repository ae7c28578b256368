"""Logging a test client in, from this site or from another one, and what
the test app says afterwards.

A browser tells where a login was started: a link or form of this site sends
``Sec-Fetch-Site: same-origin`` (or this site's ``Origin``); a link on
another site sends ``cross-site``. :func:`log_in_here` and
:func:`log_in_elsewhere` send the same headers; :func:`start_login` and
:func:`log_in` send none.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlencode, urlsplit

from flask.testing import FlaskClient

from tests.support.rogue_idp import RogueProvider

#: Headers of a navigation started on this site.
SAME_SITE = {"Sec-Fetch-Site": "same-origin"}
#: Headers of a navigation started on another site.
CROSS_SITE = {"Sec-Fetch-Site": "cross-site"}


def start_login(
    client: FlaskClient,
    provider: str = "rogue",
    headers: t.Mapping[str, str] | None = None,
    **params: str | None,
) -> str:
    """``GET /login/<provider>?...`` with *headers*; the provider URL it
    redirects to. A parameter given as ``None`` is left out."""
    sent = {k: v for k, v in params.items() if v is not None}
    url = f"/login/{provider}" + (f"?{urlencode(sent)}" if sent else "")
    response = client.get(url, headers=dict(headers or {}))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def follow_callback(client: FlaskClient, callback_url: str, **kwargs: t.Any) -> t.Any:
    """Deliver the provider's redirect back to the app's callback."""
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}", **kwargs)


def log_in(client: FlaskClient, rogue: RogueProvider, provider: str = "rogue") -> t.Any:
    """A complete login at a rogue provider; the callback's response."""
    return follow_callback(client, rogue.authorize(start_login(client, provider)))


def log_in_from(
    client: FlaskClient,
    server: RogueProvider,
    provider: str = "rogue",
    headers: t.Mapping[str, str] | None = None,
    **params: str,
) -> t.Any:
    """A whole login at a rogue provider, started with *headers*; the callback's answer."""
    location = start_login(client, provider, headers, **params)
    return follow_callback(client, server.authorize(location))


def log_in_here(client: FlaskClient, server: RogueProvider, provider: str = "rogue") -> t.Any:
    """A whole login started from a page of this site."""
    return log_in_from(client, server, provider, SAME_SITE)


def log_in_elsewhere(client: FlaskClient, server: RogueProvider, provider: str = "rogue") -> t.Any:
    """A whole login started from another site."""
    return log_in_from(client, server, provider, CROSS_SITE)


def logged_in_user(client: FlaskClient) -> dict[str, t.Any] | None:
    """The user the test app's ``/`` view says is logged in."""
    return client.get("/").get_json()["user"]  # type: ignore[no-any-return]


def assert_refused(client: t.Any, response: t.Any, failures: list, status: int = 401) -> None:
    """Refused with *status*: one ``login_failed``, nobody logged in, nothing stored."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert len(failures) == 1
    assert logged_in_user(client) is None
    with client.session_transaction() as session:
        assert "access_token" not in repr(dict(session))


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
