"""The development provider's bounded memory: sign-in pages expire, and
pending sign-ins, typed-in users, codes and tokens are capped, the oldest
forgotten first."""

from __future__ import annotations

import typing as t

from flask import Flask

from tests.support.devidp import REDIRECT_URI, auth_params, exchange, form_fields, pkce_pair, query


def open_sign_in_page(client: t.Any) -> dict[str, str]:
    page = client.get("/_devidp/authorize", query_string=auth_params(pkce_pair()[1]))
    assert page.status_code == 200
    return form_fields(page.get_data(as_text=True))


def type_in(client: t.Any, email: str) -> t.Any:
    data = {**open_sign_in_page(client), "action": "new", "email": email}
    return client.post("/_devidp/authorize", data=data)


def test_sign_in_page_expires_after_five_minutes(app: Flask, client: t.Any) -> None:
    store = app.extensions["oauth2login_devidp"].store
    now = [1_000_000.0]
    store.clock = lambda: now[0]
    fields = open_sign_in_page(client)
    now[0] += 301
    r = client.post("/_devidp/authorize", data={**fields, "action": "login", "sub": "ada"})
    assert r.status_code == 400
    assert "expired" in r.get_data(as_text=True)
    open_sign_in_page(client)  # adding a request purges the expired one
    assert store.sizes()["pending"] == 1


def test_pending_sign_ins_are_capped(app: Flask, client: t.Any) -> None:
    store = app.extensions["oauth2login_devidp"].store
    store.max_pending = 3
    first = open_sign_in_page(client)
    pages = [open_sign_in_page(client) for _ in range(10)]
    assert store.sizes()["pending"] == 3
    r = client.post("/_devidp/authorize", data={**first, "action": "login", "sub": "ada"})
    assert "expired" in r.get_data(as_text=True)  # the oldest was forgotten
    r = client.post("/_devidp/authorize", data={**pages[-1], "action": "login", "sub": "ada"})
    assert r.status_code == 303


def test_typed_in_users_are_capped_least_recently_used_first(app: Flask, client: t.Any) -> None:
    store = app.extensions["oauth2login_devidp"].store
    store.max_typed_users = 2
    assert type_in(client, "one@example.com").status_code == 303
    assert type_in(client, "two@example.com").status_code == 303
    one = next(u["sub"] for u in store.users() if u["email"] == "one@example.com")
    # Signing in as "one" again makes "two" the least recently used.
    data = {**open_sign_in_page(client), "action": "login", "sub": one}
    assert client.post("/_devidp/authorize", data=data).status_code == 303
    assert type_in(client, "three@example.com").status_code == 303
    emails = [u["email"] for u in store.users()]
    assert emails[3:] == ["one@example.com", "three@example.com"]
    for n in range(20):
        assert type_in(client, f"many{n}@example.com").status_code == 303
    assert store.sizes()["typed_users"] == 2
    emails = [u["email"] for u in store.users()]
    assert emails[:3] == ["ada@example.com", "grace@example.com", "alan@example.com"]
    assert emails[3:] == ["many18@example.com", "many19@example.com"]


def test_forgotten_typed_in_user_gets_no_more_tokens(app: Flask, client: t.Any) -> None:
    store = app.extensions["oauth2login_devidp"].store
    store.max_typed_users = 1
    verifier, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    data = {**form_fields(page.get_data(as_text=True)), "action": "new", "email": "a@example.com"}
    code = query(client.post("/_devidp/authorize", data=data).headers["Location"])["code"]
    type_in(client, "b@example.com")  # pushes a@example.com out
    r = exchange(client, code, verifier)
    assert r.status_code == 400
    assert r.json["error"] == "invalid_grant"


def test_codes_and_tokens_are_capped() -> None:
    from flask_oauth2login.devidp.memory import Grant, Store

    store = Store()
    store.max_codes = 2
    store.max_tokens = 3
    grant = Grant(id="g", client_id="c", sub=None, scope=())
    codes = [store.add_code(grant, REDIRECT_URI, "challenge", ttl=60) for _ in range(5)]
    issued = [store.issue_tokens(grant, scope=(), access_ttl=3600, refresh=True) for _ in range(5)]
    assert store.sizes() == {
        "typed_users": 0,
        "pending": 0,
        "codes": 2,
        "access_tokens": 3,
        "refresh_tokens": 3,
        "sessions": 0,
        "pending_logouts": 0,
    }
    assert store.redeem_code(codes[0]) is None  # the oldest were forgotten
    assert store.redeem_code(codes[-1]) is not None
    assert store.get_access_token(issued[0].access_token) is None
    assert store.get_access_token(issued[-1].access_token) is not None
    assert store.find_refresh_token(issued[1].refresh_token or "", "c") is None
    assert store.find_refresh_token(issued[-1].refresh_token or "", "c") is not None
