"""Checks that harden a set-up that works: a ``SECRET_KEY`` strong enough to
derive keys from, and the ``__Host-`` prefix of the session cookie.

Keys are derived from ``SECRET_KEY`` (the token cipher when
``OAUTH2LOGIN_ENCRYPTION_KEYS`` is unset, the DPoP key when
``OAUTH2LOGIN_DPOP_PRIVATE_KEY`` is unset), so what providers and APIs see
lets anyone try guesses of a weak one offline: :func:`check_secret_key_strength`
fails on a key shorter than :data:`MIN_KEY_BYTES` bytes or with less than
:data:`MIN_KEY_BITS` bits of estimated entropy.

A cookie named ``__Host-...`` is kept by browsers only when it is Secure,
has ``Path=/`` and no ``Domain``, so no sibling subdomain can plant or
overwrite it: :func:`check_host_cookie` recommends the prefix when the app
is served over https, and fails on a prefixed cookie that browsers would
drop.
"""

from __future__ import annotations

import math
import typing as t
import zlib
from collections import Counter
from urllib.parse import urlsplit

from flask import Flask

from .redirects import RedirectURI
from .report import ERROR, OK, WARNING, Report

#: Fewest bytes of a ``SECRET_KEY`` that keys are derived from.
MIN_KEY_BYTES = 32
#: Fewest bits of entropy, estimated from the key's own symbols, of a ``SECRET_KEY``.
MIN_KEY_BITS = 96
#: The prefix of a cookie that only its host can set (RFC 6265bis §4.1.3.2).
HOST_PREFIX = "__Host-"


def estimated_bits(key: bytes) -> float:
    """The entropy of *key*, estimated from its own bytes: an upper bound,
    low for repeated or few symbols and for repeated runs of them.

    The least of: the key's length times the Shannon entropy of its bytes,
    counted over its shortest repeating period (``"0123456789abcdef" * 2``
    is worth its first 16 characters); and the bits that *key* takes once
    compressed (``"abcd" * 16`` has four symbols, and one run of them)."""
    if not key:
        return 0.0
    period = _period(key)
    head = key[:period]
    counts = Counter(head)
    total = len(head)
    per_byte = -sum(n / total * math.log2(n / total) for n in counts.values())
    compressed = 8 * max(0, len(zlib.compress(key, 9)) - _EMPTY_COMPRESSED)
    return abs(min(per_byte * total, compressed))  # never -0.0


#: The length of nothing, compressed (zlib's header and checksum).
_EMPTY_COMPRESSED = len(zlib.compress(b"", 9))


def _period(key: bytes) -> int:
    """The length of the shortest run of bytes that *key* repeats (a prefix
    of it, the last repeat maybe cut short); ``len(key)`` when it repeats
    none (the prefix function of Knuth, Morris and Pratt)."""
    border = [0] * len(key)
    for i in range(1, len(key)):
        k = border[i - 1]
        while k and key[i] != key[k]:
            k = border[k - 1]
        border[i] = k + (key[i] == key[k])
    return len(key) - border[-1]


def check_secret_key_strength(app: Flask, report: Report) -> None:
    """Fail on a ``SECRET_KEY`` too short or too regular to derive keys from."""
    topic = "secret key strength"
    key = app.config.get("SECRET_KEY")
    if not key:
        return  # the secret-key check reports it
    raw = key if isinstance(key, bytes) else str(key).encode("utf-8")
    advice = (
        "Keys are derived from it (the token cipher, the DPoP key), so a weak one can be "
        "guessed offline from what providers and APIs see. Use e.g. "
        "python -c 'import secrets; print(secrets.token_hex())', the same in every process."
    )
    if len(raw) < MIN_KEY_BYTES:
        report.add(
            ERROR,
            topic,
            f"SECRET_KEY is {len(raw)} bytes long, shorter than {MIN_KEY_BYTES}. {advice}",
        )
    elif estimated_bits(raw) < MIN_KEY_BITS:
        report.add(
            ERROR,
            topic,
            f"SECRET_KEY has low entropy (about {estimated_bits(raw):.0f} bits, fewer than "
            f"{MIN_KEY_BITS}): it repeats few characters, or a run of them. {advice}",
        )
    else:
        report.add(OK, topic, f"SECRET_KEY is at least {MIN_KEY_BYTES} bytes of varied text.")


def check_host_cookie(app: Flask, uris: t.Sequence[RedirectURI], report: Report) -> None:
    """Recommend the ``__Host-`` prefix over https; fail on a prefixed cookie
    that browsers would refuse."""
    topic = "session cookie prefix"
    name = str(app.config.get("SESSION_COOKIE_NAME") or "")
    if name.startswith(HOST_PREFIX):
        problems = []
        if not app.config.get("SESSION_COOKIE_SECURE"):
            problems.append("SESSION_COOKIE_SECURE is off")
        if app.config.get("SESSION_COOKIE_DOMAIN"):
            problems.append(f"SESSION_COOKIE_DOMAIN is {app.config['SESSION_COOKIE_DOMAIN']!r}")
        path = app.config.get("SESSION_COOKIE_PATH") or app.config.get("APPLICATION_ROOT") or "/"
        if path != "/":
            problems.append(f"the cookie's path is {path!r}")
        if problems:
            report.add(
                ERROR,
                topic,
                f"SESSION_COOKIE_NAME {name!r} has the {HOST_PREFIX} prefix, but "
                f"{'; '.join(problems)}: browsers refuse such a cookie, and every login is "
                "lost. A __Host- cookie needs SESSION_COOKIE_SECURE = True, "
                "SESSION_COOKIE_PATH = '/' and no SESSION_COOKIE_DOMAIN.",
            )
        else:
            report.add(OK, topic, f"SESSION_COOKIE_NAME {name!r}: only this host can set it.")
        return
    if _served_over_https(app, uris):
        report.add(
            WARNING,
            topic,
            f"the app is served over https, but its session cookie has no {HOST_PREFIX} "
            "prefix: a sibling subdomain can plant a cookie of that name. Set "
            f"SESSION_COOKIE_NAME = '{HOST_PREFIX}session' and SESSION_COOKIE_SECURE = True "
            "(with SESSION_COOKIE_PATH = '/' and no SESSION_COOKIE_DOMAIN).",
        )


def _served_over_https(app: Flask, uris: t.Sequence[RedirectURI]) -> bool:
    """Whether the app says it is served over https: a pinned https redirect
    URI, ``PREFERRED_URL_SCHEME`` or a Secure session cookie."""
    if app.config.get("PREFERRED_URL_SCHEME") == "https" or app.config.get("SESSION_COOKIE_SECURE"):
        return True
    return any(uri.pinned_by and urlsplit(uri.uri).scheme == "https" for uri in uris)
