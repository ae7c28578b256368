"""Reading one provider's entry of ``OAUTH2LOGIN_PROVIDERS``: :class:`ProviderConfig`.

:func:`load_provider` runs an entry through small steps: resolve the preset,
fill credentials from the config or the environment, merge the entry over
the preset, normalize the scope, check the URLs, derive discovery, check
the algorithms and the rest. Each key of an entry has one line in
``_SETTINGS``: its default (often the preset's) and its parser
(:mod:`~flask_oauth2login.config.parsers`). A mistake
raises :class:`~flask_oauth2login.errors.ConfigurationError` naming the
provider and the key.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

from ..crypto.keys import HMAC_ALGORITHMS, PrivateKey
from ..errors import ConfigurationError
from ..providers.base import Preset
from ..providers.registry import PresetRegistry
from . import parsers
from .parsers import MIN_JWT_SECRET_LENGTH

_URL_KEYS = (
    "server_metadata_url",
    "authorize_url",
    "token_url",
    "userinfo_url",
    "jwks_uri",
    "revocation_url",
    "redirect_uri",
    "api_base_url",
)


@dataclass(frozen=True)
class ProviderConfig:
    """One provider's settings: its preset merged with the user's entry.

    Every field but ``name``, ``preset`` and ``options`` is a key of the
    entry; a new one also needs its line in ``_SETTINGS`` (default and parser).
    """

    name: str
    title: str
    preset: Preset
    client_id: str
    client_secret: str | None = None
    server_metadata_url: str | None = None
    issuer: str | None = None
    authorize_url: str | None = None
    token_url: str | None = None
    userinfo_url: str | None = None
    jwks_uri: str | None = None
    revocation_url: str | None = None
    redirect_uri: str | None = None
    scope: tuple[str, ...] = ()
    authorize_params: t.Mapping[str, str] = field(default_factory=dict)
    token_endpoint_auth_method: str = "client_secret_basic"
    #: ID token algorithms configured explicitly; ``None`` lets metadata decide.
    id_token_algorithms: tuple[str, ...] | None = None
    #: Audiences besides the client id an ID token may name.
    trusted_audiences: tuple[str, ...] = ()
    token_placement: str = "header"
    api_headers: t.Mapping[str, str] = field(default_factory=dict)
    #: Base of relative URLs given to ``oauth.session(name)``.
    api_base_url: str | None = None
    #: Origins (``scheme://host[:port]``) that ``oauth.session(name)`` may send
    #: the user's token to, besides the origin of ``api_base_url``.
    api_origins: tuple[str, ...] = ()
    #: ``"auto"``: call UserInfo only when the ID token lacks claims the
    #: normalized user needs and the asked scopes promise; ``True``: always;
    #: ``False``: never.
    fetch_userinfo: bool | str = "auto"
    #: User field to a dotted path into the raw profile (the preset's
    #: ``user_map`` with the entry's over it).
    user_map: t.Mapping[str, str] = field(default_factory=dict)
    #: The ``User-Agent`` of every call to this provider; ``None``: requests' own.
    user_agent: str | None = None
    #: Scopes a login link may ask for besides ``scope`` (``GET
    #: /login/<name>?scope=...``, ``@login_required(name, scope=...)``).
    allowed_scopes: tuple[str, ...] = ()
    #: Whether ``POST /logout`` also logs out at the provider (OpenID Connect
    #: RP-Initiated Logout 1.0) when it has an ``end_session_endpoint``.
    logout_at_provider: bool = False
    #: Preset-specific options (``tenant``, ``team_id``, ...).
    options: t.Mapping[str, t.Any] = field(default_factory=dict)
    #: ``private_key_jwt``: the app's private key, loaded (never shown).
    client_private_key: PrivateKey | None = field(default=None, repr=False)
    #: ``private_key_jwt``: the key's ``kid`` at the provider; by default its
    #: RFC 7638 thumbprint.
    client_key_id: str | None = None
    #: ``aud`` of client assertions: ``"issuer"`` or ``"endpoint"`` (the URL called).
    client_assertion_audience: str = "issuer"
    #: RFC 9126: ``"auto"`` (when the provider requires it), ``True`` or ``False``.
    pushed_authorization_requests: bool | str = "auto"
    #: RFC 9449: bind tokens to the app's DPoP key.
    dpop: bool = False

    @property
    def relative_urls(self) -> list[str]:
        """The endpoint keys given as paths on this app (starting with ``/``)."""
        return [
            key
            for key in _URL_KEYS
            if key != "redirect_uri" and (getattr(self, key) or "").startswith("/")
        ]

    @property
    def is_oidc(self) -> bool:
        """Whether this login is OpenID Connect (``openid`` is asked for)."""
        return "openid" in self.scope


def load_provider(
    name: str,
    entry: t.Any,
    config: t.Mapping[str, t.Any],
    environ: t.Mapping[str, str],
    *,
    presets: PresetRegistry | None = None,
) -> ProviderConfig:
    """Merge a provider entry with its preset and validate the result.

    Each step below checks what the later ones rely on, so the first
    mistake in an entry is the one reported.

    :param presets: where preset names are looked up; default: the built-in
        presets and those of installed packages.
    """
    _check_name(name)
    entry = _entry_dict(name, entry)
    preset = _resolve_preset(name, entry, PresetRegistry() if presets is None else presets)
    _reject_unknown_keys(name, entry, preset)
    _fill_credentials(name, entry, preset, config, environ)
    entry = _apply_configure(name, entry, preset)
    options = {key: entry.pop(key) for key in preset.options if key in entry}
    values = _merge(name, preset, entry)
    _merge_user_map(preset, values)
    _check_credentials(name, preset, values)
    _normalize_scope(name, preset, entry, values)
    _check_urls(name, values)
    _derive_discovery(name, values)
    _check_algorithms(name, preset, values)
    _check_the_rest(name, values)
    return ProviderConfig(name=name, preset=preset, options=options, **values)


# -- the steps of load_provider ---------------------------------------------------


def _check_name(name: t.Any) -> None:
    if not isinstance(name, str) or not name.replace("-", "").replace("_", "").isalnum():
        raise ConfigurationError(
            "provider names are letters, digits, '-' and '_' (they appear in URLs)",
            provider=str(name),
        )


def _entry_dict(name: str, entry: t.Any) -> dict[str, t.Any]:
    if not isinstance(entry, t.Mapping):
        raise ConfigurationError("must be a dict of settings", provider=name)
    return dict(entry)


def _resolve_preset(name: str, entry: dict[str, t.Any], presets: PresetRegistry) -> Preset:
    """The preset the entry names (taking ``preset`` out of it), else the one
    called like the provider, else ``oidc``.

    A broken plug-in preset is an error here, where it is used, and only here.
    """
    preset_name = entry.pop("preset", None)
    if preset_name is not None and (not isinstance(preset_name, str) or not preset_name):
        raise ConfigurationError(
            f"must be a preset's name, not {preset_name!r}", provider=name, key="preset"
        )
    try:
        preset = presets.get(name if preset_name is None else preset_name)
        if preset is None and preset_name is None:
            preset = presets.get("oidc")
    except ConfigurationError as exc:
        raise ConfigurationError(exc.message, provider=name, key="preset") from None
    if preset is None:
        raise ConfigurationError(
            f"unknown preset {preset_name!r}; known presets: {', '.join(presets.names())} "
            "(a preset of another package needs that package installed)",
            provider=name,
            key="preset",
        )
    return preset


def _reject_unknown_keys(name: str, entry: t.Mapping[str, t.Any], preset: Preset) -> None:
    unknown = set(entry) - PROVIDER_KEYS - set(preset.options)
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigurationError(
            f"unknown key; known keys are {', '.join(sorted(PROVIDER_KEYS | set(preset.options)))}",
            provider=name,
            key=key,
        )


def _fill_credentials(
    name: str,
    entry: dict[str, t.Any],
    preset: Preset,
    config: t.Mapping[str, t.Any],
    environ: t.Mapping[str, str],
) -> None:
    """Credentials, and the preset's options (an Apple key, a tenant), the entry
    lacks may come from ``OAUTH2LOGIN_<NAME>_<KEY>`` in the config or the environment."""
    for key in ("client_id", "client_secret", "client_private_key", *preset.options):
        if key not in entry:
            found = _from_config_or_environ(name, key, config, environ)
            if found is not None:
                entry[key] = found


def _apply_configure(name: str, entry: dict[str, t.Any], preset: Preset) -> dict[str, t.Any]:
    """Let the preset turn its options into endpoints (a tenant, a domain)."""
    if preset.configure is None:
        return entry
    try:
        return preset.configure(entry)
    except ConfigurationError as exc:
        message = exc.message
        if exc.key and message.startswith(f"{exc.key}: "):
            message = message[len(exc.key) + 2 :]
        raise ConfigurationError(message, provider=name, key=exc.key) from None


def _merge(name: str, preset: Preset, entry: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """Every setting: the entry's value, else its default."""
    values = {key: setting.default(preset, name) for key, setting in _SETTINGS.items()}
    values.update(entry)
    return values


def _merge_user_map(preset: Preset, values: dict[str, t.Any]) -> None:
    """The entry's ``user_map`` applies over the preset's, field by field."""
    if preset.user_map and isinstance(values["user_map"], t.Mapping):
        values["user_map"] = {**preset.user_map, **values["user_map"]}


def _check_credentials(name: str, preset: Preset, values: dict[str, t.Any]) -> None:
    client_id = values["client_id"]
    if not client_id or not isinstance(client_id, str):
        env_name = f"OAUTH2LOGIN_{_env_name(name)}_CLIENT_ID"
        raise ConfigurationError(
            f"missing; set it in the provider entry or the {env_name} environment variable",
            provider=name,
            key="client_id",
        )
    method = _parse(name, values, "token_endpoint_auth_method")
    if _parse(name, values, "client_private_key") is not None and method != "private_key_jwt":
        raise ConfigurationError(
            "is used only with token_endpoint_auth_method='private_key_jwt'",
            provider=name,
            key="client_private_key",
        )
    if method == "private_key_jwt":
        if values["client_private_key"] is None:
            env_name = f"OAUTH2LOGIN_{_env_name(name)}_CLIENT_PRIVATE_KEY"
            raise ConfigurationError(
                "missing; private_key_jwt signs with the app's private key: give its PEM "
                f"text or the path of a PEM file (or set {env_name})",
                provider=name,
                key="client_private_key",
            )
        return
    built_secret = preset.client_secret_builder is not None
    secret = values["client_secret"]
    if method == "client_secret_jwt" and (
        not isinstance(secret, str) or len(secret.encode()) < MIN_JWT_SECRET_LENGTH
    ):
        raise ConfigurationError(
            f"client_secret_jwt signs with the client secret, which must be at least "
            f"{MIN_JWT_SECRET_LENGTH} characters long (RFC 7518 §3.2); ask the provider for "
            "a longer one, or use private_key_jwt",
            provider=name,
            key="client_secret",
        )
    if method != "none" and not secret and not built_secret:
        env_name = f"OAUTH2LOGIN_{_env_name(name)}_CLIENT_SECRET"
        raise ConfigurationError(
            f"missing; set it (or the {env_name} environment variable), "
            "or use token_endpoint_auth_method='none' for a public client",
            provider=name,
            key="client_secret",
        )


def _normalize_scope(
    name: str, preset: Preset, entry: t.Mapping[str, t.Any], values: dict[str, t.Any]
) -> None:
    if (
        preset.name == "oidc"
        and "scope" not in entry
        and not values["server_metadata_url"]
        and not values["issuer"]
    ):
        # Endpoints by hand and no issuer: a plain OAuth 2.0 provider, which
        # issues no ID token unless scope asks for openid.
        values["scope"] = ()
    _parse(name, values, "scope")


def _check_urls(name: str, values: dict[str, t.Any]) -> None:
    for key in (*_URL_KEYS, "issuer"):
        _parse(name, values, key)


def _derive_discovery(name: str, values: dict[str, t.Any]) -> None:
    """Discovery at the issuer, unless the endpoints are given by hand."""
    if values["server_metadata_url"]:
        return
    issuer = values["issuer"]
    if issuer and not (values["authorize_url"] and values["token_url"]):
        values["server_metadata_url"] = issuer.rstrip("/") + "/.well-known/openid-configuration"
        return
    for key in ("authorize_url", "token_url"):
        if not values[key]:
            raise ConfigurationError(
                "missing; give server_metadata_url (OpenID Connect discovery) "
                "or both authorize_url and token_url",
                provider=name,
                key=key,
            )
    if "openid" in values["scope"] and not (values["jwks_uri"] and issuer):
        raise ConfigurationError(
            "missing; an OpenID Connect provider without server_metadata_url needs "
            "issuer and jwks_uri to check ID tokens",
            provider=name,
            key="jwks_uri" if not values["jwks_uri"] else "issuer",
        )


def _check_algorithms(name: str, preset: Preset, values: dict[str, t.Any]) -> None:
    """The configured ID token algorithms; without any, discovery or the preset decides."""
    algorithms = _parse(name, values, "id_token_algorithms")
    if algorithms is None:
        if not values["server_metadata_url"]:
            values["id_token_algorithms"] = tuple(preset.id_token_algorithms)
    elif any(a in HMAC_ALGORITHMS for a in algorithms) and not values["client_secret"]:
        raise ConfigurationError(
            "HMAC-signed ID tokens need a client_secret",
            provider=name,
            key="id_token_algorithms",
        )


def _check_the_rest(name: str, values: dict[str, t.Any]) -> None:
    """The settings no other one depends on."""
    for key in _SETTINGS:
        if key not in _CHECKED_FIRST:
            _parse(name, values, key)
    if values["dpop"] and values["token_placement"] != "header":
        raise ConfigurationError(
            "DPoP-bound tokens go in the Authorization header; "
            "token_placement='query' cannot be used with it",
            provider=name,
            key="dpop",
        )
    if values["pushed_authorization_requests"] is True and not values["server_metadata_url"]:
        raise ConfigurationError(
            "needs server_metadata_url (or issuer): the provider's discovery document "
            "names its pushed_authorization_request_endpoint",
            provider=name,
            key="pushed_authorization_requests",
        )


def _parse(provider: str, values: dict[str, t.Any], key: str) -> t.Any:
    """Check ``values[key]`` with its setting's parser and store the result."""
    values[key] = parsers.checked(_SETTINGS[key].parse, values[key], provider=provider, key=key)
    return values[key]


@dataclass(frozen=True)
class _Setting:
    """How one key of a provider entry is read."""

    #: Its value when the entry has none, given the preset and the provider's name.
    default: t.Callable[[Preset, str], t.Any]
    #: Checks a value and returns it in its final form.
    parse: parsers.Parser = parsers.as_is


def _nothing(preset: Preset, name: str) -> None:
    return None


def _preset(attribute: str) -> t.Callable[[Preset, str], t.Any]:
    """The default of a setting the preset gives."""
    return lambda preset, name: getattr(preset, attribute)


def _title(preset: Preset, name: str) -> str:
    return preset.title if preset.name != "oidc" else name.replace("_", " ").title()


#: The keys of a provider entry besides ``preset``, each with its default and
#: parser, in the order they are checked in. Each is a field of
#: :class:`ProviderConfig`.
_SETTINGS: dict[str, _Setting] = {
    "client_id": _Setting(_nothing),
    "client_secret": _Setting(_nothing),
    "token_endpoint_auth_method": _Setting(
        _preset("token_endpoint_auth_method"), parsers.auth_method
    ),
    "scope": _Setting(_preset("scope"), parsers.scope),
    "server_metadata_url": _Setting(_preset("server_metadata_url"), parsers.optional(parsers.url)),
    "authorize_url": _Setting(_preset("authorize_url"), parsers.optional(parsers.url)),
    "token_url": _Setting(_preset("token_url"), parsers.optional(parsers.url)),
    "userinfo_url": _Setting(_preset("userinfo_url"), parsers.optional(parsers.url)),
    "jwks_uri": _Setting(_preset("jwks_uri"), parsers.optional(parsers.url)),
    "revocation_url": _Setting(_preset("revocation_url"), parsers.optional(parsers.url)),
    "redirect_uri": _Setting(_nothing, parsers.optional(parsers.url)),
    "api_base_url": _Setting(_preset("api_base_url"), parsers.optional(parsers.url)),
    "issuer": _Setting(_preset("issuer"), parsers.optional(parsers.absolute_url)),
    "id_token_algorithms": _Setting(_nothing, parsers.optional(parsers.algorithms)),
    "token_placement": _Setting(_preset("token_placement"), parsers.token_placement),
    "authorize_params": _Setting(
        lambda preset, name: dict(preset.authorize_params), parsers.mapping
    ),
    "api_headers": _Setting(lambda preset, name: dict(preset.api_headers), parsers.mapping),
    "title": _Setting(_title, parsers.string),
    "fetch_userinfo": _Setting(_preset("fetch_userinfo"), parsers.fetch_userinfo),
    "api_origins": _Setting(_preset("api_origins"), parsers.origins),
    "trusted_audiences": _Setting(lambda preset, name: (), parsers.audiences),
    "user_map": _Setting(lambda preset, name: dict(preset.user_map), parsers.user_map),
    "user_agent": _Setting(_nothing, parsers.optional(parsers.user_agent)),
    "client_private_key": _Setting(_nothing, parsers.optional(parsers.private_key)),
    "client_key_id": _Setting(_nothing, parsers.optional(parsers.key_id)),
    "client_assertion_audience": _Setting(
        _preset("client_assertion_audience"), parsers.assertion_audience
    ),
    "pushed_authorization_requests": _Setting(lambda preset, name: "auto", parsers.par),
    "dpop": _Setting(lambda preset, name: False, parsers.flag),
    "allowed_scopes": _Setting(lambda preset, name: (), parsers.scope_tokens),
    "logout_at_provider": _Setting(_preset("logout_at_provider"), parsers.flag),
}

#: Keys every provider entry may carry.
PROVIDER_KEYS = frozenset(("preset", *_SETTINGS))

#: Settings checked by the steps before :func:`_check_the_rest`, because
#: later steps rely on them.
_CHECKED_FIRST = frozenset(
    (
        "token_endpoint_auth_method",
        "client_private_key",
        "scope",
        *_URL_KEYS,
        "issuer",
        "id_token_algorithms",
    )
)


def _env_name(provider: str) -> str:
    return provider.upper().replace("-", "_")


def _from_config_or_environ(
    provider: str, key: str, config: t.Mapping[str, t.Any], environ: t.Mapping[str, str]
) -> str | None:
    name = f"OAUTH2LOGIN_{_env_name(provider)}_{key.upper()}"
    value = config.get(name)
    if value is None:
        value = environ.get(name)
    return value or None
