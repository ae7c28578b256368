"""Tests of the rogue OpenID Connect provider used by the security tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from typing import Any
from urllib.parse import quote_plus, urlencode

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization

from tests.support.oauth import pkce_pair, query
from tests.support.rogue_idp import Behaviour, KeepAliveProvider, RogueProvider
from tests.support.threads import in_parallel, wait_for

REDIRECT_URI = "http://client.example.test/callback?x=1"
TIMEOUT = 10


# ----------------------------------------------------------------- fixtures


@pytest.fixture
def idp(rogue: RogueProvider) -> RogueProvider:
    """The shared rogue provider, reset to good behaviour."""
    return rogue


# ------------------------------------------------------------------ helpers


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def authorize_url(idp: RogueProvider, **params: str | None) -> str:
    """An /authorize URL with sensible defaults; None drops a parameter."""
    base = {
        "response_type": "code",
        "client_id": idp.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email profile",
        "state": "state-1",
        "nonce": "nonce-1",
    }
    base.update(params)
    query = {k: v for k, v in base.items() if v is not None}
    return f"{idp.issuer}/authorize?{urlencode(query)}"


def get_code(idp: RogueProvider, **params: str | None) -> tuple[str, str]:
    """Run /authorize with PKCE and return (code, verifier)."""
    verifier, challenge = pkce_pair()
    params.setdefault("code_challenge", challenge)
    params.setdefault("code_challenge_method", "S256")
    location = idp.authorize(authorize_url(idp, **params))
    return query(location)["code"], verifier


def basic_auth(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1 Basic header value (form-encoded, then base64)."""
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def post_token(
    idp: RogueProvider, form: dict[str, str], auth: str = "basic", **kwargs: Any
) -> requests.Response:
    """POST to /token with client_secret_basic or client_secret_post."""
    headers = {}
    if auth == "basic":
        headers["Authorization"] = basic_auth(idp.client_id, idp.client_secret)
    elif auth == "post":
        form = {**form, "client_id": idp.client_id, "client_secret": idp.client_secret}
    return requests.post(
        f"{idp.issuer}/token", data=form, headers=headers, timeout=TIMEOUT, **kwargs
    )


def exchange(
    idp: RogueProvider,
    code: str,
    verifier: str | None,
    auth: str = "basic",
    redirect_uri: str = REDIRECT_URI,
) -> requests.Response:
    """Exchange an authorization code."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        form["code_verifier"] = verifier
    return post_token(idp, form, auth)


def login(idp: RogueProvider, **params: str | None) -> dict[str, Any]:
    """A full, successful code flow; returns the token JSON."""
    code, verifier = get_code(idp, **params)
    response = exchange(idp, code, verifier)
    assert response.status_code == 200, response.text
    return response.json()


def refresh(idp: RogueProvider, refresh_token: str, **extra: str) -> requests.Response:
    """Use a refresh token."""
    return post_token(idp, {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra})


def jwks_key(idp: RogueProvider) -> Any:
    """The (single) public key served in the JWKS."""
    keys = requests.get(f"{idp.issuer}/jwks", timeout=TIMEOUT).json()["keys"]
    assert len(keys) == 1
    return jwt.PyJWK(keys[0]).key


def verify(idp: RogueProvider, token: str, **options: Any) -> dict[str, Any]:
    """Verify an ID token strictly against the JWKS, issuer and audience."""
    return jwt.decode(
        token,
        jwks_key(idp),
        algorithms=["RS256"],
        audience=idp.client_id,
        issuer=idp.issuer,
        **options,
    )


def header_of(token: str) -> dict[str, Any]:
    """The JOSE header of a compact JWS, decoded by hand (no validation)."""
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def claims_of(token: str) -> dict[str, Any]:
    """The payload of a compact JWS without verification."""
    return jwt.decode(token, options={"verify_signature": False})


def at_hash(access_token: str) -> str:
    """Expected at_hash for RS256."""
    return b64url(hashlib.sha256(access_token.encode()).digest()[:16])


def api_me(idp: RogueProvider, token: str | None, **kwargs: Any) -> requests.Response:
    """GET /api/me with an optional Bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{idp.issuer}/api/me", headers=headers, timeout=TIMEOUT, **kwargs)


# ---------------------------------------------------------------- discovery


def test_discovery_document(idp: RogueProvider) -> None:
    meta = requests.get(idp.metadata_url, timeout=TIMEOUT).json()
    assert idp.issuer.startswith("http://127.0.0.1:")
    assert meta["issuer"] == idp.issuer
    for name, path in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
        ("revocation_endpoint", "/revoke"),
    ]:
        assert meta[name] == idp.issuer + path
    assert meta["response_types_supported"] == ["code"]
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert "client_secret_basic" in meta["token_endpoint_auth_methods_supported"]
    assert "refresh_token" in meta["grant_types_supported"]
    assert meta["authorization_response_iss_parameter_supported"] is True
    assert idp.calls["discovery"] == 1


def test_metadata_overrides_and_iss_advertising(idp: RogueProvider) -> None:
    idp.behaviour.metadata_overrides = {"issuer": "https://evil.example", "jwks_uri": None}
    idp.behaviour.advertise_iss_parameter = False
    meta = requests.get(idp.metadata_url, timeout=TIMEOUT).json()
    assert meta["issuer"] == "https://evil.example"
    assert "jwks_uri" not in meta
    assert meta["authorization_response_iss_parameter_supported"] is False


def test_discovery_status_and_delay(idp: RogueProvider) -> None:
    idp.behaviour.discovery_status = 503
    assert requests.get(idp.metadata_url, timeout=TIMEOUT).status_code == 503
    idp.behaviour.discovery_status = 200
    idp.behaviour.discovery_delay = 0.3
    started = time.monotonic()
    assert requests.get(idp.metadata_url, timeout=TIMEOUT).status_code == 200
    assert time.monotonic() - started >= 0.3
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(idp.metadata_url, timeout=0.1)


# --------------------------------------------------------------------- JWKS


def test_jwks_rotation_and_reset(idp: RogueProvider) -> None:
    first = requests.get(f"{idp.issuer}/jwks", timeout=TIMEOUT).json()["keys"]
    assert [k["kid"] for k in first] == [idp.kid]
    assert first[0]["kty"] == "RSA" and first[0]["alg"] == "RS256"
    assert "d" not in first[0]
    old_token = idp.make_id_token()
    idp.rotate_keys()
    second = requests.get(f"{idp.issuer}/jwks", timeout=TIMEOUT).json()["keys"]
    assert len(second) == 1 and second[0]["kid"] != first[0]["kid"]
    with pytest.raises(jwt.InvalidSignatureError):
        verify(idp, old_token)
    verify(idp, idp.make_id_token())
    idp.reset()
    assert requests.get(f"{idp.issuer}/jwks", timeout=TIMEOUT).json()["keys"] == first
    verify(idp, old_token)


def test_jwks_status(idp: RogueProvider) -> None:
    idp.behaviour.jwks_status = 500
    assert requests.get(f"{idp.issuer}/jwks", timeout=TIMEOUT).status_code == 500


# ---------------------------------------------------------------- authorize


def test_authorize_redirects_with_code_state_and_iss(idp: RogueProvider) -> None:
    location = idp.authorize(authorize_url(idp))
    assert location.startswith("http://client.example.test/callback?")
    params = query(location)
    assert params["x"] == "1"
    assert params["state"] == "state-1"
    assert params["iss"] == idp.issuer
    assert len(params["code"]) >= 20
    assert idp.calls["authorize"] == 1


def test_authorize_iss_knobs(idp: RogueProvider) -> None:
    idp.behaviour.iss_value = "https://evil.example"
    assert query(idp.authorize(authorize_url(idp)))["iss"] == "https://evil.example"
    idp.behaviour.send_iss = False
    assert "iss" not in query(idp.authorize(authorize_url(idp)))


def test_authorize_error(idp: RogueProvider) -> None:
    idp.behaviour.authorize_error = "access_denied"
    params = query(idp.authorize(authorize_url(idp)))
    assert params["error"] == "access_denied"
    assert params["error_description"] == "The user said no <script>alert(1)</script>"
    assert params["state"] == "state-1"
    assert "code" not in params


def test_authorize_rejects_bad_requests(idp: RogueProvider) -> None:
    bad_client = requests.get(
        authorize_url(idp, client_id="nope"), allow_redirects=False, timeout=TIMEOUT
    )
    assert bad_client.status_code == 400
    assert bad_client.json()["error"] == "invalid_client"
    no_redirect = requests.get(
        authorize_url(idp, redirect_uri=None), allow_redirects=False, timeout=TIMEOUT
    )
    assert no_redirect.status_code == 400
    token_flow = query(idp.authorize(authorize_url(idp, response_type="token")))
    assert token_flow["error"] == "unsupported_response_type"
    plain = query(idp.authorize(authorize_url(idp, code_challenge="abc")))
    assert plain["error"] == "invalid_request"
    idp.behaviour.require_pkce = True
    assert query(idp.authorize(authorize_url(idp)))["error"] == "invalid_request"


# ------------------------------------------------------------ code exchange


def test_full_code_flow_with_basic_auth(idp: RogueProvider) -> None:
    tokens = login(idp)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["scope"] == "openid email profile"
    assert tokens["refresh_token"] and tokens["access_token"]
    claims = verify(idp, tokens["id_token"])
    assert claims["nonce"] == "nonce-1"
    assert claims["at_hash"] == at_hash(tokens["access_token"])
    assert claims["aud"] == idp.client_id
    assert claims["sub"] == "user-123"
    assert claims["email"] == "alice@example.test"
    assert claims["email_verified"] is True
    assert claims["name"] == "Alice Example"
    assert claims["picture"] == "https://img.example.test/alice.png"
    assert claims["iat"] <= time.time() < claims["exp"]
    assert header_of(tokens["id_token"])["kid"] == idp.kid
    assert idp.calls["token"] == 1 and idp.calls["token:authorization_code"] == 1


def test_client_secret_post(idp: RogueProvider) -> None:
    code, verifier = get_code(idp)
    assert exchange(idp, code, verifier, auth="post").status_code == 200


def test_basic_credentials_are_form_urldecoded() -> None:
    secret = "s3cr%t:+ &/é"
    with RogueProvider(client_id="app id:1", client_secret=secret) as idp:
        code, verifier = get_code(idp)
        assert exchange(idp, code, verifier).status_code == 200
        assert idp.requests_log[-1]["headers"]["Authorization"].startswith("Basic ")


def test_client_authentication_failures(idp: RogueProvider) -> None:
    code, verifier = get_code(idp)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    wrong = requests.post(
        f"{idp.issuer}/token",
        data=form,
        timeout=TIMEOUT,
        headers={"Authorization": basic_auth(idp.client_id, "wrong")},
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert wrong.headers["WWW-Authenticate"].startswith("Basic")
    missing = post_token(idp, form, auth="none")
    assert missing.status_code == 401
    both = post_token(idp, {**form, "client_secret": idp.client_secret})
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"
    assert exchange(idp, code, verifier).status_code == 200


def test_code_is_single_use_and_reuse_revokes(idp: RogueProvider) -> None:
    code, verifier = get_code(idp)
    first = exchange(idp, code, verifier)
    assert first.status_code == 200
    assert api_me(idp, first.json()["access_token"]).status_code == 200
    again = exchange(idp, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert api_me(idp, first.json()["access_token"]).status_code == 401
    unknown = exchange(idp, "no-such-code", verifier)
    assert unknown.json()["error"] == "invalid_grant"


def test_code_exchange_checks_redirect_uri_and_pkce(idp: RogueProvider) -> None:
    code, verifier = get_code(idp)
    other = exchange(idp, code, verifier, redirect_uri="http://client.example.test/other")
    assert other.status_code == 400 and other.json()["error"] == "invalid_grant"
    assert exchange(idp, code, "x" * 50).json()["error"] == "invalid_grant"
    assert exchange(idp, code, None).json()["error"] == "invalid_grant"
    assert exchange(idp, code, verifier).status_code == 200
    no_pkce = query(idp.authorize(authorize_url(idp)))["code"]
    downgrade = exchange(idp, no_pkce, verifier)
    assert downgrade.json()["error"] == "invalid_grant"
    assert exchange(idp, no_pkce, None).status_code == 200


def test_no_id_token_without_openid_scope(idp: RogueProvider) -> None:
    tokens = login(idp, scope="email")
    assert "id_token" not in tokens
    assert tokens["access_token"]


def test_unsupported_grant_type(idp: RogueProvider) -> None:
    response = post_token(idp, {"grant_type": "password"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    assert idp.calls["token:password"] == 1


def test_user_knob_changes_id_token_and_userinfo(idp: RogueProvider) -> None:
    idp.behaviour.user = {**idp.behaviour.user, "email_verified": False}
    tokens = login(idp)
    assert verify(idp, tokens["id_token"])["email_verified"] is False
    userinfo = requests.get(
        f"{idp.issuer}/userinfo",
        timeout=TIMEOUT,
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).json()
    assert userinfo["email_verified"] is False


# ---------------------------------------------------------- ID token knobs


def test_id_token_claims_override_and_drop(idp: RogueProvider) -> None:
    idp.behaviour.id_token_claims = {
        "iss": "https://evil.example",
        "aud": [idp.client_id, "other"],
        "sub": None,
        "azp": "other",
        "nonce": "wrong",
        "at_hash": "bogus",
        "exp": 1000,
    }
    claims = claims_of(login(idp)["id_token"])
    assert claims["iss"] == "https://evil.example"
    assert claims["aud"] == [idp.client_id, "other"]
    assert "sub" not in claims
    assert claims["azp"] == "other" and claims["nonce"] == "wrong"
    assert claims["at_hash"] == "bogus" and claims["exp"] == 1000


def test_id_token_header_extra_and_unknown_kid(idp: RogueProvider) -> None:
    idp.behaviour.id_token_header = {"crit": ["exp-unknown"], "exp-unknown": 1, "kid": "nope"}
    token = login(idp)["id_token"]
    header = header_of(token)
    assert header["crit"] == ["exp-unknown"]
    assert header["kid"] == "nope"
    with pytest.raises(jwt.InvalidTokenError, match="critical extension"):
        verify(idp, token)
    idp.behaviour.id_token_header = {"kid": None}
    assert "kid" not in header_of(login(idp)["id_token"])


def test_signing_wrong_key(idp: RogueProvider) -> None:
    idp.behaviour.id_token_signing = "wrong-key"
    token = login(idp)["id_token"]
    assert header_of(token) == {"alg": "RS256", "typ": "JWT", "kid": idp.kid}
    with pytest.raises(jwt.InvalidSignatureError):
        verify(idp, token)


def test_signing_none(idp: RogueProvider) -> None:
    idp.behaviour.id_token_signing = "none"
    token = login(idp)["id_token"]
    assert header_of(token)["alg"] == "none"
    assert token.endswith(".")
    assert claims_of(token)["sub"] == "user-123"
    with pytest.raises(jwt.InvalidAlgorithmError):
        verify(idp, token)


def test_signing_hs256_client_secret(idp: RogueProvider) -> None:
    idp.behaviour.id_token_signing = "hs256-client-secret"
    token = login(idp)["id_token"]
    assert header_of(token)["alg"] == "HS256"
    assert_hmac(token, idp.client_secret.encode())
    with pytest.raises(jwt.InvalidAlgorithmError):
        verify(idp, token)


def test_signing_hs256_public_key_alg_confusion(idp: RogueProvider) -> None:
    idp.behaviour.id_token_signing = "hs256-public-key"
    token = login(idp)["id_token"]
    assert header_of(token)["alg"] == "HS256"
    pem = jwks_key(idp).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert_hmac(token, pem)
    with pytest.raises(jwt.InvalidAlgorithmError):
        verify(idp, token)


def assert_hmac(token: str, key: bytes) -> None:
    """Assert token is HS256-signed with key."""
    signing_input, _, signature = token.rpartition(".")
    expected = b64url(hmac.new(key, signing_input.encode(), "sha256").digest())
    assert hmac.compare_digest(signature, expected)


def test_signing_omit(idp: RogueProvider) -> None:
    idp.behaviour.id_token_signing = "omit"
    tokens = login(idp)
    assert "id_token" not in tokens and tokens["access_token"]


def test_make_id_token(idp: RogueProvider) -> None:
    claims = verify(idp, idp.make_id_token(nonce="n", name=None, extra="yes"))
    assert claims["sub"] == "user-123" and claims["nonce"] == "n"
    assert claims["extra"] == "yes" and "name" not in claims
    with pytest.raises(jwt.ExpiredSignatureError):
        verify(idp, idp.make_id_token(exp=int(time.time()) - 600))


# ------------------------------------------------------- token endpoint knobs


def test_token_status_keeps_body(idp: RogueProvider) -> None:
    idp.behaviour.token_status = 500
    code, verifier = get_code(idp)
    response = exchange(idp, code, verifier)
    assert response.status_code == 500
    assert "access_token" in response.json()


def test_token_body_and_content_type(idp: RogueProvider) -> None:
    idp.behaviour.token_body = b"<html>oops</html>"
    code, verifier = get_code(idp)
    response = exchange(idp, code, verifier)
    assert response.status_code == 200
    assert response.content == b"<html>oops</html>"
    assert response.headers["Content-Type"].startswith("text/html")
    idp.reset()
    idp.behaviour.token_content_type = "text/plain"
    code, verifier = get_code(idp)
    response = exchange(idp, code, verifier)
    assert response.headers["Content-Type"] == "text/plain"
    assert "access_token" in json.loads(response.text)


def test_token_overrides_and_expires_in(idp: RogueProvider) -> None:
    idp.behaviour.token_overrides = {"token_type": "mac", "access_token": None}
    idp.behaviour.expires_in = 5
    tokens = login(idp)
    assert tokens["token_type"] == "mac"
    assert "access_token" not in tokens
    assert tokens["expires_in"] == 5


def test_token_redirect(idp: RogueProvider) -> None:
    idp.behaviour.token_redirect_to = "http://evil.example/steal"
    code, verifier = get_code(idp)
    response = requests.post(
        f"{idp.issuer}/token",
        allow_redirects=False,
        timeout=TIMEOUT,
        data={"grant_type": "authorization_code", "code": code},
    )
    assert response.status_code == 307
    assert response.headers["Location"] == "http://evil.example/steal"
    idp.behaviour.token_redirect_to = None
    assert exchange(idp, code, verifier).status_code == 200


def test_token_delay_does_not_block_other_requests(idp: RogueProvider) -> None:
    idp.behaviour.token_delay = 1.0
    code, verifier = get_code(idp)
    result: dict[str, requests.Response] = {}
    slow = threading.Thread(target=lambda: result.update(r=exchange(idp, code, verifier)))
    started = time.monotonic()
    slow.start()
    time.sleep(0.1)
    assert requests.get(f"{idp.issuer}/jwks", timeout=TIMEOUT).status_code == 200
    assert time.monotonic() - started < 0.8
    slow.join(TIMEOUT)
    assert result["r"].status_code == 200
    assert time.monotonic() - started >= 1.0


# ------------------------------------------------------------------ refresh


def test_refresh_rotates_and_keeps_identity(idp: RogueProvider) -> None:
    first = login(idp)
    response = refresh(idp, first["refresh_token"])
    assert response.status_code == 200
    second = response.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    claims = verify(idp, second["id_token"])
    original = verify(idp, first["id_token"])
    assert (claims["iss"], claims["sub"]) == (original["iss"], original["sub"])
    assert claims["at_hash"] == at_hash(second["access_token"])
    assert claims["auth_time"] == original["auth_time"]
    reused = refresh(idp, first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert idp.calls["token:refresh_token"] == 2


def test_refresh_without_rotation_and_omitted_token(idp: RogueProvider) -> None:
    idp.behaviour.rotate_refresh_tokens = False
    first = login(idp)
    assert refresh(idp, first["refresh_token"]).json()["refresh_token"] == first["refresh_token"]
    idp.behaviour.refresh_omits_refresh_token = True
    answer = refresh(idp, first["refresh_token"]).json()
    assert "refresh_token" not in answer and answer["access_token"]


def test_refresh_error_and_id_token_claims(idp: RogueProvider) -> None:
    tokens = login(idp)
    idp.behaviour.refresh_id_token_claims = {"sub": "someone-else"}
    claims = verify(idp, refresh(idp, tokens["refresh_token"]).json()["id_token"])
    assert claims["sub"] == "someone-else"
    idp.behaviour.refresh_error = "invalid_grant"
    response = refresh(idp, "anything")
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "refresh refused by behaviour",
    }


def test_refresh_scope_narrowing(idp: RogueProvider) -> None:
    tokens = login(idp)
    narrowed = refresh(idp, tokens["refresh_token"], scope="openid").json()
    assert narrowed["scope"] == "openid"
    wider = refresh(idp, narrowed["refresh_token"], scope="openid admin")
    assert wider.json()["error"] == "invalid_scope"


def test_client_credentials(idp: RogueProvider) -> None:
    response = post_token(idp, {"grant_type": "client_credentials", "scope": "api"})
    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert api_me(idp, body["access_token"]).json()["sub"] == idp.client_id
    assert idp.calls["token:client_credentials"] == 1


# ----------------------------------------------------------------- userinfo


def test_userinfo(idp: RogueProvider) -> None:
    token = login(idp)["access_token"]
    url = f"{idp.issuer}/userinfo"
    assert requests.get(url, timeout=TIMEOUT).status_code == 401
    good = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert good.json() == {
        "sub": "user-123",
        "email": "alice@example.test",
        "email_verified": True,
        "name": "Alice Example",
        "picture": "https://img.example.test/alice.png",
    }
    posted = requests.post(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert posted.status_code == 200
    idp.behaviour.userinfo_overrides = {"sub": "other", "email": None}
    changed = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert changed.json()["sub"] == "other" and "email" not in changed.json()
    idp.behaviour.userinfo_status = 500
    assert (
        requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT).status_code
        == 500
    )


# ---------------------------------------------------------------------- API


def test_api_requires_live_token(idp: RogueProvider) -> None:
    token = login(idp)["access_token"]
    ok = api_me(idp, token)
    assert ok.json() == {"sub": "user-123", "token_suffix": token[-4:]}
    for bad in (None, "not-a-token"):
        denied = api_me(idp, bad)
        assert denied.status_code == 401
        assert denied.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    idp.expire_access_tokens()
    assert api_me(idp, token).status_code == 401
    assert idp.calls["api"] == 4


def test_api_rejects_token_issued_already_expired(idp: RogueProvider) -> None:
    idp.behaviour.expires_in = 0
    assert api_me(idp, login(idp)["access_token"]).status_code == 401


def test_api_status(idp: RogueProvider) -> None:
    token = login(idp)["access_token"]
    idp.behaviour.api_status = 401
    response = api_me(idp, token)
    assert response.status_code == 401
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_api_redirect_cross_host(idp: RogueProvider) -> None:
    token = login(idp)["access_token"]
    with RogueProvider() as other:
        idp.behaviour.api_redirect_to = f"{other.issuer}/api/me"
        bare = api_me(idp, token, allow_redirects=False)
        assert bare.status_code == 302 and bare.headers["Location"] == f"{other.issuer}/api/me"
        followed = api_me(idp, token)
        assert followed.status_code == 401
        assert "Authorization" not in other.requests_log[-1]["headers"]


# ------------------------------------------------------------------- revoke


def revoke(idp: RogueProvider, token: str, **kwargs: Any) -> requests.Response:
    """POST /revoke with Basic client auth."""
    return requests.post(
        f"{idp.issuer}/revoke",
        data={"token": token},
        timeout=TIMEOUT,
        headers={"Authorization": basic_auth(idp.client_id, idp.client_secret)},
        **kwargs,
    )


def test_revoke_access_token(idp: RogueProvider) -> None:
    tokens = login(idp)
    assert revoke(idp, tokens["access_token"]).status_code == 200
    assert idp.revoked == [tokens["access_token"]]
    assert api_me(idp, tokens["access_token"]).status_code == 401
    assert refresh(idp, tokens["refresh_token"]).status_code == 200
    assert revoke(idp, "unknown-token").status_code == 200


def test_revoke_refresh_token_kills_grant(idp: RogueProvider) -> None:
    tokens = login(idp)
    assert revoke(idp, tokens["refresh_token"]).status_code == 200
    assert refresh(idp, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert api_me(idp, tokens["access_token"]).status_code == 401


def test_revoke_client_auth_status_and_delay(idp: RogueProvider) -> None:
    tokens = login(idp)
    unauth = requests.post(
        f"{idp.issuer}/revoke", data={"token": tokens["access_token"]}, timeout=TIMEOUT
    )
    assert unauth.status_code == 401
    idp.behaviour.revoke_status = 503
    assert revoke(idp, tokens["access_token"]).status_code == 503
    assert idp.revoked == []
    assert api_me(idp, tokens["access_token"]).status_code == 200
    idp.behaviour.revoke_status = 200
    idp.behaviour.revoke_delay = 0.3
    started = time.monotonic()
    assert revoke(idp, tokens["access_token"]).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert idp.calls["revoke"] == 3


# ------------------------------------------------------ bookkeeping & life


def test_requests_log_and_reset(idp: RogueProvider) -> None:
    code, verifier = get_code(idp)
    exchange(idp, code, verifier, auth="post")
    entry = idp.requests_log[-1]
    assert entry["endpoint"] == "token" and entry["method"] == "POST"
    assert entry["form"]["grant_type"] == "authorization_code"
    assert entry["form"]["client_id"] == idp.client_id
    assert idp.requests_log[0]["args"]["client_id"] == idp.client_id
    assert "User-Agent" in entry["headers"]
    idp.behaviour.expires_in = 1
    idp.rotate_keys()
    idp.reset()
    assert idp.behaviour == Behaviour()
    assert not idp.calls and not idp.requests_log and not idp.revoked
    assert exchange(idp, code, verifier).json()["error"] == "invalid_grant"


def test_unknown_path_is_404(idp: RogueProvider) -> None:
    assert requests.get(f"{idp.issuer}/nope", timeout=TIMEOUT).status_code == 404


def test_stop_is_prompt_even_while_sleeping() -> None:
    provider = RogueProvider().start()
    provider.behaviour.discovery_delay = 30
    errors: list[BaseException] = []

    def slow_request() -> None:
        try:
            requests.get(provider.metadata_url, timeout=TIMEOUT)
        except requests.RequestException as exc:  # either outcome is fine
            errors.append(exc)

    client = threading.Thread(target=slow_request, daemon=True)
    client.start()
    time.sleep(0.2)
    started = time.monotonic()
    provider.stop()
    client.join(TIMEOUT)
    assert time.monotonic() - started < 2
    assert not client.is_alive()
    with pytest.raises(requests.ConnectionError):
        requests.get(provider.metadata_url, timeout=2)


def test_reset_ends_requests_still_sleeping_for_the_previous_test(idp: RogueProvider) -> None:
    idp.behaviour.revoke_delay = 30
    answers: list[int] = []

    def revoke() -> None:
        response = requests.post(
            idp.issuer + "/revoke",
            data={"token": "left-over"},
            auth=(idp.client_id, idp.client_secret),
            timeout=10,
        )
        answers.append(response.status_code)

    thread = threading.Thread(target=revoke)
    thread.start()
    while idp.calls["revoke"] == 0:
        time.sleep(0.01)
    idp.reset()
    thread.join(timeout=10)
    assert answers == [503]
    assert idp.revoked == []


# ------------------------------------------------- transport misbehaviour


def test_raw_answers_are_served_as_given(idp: RogueProvider) -> None:
    idp.behaviour.raw_answers = {"jwks": (b"\x1f\x8bnot gzip", {"Content-Encoding": "gzip"})}
    response = requests.get(f"{idp.issuer}/jwks", timeout=TIMEOUT, stream=True)
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.raw.read(decode_content=False) == b"\x1f\x8bnot gzip"
    assert idp.calls["jwks"] == 1


def test_trickle_sends_the_header_a_byte_at_a_time(idp: RogueProvider) -> None:
    idp.behaviour.trickle = "token"
    idp.behaviour.trickle_bytes = 3
    idp.behaviour.trickle_interval = 0.05
    response = requests.post(f"{idp.issuer}/token", data={"a": "b"}, timeout=TIMEOUT)
    assert response.headers["X-Trickle"] == "aaa"
    assert response.json() == {}
    # The provider notes the trickle after its last byte went out: wait for it.
    assert wait_for(lambda: idp.trickles) == [{"endpoint": "token", "sent": 3, "closed": False}]


def test_trickle_notices_a_client_that_hangs_up(idp: RogueProvider) -> None:
    idp.behaviour.trickle = "discovery"
    with pytest.raises(requests.Timeout):
        requests.get(idp.metadata_url, timeout=(TIMEOUT, 0.01))
    [trickle] = wait_for(lambda: idp.trickles)
    assert trickle["closed"] and trickle["sent"] < idp.behaviour.trickle_bytes


def test_max_in_flight_and_jwks_delay(idp: RogueProvider) -> None:
    idp.behaviour.jwks_delay = 0.3

    def fetch() -> int:
        return requests.get(f"{idp.issuer}/jwks", timeout=TIMEOUT).status_code

    assert in_parallel([fetch, fetch, fetch]) == [200, 200, 200]
    assert idp.max_in_flight["jwks"] == 3
    idp.reset()
    assert not idp.max_in_flight and not idp.trickles


def test_keep_alive_provider_keeps_its_connection_and_then_trickles() -> None:
    with KeepAliveProvider(length=2, interval=0.01) as provider, requests.Session() as session:
        assert session.get(provider.metadata_url, timeout=TIMEOUT).json()["issuer"] == (
            provider.issuer
        )
        assert session.post(provider.issuer + "/token", timeout=TIMEOUT).headers["X-Trickle"] == (
            "aa"
        )
    assert [number for number, _ in provider.requests] == [0, 0]
    assert provider.trickles == [{"sent": 2, "closed": False}]
