"""DPoP (RFC 9449): the proofs, the app's key, and logins and API calls
against a provider that checks every proof field by field."""

from __future__ import annotations

import hashlib
import typing as t

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec

from flask_oauth2login import ConfigurationError
from flask_oauth2login._runtime import get_state
from flask_oauth2login.config.settings import load_provider
from flask_oauth2login.crypto.keys import b64url, public_jwk, thumbprint
from flask_oauth2login.protocol.dpop import (
    DPoPKey,
    NonceCache,
    app_key,
    asks_for_nonce,
    derive_key,
    target_uri,
    token_hash,
)
from tests.support.client_keys import ec_key, pem, rsa_key
from tests.support.fapi_idp import fapi_entry
from tests.support.logins import follow_callback, start_login
from tests.support.rogue_idp import RogueProvider, rogue_entry

# -- proofs ------------------------------------------------------------------------


def _decode(proof: str) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
    header = jwt.get_unverified_header(proof)
    key = jwt.PyJWK(header["jwk"], algorithm=header["alg"]).key
    return header, jwt.decode(proof, key, algorithms=[header["alg"]])


def test_a_proof_names_the_request_and_carries_the_public_key_only():
    key = DPoPKey(ec_key(), clock=lambda: 1_700_000_000)
    proof = key.proof("post", "https://idp.example/token?x=1#frag")
    header, claims = _decode(proof)
    assert header["typ"] == "dpop+jwt"
    assert header["alg"] == "ES256"
    assert header["jwk"] == public_jwk(ec_key())
    assert "d" not in header["jwk"] and "kid" not in header
    assert claims["htm"] == "POST"
    assert claims["htu"] == "https://idp.example/token"  # no query, no fragment
    assert claims["iat"] == 1_700_000_000
    assert len(claims["jti"]) >= 16
    assert "ath" not in claims and "nonce" not in claims
    assert key.thumbprint == thumbprint(public_jwk(ec_key()))


def test_every_proof_is_fresh_and_binds_the_token_and_nonce():
    key = DPoPKey(ec_key())
    first = _decode(key.proof("GET", "https://api.example/me", access_token="tok", nonce="n"))[1]
    second = _decode(key.proof("GET", "https://api.example/me", access_token="tok"))[1]
    assert first["jti"] != second["jti"]
    assert first["ath"] == b64url(hashlib.sha256(b"tok").digest()) == token_hash("tok")
    assert first["nonce"] == "n"
    assert "nonce" not in second


def test_the_key_is_derived_from_the_secret_key_unless_configured():
    assert derive_key("s3cret").private_numbers() == derive_key(b"s3cret").private_numbers()
    assert derive_key("s3cret").private_numbers() != derive_key("other").private_numbers()
    assert app_key(None, "s3cret").thumbprint == app_key(None, "s3cret").thumbprint
    assert app_key(rsa_key(), "s3cret").thumbprint == thumbprint(public_jwk(rsa_key()))
    assert app_key(rsa_key(), "s3cret").algorithm == "PS256"
    alone = app_key(None, None)  # one process only, and said so in the log
    assert alone.thumbprint != app_key(None, None).thumbprint
    assert "BEGIN" not in repr(alone) and alone.thumbprint in repr(alone)


def test_target_uri():
    assert target_uri("https://h.example:8443/a/b?c=d#e") == "https://h.example:8443/a/b"


def _response(status: int, headers: dict[str, str], body: bytes = b"") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    response._content = body
    return response


def test_nonce_challenges_are_recognized():
    assert asks_for_nonce(_response(400, {"DPoP-Nonce": "n"}, b'{"error": "use_dpop_nonce"}'))
    assert asks_for_nonce(
        _response(401, {"DPoP-Nonce": "n", "WWW-Authenticate": 'DPoP error="use_dpop_nonce"'})
    )
    assert not asks_for_nonce(_response(400, {}, b'{"error": "use_dpop_nonce"}'))
    assert not asks_for_nonce(_response(400, {"DPoP-Nonce": "n"}, b'{"error": "invalid_grant"}'))
    assert not asks_for_nonce(
        _response(401, {"DPoP-Nonce": "n", "WWW-Authenticate": 'DPoP error="invalid_token"'})
    )


def test_nonces_are_kept_per_server():
    nonces = NonceCache()
    assert nonces.update("https://idp.example/token", _response(200, {"DPoP-Nonce": "a"}))
    assert not nonces.update("https://IDP.example/userinfo", _response(200, {"DPoP-Nonce": "a"}))
    assert nonces.get("https://idp.example/userinfo") == "a"
    assert nonces.get("https://api.example/") is None
    assert not nonces.update("https://idp.example/", _response(200, {"DPoP-Nonce": "x" * 600}))
    assert nonces.get("https://idp.example/") == "a"


# -- configuration -----------------------------------------------------------------


def test_dpop_is_a_flag_and_needs_the_header():
    base = {"client_id": "app", "client_secret": "s", "issuer": "https://idp.example"}
    assert load_provider("p", base, {}, {}).dpop is False
    assert load_provider("p", {**base, "dpop": True}, {}, {}).dpop is True
    with pytest.raises(ConfigurationError) as info:
        load_provider("p", {**base, "dpop": "yes"}, {}, {})
    assert info.value.key == "dpop"
    with pytest.raises(ConfigurationError) as info:
        load_provider("p", {**base, "dpop": True, "token_placement": "query"}, {}, {})
    assert info.value.key == "dpop"


def test_the_dpop_key_may_be_configured(make_app, fapi):
    app = make_app(
        {"fapi": fapi_entry(fapi, dpop=True)}, OAUTH2LOGIN_DPOP_PRIVATE_KEY=pem(rsa_key())
    )
    with app.app_context():
        key = get_state().provider("fapi").dpop
    assert key is not None and key.thumbprint == thumbprint(public_jwk(rsa_key()))
    with pytest.raises(ConfigurationError, match="OAUTH2LOGIN_DPOP_PRIVATE_KEY"):
        make_app({"fapi": fapi_entry(fapi, dpop=True)}, OAUTH2LOGIN_DPOP_PRIVATE_KEY="/no/key")


def test_providers_without_dpop_have_no_key(make_app, fapi):
    app = make_app({"fapi": fapi_entry(fapi)})
    with app.app_context():
        assert get_state().provider("fapi").dpop is None


# -- against a strict provider ---------------------------------------------------------


def dpop_app(make_app: t.Any, fapi: t.Any, **overrides: t.Any) -> t.Any:
    fapi.fapi.require_dpop = True
    return make_app(
        {"fapi": fapi_entry(fapi, dpop=True, **overrides)},
        TEST_API_URLS={"fapi": fapi.issuer + "/api/me?page=2#top"},
    )


def login(app: t.Any, fapi: t.Any) -> t.Any:
    client = app.test_client()
    response = follow_callback(client, fapi.authorize(start_login(client, "fapi")))
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _key(app: t.Any) -> DPoPKey:
    with app.app_context():
        key = get_state().provider("fapi").dpop
    assert key is not None
    return key


def test_login_and_api_calls_carry_proofs(make_app, fapi):
    app = dpop_app(make_app, fapi, fetch_userinfo=True)
    client = login(app, fapi)
    key = _key(app)
    authorize = fapi.requests_to("authorize")[0]
    assert authorize["args"]["dpop_jkt"] == key.thumbprint  # the code is bound too
    answer = client.get("/api/fapi").get_json()
    assert answer["status"] == 200

    endpoints = [p["endpoint"].removeprefix(fapi.issuer) for p in fapi.proofs]
    assert endpoints == ["/token", "/userinfo", "/api/me"]
    token_proof, userinfo_proof, api_proof = (p["claims"] for p in fapi.proofs)
    assert token_proof["htm"] == "POST" and "ath" not in token_proof
    assert userinfo_proof["htm"] == api_proof["htm"] == "GET"
    assert api_proof["htu"] == fapi.issuer + "/api/me"  # without ?page=2#top
    stored = fapi.requests_to("api")[0]
    assert stored["headers"]["Authorization"].startswith("DPoP ")
    access_token = stored["headers"]["Authorization"].removeprefix("DPoP ")
    assert api_proof["ath"] == token_hash(access_token)
    assert len({p["claims"]["jti"] for p in fapi.proofs}) == 3
    assert all(p["header"]["jwk"] == key.jwk for p in fapi.proofs)
    assert fapi.bearer_presentations == 0


def test_the_stored_token_is_a_dpop_token(make_app, fapi):
    app = dpop_app(make_app, fapi)
    client = login(app, fapi)
    cookie = client.get_cookie("session")
    assert cookie is not None
    with app.test_request_context(headers={"Cookie": f"session={cookie.value}"}):
        token = app.extensions["test_oauth"].token("fapi")
    assert token["token_type"] == "DPoP"


def test_a_refresh_keeps_the_binding_after_the_api_refuses(make_app, fapi):
    app = dpop_app(make_app, fapi)
    client = login(app, fapi)
    fapi.expire_access_tokens()
    assert client.get("/api/fapi").get_json()["status"] == 200
    calls = [p["endpoint"].removeprefix(fapi.issuer) for p in fapi.proofs]
    assert calls == ["/token", "/api/me", "/token", "/api/me"]  # refused, refreshed, again
    thumbprints = {thumbprint(p["header"]["jwk"]) for p in fapi.proofs}
    assert thumbprints == {_key(app).thumbprint}
    assert fapi.calls["token:refresh_token"] == 1
    assert fapi.bearer_presentations == 0


def test_nonce_challenges_at_the_token_endpoint_and_the_api(make_app, fapi):
    fapi.fapi.dpop_nonce = "nonce-1"
    app = dpop_app(make_app, fapi)
    client = login(app, fapi)
    assert fapi.nonce_challenges == 1
    assert [p["claims"].get("nonce") for p in fapi.proofs] == [None, "nonce-1"]

    assert client.get("/api/fapi").get_json()["status"] == 200  # the nonce is reused
    assert fapi.nonce_challenges == 1
    fapi.fapi.dpop_nonce = "nonce-2"  # the server moves on
    assert client.get("/api/fapi").get_json()["status"] == 200
    assert fapi.nonce_challenges == 2
    assert [p["claims"].get("nonce") for p in fapi.proofs[-2:]] == ["nonce-1", "nonce-2"]
    assert fapi.calls["token:refresh_token"] == 0  # a nonce challenge is not a refresh


def test_a_nonce_challenge_is_answered_once_only(make_app, fapi):
    app = dpop_app(make_app, fapi)
    client = login(app, fapi)
    fapi.fapi.dpop_nonce = "n"
    fapi.fapi.new_nonce_every_time = True  # never satisfied
    before = len(fapi.proofs)
    assert client.get("/api/fapi").get_json()["status"] == 401
    assert len(fapi.proofs) - before == 2  # the call and one retry, no more
    assert fapi.calls["token:refresh_token"] == 0


def test_a_bearer_token_is_refused_when_dpop_was_asked(make_app, fapi, failures):
    fapi.fapi.dpop_token_type = "Bearer"
    app = dpop_app(make_app, fapi)
    client = app.test_client()
    response = follow_callback(client, fapi.authorize(start_login(client, "fapi")))
    assert response.status_code == 502
    assert "DPoP-bound" in response.get_data(as_text=True)
    assert client.get("/").get_json()["user"] is None
    assert failures and failures[0]["provider"] == "fapi"


def test_a_dpop_token_is_refused_when_dpop_was_not_asked(make_app, rogue):
    rogue.behaviour.token_overrides = {"token_type": "DPoP"}
    app = make_app({"rogue": rogue_entry(rogue)})
    client = app.test_client()
    response = follow_callback(client, rogue.authorize(start_login(client)))
    assert response.status_code == 502
    assert "set &#39;dpop&#39;: True" in response.get_data(as_text=True)


def test_no_proof_follows_a_redirect_to_another_host(make_app, fapi):
    app = dpop_app(make_app, fapi)
    client = login(app, fapi)
    with RogueProvider() as elsewhere:
        fapi.behaviour.api_redirect_to = (
            elsewhere.issuer.replace("127.0.0.1", "localhost") + "/api/x"
        )
        client.get("/api/fapi")
        (followed,) = elsewhere.requests_log
    headers = {name.lower() for name in followed["headers"]}
    assert "authorization" not in headers and "dpop" not in headers


def test_without_dpop_no_proof_is_sent(make_app, fapi):
    app = make_app({"fapi": fapi_entry(fapi)}, TEST_API_URLS={"fapi": fapi.issuer + "/api/me"})
    client = login(app, fapi)
    assert client.get("/api/fapi").get_json()["status"] == 200
    assert fapi.proofs == []
    assert all("DPoP" not in r["headers"] for r in fapi.requests_log)


def test_a_proof_from_another_key_is_refused(make_app, fapi):
    app = dpop_app(make_app, fapi)
    login(app, fapi)
    stored = fapi.requests_to("token")
    assert stored
    stranger = DPoPKey(ec.generate_private_key(ec.SECP256R1()))
    # The provider binds the token to the app's key: a token lifted from the
    # session would be useless with another key.
    url = fapi.issuer + "/api/me"
    token_body = fapi._bound  # access and refresh tokens, by value
    access = next(token for token in token_body if token in fapi._access_tokens)
    proof = stranger.proof("GET", url, access_token=access)
    answer = requests.get(url, headers={"Authorization": f"DPoP {access}", "DPoP": proof})
    assert answer.status_code == 401
    answer = requests.get(url, headers={"Authorization": f"Bearer {access}"})
    assert answer.status_code == 401


def test_the_dpop_key_of_an_app_without_one_derives_from_secret_key(make_app, fapi):
    # Without SECRET_KEY each process would make a key of its own; init_app
    # refuses such an app, so the key is always shared by the app's processes.
    app = make_app({"fapi": fapi_entry(fapi, dpop=True)})
    result = app.test_cli_runner().invoke(args=["oauth2login", "check", "--offline"])
    assert "DPoP: tokens are bound to the app's key (derived from SECRET_KEY" in " ".join(
        result.output.split()
    )
