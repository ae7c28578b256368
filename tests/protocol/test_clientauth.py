"""Client authentication: loading keys, ``private_key_jwt`` and
``client_secret_jwt`` assertions checked field by field by a strict provider,
their configuration, and the app's JWKS route."""

from __future__ import annotations

import json
import typing as t

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_provider
from flask_oauth2login.crypto.keys import (
    InvalidKey,
    JwtSigner,
    key_algorithm,
    load_private_key,
    public_jwk,
    thumbprint,
)
from flask_oauth2login.protocol.clientauth import ASSERTION_LIFETIME
from tests.support.client_keys import ec_key, pem, registered_jwks, rsa_key
from tests.support.fapi_idp import fapi_entry
from tests.support.logins import follow_callback, start_login

# -- loading keys --------------------------------------------------------------------


def test_keys_load_from_pem_text_a_file_or_one_environment_line(tmp_path):
    key = rsa_key()
    path = tmp_path / "key.pem"
    path.write_text(pem(key, traditional=True))
    for value in (
        pem(key),
        pem(key).encode(),
        pem(key, traditional=True),
        str(path),
        path,
        pem(key).replace("\n", "\\n"),
        key,
    ):
        loaded = load_private_key(value)
        assert loaded.private_numbers() == key.private_numbers()  # type: ignore[union-attr]


def _pem_of(key: t.Any, password: bytes | None = None) -> str:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()


@pytest.mark.parametrize(
    ("value", "kind", "says"),
    [
        (None, "missing", "missing"),
        ("", "missing", "missing"),
        ("/no/such/key.pem", "file", "nor the path of a file that exists"),
        ("-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----", "format", "PEM"),
        (_pem_of(rsa_key(), b"passphrase"), "format", "without a passphrase"),
        (_pem_of(rsa.generate_private_key(65537, 1024)), "type", "at least 2048 bits"),
        (_pem_of(ec.generate_private_key(ec.SECP256K1())), "type", "P-256"),
        (_pem_of(ed25519.Ed25519PrivateKey.generate()), "type", "RSA or EC"),
    ],
    ids=["none", "empty", "no-file", "garbage", "encrypted", "rsa-1024", "secp256k1", "ed25519"],
)
def test_unusable_keys_are_refused_with_a_reason(value, kind, says):
    with pytest.raises(InvalidKey) as info:
        load_private_key(value)
    assert info.value.kind == kind
    assert says in str(info.value)


def test_key_material_without_its_pem_lines_is_never_echoed():
    body = "".join(pem(ec_key()).splitlines()[1:-1])  # the base64 body alone
    with pytest.raises(InvalidKey) as info:
        load_private_key(body)
    assert body[:20] not in str(info.value)


def test_algorithms_follow_the_key_and_the_provider():
    assert key_algorithm(ec_key()) == "ES256"
    assert key_algorithm(ec.generate_private_key(ec.SECP384R1())) == "ES384"
    assert key_algorithm(rsa_key()) == "RS256"
    assert key_algorithm(rsa_key(), ["RS256", "PS256"]) == "RS256"
    assert key_algorithm(rsa_key(), ["PS256", "ES256"]) == "PS256"
    assert key_algorithm(rsa_key(), ["ES256"]) == "RS256"  # nothing better to offer


def test_the_signer_shows_nothing_of_its_key():
    signer = JwtSigner(rsa_key())
    assert signer.key_id == thumbprint(public_jwk(rsa_key()))
    assert "d" not in signer.public_jwk()
    assert signer.registration_jwk()["kid"] == signer.key_id
    assert str(rsa_key().private_numbers().d) not in repr(signer)
    assert "BEGIN" not in repr(signer)


# -- configuration ---------------------------------------------------------------------

OIDC = {"client_id": "app", "issuer": "https://idp.example"}


@pytest.mark.parametrize(
    ("entry", "key", "says"),
    [
        ({"token_endpoint_auth_method": "private_key_jwt"}, "client_private_key", "missing"),
        (
            {"token_endpoint_auth_method": "private_key_jwt", "client_private_key": "/no/key.pem"},
            "client_private_key",
            "file",
        ),
        (
            {
                "token_endpoint_auth_method": "private_key_jwt",
                "client_private_key": _pem_of(rsa.generate_private_key(65537, 1024)),
            },
            "client_private_key",
            "2048",
        ),
        (
            {"client_secret": "s", "client_private_key": pem(ec_key())},
            "client_private_key",
            "only with token_endpoint_auth_method='private_key_jwt'",
        ),
        (
            {"token_endpoint_auth_method": "client_secret_jwt", "client_secret": "short"},
            "client_secret",
            "at least 32 characters",
        ),
        (
            {
                "token_endpoint_auth_method": "private_key_jwt",
                "client_private_key": pem(ec_key()),
                "client_key_id": "",
            },
            "client_key_id",
            "kid",
        ),
        (
            {"client_secret": "s", "client_assertion_audience": "token"},
            "client_assertion_audience",
            "'issuer'",
        ),
    ],
    ids=["no-key", "no-file", "small-key", "key-unused", "short-secret", "empty-kid", "bad-aud"],
)
def test_configuration_errors_name_provider_and_key(entry, key, says):
    with pytest.raises(ConfigurationError) as info:
        load_provider("corp", {**OIDC, **entry}, {}, {})
    assert info.value.key == key
    assert info.value.provider == "corp"
    assert says in str(info.value)


def test_the_private_key_never_shows_in_errors_or_reprs():
    text = pem(ec_key())
    config = load_provider(
        "corp",
        {**OIDC, "token_endpoint_auth_method": "private_key_jwt", "client_private_key": text},
        {},
        {},
    )
    body = text.splitlines()[1]
    assert body not in repr(config)
    assert "client_private_key" not in repr(config)
    with pytest.raises(ConfigurationError) as info:
        load_provider("corp", {**OIDC, "client_secret": "s", "client_private_key": text}, {}, {})
    assert body not in str(info.value)


def test_the_key_may_come_from_the_environment():
    config = load_provider(
        "corp",
        {**OIDC, "token_endpoint_auth_method": "private_key_jwt"},
        {},
        {"OAUTH2LOGIN_CORP_CLIENT_PRIVATE_KEY": pem(ec_key()).replace("\n", "\\n")},
    )
    assert config.client_private_key is not None


def test_init_app_refuses_a_private_key_jwt_entry_without_a_key(make_app, fapi):
    with pytest.raises(ConfigurationError, match=r"\['fapi'\]\['client_private_key'\]"):
        make_app({"fapi": fapi_entry(fapi, client_private_key=None)})


# -- against a strict provider ----------------------------------------------------------


def login(app: t.Any, fapi: t.Any, provider: str = "fapi") -> t.Any:
    client = app.test_client()
    response = follow_callback(client, fapi.authorize(start_login(client, provider)))
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _check_assertion(entry: dict[str, t.Any], fapi: t.Any, audience: str, alg: str) -> None:
    header, claims = entry["header"], entry["claims"]
    assert header["alg"] == alg
    assert claims["iss"] == claims["sub"] == fapi.client_id
    assert claims["aud"] == audience
    assert 0 < claims["exp"] - claims["iat"] <= ASSERTION_LIFETIME <= 300


def test_private_key_jwt_everywhere_the_client_authenticates(make_app, fapi):
    app = make_app({"fapi": fapi_entry(fapi)}, TEST_API_URLS={"fapi": fapi.issuer + "/api/me"})
    client = login(app, fapi)
    fapi.expire_access_tokens()  # the API answers 401: a refresh, then the call again
    assert client.get("/api/fapi").get_json()["status"] == 200
    assert client.post("/logout").status_code == 303
    with app.test_request_context():
        app_api = app.extensions["test_oauth"].app_session("fapi")
        assert app_api.get(fapi.issuer + "/api/me").status_code == 200

    grants = [
        r["form"].get("grant_type") or r["endpoint"]
        for r in fapi.requests_log
        if r["endpoint"] in ("token", "revoke")
    ]
    assert grants == [
        "authorization_code",
        "refresh_token",
        "revoke",
        "revoke",
        "client_credentials",
    ]
    assert len(fapi.assertions) == 5
    for entry in fapi.assertions:
        # The provider lists PS256, not RS256: an RSA key signs PS256 then.
        _check_assertion(entry, fapi, fapi.issuer, "PS256")
        assert entry["header"]["kid"] == thumbprint(public_jwk(rsa_key()))
    assert len({a["claims"]["jti"] for a in fapi.assertions}) == 5  # fresh each time
    for r in fapi.requests_log:
        assert "client_secret" not in r["form"]
        assert "Authorization" not in r["headers"] or r["endpoint"] == "api"


def test_private_key_jwt_with_an_ec_key_and_a_key_id(make_app, fapi):
    fapi.fapi.client_jwks = registered_jwks(ec_key(), kid="ec-1")
    entry = fapi_entry(fapi, client_private_key=pem(ec_key()), client_key_id="ec-1")
    app = make_app({"fapi": entry})
    login(app, fapi)
    (assertion,) = fapi.assertions
    assert assertion["header"]["kid"] == "ec-1"
    _check_assertion(assertion, fapi, fapi.issuer, "ES256")


def test_the_audience_may_be_the_endpoint_called(make_app, fapi):
    fapi.fapi.assertion_audience = "endpoint"
    app = make_app({"fapi": fapi_entry(fapi, client_assertion_audience="endpoint")})
    client = login(app, fapi)
    client.post("/logout")
    audiences = [a["claims"]["aud"] for a in fapi.assertions]
    assert audiences == [fapi.issuer + "/token"] + [fapi.issuer + "/revoke"] * 2


def test_a_wrong_audience_is_refused_by_the_provider(make_app, fapi, failures):
    fapi.fapi.assertion_audience = "endpoint"
    app = make_app({"fapi": fapi_entry(fapi)})  # sends the issuer
    client = app.test_client()
    response = follow_callback(client, fapi.authorize(start_login(client, "fapi")))
    assert response.status_code == 502
    assert "invalid_client" in response.get_data(as_text=True)
    assert client.get("/").get_json()["user"] is None


def test_client_secret_jwt(make_app, fapi):
    fapi.fapi.auth_method = "client_secret_jwt"
    entry = fapi_entry(
        fapi,
        token_endpoint_auth_method="client_secret_jwt",
        client_private_key=None,
        client_secret=fapi.client_secret,
    )
    app = make_app({"fapi": entry})
    login(app, fapi)
    (assertion,) = fapi.assertions
    _check_assertion(assertion, fapi, fapi.issuer, "HS256")
    (token_request,) = fapi.requests_to("token")
    jwt.decode(  # signed with the secret
        token_request["form"]["client_assertion"],
        fapi.client_secret,
        algorithms=["HS256"],
        audience=fapi.issuer,
    )


# -- the app's public keys ----------------------------------------------------------------


def test_the_jwks_route_serves_the_public_keys_only(make_app, fapi):
    ec_entry = fapi_entry(fapi, client_private_key=pem(ec_key()), client_key_id="ec-1")
    app = make_app(
        {"fapi": fapi_entry(fapi), "other": ec_entry, "same": fapi_entry(fapi)},
        OAUTH2LOGIN_JWKS_URL_PATH="/.well-known/jwks.json",
    )
    response = app.test_client().get("/.well-known/jwks.json")
    assert response.status_code == 200
    keys = response.get_json()["keys"]
    assert [k["kid"] for k in keys] == [thumbprint(public_jwk(rsa_key())), "ec-1"]
    assert keys[0]["alg"] == "RS256" and keys[1]["alg"] == "ES256"
    assert all(k["use"] == "sig" and "d" not in k for k in keys)
    assert "max-age" in response.headers["Cache-Control"]


def test_no_jwks_route_unless_asked(make_app, fapi):
    app = make_app({"fapi": fapi_entry(fapi)})
    assert app.test_client().get("/.well-known/jwks.json").status_code == 404


def test_the_jwks_path_must_be_a_path(make_app, fapi):
    with pytest.raises(ConfigurationError, match="OAUTH2LOGIN_JWKS_URL_PATH"):
        make_app({"fapi": fapi_entry(fapi)}, OAUTH2LOGIN_JWKS_URL_PATH="jwks.json")


def test_flask_oauth2login_check_prints_the_keys_to_register(make_app, fapi):
    fapi.fapi.require_par = True
    app = make_app(
        {"fapi": fapi_entry(fapi, dpop=True)},
        OAUTH2LOGIN_JWKS_URL_PATH="/.well-known/jwks.json",
        SECRET_KEY="a-secret-key-long-enough-for-the-check",
    )
    result = app.test_cli_runner().invoke(args=["oauth2login", "check"])
    assert result.exit_code == 0, result.output
    expected = json.dumps(
        {"keys": [JwtSigner(rsa_key()).registration_jwk()]}, separators=(",", ":")
    )
    assert f"register this public key with the provider (the client's jwks): {expected}" in (
        result.output.replace("\n", "")
    )
    assert "register the jwks_uri http://localhost/.well-known/jwks.json" in result.output
    assert f"authorization requests are pushed to {fapi.issuer}/par" in result.output
    assert "DPoP: tokens are bound to the app's key (derived from SECRET_KEY" in result.output
    assert "PRIVATE" not in result.output
