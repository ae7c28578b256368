"""The development provider's bearer-protected resources: UserInfo and the
demo API."""

from __future__ import annotations

import typing as t

from tests.support.devidp import bearer, login


def test_userinfo_and_api_need_a_bearer_token(client: t.Any) -> None:
    for path in ("/_devidp/userinfo", "/_devidp/api/me"):
        r = client.get(path)
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert "error=" not in r.headers["WWW-Authenticate"]
        r = client.get(path, headers=bearer("not-a-token"))
        assert r.status_code == 401
        assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]


def test_userinfo_post_with_form_token(client: t.Any) -> None:
    tokens = login(client)
    r = client.post("/_devidp/userinfo", data={"access_token": tokens["access_token"]})
    assert r.status_code == 200
    assert r.json["sub"] == "ada"


def test_api_me(client: t.Any) -> None:
    tokens = login(client, sub="grace")
    me = client.get("/_devidp/api/me", headers=bearer(tokens["access_token"])).json
    assert me["sub"] == "grace"
    assert me["user"]["name"] == "Grace Hopper"
    assert me["client_id"] == "dev-client"
    assert 0 < me["expires_in"] <= 3600
