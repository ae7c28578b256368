"""Helpers for testing apps that use flask-oauth2login, and a pytest plugin.

Log a Flask test client in without any provider, in one line::

    from flask_oauth2login.testing import login_as

    def test_dashboard(app):
        client = app.test_client()
        login_as(client, "github", sub="42", email="ada@example.com", name="Ada")
        assert client.get("/dashboard").status_code == 200

:func:`login_as` stores the user and a token in the server-side session
through the very function the callback of a real login uses (the same keys,
a new session id, the ``on_login`` hooks and the ``logged_in`` signal). :func:`make_token` builds
such a token; :func:`make_id_token` signs ID tokens with a generated RSA
:class:`SigningKey` whose JWKS you can serve from a fake provider.

The pytest plugin (registered through the ``pytest11`` entry point, so it is
active wherever flask-oauth2login is installed) provides the fixtures
``oauth2login_user``, ``logged_in_client`` (built on your ``app`` fixture)
and ``devidp`` (the built-in development identity provider on a loopback
port, for tests that go through the whole login).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
import secrets
import threading
import time
import typing as t
from urllib.parse import urljoin, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, url_for
from flask.ctx import RequestContext
from flask.testing import EnvironBuilder, FlaskClient
from jwt.algorithms import RSAAlgorithm

from . import commit, redaction
from .config import ProviderConfig
from .errors import ConfigurationError, LoginError
from .oidc import token_hash
from .state import EXTENSION_KEY, AppState
from .user import User, normalize

try:
    import pytest
except ImportError:  # pragma: no cover - the helpers work without pytest
    pytest = None  # type: ignore[assignment]

if t.TYPE_CHECKING:  # pragma: no cover
    from werkzeug.serving import BaseWSGIServer
    from werkzeug.test import TestResponse

__all__ = [
    "DevIdPServer",
    "SigningKey",
    "default_key",
    "login_as",
    "make_id_token",
    "make_token",
]

_WELL_KNOWN_SUFFIXES = (
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
)


# -- logging a test client in --------------------------------------------------


def login_as(
    client: FlaskClient,
    provider: str | None = None,
    *,
    sub: str = "test-user",
    email: str | None = None,
    email_verified: bool | None = None,
    name: str | None = None,
    picture: str | None = None,
    issuer: str | None = None,
    raw: t.Mapping[str, t.Any] | None = None,
    token: t.Mapping[str, t.Any] | str | None = None,
    hooks: bool = True,
) -> User:
    """Log *client* in as a user of *provider*, without talking to the provider.

    The server-side session ends up as after a real login started from
    this site: the normalized user in ``oauth.user`` and ``oauth.users``,
    the token in ``oauth.token(provider)`` (its ``scope`` the configured
    one unless *token* says), and a new session id. Like a real login, it
    joins the session's logins with other providers (a connect), replaces
    the login of the same user, and ends every earlier login first when it
    is another user's at the same provider (without revoking anything).
    Unless *hooks* is false, the extension's ``on_login`` hooks run and
    ``logged_in`` is sent, as the callback does; a response a hook returns
    is ignored.

    :param client: a test client of an app set up with
        :class:`~flask_oauth2login.OAuth2Login` (cookies enabled).
    :param provider: a configured provider name; may be omitted when the app
        has only one.
    :param sub: the user's subject (their id at the provider).
    :param email_verified: defaults to whether *email* is given.
    :param issuer: the issuer the user belongs to; defaults to the one a real
        login would record: the configured ``issuer``, else the discovery
        URL without ``/.well-known/...``, else the authorization server's
        origin.
    :param raw: what the provider said about the user (``user["raw"]``);
        defaults to the claims given here.
    :param token: a mapping merged over :func:`make_token`'s result (a
        ``None`` value removes the key), or a string used as the access token.
    :param hooks: run the ``on_login`` hooks and send ``logged_in``.
    :returns: the :class:`~flask_oauth2login.User` now logged in.
    :raises LoginError: if an ``on_login`` hook refused the login; the session
        is then left as a refused real login leaves it.
    """
    app = t.cast(Flask, client.application)
    state: AppState | None = app.extensions.get(EXTENSION_KEY)
    if state is None:
        raise ConfigurationError("login_as needs an app set up with OAuth2Login(app).")
    provider = _pick_provider(state, provider)
    refused: LoginError | None = None

    with client.session_transaction() as sess:
        builder = EnvironBuilder(app, environ_base=client.environ_base)
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        with RequestContext(app, environ, session=sess):
            config = state.clients[provider].config
            user_issuer = issuer or _issuer_of(config, state.base_url())
            verified = (email is not None) if email_verified is None else email_verified
            profile = {
                "sub": str(sub),
                "email": email,
                "email_verified": verified,
                "name": name,
                "picture": picture,
            }
            claims = {k: v for k, v in profile.items() if v is not None}
            user = normalize(provider, user_issuer, profile, raw if raw is not None else claims)
            stored = make_token(iss=user_issuer, sub=str(sub), scope=" ".join(config.scope))
            if isinstance(token, str):
                stored["access_token"] = token
            elif token is not None:
                stored = _merge(stored, token)

            kind = commit.decide(provider, user, started_here=True)
            try:
                commit.commit(
                    state,
                    provider,
                    user,
                    stored,
                    kind=kind,
                    linking=True,
                    hooks=hooks,
                    revoke=False,
                )
            except LoginError as exc:  # the session is as a refused real login leaves it
                refused = exc
    if refused is not None:
        raise refused
    return user


def _pick_provider(state: AppState, provider: str | None) -> str:
    names = list(state.clients)
    if provider is None:
        if len(names) == 1:
            return names[0]
        raise ConfigurationError(
            f"Several providers are configured ({', '.join(names)}); "
            "say which one, e.g. login_as(client, provider=...)."
        )
    if provider not in state.clients:
        raise ConfigurationError(
            f"No provider called {provider!r} is configured; "
            f"configured: {', '.join(names) or '(none)'}."
        )
    return provider


def _issuer_of(config: ProviderConfig, base_url: str) -> str:
    """The issuer a real login with *config* records for its users."""
    if config.issuer:
        return urljoin(base_url, config.issuer)
    if config.server_metadata_url:
        url = urljoin(base_url, config.server_metadata_url)
        for suffix in _WELL_KNOWN_SUFFIXES:
            if url.endswith(suffix):
                return url[: -len(suffix)]
        return _origin(url)
    if config.authorize_url:
        return _origin(urljoin(base_url, config.authorize_url))
    return base_url.rstrip("/")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _merge(base: t.Mapping[str, t.Any], overrides: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


# -- tokens --------------------------------------------------------------------


def make_token(
    *,
    access_token: str | None = None,
    refresh_token: str | None = None,
    id_token: str | None = None,
    scope: str | None = None,
    expires_in: float | None = 3600,
    iss: str | None = None,
    sub: str | None = None,
    **extra: t.Any,
) -> dict[str, t.Any]:
    """A token as the extension stores it after a login.

    ``access_token`` (random unless given), ``token_type`` (``Bearer``),
    ``expires_at`` (now plus *expires_in*, or ``None`` for a token that does
    not expire), and ``iss``/``sub`` of the user it was issued for, plus
    ``refresh_token``, ``id_token`` and ``scope`` when given.

    Without a *refresh_token*, a token past its expiry ends the login (the
    extension raises :class:`~flask_oauth2login.NotLoggedInError`) instead of
    calling the provider to refresh it.
    """
    token: dict[str, t.Any] = {
        "access_token": access_token or "test-" + secrets.token_urlsafe(24),
        "token_type": "Bearer",
        "expires_at": None if expires_in is None else int(time.time() + expires_in),
    }
    optional = {
        "refresh_token": refresh_token,
        "id_token": id_token,
        "scope": scope,
        "iss": iss,
        "sub": sub,
    }
    token.update({key: value for key, value in optional.items() if value is not None})
    token.update(extra)
    return token


class SigningKey:
    """An RSA key pair that signs test ID tokens, and its public JWKS.

    Serve :attr:`jwks` at a fake provider's ``jwks_uri`` and sign tokens with
    :meth:`sign` (or :func:`make_id_token`).

    :param private_key: the key; a new 2048-bit key is generated when omitted.
    :param kid: the key id; defaults to the RFC 7638 thumbprint.
    :param algorithm: ``RS256``, ``RS384``, ``RS512``, ``PS256``, ...
    """

    def __init__(
        self,
        private_key: rsa.RSAPrivateKey | None = None,
        *,
        kid: str | None = None,
        algorithm: str = "RS256",
    ) -> None:
        if private_key is None:
            private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        #: The private key.
        self.private_key = private_key
        #: The signature algorithm.
        self.algorithm = algorithm
        public = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        #: The key id, sent as ``kid`` in token headers and the JWKS.
        self.kid = kid or _thumbprint(public)

    @property
    def public_jwk(self) -> dict[str, t.Any]:
        """The public key as a JWK with ``kid``, ``use`` and ``alg``."""
        jwk = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        jwk.update(kid=self.kid, use="sig", alg=self.algorithm)
        return dict(jwk)

    @property
    def jwks(self) -> dict[str, list[dict[str, t.Any]]]:
        """The JWK Set a provider serves at its ``jwks_uri``."""
        return {"keys": [self.public_jwk]}

    def sign(
        self, claims: t.Mapping[str, t.Any], headers: t.Mapping[str, t.Any] | None = None
    ) -> str:
        """Sign *claims* as a compact JWS; *headers* are merged over ``kid``."""
        return jwt.encode(
            dict(claims),
            self.private_key,
            algorithm=self.algorithm,
            headers={"kid": self.kid, **(headers or {})},
        )


def _thumbprint(jwk: t.Mapping[str, t.Any]) -> str:
    canonical = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@functools.lru_cache(maxsize=1)
def default_key() -> SigningKey:
    """The key :func:`make_id_token` signs with when given none (made once)."""
    return SigningKey()


def make_id_token(
    claims: t.Mapping[str, t.Any] | None = None,
    *,
    key: SigningKey | None = None,
    issuer: str = "https://idp.example",
    audience: str | t.Sequence[str] = "test-client",
    subject: str = "test-user",
    nonce: str | None = None,
    access_token: str | None = None,
    expires_in: int = 300,
    issued_at: float | None = None,
    headers: t.Mapping[str, t.Any] | None = None,
) -> str:
    """A signed OpenID Connect ID token.

    It carries ``iss``, ``sub``, ``aud``, ``iat`` and ``exp``, a ``nonce``
    when given, and the ``at_hash`` of *access_token* when given. *claims*
    are merged over these (a ``None`` value removes a claim), and *headers*
    over the JOSE header, so broken tokens are easy to make too::

        key = SigningKey()
        good = make_id_token({"email": "ada@example.com"}, key=key, nonce=nonce)
        expired = make_id_token(key=key, expires_in=-60)
        unsigned_claim = make_id_token({"sub": None}, key=key)

    :param key: the signing key; :func:`default_key` when omitted.
    """
    key = key or default_key()
    now = int(time.time() if issued_at is None else issued_at)
    payload: dict[str, t.Any] = {
        "iss": issuer,
        "sub": subject,
        "aud": audience if isinstance(audience, str) else list(audience),
        "iat": now,
        "exp": now + expires_in,
    }
    if nonce is not None:
        payload["nonce"] = nonce
    if access_token is not None:
        payload["at_hash"] = token_hash(access_token, key.algorithm)
    return key.sign(_merge(payload, claims or {}), headers)


# -- the development identity provider on a loopback port ----------------------

_FORM_FIELD = r'name="{}" value="([^"]+)"'


class DevIdPServer:
    """The built-in development identity provider, served on 127.0.0.1.

    Use it as a context manager (or the ``devidp`` fixture), point a
    provider entry at it with :meth:`provider_entry`, and run whole logins
    with :meth:`login`. Its default client is ``dev-client`` and accepts
    any loopback redirect URI, such as the test client's
    ``http://localhost/callback/...``.

    :param users: the users offered on its sign-in page (dicts with ``sub``,
        ``name``, ``email``, ...); defaults to the provider's own.
    :param config: ``OAUTH2LOGIN_DEVIDP_*`` configuration values.
    """

    #: The client registered by default.
    client_id = "dev-client"
    #: Its secret, the provider's documented default.
    client_secret = "dev-secret"

    def __init__(
        self,
        *,
        users: t.Iterable[t.Mapping[str, t.Any]] | None = None,
        **config: t.Any,
    ) -> None:
        from .devidp import DevIdentityProvider

        app = Flask("flask_oauth2login.devidp")
        app.config["TESTING"] = True
        app.config.update(config)
        DevIdentityProvider(app, url_prefix="", users=users)
        #: The provider's Flask app.
        self.app = app
        #: Its base URL, which is also its issuer; set by :meth:`start`.
        self.url = ""
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def issuer(self) -> str:
        """The provider's issuer identifier."""
        return self.url

    @property
    def metadata_url(self) -> str:
        """Its OpenID Connect discovery document."""
        return self.url + "/.well-known/openid-configuration"

    def start(self) -> DevIdPServer:
        """Serve on a free port of 127.0.0.1, in a daemon thread."""
        from werkzeug.serving import make_server

        if self._server is not None:
            raise ConfigurationError("The development identity provider is already running.")
        redaction.install()  # no code or token in the access log
        server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="oauth2login-devidp",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> DevIdPServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def provider_entry(self, **overrides: t.Any) -> dict[str, t.Any]:
        """An ``OAUTH2LOGIN_PROVIDERS`` entry for this provider (by discovery)."""
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "server_metadata_url": self.metadata_url,
            **overrides,
        }

    def login(
        self,
        client: FlaskClient,
        provider: str = "devidp",
        *,
        sub: str | None = None,
        name: str | None = None,
        email: str | None = None,
        email_verified: bool = True,
        next: str | None = None,
        deny: bool = False,
    ) -> TestResponse:
        """Log *client* in through the whole flow, as a browser would.

        ``GET /login/<provider>``, the provider's sign-in page (picking the
        user *sub*, by default ``ada``; or typing in a new user when *name*
        or *email* is given; or denying when *deny*), and the callback.

        :returns: the app's answer to the callback (a redirect to *next* when
            the login worked).
        :raises AssertionError: if a step does not answer as it should.
        """
        app = t.cast(Flask, client.application)
        with app.test_request_context():
            args: dict[str, t.Any] = {"next": next} if next is not None else {}
            start = url_for("oauth2login.login", provider=provider, **args)
        answer = client.get(start)
        location = answer.headers.get("Location", "")
        if answer.status_code != 302 or not location.startswith(self.url + "/"):
            raise AssertionError(
                f"GET {start} answered {answer.status_code} "
                f"{location or answer.get_data(as_text=True)[:300]!r}, not a redirect to "
                f"{self.url}; is the provider entry devidp.provider_entry()?"
            )
        with requests.Session() as http:
            http.trust_env = False
            page = http.get(location, timeout=10)
            if page.status_code != 200:
                raise AssertionError(f"The sign-in page answered {page.status_code}: {page.text}")
            form = {field: _form_value(page.text, field) for field in ("request_id", "csrf_token")}
            if deny:
                form["action"] = "deny"
            elif sub is None and (name or email):
                form.update(action="new", name=name or "", email=email or "")
                if email_verified:
                    form["email_verified"] = "on"
            else:
                form.update(action="login", sub=sub or "ada")
            decided = http.post(
                location.split("?", 1)[0], data=form, allow_redirects=False, timeout=10
            )
        callback = decided.headers.get("Location")
        if decided.status_code != 303 or not callback:
            raise AssertionError(f"The sign-in form answered {decided.status_code}: {decided.text}")
        parts = urlsplit(callback)
        return client.get(
            f"{parts.path}?{parts.query}", base_url=f"{parts.scheme}://{parts.netloc}"
        )


def _form_value(html: str, field: str) -> str:
    found = re.search(_FORM_FIELD.format(field), html)
    if found is None:
        raise AssertionError(f"The sign-in page has no {field!r} field.")
    return found.group(1)


# -- the pytest plugin ---------------------------------------------------------

if pytest is not None:

    @pytest.fixture
    def oauth2login_user() -> dict[str, t.Any]:
        """Who ``logged_in_client`` logs in as: keyword arguments of :func:`login_as`.

        Override it in a ``conftest.py`` or a test module, e.g. to pick the
        provider or make an administrator::

            @pytest.fixture
            def oauth2login_user():
                return {"provider": "github", "sub": "1", "email": "root@example.com"}
        """
        return {"sub": "test-user", "email": "test-user@example.com", "name": "Test User"}

    @pytest.fixture
    def logged_in_client(
        request: pytest.FixtureRequest, oauth2login_user: t.Mapping[str, t.Any]
    ) -> FlaskClient:
        """A test client of your ``app`` fixture, logged in as ``oauth2login_user``."""
        try:
            app = request.getfixturevalue("app")
        except pytest.FixtureLookupError:
            app = None
        if app is None:
            pytest.fail(
                "logged_in_client needs a fixture called 'app' that returns your Flask app "
                "(set up with OAuth2Login); define one in conftest.py.",
                pytrace=False,
            )
        client = app.test_client()
        login_as(client, **oauth2login_user)
        return t.cast(FlaskClient, client)

    @pytest.fixture
    def devidp() -> t.Iterator[DevIdPServer]:
        """The development identity provider, running on a 127.0.0.1 port.

        Put ``devidp.provider_entry()`` in your app's ``OAUTH2LOGIN_PROVIDERS``
        and log in with ``devidp.login(client)``.
        """
        with DevIdPServer() as server:
            yield server
