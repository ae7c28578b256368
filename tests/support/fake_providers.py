"""Fakes of real identity providers, served over HTTP on 127.0.0.1.

:class:`FakeProvider` does what every provider does in the authorization code
flow: an authorization endpoint that redirects back (or, for
``response_mode=form_post``, answers with a self-posting form), a token
endpoint that checks the client, the code, the redirect URI and PKCE, a key
set, and ID tokens signed with the key it serves. A test module subclasses it
with one provider's documented paths and answer shapes (token answer, user
endpoint, e-mail endpoint, errors), and gets it as a fixture with
:func:`fake_provider`: started once a session, reset before every test.
:meth:`FakeProvider.entry` points the preset's URLs at it::

    class FakeDiscord(FakeProvider):
        token_path = "/api/oauth2/token"
        entry_paths = {"userinfo_url": "/api/v10/users/@me"}
        ...

    fake = fake_provider(FakeDiscord)

    def test_login(make_app, fake):
        client = make_app({"discord": fake.entry(scope="identify")}).test_client()
        ...
"""

from __future__ import annotations

import base64
import dataclasses
import hmac
import html.parser
import json
import secrets
import threading
import time
import typing as t
from urllib.parse import unquote_plus, urlencode, urlsplit

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from flask_oauth2login.testing import SigningKey
from tests.support.logins import start_login
from tests.support.oauth import s256
from tests.support.threads import http_session

__all__ = [
    "Callback",
    "FakeProvider",
    "FakeServers",
    "Grant",
    "authorize",
    "basic_credentials",
    "deliver",
    "fake_provider",
    "json_response",
    "log_in",
    "parse_form",
]

Handler = t.Callable[[Request], Response]
F = t.TypeVar("F", bound="FakeProvider")


def json_response(
    data: t.Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON answer."""
    return Response(json.dumps(data), status, headers, mimetype="application/json")


@dataclasses.dataclass
class Grant:
    """What the authorization endpoint was asked, and what it granted."""

    client_id: str
    redirect_uri: str
    scope: list[str]
    state: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    #: Every query parameter of the authorization request.
    params: dict[str, str]
    used: bool = False


@dataclasses.dataclass
class Callback:
    """The provider's answer to deliver to the app: a redirect (GET) or a
    self-posting form (POST, ``form_post``)."""

    method: str
    url: str
    fields: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """No access log."""


#: Class attributes a test may override on the instance; reset() undoes it.
_CLASS_KNOBS = (
    "issuer",
    "client_auth",
    "issues_id_tokens",
    "require_pkce",
    "expires_in",
    "issues_refresh_tokens",
)


class FakeProvider:
    """A provider's authorization code flow on 127.0.0.1; subclass per provider."""

    client_id = "fake-client-id"
    client_secret = "fake-client-secret"
    #: How clients authenticate at the token endpoint:
    #: ``client_secret_basic``, ``client_secret_post``, ``any`` of those two, or
    #: ``none`` (a public client: its id in the form, no secret anywhere).
    client_auth = "any"
    authorize_path = "/authorize"
    token_path = "/token"
    jwks_path = "/jwks"
    #: Paths of the UserInfo and revocation endpoints, if the provider has them.
    userinfo_path: str | None = None
    revocation_path: str | None = None
    #: Path of the discovery document, for providers found by discovery.
    discovery_path: str | None = None
    #: The ``iss`` of the ID tokens: the real provider's issuer string.
    issuer = ""
    #: RFC 9207: send ``iss`` with the authorization response (and say so).
    iss_parameter = False
    #: Whether code exchanges with ``openid`` in the scope get an ID token.
    issues_id_tokens = True
    #: Whether the token endpoint insists on PKCE (S256).
    require_pkce = True
    #: The token endpoint answers with this ``expires_in``.
    expires_in = 3600
    #: Whether code exchanges also give a refresh token.
    issues_refresh_tokens = False
    #: How the provider entry of :meth:`entry` finds this fake: ``"endpoints"``
    #: (a URL for each endpoint the fake serves), ``"discovery"`` (the URL of
    #: its discovery document) or ``"base_url"`` (the fake's origin, from which
    #: the preset derives every URL). ``None``: by discovery when the fake
    #: serves a discovery document, else by endpoints.
    found_by: str | None = None
    #: More URL settings of :meth:`entry`, to paths on this fake, such as
    #: ``{"userinfo_url": "/v1/me"}``; a path ``None`` leaves the setting out.
    entry_paths: t.ClassVar[t.Mapping[str, str | None]] = {}
    #: Settings of :meth:`entry` besides URLs: the preset's options.
    entry_options: t.ClassVar[t.Mapping[str, t.Any]] = {}

    def __init__(self) -> None:
        self._key = SigningKey(kid="fake-key-1")
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self._routes: dict[str, Handler] = {}
        self.reset()

    # -- knobs, reset before every test ------------------------------------

    def reset(self) -> None:
        """Forget grants and tokens; go back to the default user and answers."""
        for knob in _CLASS_KNOBS:  # undo a test's ``fake.expires_in = 1``
            self.__dict__.pop(knob, None)
        with self._lock:
            #: Authorization codes issued, to their grant.
            self.grants: dict[str, Grant] = {}
            #: Live access tokens, to their grant.
            self.tokens: dict[str, Grant] = {}
            #: Live refresh tokens, to their grant.
            self.refresh_tokens: dict[str, Grant] = {}
            #: Every request served: endpoint path, method, headers, args, form.
            self.requests: list[dict[str, t.Any]] = []
            #: The user's claims for ID tokens (``sub``, ``email``, ...).
            self.claims: dict[str, t.Any] = self.default_claims()
            #: Claims merged over the ID token's last (``None`` drops one).
            self.id_token_overrides: dict[str, t.Any] = {}
            #: Extra fields of the authorization response (Apple's ``user``).
            self.callback_extra: dict[str, str] = {}
            #: An OAuth error the authorization endpoint answers with.
            self.authorize_error: str | None = None
            #: An OAuth error the token endpoint answers with.
            self.token_error: str | None = None

    def default_claims(self) -> dict[str, t.Any]:
        """The user, as the ID token names them."""
        return {"sub": "fake-user-1"}

    # -- life --------------------------------------------------------------

    def start(self, poll_interval: float = 0.05) -> FakeProvider:
        """Serve on a free port of 127.0.0.1; :meth:`stop` takes up to
        *poll_interval* seconds to notice (requests are served at once)."""
        server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_Quiet)
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_port}"
        self._routes = {
            self.authorize_path: self.handle_authorize,
            self.token_path: self.handle_token,
            self.jwks_path: self.handle_jwks,
        }
        if self.userinfo_path is not None:
            self._routes[self.userinfo_path] = self.handle_userinfo
        if self.revocation_path is not None:
            self._routes[self.revocation_path] = self.handle_revoke
        if self.discovery_path is not None:
            self._routes[self.discovery_path] = self.handle_discovery
        self._routes.update(self.routes())
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": poll_interval},
            name=f"{type(self).__name__}-{server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def routes(self) -> dict[str, Handler]:
        """The provider's other endpoints (user, e-mails, API), path to handler."""
        return {}

    def entry(self, found_by: str | None = None, **overrides: t.Any) -> dict[str, t.Any]:
        """A provider entry pointing the preset at this fake: the client's
        credentials (no secret if the fake has none), the URL settings
        *found_by* gives (:attr:`found_by` when not given) and
        :attr:`entry_paths`, then :attr:`entry_options` and *overrides*."""
        default = "endpoints" if self.discovery_path is None else "discovery"
        found = {
            "endpoints": {
                "authorize_url": self.authorize_path,
                "token_url": self.token_path,
                "userinfo_url": self.userinfo_path,
                "jwks_uri": self.jwks_path if self.issues_id_tokens else None,
                "revocation_url": self.revocation_path,
            },
            "discovery": {"server_metadata_url": self.discovery_path},
            "base_url": {"base_url": ""},
        }[found_by or self.found_by or default]
        paths = {**found, **self.entry_paths}
        entry = {"client_id": self.client_id}
        if self.client_secret:
            entry["client_secret"] = self.client_secret
        entry.update({key: self.url(path) for key, path in paths.items() if path is not None})
        return {**entry, **self.entry_options, **overrides}

    def url(self, path: str) -> str:
        """The absolute URL of *path* on this fake."""
        return self.base_url + path

    # -- serving -----------------------------------------------------------

    def _wsgi(self, environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]) -> t.Any:
        request = Request(environ)
        with self._lock:
            self.requests.append(
                {
                    "path": request.path,
                    "method": request.method,
                    "headers": dict(request.headers),
                    "args": request.args.to_dict(),
                    "form": request.form.to_dict(),
                }
            )
        handler = self._routes.get(request.path)
        response = handler(request) if handler else json_response({"error": "not found"}, 404)
        return response(environ, start_response)

    def requests_to(self, path: str) -> list[dict[str, t.Any]]:
        """The requests served at *path*, oldest first."""
        return [r for r in self.requests if r["path"] == path]

    # -- authorization endpoint ----------------------------------------------

    def handle_authorize(self, request: Request) -> Response:
        args = request.args
        redirect_uri = args.get("redirect_uri", "")
        if args.get("client_id") != self.client_id or not redirect_uri:
            return Response("unknown client or no redirect_uri", 400)
        state = args.get("state")
        if self.authorize_error is not None:
            return self.answer_callback(
                args, redirect_uri, {"error": self.authorize_error, "state": state or ""}
            )
        if args.get("response_type") != "code":
            return Response("unsupported response_type", 400)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self.grants[code] = Grant(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                scope=args.get("scope", "").split(),
                state=state,
                nonce=args.get("nonce"),
                code_challenge=args.get("code_challenge"),
                code_challenge_method=args.get("code_challenge_method"),
                params=args.to_dict(),
            )
        fields = {"code": code, **({"state": state} if state else {})}
        if self.iss_parameter:
            fields["iss"] = self.issuer
        fields.update(self.callback_extra)
        return self.answer_callback(args, redirect_uri, fields)

    def answer_callback(self, args: t.Any, redirect_uri: str, fields: dict[str, str]) -> Response:
        """Send *fields* back to the client: a redirect, or a self-posting form."""
        if args.get("response_mode") == "form_post":
            inputs = "".join(
                f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                for k, v in fields.items()
            )
            page = (
                f'<html><body onload="document.forms[0].submit()">'
                f'<form method="post" action="{escape(redirect_uri)}">{inputs}</form>'
                f"</body></html>"
            )
            return Response(page, 200, mimetype="text/html")
        separator = "&" if "?" in redirect_uri else "?"
        return Response(
            status=302, headers={"Location": redirect_uri + separator + urlencode(fields)}
        )

    # -- token endpoint --------------------------------------------------------

    def handle_token(self, request: Request) -> Response:
        if request.method != "POST":
            return self.token_error_response("invalid_request", "use POST", 405)
        form = request.form
        if not self.authenticate_client(request):
            return self.token_error_response("invalid_client", "client authentication failed", 401)
        if self.token_error is not None:
            return self.token_error_response(self.token_error, "refused as told", 400)
        if form.get("grant_type") == "refresh_token":
            return self._refresh(form.get("refresh_token", ""))
        if form.get("grant_type") != "authorization_code":
            return self.token_error_response("unsupported_grant_type", "only codes here", 400)
        with self._lock:
            grant = self.grants.get(form.get("code", ""))
            if grant is None or grant.used:
                return self.token_error_response("invalid_grant", "unknown or used code", 400)
            grant.used = True
        if form.get("redirect_uri") != grant.redirect_uri:
            return self.token_error_response("invalid_grant", "redirect_uri differs", 400)
        if not self._pkce_ok(grant, form.get("code_verifier")):
            return self.token_error_response("invalid_grant", "PKCE verification failed", 400)
        return self._issue(grant)

    def _refresh(self, refresh_token: str) -> Response:
        with self._lock:
            grant = self.refresh_tokens.pop(refresh_token, None)
        if grant is None:
            return self.token_error_response("invalid_grant", "unknown refresh token", 400)
        return self._issue(dataclasses.replace(grant, nonce=None))

    def _issue(self, grant: Grant) -> Response:
        access_token = secrets.token_urlsafe(32)
        with self._lock:
            self.tokens[access_token] = grant
        answer = self.token_answer(grant, access_token)
        if self.gives_refresh_token(grant):
            refresh_token = secrets.token_urlsafe(32)
            with self._lock:
                self.refresh_tokens[refresh_token] = grant
            answer["refresh_token"] = refresh_token
        return json_response(answer, 200, {"Cache-Control": "no-store"})

    def gives_refresh_token(self, grant: Grant) -> bool:
        """Whether the code exchange of *grant* also gives a refresh token."""
        return self.issues_refresh_tokens

    def authenticate_client(self, request: Request) -> bool:
        """Check the client's credentials as :attr:`client_auth` says."""
        form = request.form
        basic = _basic(request)
        if self.client_auth == "none":
            return (
                "Authorization" not in request.headers
                and form.get("client_id") == self.client_id
                and "client_secret" not in form
            )
        if basic is not None and self.client_auth in ("client_secret_basic", "any"):
            return basic == (self.client_id, self.client_secret)
        if basic is None and self.client_auth in ("client_secret_post", "any"):
            return form.get("client_id") == self.client_id and self.check_client_secret(
                form.get("client_secret", "")
            )
        return False

    def check_client_secret(self, secret: str) -> bool:
        """Whether *secret* is this client's secret (Apple's fake checks a JWT)."""
        return hmac.compare_digest(secret.encode(), self.client_secret.encode())

    def _pkce_ok(self, grant: Grant, verifier: str | None) -> bool:
        if grant.code_challenge is None:
            return not self.require_pkce
        if grant.code_challenge_method != "S256" or not verifier:
            return False
        return hmac.compare_digest(s256(verifier), grant.code_challenge)

    def token_answer(self, grant: Grant, access_token: str) -> dict[str, t.Any]:
        """The token endpoint's answer; override for a provider's shape."""
        answer: dict[str, t.Any] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": " ".join(grant.scope),
        }
        if self.issues_id_tokens and "openid" in grant.scope:
            answer["id_token"] = self.id_token(grant, access_token)
        return answer

    def token_error_response(self, error: str, description: str, status: int) -> Response:
        """An RFC 6749 error answer; override for a provider's shape."""
        return json_response({"error": error, "error_description": description}, status)

    # -- ID tokens and keys ------------------------------------------------------

    def id_token(self, grant: Grant, access_token: str | None = None) -> str:
        """An ID token for *grant*, signed with the key this fake serves."""
        now = int(time.time())
        claims: dict[str, t.Any] = {
            "iss": self.issuer,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 3600,
            **self.id_token_claims(grant),
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        for key, value in self.id_token_overrides.items():
            if value is None:
                claims.pop(key, None)
            else:
                claims[key] = value
        return self.sign(claims)

    def id_token_claims(self, grant: Grant) -> dict[str, t.Any]:
        """The user's claims an ID token for *grant* carries."""
        return dict(self.claims)

    def sign(self, claims: dict[str, t.Any]) -> str:
        return self._key.sign(claims)

    def handle_jwks(self, request: Request) -> Response:
        return json_response(self._key.jwks)

    # -- protected resources ---------------------------------------------------

    def grant_for(self, request: Request, *, query_param: str | None = None) -> Grant | None:
        """The grant of the request's access token (Bearer header, or
        *query_param* when given), or ``None``."""
        token = None
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            token = header[7:].strip()
        elif query_param is not None:
            token = request.args.get(query_param)
        with self._lock:
            return self.tokens.get(token or "")

    def metadata(self) -> dict[str, t.Any]:
        """The discovery document, with this fake's URLs and the real issuer."""
        document: dict[str, t.Any] = {
            "issuer": self.issuer,
            "authorization_endpoint": self.url(self.authorize_path),
            "token_endpoint": self.url(self.token_path),
            "jwks_uri": self.url(self.jwks_path),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "offline_access"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": self.iss_parameter,
        }
        if self.userinfo_path is not None:
            document["userinfo_endpoint"] = self.url(self.userinfo_path)
        if self.revocation_path is not None:
            document["revocation_endpoint"] = self.url(self.revocation_path)
        return document

    def handle_discovery(self, request: Request) -> Response:
        return json_response(self.metadata())

    def handle_userinfo(self, request: Request) -> Response:
        """An OpenID Connect UserInfo endpoint: the user's claims."""
        if self.grant_for(request) is None:
            return json_response(
                {"error": "invalid_token"},
                401,
                {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return json_response(self.userinfo_answer())

    def userinfo_answer(self) -> dict[str, t.Any]:
        """What the UserInfo endpoint says; override for a provider's shape."""
        return dict(self.claims)

    def handle_revoke(self, request: Request) -> Response:
        """RFC 7009 revocation: forget the token."""
        if not self.authenticate_client(request):
            return self.token_error_response("invalid_client", "client authentication failed", 401)
        with self._lock:
            self.tokens.pop(request.form.get("token", ""), None)
        return Response(status=200)


def _basic(request: Request) -> tuple[str, str] | None:
    return basic_credentials(request.headers)


def basic_credentials(headers: t.Mapping[str, str]) -> tuple[str, str] | None:
    """The client id and secret of an ``Authorization: Basic`` header (of a
    request, or of one recorded in :attr:`FakeProvider.requests`), or ``None``."""
    header = headers.get("Authorization", "")
    if header[:6].lower() != "basic ":
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return unquote_plus(user), unquote_plus(password)


# -- the browser's part ------------------------------------------------------------


class _FormParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = values.get("action") or ""
        elif tag == "input" and values.get("name"):
            self.fields[values["name"] or ""] = values.get("value") or ""


def parse_form(page: str) -> tuple[str | None, dict[str, str]]:
    """The action and fields of the first form on *page* (entities decoded)."""
    parser = _FormParser()
    parser.feed(page)
    return parser.action, parser.fields


def authorize(location: str) -> Callback:
    """Visit the provider's authorization URL as a browser would, and
    return where it sends the user back."""
    with http_session() as browser:
        response = browser.get(location, allow_redirects=False, timeout=10)
    if response.status_code in (302, 303):
        return Callback("GET", response.headers["Location"])
    action, fields = parse_form(response.text)
    if response.status_code != 200 or action is None:
        raise AssertionError(f"authorize answered {response.status_code}: {response.text[:200]}")
    return Callback("POST", action, fields)


def deliver(client: FlaskClient, callback: Callback, **kwargs: t.Any) -> t.Any:
    """Deliver the provider's answer to the app's callback."""
    if callback.method == "POST":
        return client.post(urlsplit(callback.url).path, data=callback.fields, **kwargs)
    return client.get(callback.path, **kwargs)


def log_in(client: FlaskClient, provider: str) -> t.Any:
    """A whole login through the blueprint; the callback's response."""
    return deliver(client, authorize(start_login(client, provider)))


# -- the fixture ---------------------------------------------------------------------


class FakeServers:
    """The fakes a test session started, one of each class, until :meth:`stop`.

    A session keeps dozens of them idle, so they look for :meth:`stop` only
    twice a second (a busier poll costs the tests CPU), and stop all at once.
    """

    #: How often an idle fake wakes to see whether it should stop, in seconds.
    poll_interval = 0.5

    def __init__(self) -> None:
        self._running: dict[type[FakeProvider], FakeProvider] = {}

    def get(self, cls: type[F]) -> F:
        """The running fake of class *cls*, started on first use."""
        if cls not in self._running:
            self._running[cls] = cls().start(self.poll_interval)
        return t.cast(F, self._running[cls])

    def stop(self) -> None:
        """Stop every fake started."""
        stopping = [threading.Thread(target=fake.stop) for fake in self._running.values()]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()
        self._running.clear()


def fake_provider(cls: type[F]) -> t.Callable[..., F]:
    """A fixture giving the fake of class *cls*: started once for the session
    (in the ``fake_servers`` fixture), reset before every test. A test module
    declares it as ``fake = fake_provider(FakeDiscord)``."""

    @pytest.fixture
    def fake(fake_servers: FakeServers) -> F:
        running = fake_servers.get(cls)
        running.reset()
        return running

    return fake
