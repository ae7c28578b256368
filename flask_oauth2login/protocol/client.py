"""The calls this client makes to one provider, as an OAuth 2.0 client.

The token endpoint (code exchange, refresh and client credentials,
:rfc:`6749`), pushed authorization requests (:rfc:`9126`), UserInfo,
revocation (:rfc:`7009`), ID and logout token checks, and the sessions
that call the provider's API. The client authenticates as
:mod:`~flask_oauth2login.protocol.clientauth` says, and proves possession of the app's DPoP key
(:mod:`~flask_oauth2login.protocol.dpop`) when the provider entry asks for it.

Requests go through :mod:`~flask_oauth2login.protocol.http` (one deadline per exchange, a size cap,
no redirects, errors that name no secret); where the endpoints are and the
keys the provider signs with come from :mod:`~flask_oauth2login.protocol.discovery`. No lock is held
while waiting for a provider.
"""

from __future__ import annotations

import typing as t

import requests
from requests.adapters import HTTPAdapter

from ..config.settings import ProviderConfig
from ..crypto.keys import HMAC_ALGORITHMS, JwtSigner
from ..errors import (
    InvalidProviderResponse,
    InvalidToken,
    ProviderError,
    RefreshError,
)
from .api_session import ApiOrigins, BearerAuth, DPoPAuth, OAuth2Session, TokenSource
from .clientauth import METHODS
from .discovery import Discovery, Endpoints, absolute
from .dpop import NONCE_HEADER, DPoPKey, NonceCache, asks_for_nonce
from .http import MAX_ANSWER_BYTES as MAX_ANSWER_BYTES  # also importable from here
from .http import Transport, parse_json
from .oidc import KeyCache, validate_id_token, validate_logout_token
from .token_answer import MAX_EXPIRES_IN as MAX_EXPIRES_IN  # also importable from here
from .token_answer import check_token_response as check_token_response

#: Key of :meth:`ProviderClient.exchange_code`'s answer under which the members
#: of the token answer named by the preset's ``token_profile_params`` come;
#: taken out before the token is stored.
TOKEN_PROFILE_KEY = "_profile"


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
        #: Sends this client's requests to the provider (:mod:`~flask_oauth2login.protocol.http`).
        self.transport = Transport(config.name, timeout=timeout, user_agent=config.user_agent)
        #: The provider's endpoints and signing keys (:mod:`~flask_oauth2login.protocol.discovery`).
        self.discovery = Discovery(
            config,
            self.transport,
            metadata_ttl=metadata_ttl,
            jwks_min_refetch_interval=jwks_min_refetch_interval,
        )
        #: The pool shared by the sessions ``oauth.session()`` hands out.
        self.api_adapter = HTTPAdapter(pool_maxsize=32)
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

    @property
    def timeout(self) -> float:
        """The seconds one exchange with the provider may take."""
        return self.transport.timeout

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self.transport.timeout = seconds

    @property
    def http(self) -> requests.Session:
        """A pooled session for calls to the provider; keeps connections alive."""
        return self.transport.session

    # -- endpoints ---------------------------------------------------------

    def endpoints(self, base_url: str) -> Endpoints:
        """The provider's endpoints, with discovery done (and cached) if needed.

        :param base_url: this app's base URL, against which configured paths
            (URLs starting with ``/``) resolve.
        """
        return self.discovery.endpoints(base_url)

    def keys(self, endpoints: Endpoints) -> KeyCache:
        """The signing-key cache for *endpoints*' ``jwks_uri``."""
        return self.discovery.keys(endpoints)

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
        token = self.transport.json_object(response, "token")
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
            response = self.transport.send(
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
            response = self.transport.send("GET", url, what=what, headers=headers, params=params)
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
            base_url=absolute(config.api_base_url, base_url) if config.api_base_url else None,
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
            explicit.append(absolute(c.api_base_url, base_url))
        if explicit:
            return ApiOrigins(explicit)
        own = (c.issuer, c.server_metadata_url, c.userinfo_url)

        def discovered() -> list[str]:
            endpoints = self.endpoints(base_url)
            return [url for url in (endpoints.userinfo_url, endpoints.issuer) if url]

        return ApiOrigins((absolute(url, base_url) for url in own if url), discovered)

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


def _new_nonce_asked(response: requests.Response, sent: str | None) -> bool:
    """Whether *response* asks for a DPoP nonce other than the one *sent*."""
    return asks_for_nonce(response) and response.headers.get(NONCE_HEADER, "").strip() != sent
