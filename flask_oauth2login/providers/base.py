"""What a provider preset is: data about one identity provider."""

from __future__ import annotations

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

    Any key a user gives in their provider entry overrides the preset's.
    """

    #: Registry name, e.g. ``"github"``.
    name: str
    #: Human name shown on buttons, e.g. ``"GitHub"``.
    title: str
    authorize_url: str | None = None
    token_url: str | None = None
    userinfo_url: str | None = None
    jwks_uri: str | None = None
    issuer: str | None = None
    server_metadata_url: str | None = None
    revocation_url: str | None = None
    #: Default scopes.
    scope: tuple[str, ...] = ("openid", "email", "profile")
    #: Extra query parameters of the authorization request.
    authorize_params: t.Mapping[str, str] = field(default_factory=dict)
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
    profile: ProfileMapper = oidc_profile
    fetch_profile: ProfileFetcher | None = None
    #: Default of the provider entry's ``fetch_userinfo``: ``"auto"`` (call
    #: UserInfo when the ID token lacks a claim an asked scope promises),
    #: ``True`` for providers whose profile needs claims only UserInfo has.
    fetch_userinfo: bool | str = "auto"
    #: Default of the provider entry's ``logout_at_provider``: ``True`` for
    #: providers whose users expect "log out" to end their session there too.
    logout_at_provider: bool = False
    configure: Configurer | None = None
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


def discovered(entry: dict[str, t.Any], issuer: str) -> dict[str, t.Any]:
    """Complete *entry* for a provider found by discovery under *issuer*,
    keeping any ``issuer`` or ``server_metadata_url`` the entry gives."""
    entry.setdefault("issuer", issuer)
    entry.setdefault(
        "server_metadata_url", issuer.rstrip("/") + "/.well-known/openid-configuration"
    )
    return entry
