"""Token revocation (RFC 7009) at the development provider."""

from __future__ import annotations

import base64
import typing as t

from tests.support.devidp import BASIC, bearer, login, make_app, revoke


def test_revoke_access_token(client: t.Any) -> None:
    tokens = login(client)
    r = revoke(client, tokens["access_token"], token_type_hint="access_token")
    assert r.status_code == 200
    assert client.get("/_devidp/api/me", headers=bearer(tokens["access_token"])).status_code == 401


def test_revoke_refresh_token_revokes_its_access_tokens(client: t.Any) -> None:
    tokens = login(client)
    assert revoke(client, tokens["refresh_token"]).status_code == 200
    assert client.get("/_devidp/api/me", headers=bearer(tokens["access_token"])).status_code == 401


def test_revoke_unknown_token_and_errors(client: t.Any) -> None:
    assert revoke(client, "unknown").status_code == 200
    r = client.post("/_devidp/revoke", data={}, headers={"Authorization": BASIC})
    assert r.json["error"] == "invalid_request"
    r = client.post("/_devidp/revoke", data={"token": "x"})
    assert r.status_code == 401


def test_revoke_leaves_other_clients_tokens_alone() -> None:
    clients = {
        "dev-client": {"client_secret": "dev-secret", "redirect_uris": None},
        "other": {"client_secret": "other-secret", "redirect_uris": None},
    }
    client = make_app(OAUTH2LOGIN_DEVIDP_CLIENTS=clients).test_client()
    tokens = login(client)
    other = "Basic " + base64.b64encode(b"other:other-secret").decode()
    assert revoke(client, tokens["access_token"], auth=other).status_code == 200
    assert client.get("/_devidp/api/me", headers=bearer(tokens["access_token"])).status_code == 200
