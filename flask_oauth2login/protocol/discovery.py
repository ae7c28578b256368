"""Where a provider's endpoints are, and the keys it signs with.

A provider's endpoints and capabilities (:class:`Endpoints`) come from its
configuration or from its discovery document (OpenID Connect Discovery 1.0;
:rfc:`8414` server metadata has the same members), whose ``issuer`` must be
the one expected. They are kept for ``OAUTH2LOGIN_METADATA_TTL`` seconds (by
base URL of this app when the configuration has paths on it). The signing
keys at its ``jwks_uri`` (:rfc:`7517`) are kept by a
:class:`~flask_oauth2login.protocol.oidc.KeyCache`, one per key set URL.
"""

from __future__ import annotations

import threading
import time
import typing as t
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from ..crypto.keys import ASYMMETRIC_ALGORITHMS
from ..errors import InvalidProviderResponse
from .http import Transport
from .oidc import KeyCache

if t.TYPE_CHECKING:  # pragma: no cover
    from ..config.settings import ProviderConfig

_WELL_KNOWN = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class Endpoints:
    """A provider's endpoints and capabilities, from configuration or discovery."""

    issuer: str | None
    authorize_url: str
    token_url: str
    userinfo_url: str | None
    jwks_uri: str | None
    revocation_url: str | None
    id_token_algorithms: tuple[str, ...]
    #: RFC 9207: the provider sends ``iss`` with every authorization response.
    iss_parameter_supported: bool = False
    #: RFC 9126: where authorization requests are pushed, if the provider takes them.
    par_url: str | None = None
    #: RFC 9126: the provider accepts authorization requests only pushed.
    require_par: bool = False
    #: The algorithms the provider accepts for client assertions (may be empty).
    client_auth_algorithms: tuple[str, ...] = ()
    #: OpenID Connect RP-Initiated Logout 1.0: where to send the browser to
    #: log out at the provider.
    end_session_url: str | None = None
    #: OpenID Connect Back-Channel Logout 1.0: the provider sends logout
    #: tokens (``backchannel_logout_supported``), with ``sid``
    #: (``backchannel_logout_session_supported``).
    backchannel_logout: bool = False
    backchannel_logout_session: bool = False
    #: OpenID Connect Front-Channel Logout 1.0, with ``iss`` and ``sid``
    #: (``frontchannel_logout_supported`` and ``..._session_supported``).
    frontchannel_logout_session: bool = False


class Discovery:
    """One provider's endpoints (discovered if need be) and key caches.

    :param config: the provider entry.
    :param transport: how the discovery document and key sets are fetched.
    :param metadata_ttl: seconds endpoints and key sets are kept.
    :param jwks_min_refetch_interval: the fewest seconds between two fetches
        of a key set asked for by a token with an unknown ``kid``.
    """

    def __init__(
        self,
        config: ProviderConfig,
        transport: Transport,
        *,
        metadata_ttl: float,
        jwks_min_refetch_interval: float,
    ) -> None:
        self.config = config
        self.transport = transport
        self._metadata_ttl = metadata_ttl
        self._jwks_min_refetch_interval = jwks_min_refetch_interval
        self._lock = threading.Lock()
        self._endpoints: dict[str, tuple[float, Endpoints]] = {}
        self._key_caches: dict[str, KeyCache] = {}

    @property
    def name(self) -> str:
        """The provider's name in ``OAUTH2LOGIN_PROVIDERS``."""
        return self.config.name

    def endpoints(self, base_url: str) -> Endpoints:
        """The provider's endpoints, with discovery done (and cached) if needed.

        :param base_url: this app's base URL, against which configured paths
            (URLs starting with ``/``) resolve.
        """
        # Absolute endpoints do not depend on how the app was reached: one
        # cache entry, whatever Host header a request brings.
        key = base_url if self.config.relative_urls else ""
        now = time.monotonic()
        cached = self._endpoints.get(key)
        if cached is not None and now - cached[0] < self._metadata_ttl:
            return cached[1]
        # Discovered without a lock: requests that arrive meanwhile discover
        # too (each within its own deadline) rather than wait in line.
        endpoints = self._resolve(base_url)
        with self._lock:
            self._endpoints[key] = (now, endpoints)
        return endpoints

    def _resolve(self, base_url: str) -> Endpoints:
        c = self.config
        metadata: t.Mapping[str, t.Any] = {}
        metadata_url = base_url
        if c.server_metadata_url is not None:
            metadata_url = absolute(c.server_metadata_url, base_url)
            metadata = self._discover(metadata_url)

        def pick(configured: str | None, key: str) -> str | None:
            if configured is not None:  # paths in configuration are on this app
                return absolute(configured, base_url)
            value = metadata.get(key)
            if not isinstance(value, str):
                return None
            url = urljoin(metadata_url, value)  # relative to the discovery document
            if urlsplit(url).scheme not in ("http", "https"):
                raise InvalidProviderResponse(
                    f"The provider's discovery document gives {key} an unusable URL.",
                    provider=c.name,
                )
            return url

        authorize_url = pick(c.authorize_url, "authorization_endpoint")
        token_url = pick(c.token_url, "token_endpoint")
        if not authorize_url or not token_url:
            raise InvalidProviderResponse(
                "The provider's discovery document lacks the authorization or token endpoint.",
                provider=c.name,
            )
        issuer = c.issuer or metadata.get("issuer")
        return Endpoints(
            issuer=absolute(issuer, base_url) if issuer else None,
            authorize_url=authorize_url,
            token_url=token_url,
            userinfo_url=pick(c.userinfo_url, "userinfo_endpoint"),
            jwks_uri=pick(c.jwks_uri, "jwks_uri"),
            revocation_url=pick(c.revocation_url, "revocation_endpoint"),
            id_token_algorithms=self._algorithms(metadata),
            iss_parameter_supported=metadata.get("authorization_response_iss_parameter_supported")
            is True,
            par_url=pick(None, "pushed_authorization_request_endpoint"),
            require_par=metadata.get("require_pushed_authorization_requests") is True,
            client_auth_algorithms=_strings(
                metadata.get("token_endpoint_auth_signing_alg_values_supported")
            ),
            end_session_url=pick(None, "end_session_endpoint"),
            backchannel_logout=metadata.get("backchannel_logout_supported") is True,
            backchannel_logout_session=metadata.get("backchannel_logout_session_supported") is True,
            frontchannel_logout_session=metadata.get("frontchannel_logout_supported") is True
            and metadata.get("frontchannel_logout_session_supported") is True,
        )

    def _algorithms(self, metadata: t.Mapping[str, t.Any]) -> tuple[str, ...]:
        if self.config.id_token_algorithms is not None:
            return self.config.id_token_algorithms
        advertised = metadata.get("id_token_signing_alg_values_supported")
        if not isinstance(advertised, list):
            return ("RS256",)
        # HMAC only when configured explicitly; "none" never.
        allowed = tuple(a for a in advertised if a in ASYMMETRIC_ALGORITHMS)
        return allowed or ("RS256",)

    def _discover(self, url: str) -> t.Mapping[str, t.Any]:
        metadata = self.transport.json_object(
            self.transport.send("GET", url, what="discovery document"), "discovery"
        )
        issuer = metadata.get("issuer")
        expected = self.config.issuer
        if expected is None and url.endswith(_WELL_KNOWN):
            expected = url[: -len(_WELL_KNOWN)]
        if not isinstance(issuer, str) or (expected is not None and issuer != expected):
            raise InvalidProviderResponse(
                f"The discovery document names the issuer {issuer!r}, not {expected!r}; "
                "refusing it (set 'issuer' in the provider entry if this is intended).",
                provider=self.name,
            )
        return metadata

    def keys(self, endpoints: Endpoints) -> KeyCache:
        """The signing-key cache for *endpoints*' ``jwks_uri``."""
        uri = endpoints.jwks_uri
        if uri is None:
            raise InvalidProviderResponse(
                "The provider publishes no jwks_uri, so its ID tokens cannot be checked.",
                provider=self.name,
            )
        with self._lock:
            cache = self._key_caches.get(uri)
            if cache is None:
                cache = KeyCache(
                    lambda: self.transport.json_object(
                        self.transport.send("GET", uri, what="key set"), "key set"
                    ),
                    ttl=self._metadata_ttl,
                    min_refetch_interval=self._jwks_min_refetch_interval,
                    provider=self.name,
                )
                self._key_caches[uri] = cache
            return cache


def absolute(url: str, base_url: str) -> str:
    """*url*, resolved against this app's *base_url* when it is a path."""
    return urljoin(base_url, url) if url.startswith("/") else url


def _strings(value: t.Any) -> tuple[str, ...]:
    """A metadata list of strings as a tuple (empty if it is not one)."""
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))
