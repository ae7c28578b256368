"""The development provider's index page, and the end-session endpoint's
redirects and refusals."""

from __future__ import annotations

import typing as t

from tests.support.devidp import login


def test_logout(client: t.Any) -> None:
    tokens = login(client)
    r = client.get(
        "/_devidp/logout",
        query_string={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "http://127.0.0.1:5000/",
            "state": "bye",
        },
    )
    assert r.status_code == 303
    assert r.headers["Location"] == "http://127.0.0.1:5000/?state=bye"

    r = client.get(
        "/_devidp/logout",
        query_string={
            "client_id": "dev-client",
            "post_logout_redirect_uri": "https://evil.example/",
        },
    )
    assert r.status_code == 400
    assert "Location" not in r.headers
    r = client.get("/_devidp/logout", query_string={"id_token_hint": "garbage"})
    assert r.status_code == 400
    assert client.get("/_devidp/logout").status_code == 200


def test_index_page_lists_no_secret(client: t.Any) -> None:
    html = client.get("/_devidp/").get_data(as_text=True)
    assert "dev-client" in html
    assert "dev-secret" not in html
