"""The registered clients and how they authenticate at the token endpoint.

Clients come from the ``OAUTH2LOGIN_DEVIDP_CLIENTS`` config key, a dict::

    OAUTH2LOGIN_DEVIDP_CLIENTS = {
        "dev-client": {
            "client_secret": "dev-secret",  # None: a public client (PKCE only)
            "redirect_uris": None,  # None: any loopback URL
        },
    }

``redirect_uris`` is a list of exact URIs, or ``None`` to accept any
``http``/``https`` URL on a loopback host (``localhost``, ``127.0.0.1``,
``[::1]``) on any port and path. An optional ``post_logout_redirect_uris``
list does the same for the end-session endpoint; without it, a URL with the
same origin as an accepted redirect URI is accepted. An optional
``backchannel_logout_uri`` (an absolute URL, or a path on the app serving
the provider, such as ``"/backchannel-logout/dev"``) receives a logout token
when a user who signed in to the client signs out at the provider
(OpenID Connect Back-Channel Logout 1.0).

For the high-security methods, a client may be registered with
``jwks`` (a JWK Set of its public keys: it authenticates with
``private_key_jwt``; it needs no secret), ``token_endpoint_auth_method``
(one of :data:`AUTH_METHODS`; the only one it may then use) and
``require_pushed_authorization_requests`` (its authorization requests must
come through ``/par``)::

    "fapi-client": {
        "client_secret": None,
        "jwks": {"keys": [public_jwk]},
        "require_pushed_authorization_requests": True,
    },

The default is the single confidential client ``dev-client`` with the
secret ``dev-secret`` accepting any loopback redirect URI.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import typing as t
from dataclasses import dataclass
from urllib.parse import unquote_plus, urlsplit

import jwt

from ..errors import ConfigurationError
from .assertions import ASSERTION_TYPE, ReplayCache, verify
from .errors import OAuthError

if t.TYPE_CHECKING:  # pragma: no cover
    from flask import Request

#: The clients registered when ``OAUTH2LOGIN_DEVIDP_CLIENTS`` is not set.
DEFAULT_CLIENTS: dict[str, dict[str, t.Any]] = {
    "dev-client": {"client_secret": "dev-secret", "redirect_uris": None},
}

_CLIENT_KEYS = frozenset(
    (
        "client_secret",
        "redirect_uris",
        "post_logout_redirect_uris",
        "jwks",
        "token_endpoint_auth_method",
        "require_pushed_authorization_requests",
        "backchannel_logout_uri",
    )
)

#: The client authentication methods the provider accepts.
AUTH_METHODS = [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "client_secret_jwt",
    "none",
]


@dataclass(frozen=True)
class Client:
    """One registered client."""

    client_id: str
    #: ``None`` for a public client, which authenticates with ``none``.
    client_secret: str | None
    #: Exact redirect URIs, or ``None`` for any loopback URL.
    redirect_uris: tuple[str, ...] | None
    #: Exact post-logout redirect URIs, or ``None`` for the default rule.
    post_logout_redirect_uris: tuple[str, ...] | None = None
    #: The public keys of a ``private_key_jwt`` client, as a JWK Set.
    jwks: t.Mapping[str, t.Any] | None = None
    #: The only authentication method the client may use; ``None``: any it can.
    token_endpoint_auth_method: str | None = None
    #: Authorization requests must be pushed (:rfc:`9126`).
    require_par: bool = False
    #: Where logout tokens go: an absolute URL, or a path on the app serving
    #: the provider; ``None``: the client is not told of sign-outs.
    backchannel_logout_uri: str | None = None

    @property
    def is_public(self) -> bool:
        """Whether the client has neither a secret nor keys."""
        return self.client_secret is None and self.jwks is None

    @property
    def auth_methods(self) -> list[str]:
        """How the client may authenticate."""
        if self.token_endpoint_auth_method is not None:
            return [self.token_endpoint_auth_method]
        methods = []
        if self.client_secret is not None:
            methods += ["client_secret_basic", "client_secret_post", "client_secret_jwt"]
        if self.jwks is not None:
            methods.append("private_key_jwt")
        return methods or ["none"]

    def allows_redirect_uri(self, uri: str) -> bool:
        """Whether ``uri`` may receive this client's authorization responses."""
        if self.redirect_uris is not None:
            return uri in self.redirect_uris
        return is_loopback_url(uri)

    def allows_post_logout_redirect_uri(self, uri: str) -> bool:
        """Whether the end-session endpoint may send the browser to ``uri``."""
        if self.post_logout_redirect_uris is not None:
            return uri in self.post_logout_redirect_uris
        if self.redirect_uris is None:
            return is_loopback_url(uri)
        origin = _origin(uri)
        return origin is not None and any(_origin(r) == origin for r in self.redirect_uris)

    def check_secret(self, secret: str) -> bool:
        """Compare ``secret`` with the client's in constant time."""
        if self.client_secret is None:
            return False
        return hmac.compare_digest(secret.encode(), self.client_secret.encode())


def load_clients(value: t.Mapping[str, t.Mapping[str, t.Any]] | None) -> dict[str, Client]:
    """Read the ``OAUTH2LOGIN_DEVIDP_CLIENTS`` config value.

    :raises ConfigurationError: naming the client and key that are wrong.
    """
    if value is None:
        value = DEFAULT_CLIENTS
    if not isinstance(value, t.Mapping):
        raise ConfigurationError(
            "OAUTH2LOGIN_DEVIDP_CLIENTS must be a dict of client_id -> options."
        )
    clients = {}
    for client_id, options in value.items():
        if not isinstance(client_id, str) or not client_id:
            raise ConfigurationError(
                "OAUTH2LOGIN_DEVIDP_CLIENTS: client ids must be non-empty strings."
            )
        options = options or {}
        unknown = set(options) - _CLIENT_KEYS
        if unknown:
            raise ConfigurationError(
                f"OAUTH2LOGIN_DEVIDP_CLIENTS[{client_id!r}]: unknown keys {sorted(unknown)}."
            )
        secret = options.get("client_secret")
        if secret is not None and (not isinstance(secret, str) or not secret):
            raise ConfigurationError(
                f"OAUTH2LOGIN_DEVIDP_CLIENTS[{client_id!r}]: client_secret must be a non-empty"
                " string, or None for a public client."
            )
        where = f"OAUTH2LOGIN_DEVIDP_CLIENTS[{client_id!r}]"
        jwks = options.get("jwks")
        if jwks is not None and (
            not isinstance(jwks, t.Mapping) or not isinstance(jwks.get("keys"), list)
        ):
            raise ConfigurationError(f"{where}: jwks must be a JWK Set, {{'keys': [...]}}.")
        method = options.get("token_endpoint_auth_method")
        if method is not None and method not in AUTH_METHODS:
            raise ConfigurationError(
                f"{where}: token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}."
            )
        require_par = options.get("require_pushed_authorization_requests", False)
        if not isinstance(require_par, bool):
            raise ConfigurationError(
                f"{where}: require_pushed_authorization_requests must be True or False."
            )
        clients[client_id] = Client(
            client_id=client_id,
            client_secret=secret,
            redirect_uris=_uri_list(client_id, "redirect_uris", options),
            post_logout_redirect_uris=_uri_list(client_id, "post_logout_redirect_uris", options),
            jwks=jwks,
            token_endpoint_auth_method=method,
            require_par=require_par,
            backchannel_logout_uri=_backchannel_uri(client_id, options),
        )
    return clients


def _backchannel_uri(client_id: str, options: t.Mapping[str, t.Any]) -> str | None:
    uri = options.get("backchannel_logout_uri")
    if uri is None:
        return None
    if isinstance(uri, str) and uri.startswith("/") and not uri.startswith("//"):
        return uri
    parts = urlsplit(uri) if isinstance(uri, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"OAUTH2LOGIN_DEVIDP_CLIENTS[{client_id!r}]: backchannel_logout_uri must be an"
            " absolute http(s) URL or a path on this app, such as '/backchannel-logout/dev'."
        )
    return t.cast(str, uri)


def _uri_list(client_id: str, key: str, options: t.Mapping[str, t.Any]) -> tuple[str, ...] | None:
    uris = options.get(key)
    if uris is None:
        return None
    if isinstance(uris, str) or not all(isinstance(u, str) for u in uris):
        raise ConfigurationError(
            f"OAUTH2LOGIN_DEVIDP_CLIENTS[{client_id!r}]: {key} must be a list of URLs or None."
        )
    return tuple(uris)


def is_loopback_url(uri: str) -> bool:
    """Whether ``uri`` is an absolute ``http(s)`` URL on a loopback host.

    Fragments and user info are refused, as :rfc:`6749#section-3.1.2` asks.
    """
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if parts.fragment or "#" in uri or parts.username is not None:
        return False
    return is_loopback_host(host)


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` (a name or an address, IPv6 without brackets) is loopback."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    # ::ffff:127.0.0.1, as a dual-stack server reports an IPv4 peer.
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def _origin(uri: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port


def _invalid_client(description: str) -> OAuthError:
    return OAuthError(
        "invalid_client",
        description,
        status=401,
        headers={"WWW-Authenticate": 'Basic realm="devidp"'},
    )


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        # A non-ASCII header value raises a plain ValueError, not binascii.Error.
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except ValueError:  # also binascii.Error and UnicodeDecodeError
        raise _invalid_client("Malformed Basic credentials.") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise _invalid_client("Malformed Basic credentials.")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    return unquote_plus(client_id), unquote_plus(secret)


def authenticate_client(
    request: Request,
    clients: t.Mapping[str, Client],
    *,
    audiences: t.Collection[str] = (),
    replays: ReplayCache | None = None,
) -> Client:
    """Authenticate the client of a token, revocation or PAR request.

    Accepts ``client_secret_basic``, ``client_secret_post``, a client
    assertion (``private_key_jwt`` or ``client_secret_jwt``, whose ``aud``
    must be one of *audiences*) and, for public clients, ``none``; a request
    using more than one method is refused, and so is a method other than
    the one a client is registered with.

    :raises OAuthError: ``invalid_client`` (401) or ``invalid_request``.
    """
    form = request.form
    header = request.headers.get("Authorization", "")
    basic = _basic_credentials(header) if header else None
    if "client_assertion" in form or "client_assertion_type" in form:
        if basic is not None or "client_secret" in form:
            raise OAuthError("invalid_request", "Use only one client authentication method.")
        return _by_assertion(form, clients, audiences, replays or ReplayCache())

    secret: str | None
    if basic is not None:
        if "client_secret" in form:
            raise OAuthError("invalid_request", "Use only one client authentication method.")
        client_id, secret = basic
        if "client_id" in form and form["client_id"] != client_id:
            raise OAuthError("invalid_request", "client_id does not match the credentials.")
        method = "client_secret_basic"
    else:
        client_id = form.get("client_id", "")
        secret = form.get("client_secret")
        if not client_id:
            raise _invalid_client("Client authentication is required.")
        method = "client_secret_post" if secret is not None else "none"

    client = clients.get(client_id)
    if client is None:
        raise _invalid_client("Unknown client.")
    if client.is_public:
        if secret:
            raise _invalid_client("This public client has no secret.")
        return client
    if secret is None:
        raise _invalid_client("This client must authenticate with its secret.")
    if not client.check_secret(secret):
        raise _invalid_client("Client authentication failed.")
    _check_method(client, method)
    return client


def _by_assertion(
    form: t.Mapping[str, str],
    clients: t.Mapping[str, Client],
    audiences: t.Collection[str],
    replays: ReplayCache,
) -> Client:
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise _invalid_client(f"client_assertion_type must be {ASSERTION_TYPE}.")
    assertion = form.get("client_assertion", "")
    client_id = form.get("client_id")
    if client_id is None:  # RFC 7523: the assertion's iss names the client
        try:
            client_id = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError:
            raise _invalid_client("The client_assertion is not a JWT.") from None
    client = clients.get(client_id) if isinstance(client_id, str) else None
    if client is None:
        raise _invalid_client("Unknown client.")
    method = verify(
        assertion,
        client_id=client.client_id,
        client_secret=client.client_secret,
        jwks=client.jwks,
        audiences=audiences,
        replays=replays,
    )
    _check_method(client, method)
    return client


def _check_method(client: Client, method: str) -> None:
    if method not in client.auth_methods:
        raise _invalid_client(
            f"This client is registered to authenticate with {client.auth_methods[0]}."
        )
