"""The development provider's authorization endpoint: checking the request,
the sign-in page and its form (CSRF token, same origin), typed-in users, and
the redirect back with a code or an error."""

from __future__ import annotations

import re
import typing as t

import jwt
import pytest

from tests.support.devidp import (
    REDIRECT_URI,
    auth_params,
    bearer,
    exchange,
    form_fields,
    make_app,
    pkce_pair,
    query,
    sign_in,
)


def test_unknown_client_gets_error_page_not_redirect(client: t.Any) -> None:
    _, challenge = pkce_pair()
    r = client.get("/_devidp/authorize", query_string=auth_params(challenge, client_id="nope"))
    assert r.status_code == 400
    assert "Location" not in r.headers
    assert "Unknown client" in r.get_data(as_text=True)


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/callback",
        "http://127.0.0.1.evil.example/cb",
        "http://user@127.0.0.1/cb",
        "http://127.0.0.1/cb#fragment",
        "javascript:alert(1)",
        None,
    ],
)
def test_bad_redirect_uri_gets_error_page_not_redirect(client: t.Any, redirect_uri: str) -> None:
    _, challenge = pkce_pair()
    params = auth_params(challenge, redirect_uri=redirect_uri)
    r = client.get("/_devidp/authorize", query_string=params)
    assert r.status_code == 400
    assert "Location" not in r.headers


@pytest.mark.parametrize(
    "redirect_uri",
    ["http://localhost:9999/auth/cb", "http://[::1]:8080/cb", "https://127.0.0.1/cb?x=1"],
)
def test_any_loopback_redirect_uri_is_accepted_by_default(client: t.Any, redirect_uri: str) -> None:
    _, challenge = pkce_pair()
    params = auth_params(challenge, redirect_uri=redirect_uri)
    assert client.get("/_devidp/authorize", query_string=params).status_code == 200


def test_registered_redirect_uris_are_exact() -> None:
    clients = {"app": {"client_secret": "s", "redirect_uris": ["http://localhost:5000/cb"]}}
    client = make_app(OAUTH2LOGIN_DEVIDP_CLIENTS=clients).test_client()
    _, challenge = pkce_pair()
    ok = auth_params(challenge, client_id="app", redirect_uri="http://localhost:5000/cb")
    assert client.get("/_devidp/authorize", query_string=ok).status_code == 200
    bad = {**ok, "redirect_uri": "http://localhost:5001/cb"}
    r = client.get("/_devidp/authorize", query_string=bad)
    assert r.status_code == 400
    assert "Location" not in r.headers


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "unsupported_response_type"),
        ({"state": None}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
    ],
)
def test_invalid_requests_redirect_with_error(
    client: t.Any, overrides: dict[str, t.Any], error: str
) -> None:
    _, challenge = pkce_pair()
    r = client.get("/_devidp/authorize", query_string=auth_params(challenge, **overrides))
    assert r.status_code == 302
    assert r.headers["Location"].startswith(REDIRECT_URI + "?")
    answer = query(r.headers["Location"])
    assert answer["error"] == error
    assert answer["iss"] == "http://localhost/_devidp"
    assert answer.get("state") == overrides.get("state", "state-123")


def test_sign_in_page(client: t.Any) -> None:
    _, challenge = pkce_pair()
    r = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Frame-Options"] == "DENY"
    for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Deny", "dev-client"):
        assert name in html
    assert "<style>" in html
    assert not re.search(r'(src|href)="https?://', html)  # no external assets


def test_code_redirect_carries_state_and_iss(client: t.Any) -> None:
    _, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    fields = form_fields(page.get_data(as_text=True))
    r = client.post("/_devidp/authorize", data={**fields, "action": "login", "sub": "grace"})
    assert r.status_code == 303
    location = r.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    answer = query(location)
    assert answer["state"] == "state-123"
    assert answer["iss"] == "http://localhost/_devidp"
    assert len(answer["code"]) >= 32
    # The pending request is used up.
    again = client.post("/_devidp/authorize", data={**fields, "action": "login", "sub": "ada"})
    assert again.status_code == 400
    assert "Location" not in again.headers


def test_redirect_uri_query_is_kept(client: t.Any) -> None:
    code, verifier = sign_in(client, redirect_uri="http://localhost:5000/cb?tenant=a")
    r = exchange(client, code, verifier, redirect_uri="http://localhost:5000/cb?tenant=a")
    assert r.status_code == 200


def test_deny_redirects_with_access_denied(client: t.Any) -> None:
    _, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    fields = form_fields(page.get_data(as_text=True))
    r = client.post("/_devidp/authorize", data={**fields, "action": "deny"})
    assert r.status_code == 303
    answer = query(r.headers["Location"])
    assert answer["error"] == "access_denied"
    assert answer["state"] == "state-123"
    assert answer["iss"] == "http://localhost/_devidp"
    assert "code" not in answer


@pytest.mark.parametrize("csrf", [None, "", "forged-token"])
def test_pick_form_requires_csrf_token(client: t.Any, csrf: str | None) -> None:
    _, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    fields = form_fields(page.get_data(as_text=True))
    data = {"request_id": fields["request_id"], "action": "login", "sub": "ada"}
    if csrf is not None:
        data["csrf_token"] = csrf
    r = client.post("/_devidp/authorize", data=data)
    assert r.status_code == 400
    assert "Location" not in r.headers
    assert "CSRF" in r.get_data(as_text=True)
    # The genuine form still works afterwards.
    r = client.post("/_devidp/authorize", data={**fields, "action": "login", "sub": "ada"})
    assert r.status_code == 303


def test_csrf_token_is_bound_to_its_request(client: t.Any) -> None:
    _, challenge = pkce_pair()
    one = form_fields(
        client.get("/_devidp/authorize", query_string=auth_params(challenge)).get_data(as_text=True)
    )
    two = form_fields(
        client.get("/_devidp/authorize", query_string=auth_params(challenge)).get_data(as_text=True)
    )
    mixed = {"request_id": one["request_id"], "csrf_token": two["csrf_token"]}
    r = client.post("/_devidp/authorize", data={**mixed, "action": "login", "sub": "ada"})
    assert r.status_code == 400


def test_cross_origin_post_is_refused(client: t.Any) -> None:
    _, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    fields = form_fields(page.get_data(as_text=True))
    r = client.post(
        "/_devidp/authorize",
        data={**fields, "action": "login", "sub": "ada"},
        headers={"Origin": "http://evil.example"},
    )
    assert r.status_code == 400


def test_typed_user_is_created_and_stable(client: t.Any) -> None:
    subs = []
    for _ in range(2):
        verifier, challenge = pkce_pair()
        page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
        fields = form_fields(page.get_data(as_text=True))
        r = client.post(
            "/_devidp/authorize",
            data={
                **fields,
                "action": "new",
                "name": "Katherine Johnson",
                "email": "Katherine@example.com",
                "email_verified": "on",
            },
        )
        assert r.status_code == 303
        tokens = exchange(client, query(r.headers["Location"])["code"], verifier).json
        claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
        assert claims["name"] == "Katherine Johnson"
        assert claims["email_verified"] is True
        subs.append(claims["sub"])
    assert subs[0] == subs[1]
    page = client.get("/_devidp/authorize", query_string=auth_params(pkce_pair()[1]))
    assert "Katherine Johnson" in page.get_data(as_text=True)


def test_typed_user_claims(client: t.Any) -> None:
    verifier, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    fields = form_fields(page.get_data(as_text=True))
    r = client.post(
        "/_devidp/authorize",
        data={**fields, "action": "new", "name": "", "email": "kj@example.com"},
    )
    tokens = exchange(client, query(r.headers["Location"])["code"], verifier).json
    info = client.get("/_devidp/userinfo", headers=bearer(tokens["access_token"])).json
    assert info["email"] == "kj@example.com"
    assert info["email_verified"] is False  # the box was not ticked
    assert info["name"] == "kj"
    assert info["sub"].startswith("user-")


def test_typed_user_with_bad_email_shows_the_form_again(client: t.Any) -> None:
    _, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge))
    fields = form_fields(page.get_data(as_text=True))
    r = client.post("/_devidp/authorize", data={**fields, "action": "new", "email": "nope"})
    assert r.status_code == 400
    assert "e-mail" in r.get_data(as_text=True)
    r = client.post("/_devidp/authorize", data={**fields, "action": "login", "sub": "ada"})
    assert r.status_code == 303
