"""The development provider's "Redirect URI not allowed" page says what was
sent and what is registered, so the mismatch can be fixed at a glance."""

from __future__ import annotations

import html
import re

from tests.support.devidp import auth_params, make_app, pkce_pair


def values(page: str, label: str) -> list[str]:
    """The values listed under the heading *label* of an error page."""
    found = re.search(rf"<h2>{re.escape(label)}</h2>\s*<ul[^>]*>(.*?)</ul>", page, re.S)
    assert found, page
    return [
        html.unescape(v)
        for v in re.findall(r"<li>(?:<code>)?(.*?)(?:</code>)?</li>", found.group(1))
    ]


def test_shows_the_uri_sent_and_the_registered_ones():
    registered = ["http://localhost:5000/callback/dev", "http://localhost:5000/auth/cb"]
    clients = {"app": {"client_secret": "s", "redirect_uris": registered}}
    client = make_app(OAUTH2LOGIN_DEVIDP_CLIENTS=clients).test_client()
    _, challenge = pkce_pair()
    sent = "http://localhost:5001/callback/dev?a=1&b=<2>"
    params = auth_params(challenge, client_id="app", redirect_uri=sent)
    answer = client.get("/_devidp/authorize", query_string=params)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "Location" not in answer.headers
    assert "<h1>Redirect URI not allowed</h1>" in page
    assert values(page, "Sent") == [sent]  # escaped in the page, whole
    assert "&lt;2&gt;" in page
    assert values(page, "Registered for app") == registered


def test_a_client_of_any_loopback_uri_says_so(client):
    _, challenge = pkce_pair()
    params = auth_params(challenge, redirect_uri="https://evil.example/cb")
    page = client.get("/_devidp/authorize", query_string=params).get_data(as_text=True)
    assert values(page, "Sent") == ["https://evil.example/cb"]
    [rule] = values(page, "Registered for " + params["client_id"])
    assert rule.startswith("any loopback URL")
