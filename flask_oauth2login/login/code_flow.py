"""Starting a login and completing it: the authorization code flow.

The views call :func:`read_options`, :func:`start` and :func:`complete`;
these do the protocol and leave sessions, responses and signals to the views.

A login may ask for more than the configured scope, and choose ``prompt``,
``login_hint`` and ``max_age`` (OpenID Connect Core §3.1.2.1): see
:class:`LoginOptions`. A ``scope`` from a login link must be in the
provider's ``allowed_scopes``; ``max_age`` makes :func:`complete` check the
ID token's ``auth_time`` (§3.1.3.7 rule 11).
"""

from __future__ import annotations

import time
import typing as t
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import url_for

from ..errors import (
    N_,
    AuthorizationDenied,
    InvalidCallback,
    InvalidLoginRequest,
    InvalidProviderResponse,
    InvalidState,
    InvalidToken,
)
from ..protocol.token_answer import ID_TOKEN_SUB
from ..providers.base import is_scope_token
from ..tokenstore import unstorable
from ..user import User, apply_user_map, normalize
from . import pending

if t.TYPE_CHECKING:  # pragma: no cover
    from ..config.settings import ProviderConfig, Settings
    from ..protocol.provider import Provider
    from ..protocol.token_answer import Token

#: Characters of a provider's ``error`` parameter shown to users at most.
_MAX_ERROR_TEXT = 300

#: The claims of the normalized user that a scope promises (OpenID Connect
#: Core §5.4); with ``fetch_userinfo="auto"``, UserInfo is asked only for
#: these, and only when the ID token lacks one.
_SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "email": ("email", "email_verified"),
    "profile": ("name", "picture"),
}


#: Values of ``prompt`` (OpenID Connect Core §3.1.2.1; ``create`` from
#: Initiating User Registration 1.0).
PROMPTS = frozenset(("none", "login", "consent", "select_account", "create"))
#: The longest ``login_hint`` passed on.
MAX_LOGIN_HINT = 256
#: The largest ``max_age`` accepted (ten years, in seconds).
MAX_MAX_AGE = 10 * 365 * 24 * 3600
#: Scopes one login link may add at most.
MAX_EXTRA_SCOPES = 32


@dataclass(frozen=True)
class LoginOptions:
    """What one login asks for besides the provider's configuration."""

    #: Scopes asked besides the configured (and already granted) ones.
    scope: tuple[str, ...] = ()
    #: ``prompt``: ``login``, ``consent``, ``select_account``, ``none``, ...
    prompt: str | None = None
    #: ``login_hint``: who is expected to sign in (an e-mail address, say).
    login_hint: str | None = None
    #: ``max_age``: seconds since the user last signed in at the provider.
    max_age: int | None = None


class Completed(t.NamedTuple):
    """A login :func:`complete` checked, ready to be stored."""

    user: User
    #: The token to store; its ``scope`` is the granted scope.
    token: Token
    #: Where to go next.
    next_url: str
    #: The pending login it completes (see :func:`~flask_oauth2login.login.pending.new_login`).
    login: dict[str, t.Any]


def read_options(provider: Provider, params: t.Mapping[str, str]) -> LoginOptions:
    """The :class:`LoginOptions` a login link asks for.

    :raises InvalidLoginRequest: for a scope that is not in the provider's
        ``allowed_scopes`` (nor its ``scope``), or a malformed option.
    """
    config = provider.config
    scope = _allowed_scope(config, params.get("scope"))
    prompt = params.get("prompt") or None
    if prompt is not None:
        values = prompt.split()
        unknown = [v for v in values if v not in PROMPTS]
        if unknown or not values or ("none" in values and len(values) > 1):
            raise InvalidLoginRequest(
                f"This login link asks for prompt={prompt[:40]!r}; use one or more of "
                f"{', '.join(sorted(PROMPTS))} ('none' alone).",
                provider=config.name,
            )
        prompt = " ".join(dict.fromkeys(values))
    login_hint = params.get("login_hint") or None
    if login_hint is not None and (
        len(login_hint) > MAX_LOGIN_HINT or not login_hint.isprintable()
    ):
        raise InvalidLoginRequest(
            f"This login link's login_hint is not printable text of at most "
            f"{MAX_LOGIN_HINT} characters.",
            provider=config.name,
        )
    max_age = _max_age(config, params.get("max_age"))
    return LoginOptions(scope=scope, prompt=prompt, login_hint=login_hint, max_age=max_age)


def _allowed_scope(config: ProviderConfig, value: str | None) -> tuple[str, ...]:
    """The scopes of a login link's ``scope``, each one allowed."""
    if not value:
        return ()
    scopes = tuple(dict.fromkeys(value.split()))
    allowed = set(config.allowed_scopes) | set(config.scope)
    for scope in scopes:
        if not is_scope_token(scope):
            raise InvalidLoginRequest(
                f"This login link asks {config.title} for {scope[:60]!r}, which is not a scope.",
                provider=config.name,
            )
        if scope not in allowed:
            raise InvalidLoginRequest(
                f"This login link asks {config.title} for the scope {scope[:100]!r}, which this "
                "site does not ask for. (Its developers can allow it in "
                f"OAUTH2LOGIN_PROVIDERS[{config.name!r}]['allowed_scopes'].)",
                provider=config.name,
            )
    if len(scopes) > MAX_EXTRA_SCOPES:
        raise InvalidLoginRequest(
            f"This login link asks for more than {MAX_EXTRA_SCOPES} scopes.",
            provider=config.name,
        )
    return scopes


def _max_age(config: ProviderConfig, value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_MAX_AGE:
        raise InvalidLoginRequest(
            f"This login link's max_age must be a number of seconds (at most {MAX_MAX_AGE}).",
            provider=config.name,
        )
    if not config.is_oidc:
        raise InvalidLoginRequest(
            f"{config.title} does not use OpenID Connect, so it cannot say when you last "
            "signed in (max_age); use prompt=login to ask for a new sign-in.",
            provider=config.name,
        )
    return int(value)


def redirect_uri(provider: Provider, settings: Settings) -> str:
    """The callback URL registered with the provider."""
    pinned = provider.config.redirect_uri
    if pinned is not None:
        return pinned
    if settings.external_url is not None:
        path = url_for("oauth2login.callback", provider=provider.name)
        return settings.external_url + path
    return url_for("oauth2login.callback", provider=provider.name, _external=True)


def start(
    provider: Provider,
    settings: Settings,
    next_url: str,
    options: LoginOptions | None = None,
    *,
    granted: t.Sequence[str] = (),
    started_here: bool = False,
) -> str:
    """Start a login with *provider*; return the URL of its consent page.

    The scope asked is the configured one, plus *granted* (the scope the
    session's token for *provider* has, so that a new token keeps it), plus
    the options' scope, in the provider's spelling. With pushed
    authorization requests (RFC 9126), the parameters are first POSTed to the
    provider, and the URL carries only ``client_id`` and ``request_uri``.

    :param options: what this login asks for besides the configuration.
    :param started_here: whether the login was started from this site.
    """
    options = options or LoginOptions()
    config = provider.config
    provider = provider.snapshot()  # one discovery document for the whole request
    issuer = provider.endpoints().issuer
    callback = redirect_uri(provider, settings)
    asked = tuple(dict.fromkeys((*config.scope, *granted[:MAX_EXTRA_SCOPES], *options.scope)))
    scopes, scope_params = config.preset.request_scope(asked)
    chosen = _chosen_options(config, options)
    login = pending.new_login(
        provider=provider.name,
        issuer=issuer,
        redirect_uri=callback,
        next_url=next_url,
        oidc=config.is_oidc,
        max_pending=settings.max_pending_logins,
        timeout=settings.login_timeout,
        scope=asked,
        max_age=chosen.get("max_age"),
        started_here=started_here,
    )
    params: dict[str, str] = {
        **scope_params,
        **config.authorize_params,
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": callback,
        "state": login["state"],
        "code_challenge": pending.code_challenge(login["verifier"]),
        "code_challenge_method": "S256",
    }
    if scopes:
        params["scope"] = " ".join(scopes)
    params.update({name: str(value) for name, value in chosen.items()})
    if login["nonce"] is not None:
        params["nonce"] = login["nonce"]
    if config.preset.response_mode is not None:
        params["response_mode"] = config.preset.response_mode
    return provider.authorization_url(params)


def _chosen_options(config: ProviderConfig, options: LoginOptions) -> dict[str, t.Any]:
    """The ``prompt``, ``login_hint`` and ``max_age`` this login sends: the
    provider entry's ``authorize_params`` win over the login link's (a link
    cannot weaken what the app configured, say ``prompt=login`` into
    ``prompt=none``). ``max_age`` is an ``int``: the ID token's ``auth_time``
    is checked against it, whichever side gave it."""
    chosen: dict[str, t.Any] = {}
    for name in ("prompt", "login_hint", "max_age"):
        if name in config.authorize_params:
            chosen[name] = config.authorize_params[name]
        elif getattr(options, name) is not None:
            chosen[name] = getattr(options, name)
    if "max_age" in chosen:
        chosen["max_age"] = int(chosen["max_age"])  # checked at start-up (config.provider)
    return chosen


def complete(provider: Provider, settings: Settings, params: t.Mapping[str, str]) -> Completed:
    """Check the provider's answer and exchange its code.

    Returns the user, the token to store (its ``scope`` the granted scope:
    what the provider said, else what was asked), where to go next and the
    pending login. Nothing is stored here; every check has passed when this
    returns.

    :raises LoginError: if anything is wrong.
    """
    name = provider.name
    config = provider.config
    # An error answer too must belong to a login started here: else anyone
    # could show (and log) a message of their own on this site.
    login = pending.take_login(params.get("state"), provider=name, timeout=settings.login_timeout)
    if "error" in params:
        raise _denied(name, params)
    provider = provider.snapshot()  # one discovery document for every check below
    endpoints = provider.endpoints()
    if login["issuer"] != endpoints.issuer:
        raise InvalidState("This login was started with another issuer.", provider=name)
    _check_iss(params.get("iss"), login["issuer"], endpoints.iss_parameter_supported, name)

    code = params.get("code")
    if not code:
        raise InvalidCallback("The provider's answer carries no authorization code.", provider=name)

    token, token_profile = provider.exchange_code(  # token_profile: e.g. Strava's athlete
        code, verifier=login["verifier"], redirect_uri=login["redirect_uri"]
    )
    claims: dict[str, t.Any] = {}
    if config.is_oidc:
        claims = provider.check_id_token(
            token["id_token"],
            nonce=login["nonce"],
            access_token=token["access_token"],
            issued_after=login["started"],
        )
        if login.get("max_age") is not None:
            _check_auth_time(claims, login["max_age"], settings.clock_skew, name)
    raw: dict[str, t.Any] = dict(claims)
    if _wants_userinfo(config, endpoints.userinfo_url, claims):
        info = provider.userinfo(token["access_token"])
        if not isinstance(info, dict):
            raise InvalidProviderResponse(
                "The UserInfo answer is not a JSON object.", provider=name
            )
        if claims and str(info.get("sub")) != claims["sub"]:
            raise InvalidToken(
                "The UserInfo endpoint describes another user than the ID token (sub).",
                provider=name,
            )
        raw = {**info, **claims}
    for param in config.preset.callback_profile_params:  # e.g. Apple's "user"
        if isinstance(params.get(param), str):
            raw.setdefault(param, params[param])
    for key, value in token_profile.items():
        raw.setdefault(key, value)
    _check_text(raw, name)
    # Plain OAuth 2.0 names no issuer: the authorization server's origin stands for it.
    parts = urlsplit(endpoints.authorize_url)
    issuer = endpoints.issuer or f"{parts.scheme}://{parts.netloc}"
    user = _user(provider, issuer, token["access_token"], raw)
    # The issuer the ID token names: for multi-tenant providers the user's
    # tenant, which a refreshed ID token must name again.
    token["iss"] = claims.get("iss") or user["issuer"]
    token["sub"] = user["sub"]  # the app's subject: oauth.user's, the token store's key
    if claims and claims["sub"] != user["sub"]:  # user_map, or the preset, chose another
        token[ID_TOKEN_SUB] = claims["sub"]  # what refresh and logout tokens must name
    asked = login.get("scope", config.scope)
    token["scope"] = " ".join(config.preset.granted_scope(token.get("scope"), asked))
    if isinstance(claims.get("sid"), str) and claims["sid"]:
        token["sid"] = claims["sid"]  # the provider's session, for logging out by back-channel
    _check_storable(token, name)
    return Completed(user, token, login["next"], login)


def _check_storable(token: t.Mapping[str, t.Any], provider: str) -> None:
    """Refuse a login whose issuer, subject or ``sid`` no store can keep
    (:func:`~flask_oauth2login.tokenstore.unstorable`), before any store sees it."""
    for field in ("iss", "sub", ID_TOKEN_SUB, "sid"):
        value = token.get(field)
        why = None if value is None else unstorable(str(value))
        if why is not None:
            name = "sub" if field == ID_TOKEN_SUB else field
            raise InvalidProviderResponse(
                f"The provider's answer names the login with a value ({name}) that {why}; "
                "this site cannot keep such a login.",
                provider=provider,
            )


def _check_auth_time(
    claims: t.Mapping[str, t.Any], max_age: int, leeway: float, provider: str
) -> None:
    """OpenID Connect Core §3.1.3.7 rule 11: with ``max_age`` asked, the ID
    token says when the user signed in (``auth_time``), and that is recent
    enough."""
    auth_time = claims.get("auth_time")
    if isinstance(auth_time, bool) or not isinstance(auth_time, int | float):
        raise InvalidToken(
            N_(
                "This login asked for a recent sign-in (max_age), but the provider's ID token "
                "does not say when you signed in (auth_time). Please log in again."
            ),
            provider=provider,
        )
    if auth_time + max_age + leeway < time.time():
        raise InvalidToken(
            f"This login needs a sign-in within the last {max_age} seconds, but the provider "
            "used an older one. Please log in again and sign in at the provider.",
            provider=provider,
        )


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


def _user(provider: Provider, issuer: str, access_token: str, raw: dict[str, t.Any]) -> User:
    config = provider.config
    try:
        if config.preset.fetch_profile is not None:
            raw.update(provider.fetch_profile(access_token, raw))
        profile = config.preset.profile(raw)
    except (TypeError, ValueError, KeyError, AttributeError):
        raise InvalidProviderResponse(
            "The provider described the user in a form this client does not understand.",
            provider=provider.name,
        ) from None
    if config.user_map:
        profile = apply_user_map(provider.name, config.user_map, raw, profile)
    user = normalize(provider.name, issuer, profile, raw)
    if user["sub"] is None:
        raise InvalidProviderResponse(
            "The provider did not say who the user is.", provider=provider.name
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
