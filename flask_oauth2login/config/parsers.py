"""Parsers of the values of settings: a provider entry's keys, and the
app-wide ``OAUTH2LOGIN_*`` ones.

Each parser checks one value and returns it in its final form, or raises
:class:`Invalid` with a message that says what the value must be;
:func:`checked` turns that into a
:class:`~flask_oauth2login.errors.ConfigurationError` naming the provider
(if any) and the key. The tables that say which setting takes which parser
are :data:`~flask_oauth2login.config.table.PROVIDER_SETTINGS` and
:data:`~flask_oauth2login.config.settings.APP_SETTINGS`.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

from ..crypto.keys import (
    ASYMMETRIC_ALGORITHMS,
    HMAC_ALGORITHMS,
    InvalidKey,
    PrivateKey,
    load_private_key,
)
from ..errors import ConfigurationError
from ..providers.base import is_scope_token
from ..user import USER_MAP_FIELDS, parse_path

#: Client authentication methods at the token endpoint.
AUTH_METHODS = (
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "client_secret_jwt",
    "none",
)
#: Where a client assertion's ``aud`` points: the provider's issuer
#: (:rfc:`7523`'s successor and FAPI 2.0), or the URL of the endpoint called
#: (Okta, Microsoft Entra ID).
AUDIENCES = ("issuer", "endpoint")
#: The shortest client secret ``client_secret_jwt`` signs with (RFC 7518 §3.2: 256 bits).
MIN_JWT_SECRET_LENGTH = 32


def checked(parse: Parser, value: t.Any, *, key: str, provider: str | None = None) -> t.Any:
    try:
        return parse(value)
    except Invalid as exc:
        raise ConfigurationError(str(exc), provider=provider, key=key) from None


class Invalid(Exception):
    """A value a parser refuses; the message says what it must be."""


#: Checks a setting's value and returns it in its final form; raises
#: :class:`Invalid` to refuse it.
Parser = t.Callable[[t.Any], t.Any]


def as_is(value: t.Any) -> t.Any:
    return value


def optional(parse: Parser) -> Parser:
    """*parse*, letting ``None`` (not given) through."""
    return lambda value: None if value is None else parse(value)


def auth_method(value: t.Any) -> str:
    if value not in AUTH_METHODS:
        raise Invalid(f"must be one of {', '.join(AUTH_METHODS)}")
    return t.cast(str, value)


def token_placement(value: t.Any) -> str:
    if value not in ("header", "query"):
        raise Invalid("must be 'header' or 'query'")
    return t.cast(str, value)


def string(value: t.Any) -> str:
    if not isinstance(value, str):
        raise Invalid("must be a string")
    return value


def mapping(value: t.Any) -> t.Mapping[str, t.Any]:
    if not isinstance(value, t.Mapping):
        raise Invalid("must be a dict")
    return value


def url(value: t.Any) -> str:
    """Accept an absolute http(s) URL, or a path on this app (starting with ``/``)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//"):
        return value
    return absolute_url(value)


def absolute_url(value: t.Any) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise Invalid(f"must be an absolute http(s) URL, not {value!r}")
    return t.cast(str, value)


def scope(value: t.Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list | tuple) and all(isinstance(s, str) for s in value):
        return tuple(value)
    raise Invalid("must be a space-separated string or a list of strings")


def scope_tokens(value: t.Any) -> tuple[str, ...]:
    """``allowed_scopes``: like ``scope``, each a valid scope token (RFC 6749 §3.3)."""
    scopes = scope(value)
    bad = [s for s in scopes if not is_scope_token(s)]
    if bad:
        raise Invalid(f"{bad[0]!r} is not a scope (no quotes or backslashes)")
    return tuple(dict.fromkeys(scopes))


def algorithms(value: t.Any) -> tuple[str, ...]:
    algorithms = (value,) if isinstance(value, str) else tuple(value)
    bad = [a for a in algorithms if a not in ASYMMETRIC_ALGORITHMS + HMAC_ALGORITHMS]
    if bad or not algorithms:
        raise Invalid(
            f"unsupported algorithm {bad[0] if bad else '(none given)'!r}; "
            f"use {', '.join(ASYMMETRIC_ALGORITHMS + HMAC_ALGORITHMS)}"
        )
    return algorithms


def audiences(value: t.Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, list | tuple) or not all(isinstance(a, str) and a for a in value):
        raise Invalid("must be a list of audience strings")
    return tuple(value)


def fetch_userinfo(value: t.Any) -> bool | str:
    if value != "auto" and value is not True and value is not False:  # not 1 or 0
        raise Invalid("must be 'auto', True or False")
    return t.cast(bool | str, value)


def private_key(value: t.Any) -> PrivateKey:
    try:
        return load_private_key(value)
    except InvalidKey as exc:
        raise Invalid(str(exc)) from None


def key_id(value: t.Any) -> str:
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise Invalid("must be the key's id (kid) as registered with the provider")
    return value


def assertion_audience(value: t.Any) -> str:
    if value not in AUDIENCES:
        raise Invalid(
            "must be 'issuer' (the provider's issuer) or 'endpoint' (the URL of the "
            "endpoint called, as Okta and Microsoft Entra ID want)"
        )
    return t.cast(str, value)


def par(value: t.Any) -> bool | str:
    if value != "auto" and value is not True and value is not False:
        raise Invalid("must be 'auto', True or False")
    return t.cast(bool | str, value)


def flag(value: t.Any) -> bool:
    if value is not True and value is not False:
        raise Invalid("must be True or False")
    return value


def disconnect_last(value: t.Any) -> str:
    if value not in ("refuse", "logout"):
        raise Invalid("must be 'refuse' or 'logout'")
    return t.cast(str, value)


def origins(value: t.Any) -> tuple[str, ...]:
    """``api_origins``: a list of ``scheme://host[:port]`` strings."""
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, list | tuple):
        raise Invalid("must be a list of origins such as 'https://api.example'")
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
            raise Invalid(
                f"must be origins such as 'https://api.example' (no path), not {origin!r}"
            )
        origins.append(f"{parts.scheme}://{parts.netloc}".lower())
    return tuple(origins)


def user_map(value: t.Any) -> dict[str, str]:
    """``user_map``: user field to a dotted path into the raw profile."""
    if not isinstance(value, t.Mapping):
        raise Invalid(
            "must be a dict of user field to dotted path, e.g. "
            "{'sub': 'id', 'email': 'emails.0.value'}"
        )
    for key, path in value.items():
        if key not in USER_MAP_FIELDS:
            raise Invalid(f"maps {key!r}; map only {', '.join(USER_MAP_FIELDS)}")
        if not isinstance(path, str) or parse_path(path) is None:
            raise Invalid(
                f"the path of {key!r} must be a dotted path such as 'emails.0.value', not {path!r}"
            )
    return dict(value)


def user_agent(value: t.Any) -> str:
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise Invalid("must be a line of text such as 'web:com.example.app:v1.0 (by you)'")
    return value


# -- app-wide settings --------------------------------------------------------------


def positive(kind: type[int] | type[float]) -> Parser:
    """A number greater than zero, made an *int* or a *float*."""

    def parse(value: t.Any) -> int | float:
        try:
            number = kind(value)
        except (TypeError, ValueError):
            raise Invalid(f"must be a number, not {value!r}") from None
        if number <= 0:
            raise Invalid(f"must be greater than zero, not {value!r}")
        return number

    return parse


def seconds_or_zero(value: t.Any) -> float:
    """A number of seconds, zero allowed (it turns something off)."""
    return 0.0 if value == 0 else float(positive(float)(value))


def url_prefix(value: t.Any) -> str:
    """A prefix of paths on this app: empty, or ``/auth`` (no trailing ``/``)."""
    prefix = value or ""
    if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
        raise Invalid("must start with '/' and not end with one, e.g. '/auth'")
    return t.cast(str, prefix)


def app_path(value: t.Any) -> str:
    """A path on this app, e.g. ``/.well-known/jwks.json``."""
    if not isinstance(value, str) or not value.startswith("/") or "//" in value:
        raise Invalid("must be a path on this app, e.g. '/.well-known/jwks.json'")
    return value


def base_url(value: t.Any) -> str:
    """An absolute http(s) URL, returned without a trailing ``/``."""
    return absolute_url(value).rstrip("/")


def providers(value: t.Any) -> t.Mapping[str, t.Any]:
    """``OAUTH2LOGIN_PROVIDERS``: at least one entry (read one by one later)."""
    if not isinstance(value, t.Mapping) or not value:
        raise Invalid(
            "configure at least one provider, e.g. "
            "{'github': {'client_id': '...', 'client_secret': '...'}}"
        )
    return value


def template_name(value: t.Any) -> str:
    """``BASE_TEMPLATE``: the name of a Jinja template, as ``render_template`` takes it."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid("must be the name of a template, such as 'base.html'")
    return value


def directories(value: t.Any) -> tuple[str, ...]:
    """``TRANSLATION_DIRECTORIES``: a list of folder paths (a single path is a list of one)."""
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise Invalid("must be a list of folder paths, such as ['translations']")
    return tuple(value)
