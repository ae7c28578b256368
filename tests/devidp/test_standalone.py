"""The standalone development provider: ``python -m``, ``create_app``,
gunicorn, and a full login over real HTTP (discovery, sign-in, tokens, the
ID token checked against the JWKS, UserInfo, refresh and revocation)."""

from __future__ import annotations

import sys
import typing as t
from pathlib import Path

import jwt
import pytest
import requests

from flask_oauth2login import ConfigurationError
from flask_oauth2login.devidp import create_app
from flask_oauth2login.devidp.__main__ import main as devidp_main
from tests.support.devidp import auth_params, bearer, form_fields, pkce_pair, query
from tests.support.processes import Child, Gunicorn, free_port, wait_until
from tests.support.threads import serving

ROOT = Path(__file__).resolve().parents[2]


def test_cli_refuses_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert devidp_main(["--host", "0.0.0.0", "--port", "0"]) == 2
    assert "Refusing" in capsys.readouterr().err


def test_create_app_refuses_outside_debug_or_testing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigurationError, match="debug or app.testing"):
        create_app()
    monkeypatch.setenv("FLASK_DEBUG", "1")  # flask run --debug
    assert create_app().debug


def test_python_m_serves_the_provider() -> None:
    port = free_port()
    command = [sys.executable, "-m", "flask_oauth2login.devidp", "--port", str(port)]
    env = {"PYTHONPATH": str(ROOT), "FLASK_DEBUG": ""}
    with Child(command, env=env, cwd=str(ROOT)) as child:
        url = f"http://127.0.0.1:{port}/.well-known/openid-configuration"
        wait_until(lambda: requests.get(url, timeout=2).ok, child, "python -m ...devidp")
        assert requests.get(url, timeout=5).json()["issuer"] == f"http://127.0.0.1:{port}"


def test_gunicorn_refuses_to_serve_the_app_outside_debug() -> None:
    env = {"PYTHONPATH": str(ROOT), "FLASK_DEBUG": "", "FLASK_TESTING": ""}
    with Gunicorn("flask_oauth2login.devidp:create_app()", env=env, cwd=str(ROOT)) as server:
        server.process.wait(30)
        assert server.process.returncode != 0
        assert "only runs when app.debug or app.testing is true" in server.log()


def test_create_app_mounts_at_root() -> None:
    app = create_app(TESTING=True)
    doc = app.test_client().get("/.well-known/openid-configuration").json
    assert doc["issuer"] == "http://localhost"
    assert doc["jwks_uri"] == "http://localhost/jwks"


@pytest.fixture
def live_idp() -> t.Iterator[str]:
    with serving(create_app(TESTING=True)) as url:
        yield url


def test_full_flow_over_http(live_idp: str) -> None:
    with requests.Session() as http:
        _full_flow(http, live_idp)


def _full_flow(http: requests.Session, live_idp: str) -> None:
    meta = http.get(f"{live_idp}/.well-known/openid-configuration", timeout=5).json()
    assert meta["issuer"] == live_idp

    verifier, challenge = pkce_pair()
    redirect_uri = "http://localhost:5000/auth/callback"
    page = http.get(
        meta["authorization_endpoint"],
        params=auth_params(challenge, redirect_uri=redirect_uri),
        timeout=5,
    )
    assert page.status_code == 200
    picked = http.post(
        meta["authorization_endpoint"],
        data={**form_fields(page.text), "action": "login", "sub": "ada"},
        allow_redirects=False,
        timeout=5,
    )
    assert picked.status_code == 303
    answer = query(picked.headers["Location"])
    assert answer["state"] == "state-123"
    assert answer["iss"] == meta["issuer"]

    r = http.post(
        meta["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        auth=("dev-client", "dev-secret"),
        timeout=5,
    )
    assert r.status_code == 200, r.text
    assert r.headers["Cache-Control"] == "no-store"
    tokens = r.json()

    jwks = jwt.PyJWKClient(meta["jwks_uri"])
    key = jwks.get_signing_key_from_jwt(tokens["id_token"])
    claims = jwt.decode(
        tokens["id_token"],
        key.key,
        algorithms=meta["id_token_signing_alg_values_supported"],
        audience="dev-client",
        issuer=meta["issuer"],
    )
    assert claims["sub"] == "ada"
    assert claims["nonce"] == "nonce-456"

    info = http.get(
        meta["userinfo_endpoint"], headers=bearer(tokens["access_token"]), timeout=5
    ).json()
    assert info["sub"] == claims["sub"]
    assert info["email"] == "ada@example.com"

    r = http.post(
        meta["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=("dev-client", "dev-secret"),
        timeout=5,
    )
    assert r.status_code == 200, r.text
    refreshed = r.json()
    assert refreshed["refresh_token"] != tokens["refresh_token"]

    api = f"{live_idp}/api/me"
    me = http.get(api, headers=bearer(refreshed["access_token"]), timeout=5)
    assert me.status_code == 200
    assert me.json()["user"]["email"] == "ada@example.com"

    r = http.post(
        meta["revocation_endpoint"],
        data={"token": refreshed["access_token"], "token_type_hint": "access_token"},
        auth=("dev-client", "dev-secret"),
        timeout=5,
    )
    assert r.status_code == 200
    me = http.get(api, headers=bearer(refreshed["access_token"]), timeout=5)
    assert me.status_code == 401
    assert 'error="invalid_token"' in me.headers["WWW-Authenticate"]
