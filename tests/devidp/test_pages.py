"""What every answer of the development provider carries (a refusal to be
framed, an icon), and what it logs: nothing secret."""

from __future__ import annotations

import logging
import typing as t

import pytest
import requests

from flask_oauth2login.devidp import create_app
from tests.support.devidp import auth_params, bearer, exchange, revoke, sign_in

# -- every answer: no framing, an icon --------------------------------------------


def assert_refuses_framing(response: t.Any) -> None:
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


LOGOUT_TO_CLIENT = {"post_logout_redirect_uri": "http://127.0.0.1/", "client_id": "dev-client"}


@pytest.mark.parametrize(
    ("method", "path", "params", "status"),
    [
        ("GET", "/_devidp/", {}, 200),
        ("GET", "/_devidp/.well-known/openid-configuration", {}, 200),
        ("GET", "/_devidp/jwks", {}, 200),
        ("GET", "/_devidp/authorize", {}, 400),  # the error page
        ("GET", "/_devidp/authorize", auth_params("x" * 43), 200),  # the sign-in page
        ("POST", "/_devidp/token", {}, 400),
        ("POST", "/_devidp/revoke", {}, 400),
        ("GET", "/_devidp/userinfo", {}, 401),
        ("GET", "/_devidp/api/me", {}, 401),
        ("GET", "/_devidp/logout", {}, 200),
        ("GET", "/_devidp/logout", LOGOUT_TO_CLIENT, 303),
        ("GET", "/_devidp/favicon.ico", {}, 200),
        ("GET", "/_devidp/jwks", {}, 403),  # refused: from another machine
    ],
)
def test_every_answer_refuses_framing(
    client: t.Any, method: str, path: str, params: dict[str, str], status: int
) -> None:
    remote = "203.0.113.9" if status == 403 else "127.0.0.1"
    r = client.open(
        path, method=method, query_string=params, environ_overrides={"REMOTE_ADDR": remote}
    )
    assert r.status_code == status
    assert_refuses_framing(r)


def test_standalone_app_refuses_framing_everywhere() -> None:
    client = create_app(TESTING=True).test_client()
    assert_refuses_framing(client.get("/jwks"))
    assert_refuses_framing(client.get("/no-such-page"))


@pytest.mark.parametrize("path", ["/_devidp/", "/_devidp/authorize", "/_devidp/logout"])
def test_pages_carry_an_inline_icon(client: t.Any, path: str) -> None:
    html = client.get(path).get_data(as_text=True)
    assert '<link rel="icon" href="data:image/svg+xml,' in html


def test_favicon_ico() -> None:
    r = create_app(TESTING=True).test_client().get("/favicon.ico")
    assert r.status_code == 200
    assert r.mimetype == "image/svg+xml"
    assert r.get_data(as_text=True).startswith("<svg")


# -- logging --------------------------------------------------------------------


def test_nothing_secret_is_logged(client: t.Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    code, verifier = sign_in(client)
    tokens = exchange(client, code, verifier).json
    exchange(client, code, verifier)  # reuse, logged as a warning
    client.get("/_devidp/userinfo", headers=bearer(tokens["access_token"]))
    revoke(client, tokens["refresh_token"])
    text = caplog.text
    assert "signed in" in text
    for value in (
        code,
        verifier,
        tokens["access_token"],
        tokens["refresh_token"],
        tokens["id_token"],
        "dev-secret",
    ):
        assert value not in text


def test_access_log_redacts_codes_and_tokens(caplog: pytest.LogCaptureFixture) -> None:
    from flask_oauth2login.testing import DevIdPServer

    caplog.set_level(logging.INFO, logger="werkzeug")
    with DevIdPServer() as idp:
        requests.get(idp.url + "/jwks?code=abc&state=s&id_token_hint=eyJ&x=1", timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("/jwks?" in line and "x=1" in line for line in lines)
    assert not any("abc" in line or "eyJ" in line for line in lines)
