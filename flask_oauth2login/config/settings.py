"""Defaults and validation of the app-wide ``OAUTH2LOGIN_*`` configuration.

Everything is read once, in ``init_app``, into :class:`Settings`; each
provider's entry becomes a :class:`ProviderConfig`, read by
:mod:`~flask_oauth2login.config.provider`. A mistake raises
:class:`~flask_oauth2login.errors.ConfigurationError` naming the provider and
the key, so a typo fails at start-up instead of at the first login.
"""

from __future__ import annotations

import os
import typing as t
from dataclasses import dataclass, field

from ..crypto.cipher import check_keys
from ..crypto.keys import PrivateKey
from ..errors import ConfigurationError
from ..providers.registry import PresetRegistry
from .parsers import AUTH_METHODS as AUTH_METHODS
from .parsers import MIN_JWT_SECRET_LENGTH as MIN_JWT_SECRET_LENGTH
from .parsers import absolute_url, checked, private_key
from .provider import PROVIDER_KEYS as PROVIDER_KEYS
from .provider import ProviderConfig as ProviderConfig
from .provider import load_provider as load_provider

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
    #: Path on this app (e.g. ``/.well-known/jwks.json``) serving the public
    #: keys of the ``private_key_jwt`` providers, to register with them.
    #: Default: no such route.
    "JWKS_URL_PATH": None,
    #: The app's DPoP private key (PEM text or path; EC or RSA), shared by
    #: all its processes. Default: derived from ``SECRET_KEY``.
    "DPOP_PRIVATE_KEY": None,
    #: Where tokens are also kept, for use outside a request: a SQLAlchemy
    #: database URL, a ``redis.Redis`` client, or ``None`` (the session only).
    "TOKEN_STORE": None,
    #: Keys that encrypt tokens at rest, the first one encrypting; ``None``:
    #: one derived from ``SECRET_KEY``.
    "ENCRYPTION_KEYS": None,
    #: Seconds a process reuses a token it read from the token store; 0: read
    #: it for every use.
    "TOKEN_CACHE_TTL": 5.0,
}


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
    #: The presets the providers were resolved against.
    presets: PresetRegistry = field(default_factory=PresetRegistry)
    #: Where the app serves its public keys (``OAUTH2LOGIN_JWKS_URL_PATH``).
    jwks_url_path: str | None = None
    #: ``OAUTH2LOGIN_DPOP_PRIVATE_KEY``, loaded (never shown).
    dpop_private_key: PrivateKey | None = field(default=None, repr=False)
    #: ``OAUTH2LOGIN_TOKEN_STORE`` as configured (opened by ``init_app``).
    token_store: t.Any = field(default=None, repr=False)
    #: ``OAUTH2LOGIN_ENCRYPTION_KEYS``; empty when keys derive from ``SECRET_KEY``.
    encryption_keys: tuple[str | bytes, ...] = field(default=(), repr=False)
    #: ``OAUTH2LOGIN_TOKEN_CACHE_TTL``.
    token_cache_ttl: float = 5.0


def load_settings(
    config: t.Mapping[str, t.Any],
    environ: t.Mapping[str, str] | None = None,
    *,
    presets: PresetRegistry | None = None,
) -> Settings:
    """Read and validate the ``OAUTH2LOGIN_*`` keys of an app's config.

    :param presets: where preset names are looked up; default: the built-in
        presets and those of installed packages.
    """
    environ = os.environ if environ is None else environ
    presets = PresetRegistry() if presets is None else presets
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
    jwks_path = values["JWKS_URL_PATH"]
    if jwks_path is not None and (
        not isinstance(jwks_path, str) or not jwks_path.startswith("/") or "//" in jwks_path
    ):
        raise ConfigurationError(
            "must be a path on this app, e.g. '/.well-known/jwks.json'",
            key="OAUTH2LOGIN_JWKS_URL_PATH",
        )
    dpop_key = values["DPOP_PRIVATE_KEY"]
    if dpop_key is not None:
        dpop_key = checked(private_key, dpop_key, key="OAUTH2LOGIN_DPOP_PRIVATE_KEY")
    external = values["EXTERNAL_URL"]
    if external is not None:
        checked(absolute_url, external, key="OAUTH2LOGIN_EXTERNAL_URL")
        external = external.rstrip("/")

    entries = config.get("OAUTH2LOGIN_PROVIDERS")
    if not isinstance(entries, t.Mapping) or not entries:
        raise ConfigurationError(
            "configure at least one provider, e.g. "
            "{'github': {'client_id': '...', 'client_secret': '...'}}",
            key="OAUTH2LOGIN_PROVIDERS",
        )
    provider_configs = {
        name: load_provider(name, entry, config, environ, presets=presets)
        for name, entry in entries.items()
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
        presets=presets,
        jwks_url_path=jwks_path,
        dpop_private_key=dpop_key,
        token_store=values["TOKEN_STORE"],
        encryption_keys=check_keys(values["ENCRYPTION_KEYS"]),
        token_cache_ttl=_number_or_zero(values["TOKEN_CACHE_TTL"], "OAUTH2LOGIN_TOKEN_CACHE_TTL"),
    )


def _positive_number(value: t.Any, key: str, kind: type) -> t.Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"must be a number, not {value!r}", key=key) from None
    if number <= 0:
        raise ConfigurationError(f"must be greater than zero, not {value!r}", key=key)
    return number


def _number_or_zero(value: t.Any, key: str) -> float:
    """A number of seconds, zero allowed (it turns something off)."""
    return 0.0 if value == 0 else float(_positive_number(value, key, float))
