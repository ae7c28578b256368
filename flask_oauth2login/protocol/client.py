"""This app as an OAuth 2.0 client of one provider: the requests it sends.

Authenticated POSTs to the provider's token endpoint (:rfc:`6749`), its
pushed authorization request endpoint (:rfc:`9126`) and its revocation
endpoint (:rfc:`7009`), and GETs to its API with a user's access token
(UserInfo, a preset's extra profile calls). The client authenticates as
:mod:`~flask_oauth2login.protocol.clientauth` says, and proves possession of
the app's DPoP key (:rfc:`9449`, :mod:`~flask_oauth2login.protocol.dpop`)
when the provider entry asks for it, answering a server's nonce challenge
once. An OAuth error answer becomes an
:class:`~flask_oauth2login.errors.InvalidProviderResponse` that carries its
``error`` code (``oauth_error``).

Requests go through :mod:`~flask_oauth2login.protocol.http` (one deadline per
exchange, a size cap, no redirects, errors that name no secret). The
:class:`~flask_oauth2login.protocol.provider.Provider` says where to send them.
"""

from __future__ import annotations

import typing as t

import requests

from ..config.settings import ProviderConfig
from ..crypto.keys import JwtSigner
from ..errors import N_, InvalidClient, InvalidProviderResponse, ProviderError
from .clientauth import METHODS
from .dpop import DPoPKey, NonceCache, send_with_nonce
from .http import Transport, parse_json, shown_url
from .token_answer import TokenAnswer, check_token_response

if t.TYPE_CHECKING:  # pragma: no cover
    from .discovery import Endpoints


class Client:
    """The app's client at one provider: how it authenticates, the DPoP key
    its tokens are bound to, and the requests it sends.

    :param config: the provider entry.
    :param transport: sends the requests.
    :param dpop_key: the app's DPoP key, used when the entry says ``dpop``.
    """

    def __init__(
        self, config: ProviderConfig, transport: Transport, *, dpop_key: DPoPKey | None = None
    ) -> None:
        self.config = config
        self.transport = transport
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
        #: The provider's DPoP nonces, by origin (shared with the API sessions).
        self.dpop_nonces = NonceCache()

    @property
    def name(self) -> str:
        """The provider's name in ``OAUTH2LOGIN_PROVIDERS``."""
        return self.config.name

    # -- POSTs to the provider's endpoints ----------------------------------

    def token_request(
        self,
        endpoints: Endpoints,
        data: dict[str, str],
        *,
        what: str,
        profile_params: t.Sequence[str] = (),
    ) -> TokenAnswer:
        """POST a grant *data* to the token endpoint; the checked token, and
        beside it the members of the answer *profile_params* name.

        :param what: what the grant is, for error messages ("the refresh token").
        """
        response = self.post(
            endpoints,
            endpoints.token_url,
            data,
            what="token endpoint",
            headers=self.config.preset.token_request_headers,
            dpop=True,
        )
        if response.status_code != 200:
            raise self.oauth_error(response, what)
        answer = self.transport.json_object(response, "token")
        if "error" in answer:  # some providers answer errors with 200
            raise self.oauth_error(response, what)
        token = check_token_response(answer, provider=self.name, dpop=self.dpop is not None)
        profile = {key: answer[key] for key in profile_params if answer.get(key) is not None}
        return TokenAnswer(token, profile)

    def push_authorization_request(self, endpoints: Endpoints, params: t.Mapping[str, str]) -> str:
        """Push an authorization request's *params* (RFC 9126); the
        ``request_uri`` that stands for them at the authorization endpoint."""
        assert endpoints.par_url is not None
        response = self.post(
            endpoints, endpoints.par_url, params, what="pushed authorization request endpoint"
        )
        if response.status_code not in (200, 201):
            raise self.oauth_error(response, "the pushed authorization request")
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

    def revoke(self, endpoints: Endpoints, token: str, hint: str) -> bool:
        """Revoke one *token* of the kind *hint* names (RFC 7009); whether the
        provider confirmed it (never raises)."""
        return self.revocation_problem(endpoints, token, hint) is None

    def revocation_problem(self, endpoints: Endpoints, token: str, hint: str) -> str | None:
        """Revoke one *token* of the kind *hint* names (RFC 7009); ``None``
        when the provider confirmed it, else why not, naming the URL tried
        (never raises, never shows the token)."""
        assert endpoints.revocation_url is not None
        data = {"token": token, "token_type_hint": hint}
        try:
            response = self.post(
                endpoints, endpoints.revocation_url, data, what="revocation endpoint"
            )
        except ProviderError as exc:
            return exc.detail or exc.message
        if response.status_code == 200:
            return None
        body = parse_json(response)
        code = body.get("error") if isinstance(body, dict) else None
        shown = f" ({code})" if isinstance(code, str) and code.isascii() and len(code) < 64 else ""
        return f"POST {shown_url(endpoints.revocation_url)}: HTTP {response.status_code}{shown}."

    def post(
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
        key = self.dpop if dpop else None

        def send(nonce: str | None) -> requests.Response:
            form = dict(data)
            sent_headers = dict(headers or {})
            if key is not None:
                sent_headers["DPoP"] = key.proof("POST", url, nonce=nonce)
            auth = self._client_auth(form, endpoints, url)
            return self.transport.send(
                "POST", url, what=what, data=form, auth=auth, headers=sent_headers
            )

        if key is None:
            return send(None)
        return send_with_nonce(self.dpop_nonces, url, send)

    def oauth_error(self, response: requests.Response, what: str) -> InvalidProviderResponse:
        """The error an endpoint's refusal of *what* stands for, with the
        provider's ``error`` code as ``oauth_error`` (``None`` if unusable)."""
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
        if code == "invalid_client":
            error = InvalidClient(
                N_(
                    "Sorry: this site cannot complete logins with this provider at the moment, "
                    "because of a problem on the site's side. Please try again later."
                ),
                provider=self.name,
                response=response,
                detail=f"{message[:500]} The code was fine: the provider refused this app's "
                f"client credentials. Check client_id and client_secret (or the client's key) "
                f"of OAUTH2LOGIN_PROVIDERS[{self.name!r}] against the provider's registration.",
            )
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

    # -- the provider's API, with a user's token ---------------------------------

    def get_json(self, url: str, access_token: str, *, what: str = "API") -> t.Any:
        """GET a JSON document from the provider's API with *access_token*
        (for presets that need more than UserInfo, e.g. GitHub's e-mails).

        A DPoP-bound token goes with a proof (and the server's nonce, asked
        for once if need be), never as a Bearer token.
        """
        key = self.dpop

        def send(nonce: str | None) -> requests.Response:
            headers = {"Accept": "application/json", **self.api_headers()}
            params = None
            if key is not None:
                headers["Authorization"] = f"DPoP {access_token}"
                headers["DPoP"] = key.proof("GET", url, nonce=nonce, access_token=access_token)
            elif self.config.token_placement == "query":
                params = {self.config.preset.token_query_param: access_token}
            else:
                headers["Authorization"] = f"Bearer {access_token}"
            return self.transport.send("GET", url, what=what, headers=headers, params=params)

        response = send(None) if key is None else send_with_nonce(self.dpop_nonces, url, send)
        return self.transport.json_answer(response, what)

    def api_headers(self) -> dict[str, str]:
        """Headers the provider wants on API calls, e.g. Twitch's ``Client-Id``."""
        headers = {
            k: v.format(client_id=self.config.client_id) for k, v in self.config.api_headers.items()
        }
        if self.config.user_agent is not None:
            headers.setdefault("User-Agent", self.config.user_agent)
        return headers

    def registration_jwk(self) -> dict[str, str] | None:
        """The public key to register for ``private_key_jwt`` (with ``kid``,
        ``use`` and ``alg``); ``None`` for other methods."""
        signer = self.client_auth.signer
        return signer.registration_jwk() if signer is not None else None
