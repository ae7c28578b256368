"""One configured provider at run time: its settings, endpoints and client.

A :class:`Provider` is made once per entry of ``OAUTH2LOGIN_PROVIDERS`` and
shared by every request of the app. It keeps its own endpoints (configured,
or discovered and cached by :mod:`~flask_oauth2login.protocol.discovery`),
so callers ask it for what they need (``provider.exchange_code(code, ...)``)
and never hand it its endpoints back. What it does:

- the authorization request (:rfc:`6749` §4.1.1, pushed when the provider
  wants it, :rfc:`9126`);
- the token endpoint: code exchange, refresh and client credentials, through
  its :class:`~flask_oauth2login.protocol.client.Client`;
- UserInfo and the preset's profile calls; revocation (:rfc:`7009`);
- the checks of its ID and logout tokens (:mod:`~flask_oauth2login.protocol.oidc`);
- the ``requests`` sessions that call its API
  (:mod:`~flask_oauth2login.protocol.api_session`).

Paths in the configuration are on this app: they resolve against the app's
base URL, which the app gives as a callable (this package knows nothing of
Flask). No lock is held while waiting for a provider.
"""

from __future__ import annotations

import copy
import logging
import typing as t
from urllib.parse import urlencode, urlsplit, urlunsplit

from requests.adapters import HTTPAdapter

from ..config.settings import ProviderConfig
from ..crypto.keys import HMAC_ALGORITHMS
from ..errors import InvalidProviderResponse, InvalidToken, OAuth2LoginError, RefreshError
from .api_session import ApiOrigins, BearerAuth, DPoPAuth, OAuth2Session, TokenSource
from .client import Client
from .discovery import Discovery, Endpoints, absolute
from .dpop import DPoPKey
from .http import Transport
from .oidc import TokenRules, validate_id_token, validate_logout_token
from .token_answer import Token, TokenAnswer

log = logging.getLogger(__name__)


class Provider:
    """One provider of one app: its entry, endpoints and client.

    :param config: the provider entry.
    :param base_url: gives this app's public base URL (ending with ``/``),
        against which paths in the configuration resolve.
    :param timeout: the seconds one exchange with the provider may take.
    :param metadata_ttl: seconds discovered endpoints and key sets are kept.
    :param jwks_min_refetch_interval: the fewest seconds between two fetches
        of a key set asked for by a token with an unknown ``kid``.
    :param leeway: seconds of clock skew allowed when checking its tokens.
    :param dpop_key: the app's DPoP key, used when the entry says ``dpop``.
    """

    def __init__(
        self,
        config: ProviderConfig,
        *,
        base_url: t.Callable[[], str],
        timeout: float,
        metadata_ttl: float,
        jwks_min_refetch_interval: float,
        leeway: float,
        dpop_key: DPoPKey | None = None,
    ) -> None:
        self.config = config
        self._base_url = base_url
        #: The endpoints of a :meth:`snapshot`; ``None``: as discovery has them now.
        self._endpoints: Endpoints | None = None
        #: The last :meth:`pinned` copy made.
        self._last_pinned: Provider | None = None
        #: Seconds of clock skew allowed when checking this provider's tokens.
        self.leeway = leeway
        #: Sends the requests to the provider (:mod:`~flask_oauth2login.protocol.http`).
        self.transport = Transport(config.name, timeout=timeout, user_agent=config.user_agent)
        #: The provider's endpoints and signing keys (:mod:`~flask_oauth2login.protocol.discovery`).
        self.discovery = Discovery(
            config,
            self.transport,
            metadata_ttl=metadata_ttl,
            jwks_min_refetch_interval=jwks_min_refetch_interval,
        )
        #: The app as a client of the provider (:mod:`~flask_oauth2login.protocol.client`).
        self.client = Client(config, self.transport, dpop_key=dpop_key)
        #: The pool shared by the sessions ``oauth.session()`` hands out.
        self.api_adapter = HTTPAdapter(pool_maxsize=32)

    def __repr__(self) -> str:
        return f"<Provider {self.name!r}>"

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
    def dpop(self) -> DPoPKey | None:
        """The app's DPoP key, when this provider's tokens are bound to it."""
        return self.client.dpop

    def base_url(self) -> str:
        """This app's public base URL, ending with ``/``."""
        return self._base_url()

    def endpoints(self) -> Endpoints:
        """The provider's endpoints, discovered (and cached) if need be.

        :raises ProviderError: if discovery fails.
        """
        if self._endpoints is not None:
            return self._endpoints
        return self.discovery.endpoints(self.base_url())

    def pinned(self) -> Provider:
        """This provider with this app's base URL as it is now, for what
        outlives the request (and the app context): an API session.

        The last one made is kept for the next request at the same base URL
        (only the last: the base URL can follow a request's ``Host``).
        """
        base_url = self.base_url()
        last = self._last_pinned
        if last is not None and last._base_url() == base_url:
            return last
        pinned = self._at(base_url)
        self._last_pinned = pinned
        return pinned

    def snapshot(self) -> Provider:
        """This provider with the app's base URL and its endpoints as they are
        now: every step of one login then works from one discovery document,
        even when the cached one expires on the way.

        :raises ProviderError: if discovery fails.
        """
        endpoints = self.endpoints()
        snapshot = self._at(self.base_url())
        snapshot._endpoints = endpoints
        return snapshot

    def _at(self, base_url: str) -> Provider:
        """A copy of this provider (sharing its client, transport and caches)
        whose base URL is *base_url*."""
        copied = copy.copy(self)
        copied._base_url = lambda: base_url
        copied._last_pinned = None
        return copied

    # -- the login -------------------------------------------------------------

    def uses_par(self) -> bool:
        """Whether a login pushes its authorization request (RFC 9126):
        always with ``pushed_authorization_requests: True``, never with
        ``False``, and with ``"auto"`` when the provider requires it.

        :raises InvalidProviderResponse: if PAR is needed but the provider
            names no endpoint for it.
        """
        return self._uses_par(self.endpoints())

    def _uses_par(self, endpoints: Endpoints) -> bool:
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

    def authorization_url(self, params: t.Mapping[str, str]) -> str:
        """The URL of the provider's consent page for an authorization
        request of *params*. With a DPoP key, the code is bound to it too
        (RFC 9449 §10); a pushed request (RFC 9126) goes to the provider
        first, and the URL carries only ``client_id`` and ``request_uri``."""
        endpoints = self.endpoints()
        params = dict(params)
        if self.dpop is not None:
            params["dpop_jkt"] = self.dpop.thumbprint
        if self._uses_par(endpoints):
            request_uri = self.client.push_authorization_request(endpoints, params)
            params = {"client_id": self.config.client_id, "request_uri": request_uri}
        parts = urlsplit(endpoints.authorize_url)
        query = urlencode(params)
        return urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))

    def exchange_code(self, code: str, *, verifier: str, redirect_uri: str) -> TokenAnswer:
        """Exchange an authorization code for a token (checked, not yet
        stored), with the PKCE *verifier* and the *redirect_uri* the login
        started with. The answer's members the preset's
        ``token_profile_params`` name come beside the token."""
        answer = self.client.token_request(
            self.endpoints(),
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
            what="the authorization code",
            profile_params=self.config.preset.token_profile_params,
        )
        if self.config.is_oidc and not answer.token.get("id_token"):
            raise InvalidProviderResponse(
                "The provider sent no ID token although 'openid' was asked for.",
                provider=self.name,
            )
        return answer

    def refresh(self, refresh_token: str) -> Token:
        """Use a refresh token; the answer keeps the old refresh token if it has none.

        :raises RefreshError: if the provider refuses the grant.
        """
        try:
            token = self.client.token_request(
                self.endpoints(),
                {"grant_type": "refresh_token", "refresh_token": refresh_token},
                what="the refresh token",
            ).token
        except InvalidProviderResponse as exc:
            if getattr(exc, "oauth_error", None) in ("invalid_grant", "unauthorized_client"):
                raise RefreshError(str(exc), provider=self.name, response=exc.response) from None
            raise
        token.setdefault("refresh_token", refresh_token)
        return token

    def client_credentials(self, scope: t.Sequence[str] = ()) -> Token:
        """Fetch an app-level token with the client credentials grant."""
        data = {"grant_type": "client_credentials"}
        if scope:
            data["scope"] = " ".join(scope)
        answer = self.client.token_request(self.endpoints(), data, what="the client credentials")
        return answer.token

    def userinfo(self, access_token: str) -> t.Any:
        """Ask the UserInfo endpoint about the user the token belongs to."""
        url = self.endpoints().userinfo_url
        assert url is not None
        return self.client.get_json(url, access_token, what="UserInfo endpoint")

    def fetch_profile(self, access_token: str, raw: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
        """Run the preset's ``fetch_profile`` hook, if it has one: more claims
        about the user, fetched with *access_token*."""
        fetch = self.config.preset.fetch_profile
        if fetch is None:
            return {}

        def get_json(url: str, *, what: str = "API") -> t.Any:
            return self.client.get_json(url, access_token, what=what)

        return fetch(get_json, raw, self.endpoints().userinfo_url)

    def revoke_token(self, token: t.Mapping[str, t.Any], problems: list[str] | None = None) -> bool:
        """Revoke *token*'s refresh and access tokens (RFC 7009), best effort:
        whether the provider confirmed (``False`` also when it offers no
        revocation). A provider that is down, or does not confirm, is logged,
        naming the URL tried and why.

        :param problems: where to add why a revocation failed (not when the
            provider offers none).
        """
        found: list[str] = []
        try:
            endpoints = self.endpoints()
        except OAuth2LoginError as exc:
            found.append(exc.detail or exc.message)
            log.warning("Could not revoke the %s token: %s", self.name, found[-1])
        else:
            if endpoints.revocation_url is None:
                return False
            for hint in ("refresh_token", "access_token"):
                if not token.get(hint):
                    continue
                problem = self.client.revocation_problem(endpoints, token[hint], hint)
                if problem is not None:
                    log.warning(
                        "The %s provider did not confirm revocation of a %s: %s",
                        self.name,
                        hint,
                        problem,
                    )
                    found.append(problem)
        if problems is not None:
            problems += found
        return not found

    # -- its tokens --------------------------------------------------------------

    def check_id_token(
        self,
        id_token: str,
        *,
        nonce: str | None = None,
        access_token: str | None = None,
        issued_after: float | None = None,
    ) -> dict[str, t.Any]:
        """Validate an ID token of this provider; its claims.
        See :func:`.oidc.validate_id_token`."""
        return validate_id_token(
            id_token,
            self.token_rules(),
            nonce=nonce,
            access_token=access_token,
            issued_after=issued_after,
        )

    def check_logout_token(self, logout_token: str) -> dict[str, t.Any]:
        """Validate a logout token of this provider, with the rules of its ID
        tokens; its claims. See :func:`.oidc.validate_logout_token`."""
        return validate_logout_token(logout_token, self.token_rules())

    def token_rules(self) -> TokenRules:
        """What the tokens this provider signs are checked against."""
        endpoints = self.endpoints()
        if endpoints.issuer is None:
            raise InvalidToken(
                "No issuer is known to check the provider's tokens against.", provider=self.name
            )
        needs_keys = any(a not in HMAC_ALGORITHMS for a in endpoints.id_token_algorithms)
        return TokenRules(
            client_id=self.config.client_id,
            issuer=endpoints.issuer,
            algorithms=endpoints.id_token_algorithms,
            keys=self.discovery.keys(endpoints) if needs_keys else None,
            leeway=self.leeway,
            trusted_audiences=self.config.trusted_audiences,
            client_secret=self.config.client_secret,
            provider=self.name,
            issuer_matches=getattr(self.config.preset, "issuer_matches", None),
        )

    # -- its API -------------------------------------------------------------------

    def api_session(self, source: TokenSource) -> OAuth2Session:
        """A session calling this provider's API with the tokens *source*
        gives; it may outlive the request (see :meth:`pinned`)."""
        pinned = self.pinned()
        config = self.config
        origins = pinned.api_origins()
        auth: BearerAuth
        if self.dpop is not None:
            auth = DPoPAuth(
                source,
                key=self.dpop,
                nonces=self.client.dpop_nonces,
                origins=origins,
                provider=self.name,
            )
        else:
            auth = BearerAuth(
                source,
                placement=config.token_placement,
                query_param=config.preset.token_query_param,
                origins=origins,
                provider=self.name,
            )
        api_base_url = config.api_base_url
        return OAuth2Session(
            config.name,
            auth,
            base_url=absolute(api_base_url, pinned.base_url()) if api_base_url else None,
            headers=self.client.api_headers(),
            adapter=self.api_adapter,
        )

    def api_origins(self) -> ApiOrigins:
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
            explicit.append(absolute(c.api_base_url, self.base_url()))
        if explicit:
            return ApiOrigins(explicit)
        own = [url for url in (c.issuer, c.server_metadata_url, c.userinfo_url) if url]

        def discovered() -> list[str]:
            endpoints = self.endpoints()
            return [url for url in (endpoints.userinfo_url, endpoints.issuer) if url]

        return ApiOrigins((absolute(url, self.base_url()) for url in own), discovered)

    def registration_jwk(self) -> dict[str, str] | None:
        """The public key to register for ``private_key_jwt`` (with ``kid``,
        ``use`` and ``alg``); ``None`` for other methods."""
        return self.client.registration_jwk()
