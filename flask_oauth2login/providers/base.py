"""What a provider preset is: data about one identity provider."""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..errors import ConfigurationError

#: Maps what a provider said about the user (the ID token's claims merged with
#: the UserInfo answer) to the normalized fields of
#: :class:`~flask_oauth2login.user.User`.
ProfileMapper = t.Callable[[t.Mapping[str, t.Any]], dict[str, t.Any]]


class GetJson(t.Protocol):
    """GETs a JSON document from the provider's API with the user's new
    access token (already bound to it), within the client's deadline and size
    cap; *what* names the endpoint in error messages.

    :raises ProviderError: if the call fails or the answer is not JSON.
    """

    def __call__(self, url: str, *, what: str = "API") -> t.Any: ...


#: Fetches more about the user after the UserInfo call: called with a
#: :class:`GetJson`, the raw profile so far and the UserInfo URL (``None``
#: when there is none); returns claims to merge into the profile.
ProfileFetcher = t.Callable[[GetJson, t.Mapping[str, t.Any], str | None], dict[str, t.Any]]

#: Decides whether an ID token's ``iss`` is acceptable when it is not simply
#: the configured issuer (multi-tenant providers); gets the expected issuer
#: and the token's claims.
IssuerMatcher = t.Callable[[str, t.Mapping[str, t.Any]], bool]

#: Turns the user's configuration entry into the final options, for presets
#: whose endpoints depend on a tenant, a domain or a base URL.
Configurer = t.Callable[[dict[str, t.Any]], dict[str, t.Any]]

#: For providers whose client secret is built at run time (Apple's signed
#: JWT): called once per app with the client id and the preset's options
#: (``team_id``, ...), returns a callable that gives the secret to send now,
#: rebuilding it as needed.
SecretBuilder = t.Callable[[str, t.Mapping[str, t.Any]], t.Callable[[], str]]


#: Adjusts the authorization request to the scopes asked (configured,
#: granted and new, in that order): returns the scopes to send and extra query
#: parameters (Google's ``include_granted_scopes``, Slack's ``user_scope``).
ScopeRequest = t.Callable[[tuple[str, ...]], tuple[tuple[str, ...], dict[str, str]]]

#: The scopes one granted scope gives, itself included: GitHub's ``repo``
#: gives ``public_repo``; Google grants ``email`` as ``.../userinfo.email``.
ScopeImplies = t.Callable[[str], t.Iterable[str]]

#: A scope token (RFC 6749 §3.3: NQCHAR, no space, quote or backslash).
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def oidc_profile(claims: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Map standard OpenID Connect claims to the normalized user fields."""
    verified = claims.get("email_verified")
    if isinstance(verified, str):  # some providers send "true"/"false"
        verified = verified.lower() == "true"
    return {
        # Plain OAuth 2.0 user endpoints often say "id" where OpenID says "sub".
        "sub": _str_or_none(claims["sub"] if claims.get("sub") is not None else claims.get("id")),
        "email": claims.get("email"),
        "email_verified": verified is True,
        "name": claims.get("name") or claims.get("preferred_username"),
        "picture": claims.get("picture"),
    }


def _str_or_none(value: t.Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Preset:
    """The endpoints, scopes and quirks of one identity provider.

    A field named like a key of a provider entry (``scope``,
    ``token_endpoint_auth_method``, ...) is that key's default, as the table
    of provider settings (``flask_oauth2login.config.table``) says; any key a
    user gives in their provider entry overrides the preset's.
    """

    #: Registry name, e.g. ``"github"``: letters, digits, ``-`` and ``_``. An
    #: entry point that declares the preset has this name too.
    name: str
    #: Human name shown on buttons, e.g. ``"GitHub"``.
    title: str
    #: The authorization endpoint.
    authorize_url: str | None = None
    #: The token endpoint.
    token_url: str | None = None
    #: The UserInfo (or "current user") endpoint, called with the new access token.
    userinfo_url: str | None = None
    #: The key set that signs ID tokens (OpenID Connect without discovery).
    jwks_uri: str | None = None
    #: The issuer ID tokens must name (OpenID Connect).
    issuer: str | None = None
    #: The discovery document, for providers whose endpoints are found there.
    server_metadata_url: str | None = None
    #: RFC 7009 token revocation, used by ``POST /logout``.
    revocation_url: str | None = None
    #: Default scopes.
    scope: tuple[str, ...] = ("openid", "email", "profile")
    #: Extra query parameters of the authorization request.
    authorize_params: t.Mapping[str, str] = field(default_factory=dict)
    #: How the client authenticates at the token endpoint:
    #: ``client_secret_basic``, ``client_secret_post`` or ``none``.
    token_endpoint_auth_method: str = "client_secret_basic"
    #: Extra headers on token endpoint requests (GitHub wants JSON asked for).
    token_request_headers: t.Mapping[str, str] = field(default_factory=dict)
    #: Extra headers on API calls made with ``oauth.session()``; ``{client_id}``
    #: is replaced by the client id (Twitch's ``Client-Id``).
    api_headers: t.Mapping[str, str] = field(default_factory=dict)
    #: ``"header"`` (``Authorization: Bearer``) or ``"query"``.
    token_placement: str = "header"
    #: Query parameter name when ``token_placement`` is ``"query"``.
    token_query_param: str = "access_token"
    #: ``"form_post"`` for providers that POST the callback (Apple).
    response_mode: str | None = None
    #: Allowed ID token signature algorithms when the metadata does not say.
    id_token_algorithms: tuple[str, ...] = ("RS256",)
    #: Extra option names this preset accepts (``tenant``, ``team_id``, ...).
    options: tuple[str, ...] = ()
    #: Maps the raw profile to the user's fields (see :data:`ProfileMapper`).
    profile: ProfileMapper = oidc_profile
    #: Profile mapping as data: user field (``sub``, ``email``,
    #: ``email_verified``, ``name``, ``picture``) to a dotted path into the raw
    #: profile, e.g. ``{"sub": "data.id", "picture": "images.0.url"}``. Applied
    #: over what :attr:`profile` gives; a provider entry's ``user_map`` is
    #: applied over this one, field by field.
    user_map: t.Mapping[str, str] = field(default_factory=dict)
    #: Fetches more about the user after the UserInfo call (GitHub's e-mails).
    fetch_profile: ProfileFetcher | None = None
    #: Members of the token endpoint's answer to the authorization code that
    #: describe the user (Strava's ``athlete``). They are added to the raw
    #: profile under their own name, never over a claim the provider signed
    #: or its UserInfo endpoint served, and are not kept with the token.
    token_profile_params: tuple[str, ...] = ()
    #: Default of the provider entry's ``fetch_userinfo``: ``"auto"`` (call
    #: UserInfo when the ID token lacks a claim an asked scope promises),
    #: ``True`` for providers whose profile needs claims only UserInfo has.
    fetch_userinfo: bool | str = "auto"
    #: Default of the provider entry's ``logout_at_provider``: ``True`` for
    #: providers whose users expect "log out" to end their session there too.
    logout_at_provider: bool = False
    #: Turns the options into endpoints (see :data:`Configurer`).
    configure: Configurer | None = None
    #: Accepts ID token issuers other than the configured one (see :data:`IssuerMatcher`).
    issuer_matches: IssuerMatcher | None = None
    #: Base URL of relative URLs given to ``oauth.session(name)``.
    api_base_url: str | None = None
    #: More origins the user's token may be sent to by ``oauth.session(name)``
    #: (the origin of ``api_base_url`` always may).
    api_origins: tuple[str, ...] = ()
    #: Where to register an app with this provider, for the docs and CLI.
    console_url: str | None = None
    #: Builds the client secret at run time instead of a configured one
    #: (Apple); ``client_secret`` is then not required.
    client_secret_builder: SecretBuilder | None = None
    #: Callback parameters that carry profile data (Apple's ``user`` on the
    #: first login). They are added to the raw profile under their own name,
    #: never over a claim the provider signed or served.
    callback_profile_params: tuple[str, ...] = ()
    #: ``aud`` of ``private_key_jwt`` and ``client_secret_jwt`` assertions:
    #: ``"issuer"``, or ``"endpoint"`` (the URL called) for providers that want it.
    client_assertion_audience: str = "issuer"
    #: Adjusts the authorization request to the scopes asked (see
    #: :data:`ScopeRequest`); ``None`` sends them as they are.
    scope_request: ScopeRequest | None = None
    #: Characters besides whitespace that separate the scopes of a token
    #: answer (GitHub and Slack answer ``"repo,gist"``).
    scope_separators: str = ""
    #: The scopes a granted scope gives (see :data:`ScopeImplies`); ``None``:
    #: only itself.
    scope_implies: ScopeImplies | None = None

    def request_scope(self, scopes: t.Sequence[str]) -> tuple[tuple[str, ...], dict[str, str]]:
        """The scopes to send for *scopes*, and extra query parameters."""
        asked = tuple(dict.fromkeys(scopes))
        if self.scope_request is None:
            return asked, {}
        return self.scope_request(asked)

    def parse_scope(self, value: t.Any) -> tuple[str, ...]:
        """The scopes of a token answer's ``scope``, in this provider's spelling."""
        if not isinstance(value, str):
            return ()
        for separator in self.scope_separators:
            value = value.replace(separator, " ")
        return parse_scope(value)

    def granted_scope(self, said: t.Any, asked: t.Sequence[str]) -> tuple[str, ...]:
        """The granted scopes: what a token answer said (its ``scope``), else
        what was *asked* (RFC 6749 §5.1: the scope is left out when it is the
        one asked)."""
        if isinstance(said, str) and said.strip():
            return self.parse_scope(said)
        return parse_scope(" ".join(asked))

    def missing_scopes(self, needed: t.Iterable[str], granted: t.Iterable[str]) -> tuple[str, ...]:
        """The scopes of *needed* that *granted* does not give."""
        given: set[str] = set()
        for scope in granted:
            given.update(self.scope_implies(scope) if self.scope_implies else (scope,))
            given.add(scope)
        return tuple(s for s in dict.fromkeys(needed) if s not in given)


def parse_scope(value: str) -> tuple[str, ...]:
    """The scope tokens of a space-separated *value*, in order, once each;
    anything that is not a scope token (RFC 6749 §3.3) is left out."""
    return tuple(dict.fromkeys(s for s in value.split() if _SCOPE_TOKEN.fullmatch(s)))


def is_scope_token(value: str) -> bool:
    """Whether *value* is one scope token (RFC 6749 §3.3)."""
    return _SCOPE_TOKEN.fullmatch(value) is not None


def https_base_url(value: t.Any, key: str) -> str:
    """Check a ``base_url``-like option: an absolute http(s) URL without query;
    returned without a trailing ``/``."""
    if value is None or value == "":
        raise ConfigurationError(
            "missing; give the server's URL, e.g. 'https://host.example'", key=key
        )
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"must be an absolute URL such as 'https://host.example', not {value!r}", key=key
        )
    if parts.query or parts.fragment:
        raise ConfigurationError("must not carry a query or fragment", key=key)
    return value.rstrip("/")


def domain_url(value: t.Any, key: str) -> str:
    """Check a ``domain`` option (``tenant.example.com``, optionally with
    ``https://``); return ``https://<domain>``."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError("missing; give the host name, e.g. 'dev-123.okta.com'", key=key)
    host = value.strip().removeprefix("https://").rstrip("/")
    if not host or any(c in host for c in "/?#@ \\") or "://" in host:
        raise ConfigurationError(
            f"must be a host name such as 'dev-123.okta.com', not {value!r}", key=key
        )
    return f"https://{host}"


#: A directory (tenant) id of Microsoft's identity platforms, lower-case.
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TENANT_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


def tenant_name(value: t.Any, *, what: str, suffixes: t.Sequence[str]) -> str:
    """Check a Microsoft tenant's name option (``contoso``, also given as
    ``contoso.onmicrosoft.com``); returned lower-case, without *suffixes*.

    :param what: how the message names it, e.g. ``"tenant's name"``.
    """
    name = value
    if isinstance(name, str):
        name = name.lower()
        for suffix in suffixes:
            name = name.removesuffix(suffix)
    if not isinstance(name, str) or not _TENANT_NAME.fullmatch(name):
        raise ConfigurationError(
            f"give the {what}, the part before .onmicrosoft.com (e.g. 'contoso'), not {value!r}",
            key="tenant",
        )
    return name


def tenant_guid(value: t.Any, *, what: str, where: str) -> str:
    """Check a Microsoft tenant id option (a GUID); returned lower-case.

    :param what: how the message names it; :param where: where to find it.
    """
    if not isinstance(value, str) or not GUID.fullmatch(value.lower()):
        raise ConfigurationError(
            f"give the {what}, a GUID ({where}), not {value!r}", key="tenant_id"
        )
    return value.lower()


def discovered(entry: dict[str, t.Any], issuer: str) -> dict[str, t.Any]:
    """Complete *entry* for a provider found by discovery under *issuer*,
    keeping any ``issuer`` or ``server_metadata_url`` the entry gives."""
    entry.setdefault("issuer", issuer)
    entry.setdefault(
        "server_metadata_url", issuer.rstrip("/") + "/.well-known/openid-configuration"
    )
    return entry
