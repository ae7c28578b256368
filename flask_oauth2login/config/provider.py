"""Reading one provider's entry of ``OAUTH2LOGIN_PROVIDERS``: :class:`ProviderConfig`.

:func:`load_provider` runs an entry through small steps: resolve the preset,
fill credentials from the config or the environment, merge the entry over
the defaults, normalize the scope, check the URLs, derive discovery, check
the algorithms and the rest. What each key's default and parser are is
written once, in :data:`~flask_oauth2login.config.table.PROVIDER_SETTINGS`.
A mistake raises :class:`~flask_oauth2login.errors.ConfigurationError`
naming the provider and the key.
"""

from __future__ import annotations

import functools
import typing as t
from dataclasses import dataclass, field

from ..crypto.keys import HMAC_ALGORITHMS, PrivateKey
from ..errors import ConfigurationError
from ..providers.base import Preset
from ..providers.registry import PresetRegistry
from . import parsers
from .parsers import MIN_JWT_SECRET_LENGTH
from .table import FROM_ENVIRON, PROVIDER_SETTINGS, nearest

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

    ``name`` is the entry's name and ``options`` the preset's options it
    gives (``tenant``, ``team_id``, ...). Every other field is the setting of
    that name in :data:`~flask_oauth2login.config.table.PROVIDER_SETTINGS`,
    which says what it means and what it is by default, in the form its
    parser gives; a new setting is a row there and a field here.
    """

    name: str
    #: The preset the entry names (or the one called like the provider, or
    #: ``oidc``), resolved.
    preset: Preset
    title: str
    client_id: str
    #: Never shown (``repr`` leaves it out).
    client_secret: str | None = field(repr=False)
    server_metadata_url: str | None
    issuer: str | None
    authorize_url: str | None
    token_url: str | None
    userinfo_url: str | None
    jwks_uri: str | None
    revocation_url: str | None
    redirect_uri: str | None
    scope: tuple[str, ...]
    allowed_scopes: tuple[str, ...]
    authorize_params: t.Mapping[str, str]
    token_endpoint_auth_method: str
    #: Loaded (and never shown).
    client_private_key: PrivateKey | None = field(repr=False)
    client_key_id: str | None
    client_assertion_audience: str
    pushed_authorization_requests: bool | str
    dpop: bool
    #: ``None`` when the provider's metadata decides.
    id_token_algorithms: tuple[str, ...] | None
    trusted_audiences: tuple[str, ...]
    token_placement: str
    #: Never shown (an API key may be among them).
    api_headers: t.Mapping[str, str] = field(repr=False)
    api_base_url: str | None
    #: Lower-case ``scheme://host[:port]``.
    api_origins: tuple[str, ...]
    #: The preset's ``user_map`` with the entry's over it.
    user_map: t.Mapping[str, str]
    user_agent: str | None
    fetch_userinfo: bool | str
    logout_at_provider: bool
    #: ``None`` when the provider's metadata decides.
    backchannel_logout: bool | None
    frontchannel_logout: bool
    options: t.Mapping[str, t.Any]

    @functools.cached_property
    def relative_urls(self) -> tuple[str, ...]:
        """The endpoint keys given as paths on this app (starting with ``/``);
        worked out once (the settings are frozen), as every login asks."""
        return tuple(
            key
            for key in _URL_KEYS
            if key != "redirect_uri" and (getattr(self, key) or "").startswith("/")
        )

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
    return ProviderConfig(name=name, options=options, **values)


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
    known = {*PROVIDER_SETTINGS, *preset.options}
    unknown = set(entry) - known
    if unknown:
        key = sorted(unknown)[0]
        meant = nearest(key, known)
        hint = f"did you mean {meant!r}? " if meant else ""
        raise ConfigurationError(
            f"unknown key; {hint}known keys are {', '.join(sorted(known))}",
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
    for key in (*FROM_ENVIRON, *preset.options):
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
    """Every setting: the entry's value, else its default (for ``preset``,
    which :func:`_resolve_preset` took out of the entry: the resolved preset)."""
    values = {key: setting.default_for(preset, name) for key, setting in PROVIDER_SETTINGS.items()}
    values.update(entry)
    return values


def _merge_user_map(preset: Preset, values: dict[str, t.Any]) -> None:
    """The entry's ``user_map`` applies over the preset's, field by field."""
    if preset.user_map and isinstance(values["user_map"], t.Mapping):
        values["user_map"] = {**preset.user_map, **values["user_map"]}


def _check_credentials(name: str, preset: Preset, values: dict[str, t.Any]) -> None:
    client_id = values["client_id"]
    if not client_id or not isinstance(client_id, str):
        env_name = environ_key(name, "client_id")
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
            env_name = environ_key(name, "client_private_key")
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
        env_name = environ_key(name, "client_secret")
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
    for key in PROVIDER_SETTINGS:
        if key not in _CHECKED_FIRST:
            _parse(name, values, key)
    if values["dpop"] and values["token_placement"] != "header":
        raise ConfigurationError(
            "DPoP-bound tokens go in the Authorization header; "
            "token_placement='query' cannot be used with it",
            provider=name,
            key="dpop",
        )
    max_age = values["authorize_params"].get("max_age")
    if max_age is not None:
        _check_max_age(name, values, max_age)
    if values["pushed_authorization_requests"] is True and not values["server_metadata_url"]:
        raise ConfigurationError(
            "needs server_metadata_url (or issuer): the provider's discovery document "
            "names its pushed_authorization_request_endpoint",
            provider=name,
            key="pushed_authorization_requests",
        )


def _check_max_age(name: str, values: dict[str, t.Any], max_age: t.Any) -> None:
    """A configured ``max_age`` is enforced through the ID token's
    ``auth_time``: it must be a number of seconds, and the login OpenID Connect."""
    text = str(max_age)
    if isinstance(max_age, bool) or not (text.isascii() and text.isdigit()):
        raise ConfigurationError(
            f"max_age must be a whole number of seconds, not {text[:40]!r}",
            provider=name,
            key="authorize_params",
        )
    if "openid" not in values["scope"]:
        raise ConfigurationError(
            "max_age is checked through the ID token's auth_time, and this provider is not "
            "configured for OpenID Connect (no 'openid' in its scope)",
            provider=name,
            key="authorize_params",
        )
    values["authorize_params"] = {**values["authorize_params"], "max_age": text}


def _parse(provider: str, values: dict[str, t.Any], key: str) -> t.Any:
    """Check ``values[key]`` with its setting's parser and store the result."""
    values[key] = parsers.checked(
        PROVIDER_SETTINGS[key].parse, values[key], provider=provider, key=key
    )
    return values[key]


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


def environ_key(provider: str, key: str) -> str:
    """The ``OAUTH2LOGIN_<NAME>_<KEY>`` that may give *key* of *provider*'s entry."""
    return f"OAUTH2LOGIN_{provider.upper().replace('-', '_')}_{key.upper()}"


def environ_keys(provider: str, preset: Preset) -> dict[str, str]:
    """Each ``OAUTH2LOGIN_<NAME>_<KEY>`` that may give a key of *provider*'s
    entry (resolved to *preset*), to that key."""
    return {environ_key(provider, key): key for key in (*FROM_ENVIRON, *preset.options)}


def _from_config_or_environ(
    provider: str, key: str, config: t.Mapping[str, t.Any], environ: t.Mapping[str, str]
) -> str | None:
    name = environ_key(provider, key)
    value = config.get(name)
    if value is None:
        value = environ.get(name)
    return value or None
