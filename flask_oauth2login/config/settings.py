"""The app-wide ``OAUTH2LOGIN_*`` configuration: its table, :data:`APP_SETTINGS`,
and its reading into :class:`Settings`.

Each key is one row of :data:`APP_SETTINGS`: its parser, its default and
what it does. Everything is read once, in ``init_app``; each provider's
entry becomes a :class:`ProviderConfig`, read by
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
from ..errors import DEFAULT_DOCS_URL, ConfigurationError
from ..providers.registry import PresetRegistry
from . import parsers
from .provider import ProviderConfig as ProviderConfig
from .provider import environ_key, environ_keys
from .provider import load_provider as load_provider
from .table import Setting, nearest, table

#: What every app-wide key starts with.
PREFIX = "OAUTH2LOGIN_"
#: Keys of the development provider (:mod:`flask_oauth2login.devidp`), which
#: reads them itself.
DEVIDP_PREFIX = "OAUTH2LOGIN_DEVIDP_"

#: The app-wide settings, each read from ``OAUTH2LOGIN_<NAME>`` into the
#: field of :class:`Settings` called like it in lower case.
APP_SETTINGS: dict[str, Setting] = table(
    Setting(
        "PROVIDERS",
        "provider name → provider entry (below). Names are letters, digits, `-` and `_`; "
        "they appear in URLs",
        parsers.providers,
        shown="(required)",
    ),
    Setting(
        "HTTP_TIMEOUT",
        "seconds before any call to a provider gives up",
        parsers.positive(float),
        default=10.0,
    ),
    Setting(
        "REDIRECT_URL",
        "where a login lands when `next` is missing or not a path on this site",
        default="/",
    ),
    Setting("LOGOUT_REDIRECT_URL", "where `POST /logout` lands", default="/"),
    Setting(
        "URL_PREFIX",
        'prefix of the login, callback and logout routes, e.g. `"/auth"`',
        parsers.url_prefix,
        default="",
    ),
    Setting(
        "EXTERNAL_URL",
        'the app\'s public base URL, e.g. `"https://app.example"`; pins every redirect URI '
        "(apps behind proxies)",
        parsers.optional(parsers.base_url),
        shown="`None` (from each request)",
    ),
    Setting(
        "LOGIN_TIMEOUT",
        "seconds a started login may take before its state expires",
        parsers.positive(int),
        default=600,
    ),
    Setting(
        "MAX_PENDING_LOGINS",
        "logins one session may have in flight at once (several tabs); the oldest gives way",
        parsers.positive(int),
        default=8,
    ),
    Setting(
        "CLOCK_SKEW",
        "seconds of clock skew tolerated when checking ID tokens",
        parsers.positive(int),
        default=60,
    ),
    Setting(
        "REFRESH_LEEWAY",
        "seconds before expiry at which an access token is refreshed",
        parsers.positive(int),
        default=30,
    ),
    Setting(
        "METADATA_TTL",
        "seconds discovery documents and signing keys are cached in each process",
        parsers.positive(int),
        default=3600,
    ),
    Setting(
        "JWKS_MIN_REFETCH_INTERVAL",
        "least seconds between two key fetches caused by unknown key ids",
        parsers.positive(int),
        default=60,
    ),
    Setting(
        "REFRESH_WAIT",
        "seconds a request waits for a concurrent refresh of the same token",
        parsers.positive(float),
        default=10.0,
    ),
    Setting(
        "TOKEN_STORE",
        "where tokens are also kept, for use with no request: a SQLAlchemy URL "
        '(`"sqlite:///tokens.db"`, a path relative to the instance folder; '
        '`"postgresql+psycopg://..."`), a SQLAlchemy `Engine`, or a `redis.Redis` client. '
        "See [Tokens in background jobs](#tokens-in-background-jobs)",
        shown="`None` (the session only)",
    ),
    Setting(
        "ENCRYPTION_KEYS",
        "keys that encrypt tokens at rest (sessions and token store): a list of random "
        "strings of at least 32 characters; the first encrypts, all decrypt",
        check_keys,
        shown="`None` (a key derived from `SECRET_KEY`)",
    ),
    Setting(
        "TOKEN_CACHE_TTL",
        "seconds a process reuses a token it read from the token store before reading it "
        "again (`0`: every use reads it)",
        parsers.seconds_or_zero,
        default=5.0,
    ),
    Setting(
        "JWKS_URL_PATH",
        'a path on this app, e.g. `"/.well-known/jwks.json"`, serving the public keys of the '
        "`private_key_jwt` providers (see High-security providers)",
        parsers.optional(parsers.app_path),
        shown="`None` (no route)",
    ),
    Setting(
        "DPOP_PRIVATE_KEY",
        "the app's DPoP key (PEM text or path; EC or RSA), for providers with `dpop: True`",
        parsers.optional(parsers.private_key),
        shown="derived from `SECRET_KEY`",
    ),
    Setting(
        "ACCOUNTS_PAGE",
        "serve `/accounts`, a page listing the session's connected accounts with Connect "
        "and Disconnect buttons (`False`: no such route)",
        parsers.flag,
        default=False,
    ),
    Setting(
        "DISCONNECT_LAST",
        'what disconnecting the session\'s only login does: `"refuse"` (answered 409) or '
        '`"logout"` (a logout)',
        parsers.disconnect_last,
        default="refuse",
    ),
    Setting(
        "DOCS_URL",
        "where the documentation lives; error pages (in debug mode) and log lines about "
        "failed logins and configuration errors link to its error reference",
        parsers.base_url,
        default=DEFAULT_DOCS_URL,
    ),
    Setting(
        "BASE_TEMPLATE",
        "the template the extension's pages extend (login chooser, errors, connect, "
        "logout ...): the app's own base template gives them its look. It needs the blocks "
        "`title`, `head` and `content`",
        parsers.template_name,
        default="oauth2login/base.html",
    ),
    Setting(
        "TRANSLATION_DIRECTORIES",
        "folders (relative to the app's root) of catalogs of the `flask_oauth2login` message "
        "domain, searched before the shipped ones: to add a language or change a string",
        parsers.directories,
        default=(),
    ),
)


@dataclass(frozen=True)
class Settings:
    """The extension's settings for one app, read once by ``init_app``.

    Each field but ``presets`` is the setting of :data:`APP_SETTINGS` called
    like it in upper case, which says what it means and what it is by
    default, in the form its parser gives.
    """

    #: Each provider's entry, read.
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
    #: As configured (opened by ``init_app``).
    token_store: t.Any = field(repr=False)
    #: Empty when the key derives from ``SECRET_KEY``.
    encryption_keys: tuple[str | bytes, ...] = field(repr=False)
    token_cache_ttl: float
    jwks_url_path: str | None
    #: Loaded (and never shown).
    dpop_private_key: PrivateKey | None = field(repr=False)
    accounts_page: bool
    disconnect_last: str
    docs_url: str
    base_template: str
    translation_directories: tuple[str, ...]
    #: The presets the providers were resolved against.
    presets: PresetRegistry


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
    try:
        values = {
            name.lower(): parsers.checked(
                setting.parse, config.get(PREFIX + name, setting.default), key=PREFIX + name
            )
            for name, setting in APP_SETTINGS.items()
        }
    except ConfigurationError as exc:
        refuse_misspelling_of(exc.key, config)
        raise
    for name, entry in values["providers"].items():
        check_preset_name(name, entry, presets)
    values["providers"] = {
        name: load_provider(name, entry, config, environ, presets=presets)
        for name, entry in values["providers"].items()
    }
    return Settings(presets=presets, **values)


#: The keys of a provider entry that give its endpoints, so that it needs no preset.
ENDPOINT_KEYS = ("server_metadata_url", "issuer", "authorize_url", "token_url")


def nearest_preset(name: str, presets: PresetRegistry) -> str | None:
    """The preset whose name *name* is most likely a misspelling of, if any
    (``githbu`` → ``github``)."""
    return nearest(name.lower(), presets.names())


def check_preset_name(name: t.Any, entry: t.Any, presets: PresetRegistry) -> None:
    """Refuse a provider entry that names no preset it can use: an unknown
    ``preset``, or a provider name that is no preset in an entry that gives no
    endpoints (``"githbu": {...}``), naming the nearest preset.

    :raises ConfigurationError: naming the provider, the key and the preset
        it probably meant.
    """
    if not isinstance(name, str) or not isinstance(entry, t.Mapping):
        return  # load_provider says what is wrong with it
    known = presets.names()
    preset = entry.get("preset")
    if isinstance(preset, str) and preset and preset not in known:
        meant = nearest_preset(preset, presets)
        hint = f"did you mean {meant!r}? " if meant else ""
        raise ConfigurationError(
            f"unknown preset {preset!r}; {hint}known presets: {', '.join(known)} "
            "(a preset of another package needs that package installed)",
            provider=name,
            key="preset",
        )
    if preset is not None or name in known or any(entry.get(key) for key in ENDPOINT_KEYS):
        return
    meant = nearest_preset(name, presets)
    if meant is not None:
        raise ConfigurationError(
            f"{name!r} is no preset and the entry gives no endpoints; did you mean "
            f'{meant!r}? Name the provider {meant!r}, or say "preset": {meant!r}',
            provider=name,
        )
    raise ConfigurationError(
        f"missing; {name!r} is no preset, so the entry must give its endpoints: "
        "server_metadata_url (or issuer) for OpenID Connect, or authorize_url and token_url; "
        f'or name a preset with "preset" (known presets: {", ".join(known)})',
        provider=name,
        key="authorize_url",
    )


def credential_origin(
    provider: str, key: str, config: t.Mapping[str, t.Any], environ: t.Mapping[str, str]
) -> str | None:
    """Where *key* (``client_id``, ``client_secret``) of *provider*'s entry
    came from when the entry itself lacks it: ``"the environment variable
    OAUTH2LOGIN_<NAME>_<KEY>"``, or the app's config key of that name;
    ``None`` when the entry gives it (or nothing does)."""
    providers = config.get(PREFIX + "PROVIDERS")
    entry = providers.get(provider) if isinstance(providers, t.Mapping) else None
    if isinstance(entry, t.Mapping) and entry.get(key):
        return None
    name = environ_key(provider, key)
    if config.get(name):
        return f"the app's config key {name}"
    if environ.get(name):
        return f"the environment variable {name}"
    return None


def refuse_unknown_keys(config: t.Mapping[str, t.Any], settings: Settings) -> None:
    """Refuse the ``OAUTH2LOGIN_*`` keys of *config* that no setting reads.

    :raises ConfigurationError: naming the first such key and the key it
        probably meant.
    """
    known = known_keys(settings)
    unknown = unknown_keys(config, known)
    if not unknown:
        return
    key, meant = next(iter(unknown.items()))
    hint = f"; did you mean {meant}?" if meant else ""
    rest = [k + (f" (did you mean {m}?)" if m else "") for k, m in list(unknown.items())[1:]]
    others = f" Also unknown: {', '.join(rest)}." if rest else ""
    raise ConfigurationError(
        f"unknown setting{hint} (a key no setting of flask-oauth2login reads would "
        f"change nothing).{others}",
        key=key,
    )


def refuse_misspelling_of(missing: str | None, config: t.Mapping[str, t.Any]) -> None:
    """When the app setting *missing*, absent from *config*, is what the
    configuration lacks, refuse the unknown key that probably meant it
    (``OAUTH2LOGIN_PROVIDRS`` for ``OAUTH2LOGIN_PROVIDERS``) rather than
    report the setting as missing.

    :raises ConfigurationError: naming the misspelled key and the setting.
    """
    known = {PREFIX + name for name in APP_SETTINGS}
    if missing is None or missing not in known or missing in config:
        return
    for key, meant in unknown_keys(config, known).items():
        if meant == missing:
            raise ConfigurationError(
                f"unknown setting; did you mean {meant}? ({meant} is not set, and a key "
                "no setting of flask-oauth2login reads would change nothing).",
                key=key,
            )


def known_keys(settings: Settings) -> dict[str, str]:
    """Every ``OAUTH2LOGIN_*`` key the app's *settings* read, with what it does
    (the development provider's keys aside)."""
    known = {PREFIX + name: setting.doc for name, setting in APP_SETTINGS.items()}
    for name, provider in settings.providers.items():
        for key, entry_key in environ_keys(name, provider.preset).items():
            known[key] = f"`{entry_key}` of provider {name!r}, when its entry has none"
    return known


def unknown_keys(config: t.Mapping[str, t.Any], known: t.Collection[str]) -> dict[str, str | None]:
    """The ``OAUTH2LOGIN_*`` keys of *config* not in *known* (a typo, or a
    setting of another version), each with the key it probably meant.

    :param known: the keys the app's settings read (:func:`known_keys`).
    """
    names = [key.removeprefix(PREFIX) for key in known]
    unknown: dict[str, str | None] = {}
    for key in sorted(config):
        spelled = key.upper()
        if not spelled.startswith(PREFIX) or key in known or spelled.startswith(DEVIDP_PREFIX):
            continue
        meant = nearest(spelled.removeprefix(PREFIX), names)
        unknown[key] = None if meant is None else PREFIX + meant
    return unknown
