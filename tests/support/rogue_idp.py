"""A small, configurable, deliberately misbehaving OpenID Connect provider.

The provider runs a real HTTP server on 127.0.0.1 (werkzeug, threaded, in a
daemon thread) so that code under test can talk to it with ``requests``.
Every endpoint is well behaved by default; the knobs on :class:`Behaviour`
make it lie, stall, redirect or sign badly, one misbehaviour at a time.

Conventions used by the dict knobs (``*_overrides``, ``*_claims``,
``id_token_header``): the dict is merged over the normal value and a key whose
value is ``None`` is removed instead.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import dataclasses
import hashlib
import hmac
import itertools
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from flask_oauth2login.testing import SigningKey
from tests.support.oauth import s256

__all__ = [
    "Behaviour",
    "KeepAliveProvider",
    "RogueProvider",
    "SIGNING_MODES",
    "default_user",
    "rogue_entry",
]

SIGNING_MODES = (
    "rs256",
    "wrong-key",
    "none",
    "hs256-client-secret",
    "hs256-public-key",
    "omit",
)

_SCRIPT_DESCRIPTION = "The user said no <script>alert(1)</script>"


def default_user() -> dict[str, Any]:
    """Return the claims of the provider's one and only user."""
    return {
        "sub": "user-123",
        "email": "alice@example.test",
        "email_verified": True,
        "name": "Alice Example",
        "picture": "https://img.example.test/alice.png",
    }


def rogue_entry(rogue: RogueProvider, **overrides: Any) -> dict[str, Any]:
    """A provider entry for the rogue provider *rogue*, by discovery."""
    return {
        "client_id": rogue.client_id,
        "client_secret": rogue.client_secret,
        "server_metadata_url": rogue.metadata_url,
        **overrides,
    }


@dataclasses.dataclass
class Behaviour:
    """Mutable knobs; every default describes a well-behaved provider."""

    # discovery / JWKS
    metadata_overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    advertise_iss_parameter: bool = True
    discovery_status: int = 200
    discovery_delay: float = 0
    jwks_status: int = 200
    jwks_delay: float = 0
    # any endpoint
    #: Endpoint name to its answer, served as given: ``(body, headers)``.
    raw_answers: dict[str, tuple[bytes, dict[str, str]]] = dataclasses.field(default_factory=dict)
    #: Endpoint whose answer's header line trickles in, one byte every
    #: ``trickle_interval`` seconds, ``trickle_bytes`` bytes long; the answer
    #: completes (``{}``) if the client waits for it all.
    trickle: str | None = None
    trickle_bytes: int = 100
    trickle_interval: float = 0.1
    # authorization endpoint
    send_iss: bool = True
    iss_value: str | None = None
    authorize_error: str | None = None
    authorize_error_description: str = _SCRIPT_DESCRIPTION
    require_pkce: bool = False
    user: dict[str, Any] = dataclasses.field(default_factory=default_user)
    # ID tokens
    id_token_claims: dict[str, Any] = dataclasses.field(default_factory=dict)
    id_token_header: dict[str, Any] = dataclasses.field(default_factory=dict)
    id_token_signing: str = "rs256"
    # token endpoint
    token_status: int = 200
    token_body: bytes | None = None
    token_content_type: str | None = None
    token_delay: float = 0
    token_redirect_to: str | None = None
    token_redirect_status: int = 307
    token_overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    expires_in: int = 3600
    refresh_error: str | None = None
    rotate_refresh_tokens: bool = True
    refresh_omits_refresh_token: bool = False
    refresh_id_token_claims: dict[str, Any] = dataclasses.field(default_factory=dict)
    # userinfo / protected resource
    userinfo_overrides: dict[str, Any] = dataclasses.field(default_factory=dict)
    userinfo_status: int = 200
    api_status: int | None = None
    api_redirect_to: str | None = None
    # revocation
    revoke_status: int = 200
    revoke_delay: float = 0


@dataclasses.dataclass
class _AuthCode:
    """What /authorize remembered about one authorization code."""

    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    user: dict[str, Any]
    auth_time: int
    grant_id: str
    used: bool = False


@dataclasses.dataclass
class _AccessToken:
    """A live (or dead) opaque access token."""

    client_id: str
    scope: str
    user: dict[str, Any]
    expires_at: float
    grant_id: str
    revoked: bool = False

    def is_live(self) -> bool:
        """True when neither revoked nor expired."""
        return not self.revoked and time.time() < self.expires_at


@dataclasses.dataclass
class _RefreshToken:
    """A refresh token and the grant it belongs to."""

    client_id: str
    scope: str
    user: dict[str, Any]
    auth_time: int
    grant_id: str
    active: bool = True


class _OAuthError(Exception):
    """An RFC 6749 error answer raised from inside a handler."""

    def __init__(
        self,
        error: str,
        description: str,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}


class _Stale(Exception):
    """A request that outlived the test that sent it (see ``reset``)."""


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request line, and lets the
    provider answer at the socket level when it trickles."""

    server: BaseWSGIServer

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Skip the per-request access log."""

    def run_wsgi(self) -> None:
        """Trickle the answer if the provider says so; else serve the app."""
        provider: RogueProvider | None = getattr(self.server, "rogue", None)
        if provider is None or not provider._trickle(self):
            super().run_wsgi()


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Merge overrides into a copy of base; a None value drops the key."""
    merged = dict(base)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json_segment(obj: dict[str, Any]) -> str:
    """Compact JSON, base64url-encoded, as used in a JWS segment."""
    return _b64url(json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def _public_pem(key: SigningKey) -> bytes:
    """The public half of *key* as SubjectPublicKeyInfo PEM (an HMAC secret
    for the algorithm-confusion attack)."""
    return key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _at_hash(access_token: str) -> str:
    """OIDC at_hash for an RS256 ID token."""
    return _b64url(hashlib.sha256(access_token.encode("ascii")).digest()[:16])


def _with_query(url: str, params: dict[str, str]) -> str:
    """Append params to the query string of url, keeping what is there."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def _json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response."""
    response = Response(json.dumps(data), status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _error_response(err: _OAuthError) -> Response:
    """Render an _OAuthError as an RFC 6749 JSON error."""
    body = {"error": err.error, "error_description": err.description}
    headers = {"Cache-Control": "no-store", **err.headers}
    return _json_response(body, err.status, headers)


def _forced_status_response(status: int, where: str) -> Response:
    """A JSON error answer for a knob that forces an HTTP status."""
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    body = {"error": "forced_status", "error_description": f"{where} forced to {status}"}
    return _json_response(body, status, headers)


def _bearer_token(request: Request) -> str | None:
    """The Bearer token from the Authorization header (or a POST form field)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if request.method == "POST" and request.form.get("access_token"):
        return request.form["access_token"]
    return None


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """Decode HTTP Basic client credentials (RFC 6749 §2.3.1 form-encoding)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return ("", "")
    client_id, sep, client_secret = decoded.partition(":")
    if not sep:
        return ("", "")
    return unquote_plus(client_id), unquote_plus(client_secret)


class RogueProvider:
    """A configurable OpenID Connect provider served over real HTTP."""

    client_id: str = "rogue-client"
    client_secret: str = "rogue-secret"

    def __init__(self, *, client_id: str | None = None, client_secret: str | None = None) -> None:
        """Create a stopped provider; call start() (or use ``with``)."""
        if client_id is not None:
            self.client_id = client_id
        if client_secret is not None:
            self.client_secret = client_secret
        self.issuer: str = ""
        self.behaviour = Behaviour()
        self.calls: collections.Counter[str] = collections.Counter()
        self.requests_log: list[dict[str, Any]] = []
        self.revoked: list[str] = []
        #: The most requests an endpoint was answering at once.
        self.max_in_flight: collections.Counter[str] = collections.Counter()
        #: One entry per trickled answer: ``endpoint``, ``sent`` (header
        #: bytes trickled) and ``closed`` (the client hung up first).
        self.trickles: list[dict[str, Any]] = []
        self._in_flight: collections.Counter[str] = collections.Counter()
        self._lock = threading.RLock()
        self._stop_event = threading.Event()
        self._reset_event = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._key_serial = 1
        self._initial_key = SigningKey(kid="rogue-key-1")
        self._key = self._initial_key
        self._wrong_key = SigningKey(kid="unused")
        self._codes: dict[str, _AuthCode] = {}
        self._access_tokens: dict[str, _AccessToken] = {}
        self._refresh_tokens: dict[str, _RefreshToken] = {}
        self._routes: dict[str, tuple[str, Callable[[Request], Response]]] = {
            "/.well-known/openid-configuration": ("discovery", self._discovery),
            "/jwks": ("jwks", self._jwks),
            "/authorize": ("authorize", self._authorize),
            "/token": ("token", self._token),
            "/userinfo": ("userinfo", self._userinfo),
            "/revoke": ("revoke", self._revoke),
            "/logout": ("end_session", self._end_session),
        }

    # ------------------------------------------------------------------ life

    @property
    def metadata_url(self) -> str:
        """The discovery document URL."""
        return self.issuer + "/.well-known/openid-configuration"

    @property
    def kid(self) -> str:
        """The key id currently served in the JWKS."""
        return self._key.kid

    def start(self) -> RogueProvider:
        """Start serving on an ephemeral 127.0.0.1 port."""
        if self._server is not None:
            raise RuntimeError("RogueProvider already started")
        self._stop_event = threading.Event()
        server = make_server(
            "127.0.0.1", 0, self._wsgi_app, threaded=True, request_handler=_QuietHandler
        )
        server.rogue = self  # type: ignore[attr-defined]
        self._server = server
        self.issuer = f"http://127.0.0.1:{server.server_port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"rogue-idp-{server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; sleeping handlers wake up at once."""
        self._stop_event.set()
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> RogueProvider:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget all state and go back to a well-behaved provider."""
        with self._lock:
            # Handlers still sleeping for the previous test wake up and
            # answer without touching the new test's state.
            self._reset_event.set()
            self._reset_event = threading.Event()
            self.behaviour = Behaviour()
            self.calls.clear()
            self.requests_log.clear()
            self.revoked.clear()
            self.max_in_flight.clear()
            self.trickles.clear()
            self._codes.clear()
            self._access_tokens.clear()
            self._refresh_tokens.clear()
            self._key = self._initial_key

    def rotate_keys(self) -> None:
        """Switch to a new RSA key with a new kid; the old key is dropped."""
        with self._lock:
            self._key_serial += 1
            self._key = SigningKey(kid=f"rogue-key-{self._key_serial}")

    def expire_access_tokens(self) -> None:
        """Make every issued access token expired (refresh tokens stay valid)."""
        with self._lock:
            for token in self._access_tokens.values():
                token.expires_at = 0

    # --------------------------------------------------------------- helpers

    def requests_to(self, endpoint: str) -> list[dict[str, Any]]:
        """The requests served at *endpoint* (``token``, ``api``, ...), oldest first."""
        with self._lock:
            return [entry for entry in self.requests_log if entry["endpoint"] == endpoint]

    def make_id_token(self, **claims: Any) -> str:
        """A valid RS256 ID token for client_id; claims override (None drops)."""
        now = int(time.time())
        base = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 3600,
            "auth_time": now,
            **default_user(),
        }
        header = {"alg": "RS256", "typ": "JWT", "kid": self._key.kid}
        return self._sign(header, _merge(base, claims), "rs256")

    def make_logout_token(
        self,
        *,
        header: dict[str, Any] | None = None,
        signing: str = "rs256",
        **claims: Any,
    ) -> str:
        """A logout token (Back-Channel Logout 1.0 §2.4) for client_id, valid
        unless told otherwise: claims and header override (None drops),
        *signing* is one of :data:`SIGNING_MODES`."""
        now = int(time.time())
        base = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 120,
            "jti": secrets.token_urlsafe(16),
            "events": {"http://schemas.openid.net/event/backchannel-logout": {}},
            "sub": default_user()["sub"],
        }
        head = {"alg": self._header_alg(signing), "typ": "logout+jwt", "kid": self._key.kid}
        return self._sign(_merge(head, header or {}), _merge(base, claims), signing)

    def send_logout_token(self, url: str, logout_token: str) -> requests.Response:
        """POST *logout_token* to a client's back-channel logout URI, as a provider does."""
        self._count("backchannel_sent")
        session = requests.Session()
        session.trust_env = False
        return session.post(
            url, data={"logout_token": logout_token}, allow_redirects=False, timeout=10
        )

    def authorize(self, authorize_url: str) -> str:
        """GET authorize_url without following redirects; return Location."""
        response = requests.get(authorize_url, allow_redirects=False, timeout=10)
        location = response.headers.get("Location")
        if location is None:
            raise AssertionError(
                f"authorize did not redirect: {response.status_code} {response.text[:200]}"
            )
        return location

    def _pause(self, seconds: float) -> None:
        """Sleep, but wake up as soon as the server stops or is reset; after
        a reset the request ends (:class:`_Stale`) instead of going on."""
        if seconds <= 0:
            return
        reset = self._reset_event
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self._stop_event.is_set():
            if reset.wait(min(0.05, max(0.0, deadline - time.monotonic()))):
                raise _Stale()

    # ------------------------------------------------------------ dispatch

    def _wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """WSGI entry point."""
        request = Request(environ)
        response = self._dispatch(request)
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        """Record the request and route it to its handler."""
        route = self._routes.get(request.path)
        if route is None and request.path.startswith("/api/"):
            route = ("api", self._api)
        if route is None:
            return _json_response({"error": "not_found"}, 404)
        endpoint, handler = route
        self._record(endpoint, request)
        raw = self.behaviour.raw_answers.get(endpoint)
        if raw is not None:
            return Response(raw[0], headers=raw[1])
        with self._lock:
            self._in_flight[endpoint] += 1
            self.max_in_flight[endpoint] = max(
                self.max_in_flight[endpoint], self._in_flight[endpoint]
            )
        try:
            return handler(request)
        except _OAuthError as err:
            return _error_response(err)
        except _Stale:
            return _json_response({"error": "temporarily_unavailable"}, 503)
        finally:
            with self._lock:
                self._in_flight[endpoint] -= 1

    def _trickle(self, handler: WSGIRequestHandler) -> bool:
        """Answer *handler*'s request with a header that trickles in, if the
        behaviour says so for its endpoint; whether it did. Gives up when the
        client hangs up, the server stops or the provider is reset."""
        route = self._routes.get(urlsplit(handler.path).path)
        behaviour = self.behaviour
        if route is None or route[0] != behaviour.trickle:
            return False
        self._count(route[0])
        handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        handler.close_connection = True
        reset = self._reset_event
        sent, closed = 0, False
        try:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Trickle: ")
            while sent < behaviour.trickle_bytes and not self._stop_event.is_set():
                if reset.wait(behaviour.trickle_interval):
                    break
                handler.wfile.write(b"a")
                sent += 1
            handler.wfile.write(
                b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
            )
        except OSError:
            closed = True
        with self._lock:
            if reset is self._reset_event:  # not a trickle of a test that has ended
                self.trickles.append({"endpoint": route[0], "sent": sent, "closed": closed})
        return True

    def _record(self, endpoint: str, request: Request) -> None:
        """Count the call and append it to requests_log."""
        entry = {
            "endpoint": endpoint,
            "method": request.method,
            "path": request.path,
            "headers": dict(request.headers),
            "form": request.form.to_dict(),
            "args": request.args.to_dict(),
        }
        with self._lock:
            self.calls[endpoint] += 1
            self.requests_log.append(entry)

    def _count(self, key: str) -> None:
        """Increment a call counter."""
        with self._lock:
            self.calls[key] += 1

    # ----------------------------------------------------- discovery / JWKS

    def _metadata(self) -> dict[str, Any]:
        """The well-behaved discovery document."""
        base = self.issuer
        return {
            "issuer": base,
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": base + "/token",
            "userinfo_endpoint": base + "/userinfo",
            "jwks_uri": base + "/jwks",
            "revocation_endpoint": base + "/revoke",
            "end_session_endpoint": base + "/logout",
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "revocation_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "grant_types_supported": [
                "authorization_code",
                "refresh_token",
                "client_credentials",
            ],
            "scopes_supported": ["openid", "email", "profile", "offline_access"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", *default_user()],
            "authorization_response_iss_parameter_supported": (
                self.behaviour.advertise_iss_parameter
            ),
        }

    def _discovery(self, request: Request) -> Response:
        """GET /.well-known/openid-configuration."""
        behaviour = self.behaviour
        self._pause(behaviour.discovery_delay)
        if behaviour.discovery_status != 200:
            return _forced_status_response(behaviour.discovery_status, "discovery")
        return _json_response(_merge(self._metadata(), behaviour.metadata_overrides))

    def _jwks(self, request: Request) -> Response:
        """GET /jwks: only the current key."""
        self._pause(self.behaviour.jwks_delay)
        if self.behaviour.jwks_status != 200:
            return _forced_status_response(self.behaviour.jwks_status, "jwks")
        return _json_response(self._key.jwks)

    # ------------------------------------------------------------ authorize

    def _authorize(self, request: Request) -> Response:
        """GET /authorize: no user interaction, redirect straight back."""
        params = request.values
        if params.get("client_id") != self.client_id:
            raise _OAuthError("invalid_client", "unknown client_id")
        redirect_uri = params.get("redirect_uri")
        if not redirect_uri:
            raise _OAuthError("invalid_request", "redirect_uri is required")
        state = params.get("state")
        problem = self._authorize_problem(params)
        if problem is not None:
            error, description = problem
            return self._redirect_back(
                redirect_uri, {"error": error, "error_description": description}, state
            )
        code = self._issue_code(params, redirect_uri)
        return self._redirect_back(redirect_uri, {"code": code}, state)

    def _authorize_problem(self, params: Any) -> tuple[str, str] | None:
        """The (error, description) /authorize must answer with, if any."""
        behaviour = self.behaviour
        if behaviour.authorize_error:
            return behaviour.authorize_error, behaviour.authorize_error_description
        if params.get("response_type") != "code":
            return "unsupported_response_type", "only response_type=code is supported"
        challenge = params.get("code_challenge")
        if challenge and params.get("code_challenge_method") != "S256":
            return "invalid_request", "only code_challenge_method=S256 is supported"
        if behaviour.require_pkce and not challenge:
            return "invalid_request", "PKCE code_challenge is required"
        return None

    def _issue_code(self, params: Any, redirect_uri: str) -> str:
        """Create and remember an authorization code."""
        code = secrets.token_urlsafe(24)
        record = _AuthCode(
            client_id=params["client_id"],
            redirect_uri=redirect_uri,
            scope=params.get("scope", ""),
            nonce=params.get("nonce"),
            code_challenge=params.get("code_challenge"),
            code_challenge_method=params.get("code_challenge_method"),
            user=dict(self.behaviour.user),
            auth_time=int(time.time()),
            grant_id=secrets.token_hex(8),
        )
        with self._lock:
            self._codes[code] = record
        return code

    def _redirect_back(
        self, redirect_uri: str, params: dict[str, str], state: str | None
    ) -> Response:
        """302 to redirect_uri with params, state and (per behaviour) iss."""
        params = dict(params)
        if state is not None:
            params["state"] = state
        if self.behaviour.send_iss:
            params["iss"] = self.behaviour.iss_value or self.issuer
        response = Response(status=302)
        response.headers["Location"] = _with_query(redirect_uri, params)
        return response

    # ---------------------------------------------------------------- token

    def _token(self, request: Request) -> Response:
        """POST /token, with all the misbehaviour knobs around it."""
        if request.method != "POST":
            raise _OAuthError("invalid_request", "use POST", 405)
        behaviour = self.behaviour
        grant_type = request.form.get("grant_type", "")
        if grant_type:
            self._count(f"token:{grant_type}")
        self._pause(behaviour.token_delay)
        if behaviour.token_redirect_to:
            response = Response(status=behaviour.token_redirect_status)
            response.headers["Location"] = behaviour.token_redirect_to
            return response
        try:
            response = self._token_grant(request, grant_type)
        except _OAuthError as err:
            response = _error_response(err)
        return self._apply_token_knobs(response)

    def _apply_token_knobs(self, response: Response) -> Response:
        """Override status, body and content type of a token answer."""
        behaviour = self.behaviour
        if behaviour.token_body is not None:
            response.set_data(behaviour.token_body)
            response.headers["Content-Type"] = "text/html; charset=utf-8"
        if behaviour.token_content_type is not None:
            response.headers["Content-Type"] = behaviour.token_content_type
        if behaviour.token_status != 200:
            response.status_code = behaviour.token_status
        return response

    def _token_grant(self, request: Request, grant_type: str) -> Response:
        """Authenticate the client and run the grant."""
        handlers = {
            "authorization_code": self._grant_authorization_code,
            "refresh_token": self._grant_refresh_token,
            "client_credentials": self._grant_client_credentials,
        }
        if not grant_type:
            raise _OAuthError("invalid_request", "grant_type is required")
        if grant_type not in handlers:
            raise _OAuthError("unsupported_grant_type", f"unsupported: {grant_type}")
        client_id = self._authenticate_client(request)
        body = handlers[grant_type](request, client_id)
        body = _merge(body, self.behaviour.token_overrides)
        return _json_response(body, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _authenticate_client(self, request: Request) -> str:
        """Check client_secret_basic or client_secret_post; return client_id."""
        form = request.form
        basic = _basic_credentials(request)
        if basic is not None:
            if "client_secret" in form:
                raise _OAuthError("invalid_request", "more than one client authentication method")
            if "client_id" in form and form["client_id"] != basic[0]:
                raise _OAuthError("invalid_request", "client_id does not match Basic credentials")
            client_id, client_secret = basic
            challenge = {"WWW-Authenticate": 'Basic realm="rogue-idp"'}
        else:
            client_id = form.get("client_id", "")
            client_secret = form.get("client_secret", "")
            challenge = {}
        if not (
            hmac.compare_digest(client_id.encode(), self.client_id.encode())
            and hmac.compare_digest(client_secret.encode(), self.client_secret.encode())
        ):
            raise _OAuthError("invalid_client", "client authentication failed", 401, challenge)
        return client_id

    def _grant_authorization_code(self, request: Request, client_id: str) -> dict[str, Any]:
        """Exchange a code (once) for tokens."""
        form = request.form
        with self._lock:
            record = self._codes.get(form.get("code", ""))
            if record is None:
                raise _OAuthError("invalid_grant", "unknown authorization code")
            if record.used:
                self._revoke_grant(record.grant_id)
                raise _OAuthError("invalid_grant", "authorization code already used")
            self._check_code(record, form, client_id)
            record.used = True
        return self._token_response(
            client_id,
            record.scope,
            record.user,
            record.grant_id,
            refresh_token=self._new_refresh_token(client_id, record),
            id_claims={"nonce": record.nonce, "auth_time": record.auth_time},
            id_overrides=self.behaviour.id_token_claims,
        )

    @staticmethod
    def _check_code(record: _AuthCode, form: Any, client_id: str) -> None:
        """Validate client, redirect_uri and PKCE for a code exchange."""
        if record.client_id != client_id:
            raise _OAuthError("invalid_grant", "code was issued to another client")
        if form.get("redirect_uri") != record.redirect_uri:
            raise _OAuthError("invalid_grant", "redirect_uri does not match")
        verifier = form.get("code_verifier")
        if record.code_challenge is None:
            if verifier is not None:
                raise _OAuthError("invalid_grant", "code_verifier without code_challenge")
            return
        if verifier is None:
            raise _OAuthError("invalid_grant", "code_verifier is required")
        if not hmac.compare_digest(s256(verifier), record.code_challenge):
            raise _OAuthError("invalid_grant", "code_verifier does not match")

    def _grant_refresh_token(self, request: Request, client_id: str) -> dict[str, Any]:
        """Use a refresh token (rotating it per behaviour)."""
        behaviour = self.behaviour
        if behaviour.refresh_error:
            raise _OAuthError(behaviour.refresh_error, "refresh refused by behaviour")
        form = request.form
        presented = form.get("refresh_token", "")
        with self._lock:
            record = self._refresh_tokens.get(presented)
            if record is None or not record.active or record.client_id != client_id:
                raise _OAuthError("invalid_grant", "invalid refresh token")
            scope = self._narrow_scope(record.scope, form.get("scope"))
            new_refresh: str | None = presented
            if behaviour.rotate_refresh_tokens:
                record.active = False
                new_refresh = self._store_refresh_token(dataclasses.replace(record, active=True))
        if behaviour.refresh_omits_refresh_token:
            new_refresh = None
        return self._token_response(
            client_id,
            scope,
            record.user,
            record.grant_id,
            refresh_token=new_refresh,
            id_claims={"auth_time": record.auth_time},
            id_overrides=behaviour.refresh_id_token_claims,
        )

    @staticmethod
    def _narrow_scope(granted: str, requested: str | None) -> str:
        """The scope for a refresh: the requested subset, or all granted."""
        if not requested:
            return granted
        if not set(requested.split()) <= set(granted.split()):
            raise _OAuthError("invalid_scope", "requested scope exceeds the grant")
        return requested

    def _grant_client_credentials(self, request: Request, client_id: str) -> dict[str, Any]:
        """Machine-to-machine: an access token only."""
        scope = request.form.get("scope", "")
        return self._token_response(
            client_id,
            scope,
            {"sub": client_id},
            secrets.token_hex(8),
            refresh_token=None,
            id_claims=None,
            id_overrides={},
        )

    def _token_response(
        self,
        client_id: str,
        scope: str,
        user: dict[str, Any],
        grant_id: str,
        *,
        refresh_token: str | None,
        id_claims: dict[str, Any] | None,
        id_overrides: dict[str, Any],
    ) -> dict[str, Any]:
        """Issue an access token and build the JSON token answer."""
        access_token = self._new_access_token(client_id, scope, user, grant_id)
        body: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": self.behaviour.expires_in,
        }
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
        body["scope"] = scope
        wants_id_token = id_claims is not None and "openid" in scope.split()
        if wants_id_token and self.behaviour.id_token_signing != "omit":
            claims = {**user, **id_claims, "at_hash": _at_hash(access_token)}
            body["id_token"] = self._id_token(client_id, claims, id_overrides)
        return body

    def _new_access_token(
        self, client_id: str, scope: str, user: dict[str, Any], grant_id: str
    ) -> str:
        """Create and remember an opaque access token."""
        token = secrets.token_urlsafe(32)
        record = _AccessToken(
            client_id=client_id,
            scope=scope,
            user=dict(user),
            expires_at=time.time() + self.behaviour.expires_in,
            grant_id=grant_id,
        )
        with self._lock:
            self._access_tokens[token] = record
        return token

    def _new_refresh_token(self, client_id: str, code: _AuthCode) -> str:
        """Create a refresh token for a freshly exchanged code."""
        record = _RefreshToken(
            client_id=client_id,
            scope=code.scope,
            user=dict(code.user),
            auth_time=code.auth_time,
            grant_id=code.grant_id,
        )
        return self._store_refresh_token(record)

    def _store_refresh_token(self, record: _RefreshToken) -> str:
        """Remember a refresh token record under a new random value."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._refresh_tokens[token] = record
        return token

    def _revoke_grant(self, grant_id: str) -> None:
        """Revoke every token issued under one grant."""
        with self._lock:
            for access in self._access_tokens.values():
                if access.grant_id == grant_id:
                    access.revoked = True
            for refresh in self._refresh_tokens.values():
                if refresh.grant_id == grant_id:
                    refresh.active = False

    # ------------------------------------------------------------- ID token

    def _id_token(self, client_id: str, claims: dict[str, Any], overrides: dict[str, Any]) -> str:
        """Build and sign an ID token as the behaviour says."""
        now = int(time.time())
        base = {
            "iss": self.issuer,
            "aud": client_id,
            "iat": now,
            "exp": now + 3600,
            **claims,
        }
        signing = self.behaviour.id_token_signing
        header = {"alg": self._header_alg(signing), "typ": "JWT", "kid": self._key.kid}
        header = _merge(header, self.behaviour.id_token_header)
        return self._sign(header, _merge(base, overrides), signing)

    @staticmethod
    def _header_alg(signing: str) -> str:
        """The alg header value for a signing mode."""
        if signing not in SIGNING_MODES:
            raise ValueError(f"unknown id_token_signing mode {signing!r}")
        if signing == "none":
            return "none"
        if signing.startswith("hs256"):
            return "HS256"
        return "RS256"

    def _sign(self, header: dict[str, Any], claims: dict[str, Any], signing: str) -> str:
        """Serialise and sign a JWS in compact form."""
        signing_input = f"{_json_segment(header)}.{_json_segment(claims)}".encode("ascii")
        if signing == "none":
            signature = b""
        elif signing == "hs256-client-secret":
            signature = hmac.new(self.client_secret.encode(), signing_input, "sha256").digest()
        elif signing == "hs256-public-key":
            signature = hmac.new(_public_pem(self._key), signing_input, "sha256").digest()
        else:
            key = self._wrong_key if signing == "wrong-key" else self._key
            signature = key.private_key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input.decode('ascii')}.{_b64url(signature)}"

    # ---------------------------------------------------------- end session

    def _end_session(self, request: Request) -> Response:
        """GET /logout (RP-Initiated Logout 1.0): no confirmation page; back
        to post_logout_redirect_uri with state, or a JSON note."""
        params = request.values
        target = params.get("post_logout_redirect_uri")
        if not target:
            return _json_response({"logged_out": True})
        extra = {"state": params["state"]} if "state" in params else {}
        response = Response(status=303)
        response.headers["Location"] = _with_query(target, extra)
        return response

    # ------------------------------------------------ userinfo / API / revoke

    def _live_token(self, request: Request) -> tuple[str, _AccessToken] | None:
        """The request's live access token and its record, if any."""
        token = _bearer_token(request)
        if token is None:
            return None
        with self._lock:
            record = self._access_tokens.get(token)
            if record is None or not record.is_live():
                return None
            return token, record

    def _userinfo(self, request: Request) -> Response:
        """GET/POST /userinfo."""
        behaviour = self.behaviour
        if request.method not in ("GET", "POST"):
            return _json_response({"error": "invalid_request"}, 405)
        if behaviour.userinfo_status != 200:
            return _forced_status_response(behaviour.userinfo_status, "userinfo")
        live = self._live_token(request)
        if live is None:
            return _invalid_token_response()
        return _json_response(_merge(live[1].user, behaviour.userinfo_overrides))

    def _api(self, request: Request) -> Response:
        """/api/...: a protected resource needing a live Bearer token."""
        behaviour = self.behaviour
        if behaviour.api_redirect_to:
            response = Response(status=302)
            response.headers["Location"] = behaviour.api_redirect_to
            return response
        if behaviour.api_status is not None:
            return _forced_status_response(behaviour.api_status, "api")
        live = self._live_token(request)
        if live is None:
            return _invalid_token_response()
        token, record = live
        return _json_response({"sub": record.user.get("sub"), "token_suffix": token[-4:]})

    def _revoke(self, request: Request) -> Response:
        """POST /revoke (RFC 7009)."""
        if request.method != "POST":
            raise _OAuthError("invalid_request", "use POST", 405)
        behaviour = self.behaviour
        self._pause(behaviour.revoke_delay)
        self._authenticate_client(request)
        token = request.form.get("token")
        if not token:
            raise _OAuthError("invalid_request", "token is required")
        if behaviour.revoke_status != 200:
            return _forced_status_response(behaviour.revoke_status, "revoke")
        self._revoke_token(token)
        return Response(status=200)

    def _revoke_token(self, token: str) -> None:
        """Revoke an access or refresh token (a refresh token takes its grant)."""
        with self._lock:
            self.revoked.append(token)
            access = self._access_tokens.get(token)
            if access is not None:
                access.revoked = True
            refresh = self._refresh_tokens.get(token)
            if refresh is not None:
                self._revoke_grant(refresh.grant_id)


def _invalid_token_response() -> Response:
    """401 for a missing, unknown, expired or revoked Bearer token."""
    return _json_response(
        {"error": "invalid_token", "error_description": "missing, expired or revoked token"},
        401,
        {"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


class KeepAliveProvider:
    """A provider whose connections stay open (werkzeug closes each one):
    discovery answers at once, on a connection kept alive; any other request
    gets an answer whose header trickles in, a byte every *interval* seconds,
    *length* bytes long. So a pooled connection turns slow after its first
    answer. Stops by itself when told, or when the client hangs up.
    """

    def __init__(self, *, length: int = 100, interval: float = 0.1) -> None:
        self._length = length
        self._interval = interval
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.05)
        self._stop = threading.Event()
        self.issuer = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        #: ``(connection number, request line)`` of every request, in order.
        self.requests: list[tuple[int, str]] = []
        #: One entry per trickled answer, as :attr:`RogueProvider.trickles`.
        self.trickles: list[dict[str, Any]] = []
        self._connections: list[socket.socket] = []
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    @property
    def metadata_url(self) -> str:
        """The discovery document URL."""
        return self.issuer + "/.well-known/openid-configuration"

    def __enter__(self) -> KeepAliveProvider:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for conn in self._connections:  # wakes up the threads waiting for a request
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)
        self._server.close()

    def _accept(self) -> None:
        for number in itertools.count():
            while not self._stop.is_set():
                try:
                    conn, _ = self._server.accept()
                    break
                except TimeoutError:
                    continue
            else:
                return
            self._connections.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn, number), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket, number: int) -> None:
        with conn, conn.makefile("rb") as reader, contextlib.suppress(OSError):
            while not self._stop.is_set():
                line = reader.readline().decode("latin-1").strip()
                if not line:
                    return
                length = 0
                while header := reader.readline().strip():
                    name, _, value = header.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                reader.read(length)
                self.requests.append((number, line))
                if " /.well-known/openid-configuration " not in line:
                    self._trickle(conn)
                    return
                body = json.dumps(
                    {
                        "issuer": self.issuer,
                        "authorization_endpoint": self.issuer + "/authorize",
                        "token_endpoint": self.issuer + "/token",
                    }
                ).encode()
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )

    def _trickle(self, conn: socket.socket) -> None:
        sent, closed = 0, False
        try:
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Trickle: ")
            while sent < self._length and not self._stop.wait(self._interval):
                conn.sendall(b"a")
                sent += 1
            conn.sendall(b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        except OSError:
            closed = True
        self.trickles.append({"sent": sent, "closed": closed})
