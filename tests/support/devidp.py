"""Helpers for the tests of the development identity provider: the client and
redirect URI they use, PKCE pairs, the authorization request, reading the
sign-in form and the redirect, a whole login through the test client, and a
revocation request."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import typing as t
from urllib.parse import parse_qs, urlsplit

from flask import Flask

from flask_oauth2login.devidp import DevIdentityProvider

REDIRECT_URI = "http://127.0.0.1:5000/callback"
BASIC = "Basic " + base64.b64encode(b"dev-client:dev-secret").decode()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def auth_params(challenge: str, **overrides: t.Any) -> dict[str, t.Any]:
    params = {
        "response_type": "code",
        "client_id": "dev-client",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email profile",
        "state": "state-123",
        "nonce": "nonce-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def form_fields(html: str) -> dict[str, str]:
    return {
        "request_id": re.search(r'name="request_id" value="([^"]+)"', html).group(1),
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
    }


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def make_app(**config: t.Any) -> Flask:
    app = Flask(__name__)
    app.testing = True
    app.config.update(config)
    DevIdentityProvider(app)
    return app


def sign_in(client: t.Any, *, sub: str = "ada", **overrides: t.Any) -> tuple[str, str]:
    """Run the authorization request; return ``(code, verifier)``."""
    verifier, challenge = pkce_pair()
    page = client.get("/_devidp/authorize", query_string=auth_params(challenge, **overrides))
    assert page.status_code == 200
    answer = client.post(
        "/_devidp/authorize",
        data={**form_fields(page.get_data(as_text=True)), "action": "login", "sub": sub},
    )
    assert answer.status_code == 303
    return query(answer.headers["Location"])["code"], verifier


def exchange(client: t.Any, code: str, verifier: str, **overrides: t.Any) -> t.Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    data.update(overrides)
    return client.post(
        "/_devidp/token",
        data={k: v for k, v in data.items() if v is not None},
        headers={"Authorization": BASIC},
    )


def login(client: t.Any, **overrides: t.Any) -> dict[str, t.Any]:
    code, verifier = sign_in(client, **overrides)
    response = exchange(client, code, verifier)
    assert response.status_code == 200, response.json
    return response.json


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def revoke(client: t.Any, token: str, auth: str = BASIC, **extra: str) -> t.Any:
    return client.post(
        "/_devidp/revoke", data={"token": token, **extra}, headers={"Authorization": auth}
    )
