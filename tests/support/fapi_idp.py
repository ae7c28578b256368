"""A strict high-security provider: :class:`~tests.support.rogue_idp.RogueProvider`
with client assertions, pushed authorization requests and DPoP, checked field by field.

Every client assertion (:rfc:`7523`) and every DPoP proof (:rfc:`9449`) the
provider receives is decoded, checked claim by claim, and kept in
:attr:`FapiProvider.assertions` and :attr:`FapiProvider.proofs` for the test
to look at. Anything wrong is refused with an error that names the field.
The knobs of :class:`FapiBehaviour` make it strict in more ways (a nonce, PAR
required) or misbehave (a Bearer token where a DPoP-bound one was asked).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
import time
from typing import Any

import jwt
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from tests.support.client_keys import pem, registered_jwks, rsa_key
from tests.support.rogue_idp import (
    RogueProvider,
    _b64url,
    _error_response,
    _json_response,
    _OAuthError,
)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASYMMETRIC = ("RS256", "PS256", "ES256", "ES384", "ES512")
#: The longest a client assertion may live (SECURITY.md: within five minutes).
MAX_ASSERTION_LIFETIME = 300
#: How far a proof's ``iat`` may be from now.
PROOF_WINDOW = 60
_JWK_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """The RFC 7638 thumbprint of a public JWK."""
    members = {name: jwk[name] for name in _JWK_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


@dataclasses.dataclass
class FapiBehaviour:
    """How strict the provider is, and how it misbehaves."""

    #: ``private_key_jwt``, ``client_secret_jwt`` or the Rogue's secret methods.
    auth_method: str = "private_key_jwt"
    #: The public keys registered for ``private_key_jwt``.
    client_jwks: dict[str, Any] = dataclasses.field(default_factory=lambda: {"keys": []})
    #: ``aud`` expected: ``"issuer"`` or ``"endpoint"`` (the URL called).
    assertion_audience: str = "issuer"
    #: Authorization requests must be pushed.
    require_par: bool = False
    #: Token requests must carry a DPoP proof.
    require_dpop: bool = False
    #: Proofs must carry this nonce (``None``: no nonce needed).
    dpop_nonce: str | None = None
    #: Each challenge brings a new nonce, so no proof ever satisfies it.
    new_nonce_every_time: bool = False
    #: Overrides the ``token_type`` of a DPoP-bound token's answer.
    dpop_token_type: str = "DPoP"


class FapiProvider(RogueProvider):
    """A provider that checks assertions and proofs field by field."""

    client_id = "fapi-client"
    client_secret = "a client secret long enough for HS256 signatures"

    def __init__(self) -> None:
        super().__init__()
        self.fapi = FapiBehaviour()
        #: Decoded client assertions: ``{"endpoint", "header", "claims"}``.
        self.assertions: list[dict[str, Any]] = []
        #: Decoded DPoP proofs: ``{"endpoint", "header", "claims"}``.
        self.proofs: list[dict[str, Any]] = []
        #: Pushed authorization requests, as received.
        self.pushed: list[dict[str, str]] = []
        #: Bound tokens presented as Bearer tokens (a client must never).
        self.bearer_presentations = 0
        #: ``use_dpop_nonce`` challenges sent.
        self.nonce_challenges = 0
        self._seen_jti: set[str] = set()
        self._requests: dict[str, tuple[float, dict[str, str]]] = {}
        self._bound: dict[str, str] = {}  # access or refresh token -> jkt
        self._code_jkt: dict[str, str] = {}
        self._routes["/par"] = ("par", self._par)

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.fapi = FapiBehaviour()
            self.assertions.clear()
            self.proofs.clear()
            self.pushed.clear()
            self.bearer_presentations = 0
            self.nonce_challenges = 0
            self._seen_jti.clear()
            self._requests.clear()
            self._bound.clear()
            self._code_jkt.clear()

    def _metadata(self) -> dict[str, Any]:
        methods = ["private_key_jwt", "client_secret_jwt", "client_secret_basic"]
        return {
            **super()._metadata(),
            "pushed_authorization_request_endpoint": self.issuer + "/par",
            "require_pushed_authorization_requests": self.fapi.require_par,
            "token_endpoint_auth_methods_supported": methods,
            "revocation_endpoint_auth_methods_supported": methods,
            "token_endpoint_auth_signing_alg_values_supported": ["PS256", "ES256", "HS256"],
            "dpop_signing_alg_values_supported": ["ES256", "PS256"],
        }

    # -- client authentication ------------------------------------------------------

    def _authenticate_client(self, request: Request) -> str:
        if self.fapi.auth_method not in ("private_key_jwt", "client_secret_jwt"):
            return super()._authenticate_client(request)
        form = request.form
        if "Authorization" in request.headers or "client_secret" in form:
            raise _OAuthError("invalid_client", "this client authenticates with a JWT", 401)
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise _OAuthError("invalid_client", "client_assertion_type is wrong", 401)
        assertion = form.get("client_assertion", "")
        header, claims = self._verify_assertion(assertion)
        endpoint = self.issuer + request.path
        with self._lock:
            self.assertions.append({"endpoint": endpoint, "header": header, "claims": claims})
        self._check_assertion_claims(claims, endpoint, form.get("client_id"))
        return self.client_id

    def _verify_assertion(self, assertion: str) -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            raise _OAuthError("invalid_client", "client_assertion is not a JWT", 401) from None
        alg = header.get("alg")
        if self.fapi.auth_method == "client_secret_jwt":
            if alg != "HS256":
                raise _OAuthError("invalid_client", f"alg {alg!r} is not HS256", 401)
            key: Any = self.client_secret.encode()
        else:
            if alg not in ASYMMETRIC:
                raise _OAuthError("invalid_client", f"alg {alg!r} is not allowed", 401)
            keys = [k for k in self.fapi.client_jwks["keys"] if k.get("kid") == header.get("kid")]
            if len(keys) != 1:
                raise _OAuthError("invalid_client", "kid names no registered key", 401)
            key = jwt.PyJWK(keys[0], algorithm=alg).key
        try:
            claims = jwt.decode(
                assertion,
                key,
                algorithms=[alg],
                options={"verify_signature": True, "verify_exp": False, "verify_iat": False}
                | {"verify_aud": False, "verify_nbf": False, "verify_iss": False},
            )
        except jwt.PyJWTError as exc:
            raise _OAuthError("invalid_client", f"signature: {exc}", 401) from None
        return header, claims

    def _check_assertion_claims(
        self, claims: dict[str, Any], endpoint: str, form_client_id: str | None
    ) -> None:
        now = time.time()

        def refuse(field: str, why: str) -> None:
            raise _OAuthError("invalid_client", f"client_assertion {field}: {why}", 401)

        if claims.get("iss") != self.client_id:
            refuse("iss", "is not the client_id")
        if claims.get("sub") != self.client_id:
            refuse("sub", "is not the client_id")
        if form_client_id is not None and form_client_id != self.client_id:
            refuse("client_id", "does not match the assertion")
        expected = self.issuer if self.fapi.assertion_audience == "issuer" else endpoint
        if claims.get("aud") != expected:
            refuse("aud", f"is {claims.get('aud')!r}, not {expected!r}")
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int) or exp <= now:
            refuse("exp", "missing or in the past")
        if not isinstance(iat, int) or iat > now + 5 or iat < now - MAX_ASSERTION_LIFETIME:
            refuse("iat", "missing or not now")
        if exp - iat > MAX_ASSERTION_LIFETIME:
            refuse("exp", "too far in the future")
        jti = claims.get("jti")
        if not isinstance(jti, str) or len(jti) < 16:
            refuse("jti", "missing or too short")
        with self._lock:
            if jti in self._seen_jti:
                refuse("jti", "used before")
            self._seen_jti.add(jti)

    # -- pushed authorization requests ----------------------------------------------

    def _par(self, request: Request) -> Response:
        if request.method != "POST":
            raise _OAuthError("invalid_request", "use POST", 405)
        self._authenticate_client(request)
        params = {k: v for k, v in request.form.items() if not k.startswith("client_assertion")}
        params.pop("client_secret", None)
        if "request_uri" in params:
            raise _OAuthError("invalid_request", "request_uri cannot be pushed")
        request_uri = "urn:ietf:params:oauth:request_uri:" + secrets.token_urlsafe(16)
        with self._lock:
            self.pushed.append(params)
            self._requests[request_uri] = (time.time() + 60, params)
        return _json_response({"request_uri": request_uri, "expires_in": 60}, 201)

    def _authorize(self, request: Request) -> Response:
        params: Any = request.values
        if "request_uri" in params:
            with self._lock:
                expires, pushed = self._requests.pop(params["request_uri"], (0, {}))
            if expires < time.time() or params.get("client_id") != pushed.get("client_id"):
                raise _OAuthError("invalid_request_uri", "unknown or expired request_uri")
            params = MultiDict(pushed)
        elif self.fapi.require_par:
            raise _OAuthError("invalid_request", "authorization requests must be pushed")
        if params.get("client_id") != self.client_id:
            raise _OAuthError("invalid_client", "unknown client_id")
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:
            raise _OAuthError("invalid_request", "redirect_uri is required")
        problem = self._authorize_problem(params)
        if problem is not None:
            error, description = problem
            return self._redirect_back(
                redirect_uri,
                {"error": error, "error_description": description},
                params.get("state"),
            )
        code = self._issue_code(params, redirect_uri)
        if params.get("dpop_jkt"):
            with self._lock:
                self._code_jkt[code] = params["dpop_jkt"]
        return self._redirect_back(redirect_uri, {"code": code}, params.get("state"))

    # -- DPoP -------------------------------------------------------------------------

    def _check_proof(self, request: Request, access_token: str | None) -> str:
        """Check the request's DPoP proof; the thumbprint of its key."""
        proof = request.headers.get("DPoP", "")
        status = 400 if access_token is None else 401
        error = "invalid_dpop_proof"

        def refuse(field: str, why: str) -> None:
            raise _OAuthError(error, f"DPoP proof {field}: {why}", status, self._challenge(error))

        if not proof or len(request.headers.getlist("DPoP")) != 1:
            refuse("header", "missing or sent twice")
        try:
            header = jwt.get_unverified_header(proof)
        except jwt.PyJWTError:
            refuse("header", "not a JWT")
        if header.get("typ") != "dpop+jwt":
            refuse("typ", f"is {header.get('typ')!r}")
        alg = header.get("alg")
        if alg not in ASYMMETRIC:
            refuse("alg", f"{alg!r} is not allowed")
        jwk = header.get("jwk")
        if not isinstance(jwk, dict) or "d" in jwk or jwk.get("kty") not in _JWK_MEMBERS:
            refuse("jwk", "missing, or not a public key")
        try:
            claims = jwt.decode(
                proof,
                jwt.PyJWK(jwk, algorithm=alg).key,
                algorithms=[alg],
                options={"verify_iat": False, "verify_exp": False, "verify_nbf": False},
            )
        except jwt.PyJWTError as exc:
            refuse("signature", str(exc))
        endpoint = self.issuer + request.path
        with self._lock:
            self.proofs.append({"endpoint": endpoint, "header": header, "claims": claims})
        if claims.get("htm") != request.method:
            refuse("htm", f"is {claims.get('htm')!r}, not {request.method}")
        if claims.get("htu") != endpoint:
            refuse("htu", f"is {claims.get('htu')!r}, not {endpoint!r} (no query, no fragment)")
        iat = claims.get("iat")
        if not isinstance(iat, int) or abs(iat - time.time()) > PROOF_WINDOW:
            refuse("iat", "missing or not now")
        jti = claims.get("jti")
        if not isinstance(jti, str) or len(jti) < 16:
            refuse("jti", "missing or too short")
        if access_token is None and "ath" in claims:
            refuse("ath", "present at the token endpoint")
        if access_token is not None:
            expected = _b64url(hashlib.sha256(access_token.encode()).digest())
            if claims.get("ath") != expected:
                refuse("ath", "missing or not the hash of the token presented")
        nonce = self.fapi.dpop_nonce
        if nonce is not None and claims.get("nonce") != nonce:
            challenge = self._challenge("use_dpop_nonce")
            with self._lock:
                self.nonce_challenges += 1
                if self.fapi.new_nonce_every_time:  # the nonce just sent is stale at once
                    self.fapi.dpop_nonce = secrets.token_urlsafe(8)
            raise _OAuthError(
                "use_dpop_nonce",
                "Authorization server requires nonce in DPoP proof",
                status,
                challenge,
            )
        with self._lock:
            if jti in self._seen_jti:
                refuse("jti", "used before")
            self._seen_jti.add(jti)
        return jwk_thumbprint(jwk)

    def _challenge(self, error: str) -> dict[str, str]:
        headers = {"WWW-Authenticate": f'DPoP error="{error}", algs="ES256 PS256"'}
        if self.fapi.dpop_nonce is not None:
            headers["DPoP-Nonce"] = self.fapi.dpop_nonce
        return headers

    def _token_grant(self, request: Request, grant_type: str) -> Response:
        jkt = None
        if "DPoP" in request.headers or self.fapi.require_dpop:
            jkt = self._check_proof(request, None)
            bound = None
            if grant_type == "authorization_code":
                with self._lock:
                    bound = self._code_jkt.get(request.form.get("code", ""))
            elif grant_type == "refresh_token":
                with self._lock:
                    bound = self._bound.get(request.form.get("refresh_token", ""))
            if bound is not None and bound != jkt:
                raise _OAuthError("invalid_grant", "the proof's key is not the bound key")
        response = super()._token_grant(request, grant_type)
        if jkt is None or response.status_code != 200:
            return response
        body = response.get_json()
        body["token_type"] = self.fapi.dpop_token_type
        with self._lock:
            for key in ("access_token", "refresh_token"):
                if key in body:
                    self._bound[body[key]] = jkt
        headers = {"Cache-Control": "no-store"}
        if self.fapi.dpop_nonce is not None:
            headers["DPoP-Nonce"] = self.fapi.dpop_nonce
        return _json_response(body, 200, headers)

    def _dispatch(self, request: Request) -> Response:
        if request.path != "/userinfo" and not request.path.startswith("/api/"):
            return super()._dispatch(request)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        with self._lock:
            jkt = self._bound.get(token)
        if jkt is None:
            return super()._dispatch(request)
        if scheme.lower() != "dpop":
            with self._lock:
                self.bearer_presentations += 1
            return _json_response(
                {"error": "invalid_token", "error_description": "a DPoP-bound token"},
                401,
                {"WWW-Authenticate": 'DPoP error="invalid_token"'},
            )
        try:
            if self._check_proof(request, token) != jkt:
                raise _OAuthError("invalid_token", "the proof's key is not the bound key", 401)
        except _OAuthError as err:
            self._record("dpop-refused", request)
            return _error_response(err)
        return super()._dispatch(request)

    def _live_token(self, request: Request) -> Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "dpop":
            return super()._live_token(request)
        with self._lock:
            record = self._access_tokens.get(token.strip())
            if record is None or not record.is_live():
                return None
            return token.strip(), record


# -- for tests (the fixtures ``fapi`` and ``_fapi_server`` are in conftest) ----------


def fresh(provider: FapiProvider) -> FapiProvider:
    """*provider*, reset, expecting ``private_key_jwt`` with
    :func:`~tests.support.client_keys.rsa_key` until told otherwise."""
    provider.reset()
    provider.fapi.client_jwks = registered_jwks(rsa_key())
    return provider


def fapi_entry(fapi: FapiProvider, **overrides: Any) -> dict[str, Any]:
    """A provider entry for *fapi*: ``private_key_jwt`` with the RSA test key."""
    return {
        "client_id": fapi.client_id,
        "server_metadata_url": fapi.metadata_url,
        "token_endpoint_auth_method": "private_key_jwt",
        "client_private_key": pem(rsa_key()),
        **overrides,
    }
