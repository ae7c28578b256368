"""The calls this client makes to one provider.

Discovery, the token endpoint (code exchange, refresh, client credentials),
pushed authorization requests (:rfc:`9126`), UserInfo and revocation. The
client authenticates as :mod:`.clientauth` says, and proves possession of
the app's DPoP key (:mod:`.dpop`) when the provider entry asks for it.

Every call has one deadline for the whole exchange (connect, status line,
headers and body), never follows a redirect, reads at most
:data:`MAX_ANSWER_BYTES` (after decompression, which this module does
itself), and turns network failures and unacceptable answers into
:class:`~flask_oauth2login.errors.ProviderError` subclasses whose messages
name no secret. No lock is held while waiting for a provider.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import os
import socket
import threading
import time
import typing as t
import zlib
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .auth import ApiOrigins, BearerAuth, DPoPAuth, OAuth2Session, TokenSource
from .clientauth import METHODS, JwtSigner
from .config import ProviderConfig
from .dpop import NONCE_HEADER, DPoPKey, NonceCache, asks_for_nonce
from .errors import (
    InvalidProviderResponse,
    InvalidToken,
    ProviderError,
    ProviderUnavailable,
    RefreshError,
)
from .oidc import (
    ASYMMETRIC_ALGORITHMS,
    HMAC_ALGORITHMS,
    KeyCache,
    validate_id_token,
    validate_logout_token,
)

_WELL_KNOWN = "/.well-known/openid-configuration"

#: The largest answer read from a provider, before and after decompression.
MAX_ANSWER_BYTES = 1024 * 1024
#: The longest token lifetime believed (ten years); longer ones count as unknown.
MAX_EXPIRES_IN = 10 * 365 * 24 * 3600
#: Content codings this client undoes (and asks for), and the ``wbits`` of each.
CONTENT_CODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": 0}
#: The most content codings one answer may stack (``gzip, gzip``), as urllib3 allows.
MAX_CONTENT_CODINGS = 5
_CHUNK = 16384
#: Key of :meth:`ProviderClient.exchange_code`'s answer under which the members
#: of the token answer named by the preset's ``token_profile_params`` come;
#: taken out before the token is stored.
TOKEN_PROFILE_KEY = "_profile"


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


class ProviderClient:
    """Talks to one provider for one app. Shared by all requests of the app."""

    def __init__(
        self,
        config: ProviderConfig,
        *,
        timeout: float,
        metadata_ttl: float,
        jwks_min_refetch_interval: float,
        dpop_key: DPoPKey | None = None,
    ) -> None:
        self.config = config
        self.timeout = timeout
        self._metadata_ttl = metadata_ttl
        self._jwks_min_refetch_interval = jwks_min_refetch_interval
        #: A pooled session for calls to the provider; keeps connections alive.
        self.http = requests.Session()
        # Proxies (with NO_PROXY) and the CA bundle come from the environment
        # as requests would take them; ~/.netrc credentials never do.
        self.http.trust_env = False
        self.http.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        self.http.headers["Accept"] = "application/json"
        # Only the codings decoded here, under the size cap (not brotli or
        # zstd, which requests asks for when their packages are installed).
        self.http.headers["Accept-Encoding"] = "gzip, deflate"
        self.http.mount("https://", _DeadlineAdapter())
        self.http.mount("http://", _DeadlineAdapter())
        if config.user_agent is not None:
            self.http.headers["User-Agent"] = config.user_agent
        #: The pool shared by the sessions ``oauth.session()`` hands out.
        self.api_adapter = HTTPAdapter(pool_maxsize=32)
        self._lock = threading.Lock()
        self._endpoints: dict[str, tuple[float, Endpoints]] = {}
        self._key_caches: dict[str, KeyCache] = {}
        builder = config.preset.client_secret_builder
        #: Gives the client secret to send: the configured one, or one built
        #: at run time by the preset (Apple's signed JWT).
        self.client_secret: t.Callable[[], str | None] = (
            builder(config.client_id, config.options)
            if builder is not None
            else lambda: config.client_secret
        )
        signer = None
        if config.client_private_key is not None:
            signer = JwtSigner(config.client_private_key, key_id=config.client_key_id)
        #: How the client authenticates (``token_endpoint_auth_method``).
        self.client_auth = METHODS[config.token_endpoint_auth_method](
            config.client_id, secret=self.client_secret, signer=signer
        )
        #: The app's DPoP key, when this provider's tokens are bound to it.
        self.dpop: DPoPKey | None = dpop_key if config.dpop else None
        #: The provider's DPoP nonces, by origin.
        self.dpop_nonces = NonceCache()

    @property
    def name(self) -> str:
        """The provider's name in ``OAUTH2LOGIN_PROVIDERS``."""
        return self.config.name

    # -- endpoints ---------------------------------------------------------

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
            metadata_url = _absolute(c.server_metadata_url, base_url)
            metadata = self._discover(metadata_url)

        def pick(configured: str | None, key: str) -> str | None:
            if configured is not None:  # paths in configuration are on this app
                return _absolute(configured, base_url)
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
            issuer=_absolute(issuer, base_url) if issuer else None,
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
        metadata = self._json(self._send("GET", url, what="discovery document"), "discovery")
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
                    lambda: self._json(self._send("GET", uri, what="key set"), "key set"),
                    ttl=self._metadata_ttl,
                    min_refetch_interval=self._jwks_min_refetch_interval,
                    provider=self.name,
                )
                self._key_caches[uri] = cache
            return cache

    # -- token endpoint ----------------------------------------------------

    def exchange_code(
        self, endpoints: Endpoints, *, code: str, redirect_uri: str, code_verifier: str
    ) -> dict[str, t.Any]:
        """Exchange an authorization code for a token (checked, not yet stored).

        The members of the answer that the preset's ``token_profile_params``
        name come under :data:`TOKEN_PROFILE_KEY`.
        """
        token = self._token_request(
            endpoints,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            },
            what="the authorization code",
            profile_params=self.config.preset.token_profile_params,
        )
        if self.config.is_oidc and not token.get("id_token"):
            raise InvalidProviderResponse(
                "The provider sent no ID token although 'openid' was asked for.",
                provider=self.name,
            )
        return token

    def refresh(self, endpoints: Endpoints, refresh_token: str) -> dict[str, t.Any]:
        """Use a refresh token; the answer keeps the old refresh token if it has none."""
        try:
            token = self._token_request(
                endpoints,
                {"grant_type": "refresh_token", "refresh_token": refresh_token},
                what="the refresh token",
            )
        except InvalidProviderResponse as exc:
            if getattr(exc, "oauth_error", None) in ("invalid_grant", "unauthorized_client"):
                raise RefreshError(str(exc), provider=self.name, response=exc.response) from None
            raise
        token.setdefault("refresh_token", refresh_token)
        return token

    def client_credentials(self, endpoints: Endpoints, scope: t.Sequence[str] = ()) -> dict:
        """Fetch an app-level token with the client credentials grant."""
        data = {"grant_type": "client_credentials"}
        if scope:
            data["scope"] = " ".join(scope)
        return self._token_request(endpoints, data, what="the client credentials")

    def _token_request(
        self,
        endpoints: Endpoints,
        data: dict[str, str],
        *,
        what: str,
        profile_params: t.Sequence[str] = (),
    ) -> dict[str, t.Any]:
        response = self._post(
            endpoints,
            endpoints.token_url,
            data,
            what="token endpoint",
            headers=self.config.preset.token_request_headers,
            dpop=True,
        )
        if response.status_code != 200:
            raise self._oauth_error(response, what)
        token = self._json(response, "token")
        if "error" in token:  # some providers answer errors with 200
            raise self._oauth_error(response, what)
        kept = check_token_response(token, provider=self.name, dpop=self.dpop is not None)
        profile = {key: token[key] for key in profile_params if token.get(key) is not None}
        if profile:
            kept[TOKEN_PROFILE_KEY] = profile
        return kept

    def _post(
        self,
        endpoints: Endpoints,
        url: str,
        data: t.Mapping[str, str],
        *,
        what: str,
        headers: t.Mapping[str, str] | None = None,
        dpop: bool = False,
    ) -> requests.Response:
        """POST *data* to one of the provider's endpoints as this client
        (authenticated, and with a DPoP proof if *dpop* and the provider
        entry say so). A ``use_dpop_nonce`` answer gets the request once more,
        with the nonce, a new proof and a new client assertion."""
        for attempt in range(2):
            form = dict(data)
            sent_headers = dict(headers or {})
            nonce = None
            if dpop and self.dpop is not None:
                nonce = self.dpop_nonces.get(url)
                sent_headers["DPoP"] = self.dpop.proof("POST", url, nonce=nonce)
            auth = self._client_auth(form, endpoints, url)
            response = self._send(
                "POST", url, what=what, data=form, auth=auth, headers=sent_headers
            )
            if not (dpop and self.dpop is not None):
                break
            self.dpop_nonces.update(url, response)
            if attempt or not _new_nonce_asked(response, nonce):
                break
        return response

    def _oauth_error(self, response: requests.Response, what: str) -> InvalidProviderResponse:
        body = parse_json(response)
        code = body.get("error") if isinstance(body, dict) else None
        if isinstance(code, str) and code.isascii() and len(code) < 64:
            description = body.get("error_description") if isinstance(body, dict) else None
            detail = f" ({description})" if isinstance(description, str) and description else ""
            message = f"The provider refused {what}: {code}{detail}."
        else:
            code = None
            message = f"The provider's token endpoint answered HTTP {response.status_code}."
        error = InvalidProviderResponse(message[:500], provider=self.name, response=response)
        error.oauth_error = code  # type: ignore[attr-defined]
        return error

    def _client_auth(
        self, data: dict[str, str], endpoints: Endpoints, url: str
    ) -> tuple[str, str] | None:
        """Authenticate the client as configured for a request to *url*:
        Basic credentials to send, or credentials added to the form *data*."""
        audience = url
        if self.config.client_assertion_audience == "issuer" and endpoints.issuer:
            audience = endpoints.issuer
        return self.client_auth.apply(
            data, audience=audience, algorithms=endpoints.client_auth_algorithms
        )

    # -- pushed authorization requests -------------------------------------

    def uses_par(self, endpoints: Endpoints) -> bool:
        """Whether this login pushes its authorization request (RFC 9126):
        always with ``pushed_authorization_requests: True``, never with
        ``False``, and with ``"auto"`` when the provider requires it.

        :raises InvalidProviderResponse: if PAR is needed but the provider
            names no endpoint for it.
        """
        wanted = self.config.pushed_authorization_requests
        if wanted is False or (wanted == "auto" and not endpoints.require_par):
            return False
        if endpoints.par_url is None:
            raise InvalidProviderResponse(
                "The provider's discovery document names no "
                "pushed_authorization_request_endpoint, so the login cannot be pushed "
                "(set 'pushed_authorization_requests' to False if the provider does not "
                "need it).",
                provider=self.name,
            )
        return True

    def push_authorization_request(self, endpoints: Endpoints, params: t.Mapping[str, str]) -> str:
        """Push an authorization request's *params* (RFC 9126); the
        ``request_uri`` that stands for them at the authorization endpoint."""
        assert endpoints.par_url is not None
        response = self._post(
            endpoints, endpoints.par_url, params, what="pushed authorization request endpoint"
        )
        if response.status_code not in (200, 201):
            raise self._oauth_error(response, "the pushed authorization request")
        body = parse_json(response)
        request_uri = body.get("request_uri") if isinstance(body, dict) else None
        if (
            not isinstance(request_uri, str)
            or not 0 < len(request_uri) <= 2048
            or not all(" " < ch <= "~" for ch in request_uri)
        ):
            raise InvalidProviderResponse(
                "The provider's pushed authorization request answer has no usable request_uri.",
                provider=self.name,
            )
        return request_uri

    # -- other endpoints ---------------------------------------------------

    def userinfo(self, endpoints: Endpoints, access_token: str) -> dict[str, t.Any]:
        """Ask the UserInfo endpoint about the user the token belongs to."""
        assert endpoints.userinfo_url is not None
        return self.get_json(endpoints.userinfo_url, access_token, what="UserInfo endpoint")

    def get_json(self, url: str, access_token: str, *, what: str = "API") -> t.Any:
        """GET a JSON document from the provider's API with *access_token*
        (for presets that need more than UserInfo, e.g. GitHub's e-mails).

        A DPoP-bound token goes with a proof (and the server's nonce, asked
        for once if need be), never as a Bearer token.
        """
        params = None
        for attempt in range(2):
            headers = {"Accept": "application/json", **self.api_headers()}
            nonce = None
            if self.dpop is not None:
                nonce = self.dpop_nonces.get(url)
                headers["Authorization"] = f"DPoP {access_token}"
                headers["DPoP"] = self.dpop.proof(
                    "GET", url, nonce=nonce, access_token=access_token
                )
            elif self.config.token_placement == "query":
                params = {self.config.preset.token_query_param: access_token}
            else:
                headers["Authorization"] = f"Bearer {access_token}"
            response = self._send("GET", url, what=what, headers=headers, params=params)
            if self.dpop is None:
                break
            self.dpop_nonces.update(url, response)
            if attempt or not _new_nonce_asked(response, nonce):
                break
        if response.status_code != 200:
            raise InvalidProviderResponse(
                f"The provider's {what} answered HTTP {response.status_code}.",
                provider=self.name,
                response=response,
            )
        body = parse_json(response)
        if body is None:
            raise InvalidProviderResponse(
                f"The provider's {what} answer is not JSON.", provider=self.name
            )
        return body

    def fetch_profile(
        self, endpoints: Endpoints, access_token: str, raw: t.Mapping[str, t.Any]
    ) -> dict[str, t.Any]:
        """Run the preset's ``fetch_profile`` hook, if it has one: more claims
        about the user, fetched with *access_token*."""
        fetch = self.config.preset.fetch_profile
        if fetch is None:
            return {}

        def get_json(url: str, *, what: str = "API") -> t.Any:
            return self.get_json(url, access_token, what=what)

        return fetch(get_json, raw, endpoints.userinfo_url)

    def revoke(self, endpoints: Endpoints, token: str, hint: str) -> bool:
        """Revoke *token* (RFC 7009). Best effort: returns whether it worked."""
        if endpoints.revocation_url is None:
            return False
        data = {"token": token, "token_type_hint": hint}
        try:
            response = self._post(
                endpoints, endpoints.revocation_url, data, what="revocation endpoint"
            )
        except ProviderError:
            return False
        return response.status_code == 200

    def check_id_token(
        self, endpoints: Endpoints, id_token: str, *, leeway: float, **checks: t.Any
    ) -> dict[str, t.Any]:
        """Validate an ID token of this provider; see :func:`.oidc.validate_id_token`."""
        return validate_id_token(id_token, **self._token_checks(endpoints, leeway), **checks)

    def check_logout_token(
        self, endpoints: Endpoints, logout_token: str, *, leeway: float
    ) -> dict[str, t.Any]:
        """Validate a logout token of this provider, with the rules of its ID
        tokens; see :func:`.oidc.validate_logout_token`."""
        return validate_logout_token(logout_token, **self._token_checks(endpoints, leeway))

    def _token_checks(self, endpoints: Endpoints, leeway: float) -> dict[str, t.Any]:
        """What the tokens this provider signs are checked against."""
        if endpoints.issuer is None:
            raise InvalidToken(
                "No issuer is known to check the provider's tokens against.", provider=self.name
            )
        needs_keys = any(a not in HMAC_ALGORITHMS for a in endpoints.id_token_algorithms)
        return {
            "client_id": self.config.client_id,
            "trusted_audiences": self.config.trusted_audiences,
            "client_secret": self.config.client_secret,
            "provider": self.name,
            "issuer": endpoints.issuer,
            "algorithms": endpoints.id_token_algorithms,
            "keys": self.keys(endpoints) if needs_keys else None,
            "leeway": leeway,
            "issuer_matches": getattr(self.config.preset, "issuer_matches", None),
        }

    def api_session(self, source: TokenSource, base_url: str = "") -> OAuth2Session:
        """A session calling this provider's API with the tokens *source* gives.

        :param base_url: this app's base URL, against which paths on this app
            in the configuration resolve.
        """
        config = self.config
        auth: BearerAuth
        if self.dpop is not None:
            auth = DPoPAuth(
                source,
                key=self.dpop,
                nonces=self.dpop_nonces,
                origins=self.api_origins(base_url),
                provider=config.name,
            )
        else:
            auth = BearerAuth(
                source,
                placement=config.token_placement,
                query_param=config.preset.token_query_param,
                origins=self.api_origins(base_url),
                provider=config.name,
            )
        return OAuth2Session(
            config.name,
            auth,
            base_url=_absolute(config.api_base_url, base_url) if config.api_base_url else None,
            headers=self.api_headers(),
            adapter=self.api_adapter,
        )

    def api_origins(self, base_url: str = "") -> ApiOrigins:
        """The origins ``oauth.session()`` may send this provider's tokens to.

        The origin of ``api_base_url`` and the ``api_origins`` of the
        provider entry (or preset). A provider with neither, such as a
        generic OpenID Connect provider, has its API next to its own
        endpoints: the origins of its issuer, discovery document and
        UserInfo endpoint (discovered if need be).
        """
        c = self.config
        explicit = list(c.api_origins)
        if c.api_base_url:
            explicit.append(_absolute(c.api_base_url, base_url))
        if explicit:
            return ApiOrigins(explicit)
        own = (c.issuer, c.server_metadata_url, c.userinfo_url)

        def discovered() -> list[str]:
            endpoints = self.endpoints(base_url)
            return [url for url in (endpoints.userinfo_url, endpoints.issuer) if url]

        return ApiOrigins((_absolute(url, base_url) for url in own if url), discovered)

    def registration_jwk(self) -> dict[str, str] | None:
        """The public key to register for ``private_key_jwt`` (with ``kid``,
        ``use`` and ``alg``); ``None`` for other methods."""
        signer = self.client_auth.signer
        return signer.registration_jwk() if signer is not None else None

    def api_headers(self) -> dict[str, str]:
        """Headers the provider wants on API calls, e.g. Twitch's ``Client-Id``."""
        headers = {
            k: v.format(client_id=self.config.client_id) for k, v in self.config.api_headers.items()
        }
        if self.config.user_agent is not None:
            headers.setdefault("User-Agent", self.config.user_agent)
        return headers

    # -- plumbing ----------------------------------------------------------

    def _send(self, method: str, url: str, *, what: str, **kwargs: t.Any) -> requests.Response:
        """Send a request; the whole answer must arrive within the timeout.

        ``timeout`` alone bounds each socket operation, so a provider sending
        its headers or body a byte at a time could hold a worker for ever;
        here one deadline covers connect, status line, headers and body (see
        :class:`_Exchange`), and the body is refused past
        :data:`MAX_ANSWER_BYTES`, before and after decompression.
        """
        exchange = _Exchange(time.monotonic() + self.timeout)
        try:
            with _deadline(exchange):
                response = self.http.request(
                    method,
                    url,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                    proxies=requests.utils.get_environ_proxies(url),
                    **kwargs,
                )
                try:
                    response._content = _read_body(response, exchange.deadline, what, self.name)
                    response._content_consumed = True  # the connection may be reused
                finally:
                    response.close()
            if exchange.expired:  # the answer may have been cut short
                raise requests.Timeout()
        except (requests.RequestException, InvalidProviderResponse) as exc:
            if isinstance(exc, requests.Timeout) or exchange.expired:
                raise ProviderUnavailable(
                    f"The provider's {what} did not answer within {self.timeout:g} seconds.",
                    provider=self.name,
                ) from None
            if isinstance(exc, InvalidProviderResponse):
                raise
            raise ProviderUnavailable(
                f"The provider's {what} could not be reached ({type(exc).__name__}).",
                provider=self.name,
            ) from None
        # What went out (credentials, code, verifier) stays out of exceptions.
        response.request = None  # type: ignore[assignment]
        if response.is_redirect or 300 <= response.status_code < 400:
            raise InvalidProviderResponse(
                f"The provider's {what} answered with a redirect; this client follows none.",
                provider=self.name,
            )
        if response.status_code >= 500:
            raise ProviderUnavailable(
                f"The provider's {what} failed (HTTP {response.status_code}).",
                provider=self.name,
                response=response,
            )
        return response

    def _json(self, response: requests.Response, what: str) -> dict[str, t.Any]:
        if response.status_code != 200:
            raise InvalidProviderResponse(
                f"The provider's {what} answer was HTTP {response.status_code}.",
                provider=self.name,
                response=response,
            )
        body = parse_json(response)
        if not isinstance(body, dict):
            raise InvalidProviderResponse(
                f"The provider's {what} answer is not a JSON object.", provider=self.name
            )
        return body


def check_token_response(
    token: t.Mapping[str, t.Any], *, provider: str, dpop: bool = False
) -> dict[str, t.Any]:
    """Check a token endpoint answer and return the token to keep.

    Refuses answers without ``access_token``, and with a ``token_type``
    (compared case-insensitively) other than Bearer, or, when *dpop* (a DPoP
    proof was sent), other than DPoP: a Bearer token where a bound one was
    asked for could be used by anyone who got hold of it. ``expires_in``
    becomes an absolute ``expires_at``.
    """
    access_token = token.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise InvalidProviderResponse(
            "The provider's token answer has no access_token.", provider=provider
        )
    if not all(" " <= ch <= "~" for ch in access_token):  # RFC 6749 A.12: VSCHAR
        raise InvalidProviderResponse(
            "The provider's access_token has characters a token may not have.", provider=provider
        )
    token_type = token.get("token_type")
    expected = "DPoP" if dpop else "Bearer"
    if not isinstance(token_type, str) or token_type.lower() != expected.lower():
        shown = token_type if isinstance(token_type, str) and len(token_type) < 32 else "(none)"
        if dpop:
            message = (
                f"The provider issued a {shown!r} token although a DPoP-bound one was asked "
                "for; refusing it (does the provider support DPoP for this client?)."
            )
        elif isinstance(token_type, str) and token_type.lower() == "dpop":
            message = (
                "The provider issued a DPoP-bound token; set 'dpop': True in the provider "
                "entry to use it."
            )
        else:
            message = f"The provider issued a {shown!r} token; only Bearer tokens are supported."
        raise InvalidProviderResponse(message, provider=provider)
    kept: dict[str, t.Any] = {"access_token": access_token, "token_type": expected}
    for key in ("refresh_token", "id_token", "scope"):
        if isinstance(token.get(key), str) and token[key]:
            kept[key] = token[key]
    kept["expires_at"] = _expires_at(token.get("expires_in"))
    return kept


def _new_nonce_asked(response: requests.Response, sent: str | None) -> bool:
    """Whether *response* asks for a DPoP nonce other than the one *sent*."""
    return asks_for_nonce(response) and response.headers.get(NONCE_HEADER, "").strip() != sent


def _strings(value: t.Any) -> tuple[str, ...]:
    """A metadata list of strings as a tuple (empty if it is not one)."""
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def _read_body(response: requests.Response, deadline: float, what: str, provider: str) -> bytes:
    """Read a streamed answer and undo its content codings, giving up at
    *deadline* or past the size cap.

    The raw bytes are read as they are (``decode_content=False``) and
    decompressed here, under the cap, whatever urllib3 would do. ``read1``
    returns whatever has arrived, so a provider that trickles its answer is
    noticed between two of its bytes, not after the last one.
    """
    decoder = _Decoder(response.headers.get("Content-Encoding", ""), what, provider)
    raw = response.raw
    read = getattr(raw, "read1", raw.read)
    received = 0
    body = bytearray()
    try:
        while chunk := read(_CHUNK, decode_content=False):
            received += len(chunk)
            if received > MAX_ANSWER_BYTES:
                raise decoder.too_large()
            body += decoder.feed(chunk)
            if time.monotonic() > deadline:
                raise requests.Timeout()
        body += decoder.flush()
    except (requests.RequestException, InvalidProviderResponse):
        raise
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise requests.ConnectionError(type(exc).__name__) from None
    return bytes(body)


class _Decoder:
    """Undoes an answer's ``Content-Encoding``, one chunk at a time, never
    producing more than :data:`MAX_ANSWER_BYTES` (plus one byte) at any
    layer: a compression bomb is refused after about a megabyte of work."""

    def __init__(self, header: str, what: str, provider: str) -> None:
        self.what = what
        self.provider = provider
        codings = [c.strip().lower() for c in header.split(",")]
        codings = [c for c in codings if c and c != "identity"]
        unknown = [c for c in codings if c not in CONTENT_CODINGS]
        if unknown or len(codings) > MAX_CONTENT_CODINGS:
            shown = repr(unknown[0][:32]) if unknown else f"{len(codings)} stacked codings"
            raise InvalidProviderResponse(
                f"The provider's {what} answer uses a content coding this client does not "
                f"decode ({shown}).",
                provider=provider,
            )
        # Codings are listed in the order applied: undo the last one first.
        self._layers = [_Layer(CONTENT_CODINGS[c]) for c in reversed(codings)]

    def feed(self, data: bytes) -> bytes:
        """Decode the next *data*; the bytes of the answer it gives."""
        for layer in self._layers:
            data = self._run(layer.feed, data)
        return data

    def flush(self) -> bytes:
        """The answer's last bytes, once all was fed."""
        data = b""
        for layer in self._layers:
            data = self._run(layer.feed, data) + self._run(layer.flush)
        return data

    def _run(self, step: t.Callable[..., bytes], *args: bytes) -> bytes:
        try:
            return step(*args)
        except _TooLarge:
            raise self.too_large() from None
        except zlib.error:
            raise InvalidProviderResponse(
                f"The provider's {self.what} answer is not correctly compressed.",
                provider=self.provider,
            ) from None

    def too_large(self) -> InvalidProviderResponse:
        """The error refusing an answer past the cap."""
        return InvalidProviderResponse(
            f"The provider's {self.what} answer is too large.", provider=self.provider
        )


class _TooLarge(Exception):
    """A layer of content coding decoded to more than the cap."""


class _Layer:
    """One content coding, undone incrementally with a cap on its output.

    ``deflate`` is tried as zlib data first, then as raw deflate (as some
    servers send it); gzip answers may have several members.
    """

    def __init__(self, wbits: int) -> None:
        self._wbits = wbits or zlib.MAX_WBITS
        self._raw_fallback = wbits == 0
        self._head: bytes | None = b"" if self._raw_fallback else None
        self._decompress = zlib.decompressobj(self._wbits)
        self._produced = 0

    def feed(self, data: bytes) -> bytes:
        if self._head is not None:  # deflate, nothing decoded yet: keep the input
            self._head += data
        try:
            return self._feed(data)
        except zlib.error:
            if self._head is None or self._produced:
                raise
            head, self._head = self._head, None
            self._decompress = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._feed(head)

    def _feed(self, data: bytes) -> bytes:
        out = bytearray()
        while data:
            if self._decompress.eof:  # another gzip member, or trailing bytes
                if self._wbits <= zlib.MAX_WBITS:
                    break  # deflate: what follows the stream is ignored
                self._decompress = zlib.decompressobj(self._wbits)
            room = MAX_ANSWER_BYTES + 1 - self._produced
            piece = self._decompress.decompress(data, min(room, _CHUNK))
            self._produced += len(piece)
            if self._produced > MAX_ANSWER_BYTES:
                raise _TooLarge()
            out += piece
            data = self._decompress.unused_data or self._decompress.unconsumed_tail
        if out:
            self._head = None
        return bytes(out)

    def flush(self) -> bytes:
        rest = self._decompress.flush()
        self._produced += len(rest)
        if self._produced > MAX_ANSWER_BYTES:
            raise _TooLarge()
        return rest


def parse_json(response: requests.Response) -> t.Any:
    """The JSON body of *response*, or ``None`` when it is not JSON (or is
    nested too deeply to parse)."""
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


def _expires_at(expires_in: t.Any) -> int | None:
    """``expires_in`` seconds from now as a timestamp; ``None`` when the
    provider did not say, or said something that is not a sane duration."""
    if isinstance(expires_in, bool):
        return None
    try:
        seconds = float(expires_in)
    except (TypeError, ValueError):
        return None
    if not 0 <= seconds <= MAX_EXPIRES_IN:
        return None
    return int(time.time() + seconds)


def _absolute(url: str, base_url: str) -> str:
    return urljoin(base_url, url) if url.startswith("/") else url


# -- one deadline per exchange ---------------------------------------------


class _Exchange:
    """One call to a provider and its deadline.

    The sockets it uses are watched (through a duplicate of their file
    descriptor, so a socket closed and reused meanwhile is never touched);
    when the deadline passes, :class:`_Watchdog` shuts them down, and
    whatever read was waiting for the provider returns at once.
    """

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        #: The deadline passed before the exchange ended.
        self.expired = False
        #: The exchange ended; nothing of it is watched any more.
        self.finished = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def watch(self, sock: socket.socket) -> None:
        """Shut *sock* down when the deadline passes (at once if it has)."""
        try:
            watched = socket.fromfd(sock.fileno(), sock.family, sock.type, sock.proto)
        except (OSError, ValueError):
            return  # already closed: nothing to wait for
        with self._lock:
            if not self.finished and not self.expired:
                self._sockets.append(watched)
                return
            if self.expired:
                _shut_down(watched)
        watched.close()

    def expire(self) -> None:
        """The deadline has passed: end the exchange's reads."""
        with self._lock:
            if self.finished:
                return
            self.expired = True
            for sock in self._sockets:
                _shut_down(sock)

    def finish(self) -> None:
        """The exchange is over: stop watching its sockets."""
        with self._lock:
            self.finished = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            sock.close()


def _shut_down(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _Watchdog:
    """One thread for the whole process that expires exchanges past their
    deadline, in deadline order. Started on first use (again in a forked
    child)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._queue: list[tuple[float, int, _Exchange]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, exchange: _Exchange) -> None:
        """Expire *exchange* at its deadline, unless it finishes first."""
        with self._condition:
            entry = (exchange.deadline, next(self._order), exchange)
            heapq.heappush(self._queue, entry)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="oauth2login-deadlines", daemon=True
                )
                self._thread.start()
            elif self._queue[0] is entry:
                self._condition.notify()

    def _run(self) -> None:
        while True:
            with self._condition:
                while True:
                    while self._queue and self._queue[0][2].finished:
                        heapq.heappop(self._queue)
                    if not self._queue:
                        self._condition.wait()
                        continue
                    delay = self._queue[0][0] - time.monotonic()
                    if delay <= 0:
                        exchange = heapq.heappop(self._queue)[2]
                        break
                    self._condition.wait(delay)
            exchange.expire()

    def after_fork(self) -> None:
        """In a forked child: the parent's thread and waiters are gone."""
        self.__init__()  # type: ignore[misc]


_WATCHDOG = _Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG.after_fork)
_CURRENT: contextvars.ContextVar[_Exchange | None] = contextvars.ContextVar(
    "oauth2login_exchange", default=None
)


@contextmanager
def _deadline(exchange: _Exchange) -> t.Iterator[None]:
    """Run a request as *exchange*: the sockets its connections use are
    watched until it ends."""
    _WATCHDOG.watch(exchange)
    token = _CURRENT.set(exchange)
    try:
        yield
    finally:
        _CURRENT.reset(token)
        exchange.finish()


def _watch(sock: socket.socket | None) -> None:
    exchange = _CURRENT.get()
    if exchange is not None and sock is not None:
        exchange.watch(sock)


class _Watched:
    """A connection whose sockets the current exchange watches: a new one
    as soon as it is connected (before TLS and any proxy tunnel), a pooled
    one when it is reused."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        _watch(sock)
        return sock

    def request(self, *args: t.Any, **kwargs: t.Any) -> None:
        _watch(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedConnection(_Watched, HTTPConnection):  # type: ignore[misc]
    """An HTTP connection watched by the current exchange."""


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):  # type: ignore[misc]
    """An HTTPS connection watched by the current exchange."""


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections (direct or through an HTTP proxy) are
    watched by the current exchange."""

    _pools: t.ClassVar[dict[str, type[HTTPConnectionPool]]] = {
        "http": _WatchedPool,
        "https": _WatchedHTTPSPool,
    }

    def init_poolmanager(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools

    def proxy_manager_for(self, proxy: str, **kwargs: t.Any) -> t.Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if type(manager) is urllib3.ProxyManager:  # SOCKS keeps its own connections
            manager.pool_classes_by_scheme = self._pools
        return manager
