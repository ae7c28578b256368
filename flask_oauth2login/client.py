"""The calls this client makes to one provider.

Discovery, the token endpoint (code exchange, refresh, client credentials),
UserInfo and revocation. Every call has a timeout, never follows a redirect,
and turns network failures and unacceptable answers into
:class:`~flask_oauth2login.errors.ProviderError` subclasses whose messages
name no secret.
"""

from __future__ import annotations

import os
import threading
import time
import typing as t
from dataclasses import dataclass
from urllib.parse import quote_plus, urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from .auth import BearerAuth, OAuth2Session, TokenSource
from .config import ProviderConfig
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

#: The largest answer read from a provider.
MAX_ANSWER_BYTES = 1024 * 1024
#: The longest token lifetime believed (ten years); longer ones count as unknown.
MAX_EXPIRES_IN = 10 * 365 * 24 * 3600


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
        """Exchange an authorization code for a token (checked, not yet stored)."""
        token = self._token_request(
            endpoints,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": code_verifier,
            },
            what="the authorization code",
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
        self, endpoints: Endpoints, data: dict[str, str], *, what: str
    ) -> dict[str, t.Any]:
        response = self._send(
            "POST",
            endpoints.token_url,
            what="token endpoint",
            data=data,
            auth=self._client_auth(data),
            headers=dict(self.config.preset.token_request_headers),
        )
        if response.status_code != 200:
            raise self._oauth_error(response, what)
        token = self._json(response, "token")
        if "error" in token:  # some providers answer errors with 200
            raise self._oauth_error(response, what)
        return check_token_response(token, provider=self.name)

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

    def _client_auth(self, data: dict[str, str]) -> tuple[str, str] | None:
        """Authenticate the client as configured: Basic credentials to send,
        or credentials added to the form *data*."""
        c = self.config
        if c.token_endpoint_auth_method == "client_secret_basic":
            # RFC 6749 §2.3.1: form-urlencode both before Basic's base64.
            return quote_plus(c.client_id), quote_plus(self.client_secret() or "")
        data["client_id"] = c.client_id
        if c.token_endpoint_auth_method == "client_secret_post":
            data["client_secret"] = self.client_secret() or ""
        return None

    # -- other endpoints ---------------------------------------------------

    def userinfo(self, endpoints: Endpoints, access_token: str) -> dict[str, t.Any]:
        """Ask the UserInfo endpoint about the user the token belongs to."""
        assert endpoints.userinfo_url is not None
        return self.get_json(endpoints.userinfo_url, access_token, what="UserInfo endpoint")

    def get_json(self, url: str, access_token: str, *, what: str = "API") -> t.Any:
        """GET a JSON document from the provider's API with *access_token*
        (for presets that need more than UserInfo, e.g. GitHub's e-mails)."""
        headers = {"Accept": "application/json", **self.api_headers()}
        params = None
        if self.config.token_placement == "query":
            params = {self.config.preset.token_query_param: access_token}
        else:
            headers["Authorization"] = f"Bearer {access_token}"
        response = self._send("GET", url, what=what, headers=headers, params=params)
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
            response = self._send(
                "POST",
                endpoints.revocation_url,
                what="revocation endpoint",
                data=data,
                auth=self._client_auth(data),
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

    def api_session(self, source: TokenSource) -> OAuth2Session:
        """A session calling this provider's API with the tokens *source* gives."""
        config = self.config
        auth = BearerAuth(
            source, placement=config.token_placement, query_param=config.preset.token_query_param
        )
        return OAuth2Session(
            config.name,
            auth,
            base_url=config.api_base_url,
            headers=self.api_headers(),
            adapter=self.api_adapter,
        )

    def api_headers(self) -> dict[str, str]:
        """Headers the provider wants on API calls, e.g. Twitch's ``Client-Id``."""
        return {
            k: v.format(client_id=self.config.client_id) for k, v in self.config.api_headers.items()
        }

    # -- plumbing ----------------------------------------------------------

    def _send(self, method: str, url: str, *, what: str, **kwargs: t.Any) -> requests.Response:
        """Send a request; the whole answer must arrive within the timeout.

        ``timeout`` alone bounds each socket read, so a provider trickling its
        answer could hold a worker for ever; the body is read here against a
        deadline, and refused past :data:`MAX_ANSWER_BYTES`.
        """
        deadline = time.monotonic() + self.timeout
        try:
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
                response._content = _read_body(response, deadline, what, self.name)
            finally:
                response.close()
        except requests.Timeout:
            raise ProviderUnavailable(
                f"The provider's {what} did not answer within {self.timeout:g} seconds.",
                provider=self.name,
            ) from None
        except requests.RequestException as exc:
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


def check_token_response(token: t.Mapping[str, t.Any], *, provider: str) -> dict[str, t.Any]:
    """Check a token endpoint answer and return the token to keep.

    Refuses answers without ``access_token`` or with a ``token_type`` other
    than Bearer (compared case-insensitively); ``expires_in`` becomes an
    absolute ``expires_at``.
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
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        shown = token_type if isinstance(token_type, str) and len(token_type) < 32 else "(none)"
        raise InvalidProviderResponse(
            f"The provider issued a {shown!r} token; only Bearer tokens are supported.",
            provider=provider,
        )
    kept: dict[str, t.Any] = {"access_token": access_token, "token_type": "Bearer"}
    for key in ("refresh_token", "id_token", "scope"):
        if isinstance(token.get(key), str) and token[key]:
            kept[key] = token[key]
    kept["expires_at"] = _expires_at(token.get("expires_in"))
    return kept


def _read_body(response: requests.Response, deadline: float, what: str, provider: str) -> bytes:
    """Read a streamed answer, giving up at *deadline* or past the size cap.

    ``read1`` returns whatever has arrived, so a provider that trickles its
    answer is noticed between two of its bytes, not after the last one.
    """
    raw = response.raw
    read = getattr(raw, "read1", raw.read)
    body = bytearray()
    try:
        while chunk := read(16384, decode_content=True):
            body += chunk
            if len(body) > MAX_ANSWER_BYTES:
                raise InvalidProviderResponse(
                    f"The provider's {what} answer is too large.", provider=provider
                )
            if time.monotonic() > deadline:
                raise requests.Timeout()
    except (requests.RequestException, InvalidProviderResponse):
        raise
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise requests.ConnectionError(type(exc).__name__) from None
    return bytes(body)


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
