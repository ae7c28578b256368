"""Starting a login and completing it: the authorization code flow.

The views call :func:`start` and :func:`complete`; these do the protocol and
leave sessions, responses and signals to the views.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import url_for

from . import flow
from .errors import (
    AuthorizationDenied,
    InvalidCallback,
    InvalidProviderResponse,
    InvalidState,
    InvalidToken,
)
from .state import AppState
from .user import User, normalize

if t.TYPE_CHECKING:  # pragma: no cover
    from .config import ProviderConfig

#: Characters of a provider's ``error`` parameter shown to users at most.
_MAX_ERROR_TEXT = 300

#: The claims of the normalized user that a scope promises (OpenID Connect
#: Core §5.4); with ``fetch_userinfo="auto"``, UserInfo is asked only for
#: these, and only when the ID token lacks one.
_SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "email": ("email", "email_verified"),
    "profile": ("name", "picture"),
}


def redirect_uri(state: AppState, provider: str) -> str:
    """The callback URL registered with the provider."""
    pinned = state.client(provider).config.redirect_uri
    if pinned is not None:
        return pinned
    if state.settings.external_url is not None:
        path = url_for("oauth2login.callback", provider=provider)
        return state.settings.external_url + path
    return url_for("oauth2login.callback", provider=provider, _external=True)


def start(state: AppState, provider: str, next_url: str) -> str:
    """Start a login with *provider*; return the URL of its consent page."""
    client = state.client(provider)
    config = client.config
    endpoints = state.endpoints(provider)
    settings = state.settings
    callback = redirect_uri(state, provider)
    login = flow.new_login(
        provider=provider,
        issuer=endpoints.issuer,
        redirect_uri=callback,
        next_url=next_url,
        oidc=config.is_oidc,
        max_pending=settings.max_pending_logins,
        timeout=settings.login_timeout,
    )
    params: dict[str, str] = {
        **config.authorize_params,
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": callback,
        "state": login["state"],
        "code_challenge": flow.code_challenge(login["verifier"]),
        "code_challenge_method": "S256",
    }
    if config.scope:
        params["scope"] = " ".join(config.scope)
    if login["nonce"] is not None:
        params["nonce"] = login["nonce"]
    if config.preset.response_mode is not None:
        params["response_mode"] = config.preset.response_mode
    return _with_query(endpoints.authorize_url, params)


def complete(
    state: AppState, provider: str, params: t.Mapping[str, str]
) -> tuple[User, dict[str, t.Any], str]:
    """Check the provider's answer and exchange its code.

    Returns the user, the token to store and where to go next. Nothing is
    stored here; every check has passed when this returns.

    :raises LoginError: if anything is wrong.
    """
    settings = state.settings
    # An error answer too must belong to a login started here: else anyone
    # could show (and log) a message of their own on this site.
    login = flow.take_login(params.get("state"), provider=provider, timeout=settings.login_timeout)
    if "error" in params:
        raise _denied(provider, params)
    client = state.client(provider)
    endpoints = state.endpoints(provider)
    if login["issuer"] != endpoints.issuer:
        raise InvalidState("This login was started with another issuer.", provider=provider)
    _check_iss(params.get("iss"), login["issuer"], endpoints.iss_parameter_supported, provider)

    code = params.get("code")
    if not code:
        raise InvalidCallback(
            "The provider's answer carries no authorization code.", provider=provider
        )

    token = client.exchange_code(
        endpoints, code=code, redirect_uri=login["redirect_uri"], code_verifier=login["verifier"]
    )
    claims: dict[str, t.Any] = {}
    if client.config.is_oidc:
        claims = client.check_id_token(
            endpoints,
            token["id_token"],
            leeway=settings.clock_skew,
            nonce=login["nonce"],
            access_token=token["access_token"],
            issued_after=login["started"],
        )
    raw: dict[str, t.Any] = dict(claims)
    if _wants_userinfo(client.config, endpoints.userinfo_url, claims):
        info = client.userinfo(endpoints, token["access_token"])
        if not isinstance(info, dict):
            raise InvalidProviderResponse(
                "The UserInfo answer is not a JSON object.", provider=provider
            )
        if claims and str(info.get("sub")) != claims["sub"]:
            raise InvalidToken(
                "The UserInfo endpoint describes another user than the ID token (sub).",
                provider=provider,
            )
        raw = {**info, **claims}
    for name in client.config.preset.callback_profile_params:  # e.g. Apple's "user"
        if isinstance(params.get(name), str):
            raw.setdefault(name, params[name])
    _check_text(raw, provider)
    user = _user(state, provider, endpoints.issuer, token["access_token"], raw)
    # The issuer the ID token names: for multi-tenant providers the user's
    # tenant, which a refreshed ID token must name again.
    token["iss"] = claims.get("iss") or user["issuer"]
    token["sub"] = user["sub"]
    if isinstance(claims.get("sid"), str) and claims["sid"]:
        token["sid"] = claims["sid"]  # the provider's session, for logging out by back-channel
    return user, token, login["next"]


def _wants_userinfo(
    config: ProviderConfig, userinfo_url: str | None, claims: t.Mapping[str, t.Any]
) -> bool:
    """Whether this login calls the UserInfo endpoint (``fetch_userinfo``).

    ``"auto"``: a plain OAuth 2.0 login always does (the endpoint is the only
    source of the user); an OpenID Connect login does only when the ID token
    lacks a claim of the normalized user that an asked scope promises.
    """
    if userinfo_url is None:
        return False
    if config.fetch_userinfo != "auto":
        return config.fetch_userinfo is True
    if not config.is_oidc:  # no ID token: UserInfo is all there is
        return True
    return any(
        claims.get(claim) is None
        for scope in config.scope
        for claim in _SCOPE_CLAIMS.get(scope, ())
    )


def _user(
    state: AppState, provider: str, issuer: str | None, access_token: str, raw: dict[str, t.Any]
) -> User:
    client = state.client(provider)
    preset = client.config.preset
    try:
        if preset.fetch_profile is not None:
            raw.update(client.fetch_profile(state.endpoints(provider), access_token, raw))
        profile = preset.profile(raw)
    except (TypeError, ValueError, KeyError, AttributeError):
        raise InvalidProviderResponse(
            "The provider described the user in a form this client does not understand.",
            provider=provider,
        ) from None
    if issuer is None:  # plain OAuth 2.0: the authorization server's origin
        parts = urlsplit(state.endpoints(provider).authorize_url)
        issuer = f"{parts.scheme}://{parts.netloc}"
    user = normalize(provider, issuer, profile, raw)
    if user["sub"] is None:
        raise InvalidProviderResponse(
            "The provider did not say who the user is.", provider=provider
        )
    return user


def _check_text(value: t.Any, provider: str) -> None:
    """Refuse text that is not valid Unicode (a lone surrogate such as
    ``"\\ud800"`` in a JSON string): no session store could keep it."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidProviderResponse(
                "The provider described the user with text that is not valid Unicode.",
                provider=provider,
            ) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, provider)
            _check_text(item, provider)
    elif isinstance(value, list):
        for item in value:
            _check_text(item, provider)


def _check_iss(iss: str | None, expected: str | None, required: bool, provider: str) -> None:
    """RFC 9207: the authorization response names the expected issuer."""
    if expected is None:
        return
    if iss is None:
        if required:
            raise InvalidCallback(
                "The provider's answer does not name its issuer (iss), although it promises to.",
                provider=provider,
            )
        return
    if iss != expected:
        raise InvalidCallback(
            "The answer comes from another issuer than the one this login was sent to "
            "(a mix-up attack?).",
            provider=provider,
        )


def _denied(provider: str, params: t.Mapping[str, str]) -> AuthorizationDenied:
    error = params.get("error", "")[:64]
    description = params.get("error_description", "")[:_MAX_ERROR_TEXT]
    if error == "access_denied":
        message = "You (or the provider) declined the login."
    else:
        message = f"The provider refused the login ({error})."
    if description:
        message += f" The provider said: {description}"
    return AuthorizationDenied(message, provider=provider, error=error)


def _with_query(url: str, params: t.Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = urlencode(params)
    return urlunsplit(parts._replace(query=f"{parts.query}&{query}" if parts.query else query))
