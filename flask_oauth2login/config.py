"""Defaults and validation of the ``OAUTH2LOGIN_*`` configuration.

Everything is read once, in ``init_app``, into :class:`Settings` and one
:class:`ProviderConfig` per provider. A mistake raises
:class:`~flask_oauth2login.errors.ConfigurationError` naming the provider and
the key, so a typo fails at start-up instead of at the first login.
"""

from __future__ import annotations

import os
import typing as t
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from . import providers
from .errors import ConfigurationError
from .oidc import ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS
from .providers.base import Preset

#: Client authentication methods at the token endpoint.
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")

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

#: Keys every provider entry may carry.
PROVIDER_KEYS = frozenset(
    (
        "preset",
        "title",
        "client_id",
        "client_secret",
        "issuer",
        "scope",
        "authorize_params",
        "token_endpoint_auth_method",
        "id_token_algorithms",
        "trusted_audiences",
        "token_placement",
        "api_headers",
        "api_origins",
        "fetch_userinfo",
        *_URL_KEYS,
    )
)

#: Application-wide defaults, each overridable by ``OAUTH2LOGIN_<NAME>``.
DEFAULTS: dict[str, t.Any] = {
    #: Seconds before any call to a provider gives up.
    "HTTP_TIMEOUT": 10.0,
    #: Where a login lands when ``next`` is missing or not a local path.
    "REDIRECT_URL": "/",
    #: Where ``POST /logout`` lands.
    "LOGOUT_REDIRECT_URL": "/",
    #: URL prefix of the login, callback and logout routes.
    "URL_PREFIX": "",
    #: The app's public base URL, e.g. ``https://app.example``; pins every
    #: redirect URI for apps behind proxies. Default: taken from each request.
    "EXTERNAL_URL": None,
    #: Seconds a started login may take before its state expires.
    "LOGIN_TIMEOUT": 600,
    #: Logins one session may have in flight at once (several tabs).
    "MAX_PENDING_LOGINS": 8,
    #: Seconds of clock skew tolerated when checking ID tokens.
    "CLOCK_SKEW": 60,
    #: Seconds before expiry at which an access token is refreshed.
    "REFRESH_LEEWAY": 30,
    #: Seconds discovery metadata and keys are cached in each process.
    "METADATA_TTL": 3600,
    #: Least seconds between two key fetches caused by unknown key ids.
    "JWKS_MIN_REFETCH_INTERVAL": 60,
    #: Seconds a request waits for another one's token refresh.
    "REFRESH_WAIT": 10.0,
}


@dataclass(frozen=True)
class ProviderConfig:
    """One provider's settings: its preset merged with the user's entry."""

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
    #: Preset-specific options (``tenant``, ``team_id``, ...).
    options: t.Mapping[str, t.Any] = field(default_factory=dict)

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


@dataclass(frozen=True)
class Settings:
    """The extension's settings for one app, read once by ``init_app``."""

    providers: t.Mapping[str, ProviderConfig]
    http_timeout: float
    redirect_url: str
    logout_redirect_url: str
    url_prefix: str
    external_url: str | None
    login_timeout: int
    max_pending_logins: int
    clock_skew: int
    refresh_leeway: int
    metadata_ttl: int
    jwks_min_refetch_interval: int
    refresh_wait: float


def load_settings(
    config: t.Mapping[str, t.Any], environ: t.Mapping[str, str] | None = None
) -> Settings:
    """Read and validate the ``OAUTH2LOGIN_*`` keys of an app's config."""
    environ = os.environ if environ is None else environ
    values = {key: config.get(f"OAUTH2LOGIN_{key}", default) for key, default in DEFAULTS.items()}
    for key in ("HTTP_TIMEOUT", "REFRESH_WAIT"):
        values[key] = _positive_number(values[key], f"OAUTH2LOGIN_{key}", float)
    for key in (
        "LOGIN_TIMEOUT",
        "MAX_PENDING_LOGINS",
        "CLOCK_SKEW",
        "REFRESH_LEEWAY",
        "METADATA_TTL",
        "JWKS_MIN_REFETCH_INTERVAL",
    ):
        values[key] = _positive_number(values[key], f"OAUTH2LOGIN_{key}", int)
    prefix = values["URL_PREFIX"] or ""
    if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
        raise ConfigurationError(
            "must start with '/' and not end with one, e.g. '/auth'", key="OAUTH2LOGIN_URL_PREFIX"
        )
    external = values["EXTERNAL_URL"]
    if external is not None:
        _check_absolute_url(external, key="OAUTH2LOGIN_EXTERNAL_URL")
        external = external.rstrip("/")

    entries = config.get("OAUTH2LOGIN_PROVIDERS")
    if not isinstance(entries, t.Mapping) or not entries:
        raise ConfigurationError(
            "configure at least one provider, e.g. "
            "{'github': {'client_id': '...', 'client_secret': '...'}}",
            key="OAUTH2LOGIN_PROVIDERS",
        )
    provider_configs = {
        name: load_provider(name, entry, config, environ) for name, entry in entries.items()
    }
    return Settings(
        providers=provider_configs,
        http_timeout=values["HTTP_TIMEOUT"],
        redirect_url=values["REDIRECT_URL"],
        logout_redirect_url=values["LOGOUT_REDIRECT_URL"],
        url_prefix=prefix,
        external_url=external,
        login_timeout=values["LOGIN_TIMEOUT"],
        max_pending_logins=values["MAX_PENDING_LOGINS"],
        clock_skew=values["CLOCK_SKEW"],
        refresh_leeway=values["REFRESH_LEEWAY"],
        metadata_ttl=values["METADATA_TTL"],
        jwks_min_refetch_interval=values["JWKS_MIN_REFETCH_INTERVAL"],
        refresh_wait=values["REFRESH_WAIT"],
    )


def load_provider(
    name: str,
    entry: t.Any,
    config: t.Mapping[str, t.Any],
    environ: t.Mapping[str, str],
) -> ProviderConfig:
    """Merge a provider entry with its preset and validate the result."""
    if not isinstance(name, str) or not name.replace("-", "").replace("_", "").isalnum():
        raise ConfigurationError(
            "provider names are letters, digits, '-' and '_' (they appear in URLs)",
            provider=str(name),
        )
    if not isinstance(entry, t.Mapping):
        raise ConfigurationError("must be a dict of settings", provider=name)
    entry = dict(entry)

    preset_name = entry.pop("preset", None)
    if preset_name is None:
        preset = providers.get(name) or providers.get("oidc")
    else:
        preset = providers.get(preset_name)
        if preset is None:
            raise ConfigurationError(
                f"unknown preset {preset_name!r}; built-in presets: {', '.join(providers.names())}",
                provider=name,
                key="preset",
            )
    assert preset is not None

    unknown = set(entry) - PROVIDER_KEYS - set(preset.options)
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigurationError(
            f"unknown key; known keys are {', '.join(sorted(PROVIDER_KEYS | set(preset.options)))}",
            provider=name,
            key=key,
        )

    # Credentials, and the preset's options (an Apple key, a tenant), may
    # come from OAUTH2LOGIN_<NAME>_<KEY> in the config or the environment.
    for key in ("client_id", "client_secret", *preset.options):
        if key not in entry:
            found = _from_config_or_environ(name, key, config, environ)
            if found is not None:
                entry[key] = found

    if preset.configure is not None:
        try:
            entry = preset.configure(entry)
        except ConfigurationError as exc:
            message = exc.message
            if exc.key and message.startswith(f"{exc.key}: "):
                message = message[len(exc.key) + 2 :]
            raise ConfigurationError(message, provider=name, key=exc.key) from None

    merged: dict[str, t.Any] = {
        "server_metadata_url": preset.server_metadata_url,
        "issuer": preset.issuer,
        "authorize_url": preset.authorize_url,
        "token_url": preset.token_url,
        "userinfo_url": preset.userinfo_url,
        "jwks_uri": preset.jwks_uri,
        "revocation_url": preset.revocation_url,
        "scope": preset.scope,
        "authorize_params": dict(preset.authorize_params),
        "token_endpoint_auth_method": preset.token_endpoint_auth_method,
        "token_placement": preset.token_placement,
        "api_headers": dict(preset.api_headers),
        "api_base_url": preset.api_base_url,
        "api_origins": preset.api_origins,
        "fetch_userinfo": "auto",
        "title": preset.title if preset.name != "oidc" else name.replace("_", " ").title(),
    }
    options = {key: entry.pop(key) for key in preset.options if key in entry}
    merged.update(entry)

    client_id = merged.get("client_id")
    if not client_id or not isinstance(client_id, str):
        env_name = f"OAUTH2LOGIN_{_env_name(name)}_CLIENT_ID"
        raise ConfigurationError(
            f"missing; set it in the provider entry or the {env_name} environment variable",
            provider=name,
            key="client_id",
        )
    method = merged["token_endpoint_auth_method"]
    if method not in AUTH_METHODS:
        raise ConfigurationError(
            f"must be one of {', '.join(AUTH_METHODS)}",
            provider=name,
            key="token_endpoint_auth_method",
        )
    built_secret = preset.client_secret_builder is not None
    if method != "none" and not merged.get("client_secret") and not built_secret:
        env_name = f"OAUTH2LOGIN_{_env_name(name)}_CLIENT_SECRET"
        raise ConfigurationError(
            f"missing; set it (or the {env_name} environment variable), "
            "or use token_endpoint_auth_method='none' for a public client",
            provider=name,
            key="client_secret",
        )

    scope = merged["scope"]
    if (
        preset.name == "oidc"
        and "scope" not in entry
        and not merged.get("server_metadata_url")
        and not merged.get("issuer")
    ):
        # Endpoints by hand and no issuer: a plain OAuth 2.0 provider, which
        # issues no ID token unless scope asks for openid.
        scope = ()
    if isinstance(scope, str):
        scope = tuple(scope.split())
    elif isinstance(scope, list | tuple) and all(isinstance(s, str) for s in scope):
        scope = tuple(scope)
    else:
        raise ConfigurationError(
            "must be a space-separated string or a list of strings", provider=name, key="scope"
        )
    merged["scope"] = scope

    for key in _URL_KEYS:
        value = merged.get(key)
        if value is not None:
            _check_url(value, provider=name, key=key)
    if merged.get("issuer") is not None:
        _check_absolute_url(merged["issuer"], provider=name, key="issuer")

    if not merged.get("server_metadata_url"):
        if merged.get("issuer") and not (merged.get("authorize_url") and merged.get("token_url")):
            merged["server_metadata_url"] = (
                merged["issuer"].rstrip("/") + "/.well-known/openid-configuration"
            )
        else:
            for key in ("authorize_url", "token_url"):
                if not merged.get(key):
                    raise ConfigurationError(
                        "missing; give server_metadata_url (OpenID Connect discovery) "
                        "or both authorize_url and token_url",
                        provider=name,
                        key=key,
                    )
            if "openid" in scope and not (merged.get("jwks_uri") and merged.get("issuer")):
                key = "jwks_uri" if not merged.get("jwks_uri") else "issuer"
                raise ConfigurationError(
                    "missing; an OpenID Connect provider without server_metadata_url needs "
                    "issuer and jwks_uri to check ID tokens",
                    provider=name,
                    key=key,
                )

    algorithms = merged.pop("id_token_algorithms", None)
    if algorithms is not None:
        algorithms = (algorithms,) if isinstance(algorithms, str) else tuple(algorithms)
        bad = [a for a in algorithms if a not in ASYMMETRIC_ALGORITHMS + HMAC_ALGORITHMS]
        if bad or not algorithms:
            raise ConfigurationError(
                f"unsupported algorithm {bad[0] if bad else '(none given)'!r}; "
                f"use {', '.join(ASYMMETRIC_ALGORITHMS + HMAC_ALGORITHMS)}",
                provider=name,
                key="id_token_algorithms",
            )
        if any(a in HMAC_ALGORITHMS for a in algorithms) and not merged.get("client_secret"):
            raise ConfigurationError(
                "HMAC-signed ID tokens need a client_secret",
                provider=name,
                key="id_token_algorithms",
            )
    elif not merged.get("server_metadata_url"):
        algorithms = tuple(preset.id_token_algorithms)

    if merged["token_placement"] not in ("header", "query"):
        raise ConfigurationError(
            "must be 'header' or 'query'", provider=name, key="token_placement"
        )
    for key in ("authorize_params", "api_headers"):
        if not isinstance(merged[key], t.Mapping):
            raise ConfigurationError("must be a dict", provider=name, key=key)
    if not isinstance(merged.get("title"), str):
        raise ConfigurationError("must be a string", provider=name, key="title")

    if merged["fetch_userinfo"] not in ("auto", True, False):
        raise ConfigurationError(
            "must be 'auto', True or False", provider=name, key="fetch_userinfo"
        )
    merged["api_origins"] = _origins(merged["api_origins"], provider=name)

    trusted = merged.pop("trusted_audiences", ())
    if isinstance(trusted, str):
        trusted = (trusted,)
    if not isinstance(trusted, list | tuple) or not all(isinstance(a, str) and a for a in trusted):
        raise ConfigurationError(
            "must be a list of audience strings", provider=name, key="trusted_audiences"
        )
    return ProviderConfig(
        name=name,
        preset=preset,
        id_token_algorithms=algorithms,
        trusted_audiences=tuple(trusted),
        options=options,
        **merged,
    )


def _origins(value: t.Any, *, provider: str) -> tuple[str, ...]:
    """Check ``api_origins``: a list of ``scheme://host[:port]`` strings."""
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, list | tuple):
        raise ConfigurationError(
            "must be a list of origins such as 'https://api.example'",
            provider=provider,
            key="api_origins",
        )
    origins = []
    for origin in value:
        parts = urlsplit(origin) if isinstance(origin, str) else None
        if (
            parts is None
            or parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
        ):
            raise ConfigurationError(
                f"must be origins such as 'https://api.example' (no path), not {origin!r}",
                provider=provider,
                key="api_origins",
            )
        origins.append(f"{parts.scheme}://{parts.netloc}".lower())
    return tuple(origins)


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


def _positive_number(value: t.Any, key: str, kind: type) -> t.Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"must be a number, not {value!r}", key=key) from None
    if number <= 0:
        raise ConfigurationError(f"must be greater than zero, not {value!r}", key=key)
    return number


def _check_url(value: t.Any, *, provider: str, key: str) -> None:
    """Accept an absolute http(s) URL, or a path on this app (starting with ``/``)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//"):
        return
    _check_absolute_url(value, provider=provider, key=key)


def _check_absolute_url(value: t.Any, *, provider: str | None = None, key: str) -> None:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"must be an absolute http(s) URL, not {value!r}", provider=provider, key=key
        )
