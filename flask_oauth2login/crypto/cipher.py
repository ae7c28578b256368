"""Encryption of tokens at rest, with keys that can be rotated.

Tokens kept in the server-side session and in the token store are sealed
with AES-256-GCM (an AEAD, NIST SP 800-38D) from ``cryptography``. Each
sealed value is bound to what it belongs to (the provider, issuer and
subject of the login) as associated data, so a value copied to another
login's place does not open.

Keys come from ``OAUTH2LOGIN_ENCRYPTION_KEYS``, a list of secrets of at least
32 characters: the first one encrypts, all of them decrypt, so a key is
rotated by putting a new one first and, once ``flask oauth2login
rotate-keys`` has re-encrypted the store and the sessions sealed under the
old key have ended, dropping the old one. When the setting is not given,
the key is derived from ``SECRET_KEY`` (and ``SECRET_KEY_FALLBACKS`` decrypt)
with HKDF (RFC 5869). Each configured secret goes through HKDF too, so any
high-entropy string will do, e.g. ``secrets.token_urlsafe(32)``.

A sealed value reads ``v1.<key id>.<nonce + ciphertext>`` (base64url); the
key id is a hash of the derived key, so the right key is found at once and
never revealed. A value that does not open (a key rotated away, a value
tampered with) raises :class:`DecryptionFailed`, which callers turn into
"log in again".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import typing as t

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import ConfigurationError

#: Prefix of every sealed value: the format's version.
VERSION = "v1"
#: Least length of a configured key.
MIN_KEY_LENGTH = 32
#: HKDF salt: this library's keys are never another library's.
_SALT = b"flask-oauth2login"
#: HKDF info of a configured key and of ``SECRET_KEY``: one secret used for
#: both never yields the same key.
_INFO_KEY = b"tokens at rest: OAUTH2LOGIN_ENCRYPTION_KEYS"
_INFO_SECRET_KEY = b"tokens at rest: SECRET_KEY"
_NONCE_BYTES = 12


class DecryptionFailed(Exception):
    """A sealed value does not open with any of the keys: its key was
    rotated away, or it was tampered with. The login it held must be
    started again."""


class Cipher:
    """Seals and opens values with the first of its keys, opens with any.

    :param keys: secrets as configured (each at least 32 characters); the
        first encrypts.
    :param derived_from_secret_key: whether the keys are the app's
        ``SECRET_KEY`` and its fallbacks (used with another HKDF info).
    """

    def __init__(self, keys: t.Sequence[str | bytes], *, derived_from_secret_key: bool = False):
        if not keys:
            raise ValueError("at least one key is needed")
        info = _INFO_SECRET_KEY if derived_from_secret_key else _INFO_KEY
        derived = [_derive(key, info) for key in keys]
        self._ids = [_key_id(key) for key in derived]
        self._aeads = {key_id: AESGCM(key) for key_id, key in zip(self._ids, derived, strict=True)}
        #: The id of the key that encrypts.
        self.current_key_id = self._ids[0]
        self._current_prefix = f"{VERSION}.{self.current_key_id}."

    def seal(self, value: t.Any, context: str) -> str:
        """*value* (anything JSON can hold) sealed and bound to *context*."""
        nonce = os.urandom(_NONCE_BYTES)
        plain = json.dumps(value, separators=(",", ":")).encode()
        sealed = self._aeads[self.current_key_id].encrypt(nonce, plain, context.encode())
        return f"{VERSION}.{self.current_key_id}.{_b64encode(nonce + sealed)}"

    def open(self, sealed: t.Any, context: str) -> t.Any:
        """The value *sealed* holds, if it was sealed for *context* with one of the keys.

        :raises DecryptionFailed: if not.
        """
        key_id, data = self._parse(sealed)
        aead = self._aeads.get(key_id)
        if aead is None:
            raise DecryptionFailed("sealed with a key that is not configured (any more)")
        try:
            plain = aead.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise DecryptionFailed("tampered with, or sealed for something else") from None
        return json.loads(plain)

    def is_current(self, sealed: t.Any) -> bool:
        """Whether *sealed* was sealed with the key that encrypts now."""
        return isinstance(sealed, str) and sealed.startswith(self._current_prefix)

    def _parse(self, sealed: t.Any) -> tuple[str, bytes]:
        if not isinstance(sealed, str):
            raise DecryptionFailed("not a sealed value")
        version, _, rest = sealed.partition(".")
        key_id, _, encoded = rest.partition(".")
        if version != VERSION or not encoded:
            raise DecryptionFailed("not a sealed value")
        try:
            data = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except (binascii.Error, ValueError):
            raise DecryptionFailed("not a sealed value") from None
        if len(data) <= _NONCE_BYTES:
            raise DecryptionFailed("not a sealed value")
        return key_id, data


class MissingKey:
    """Stands in for a :class:`Cipher` in an app with neither
    ``OAUTH2LOGIN_ENCRYPTION_KEYS`` nor ``SECRET_KEY``: sealing a token
    there is a configuration error."""

    current_key_id = ""

    def _fail(self) -> t.NoReturn:
        raise ConfigurationError(
            "tokens at rest are encrypted, and this app has no key: set SECRET_KEY, or "
            "OAUTH2LOGIN_ENCRYPTION_KEYS to a list of random strings of at least "
            f"{MIN_KEY_LENGTH} characters",
            key="OAUTH2LOGIN_ENCRYPTION_KEYS",
        )

    def seal(self, value: t.Any, context: str) -> str:
        self._fail()

    def open(self, sealed: t.Any, context: str) -> t.Any:
        self._fail()

    def is_current(self, sealed: t.Any) -> bool:
        return False


def cipher_for(
    keys: t.Sequence[str | bytes],
    secret_key: str | bytes | None,
    fallbacks: t.Sequence[str | bytes] = (),
) -> Cipher | MissingKey:
    """The cipher of an app: its configured *keys* (already checked by
    :func:`check_keys`), else keys derived from *secret_key* and its
    *fallbacks*."""
    if keys:
        return Cipher(keys)
    secrets = [key for key in (secret_key, *fallbacks) if key]
    if not secrets:
        return MissingKey()
    return Cipher(secrets, derived_from_secret_key=True)


def check_keys(value: t.Any) -> tuple[str | bytes, ...]:
    """``OAUTH2LOGIN_ENCRYPTION_KEYS`` as a tuple (empty when not set).

    :raises ConfigurationError: if it is not a list of long enough strings.
    """
    key = "OAUTH2LOGIN_ENCRYPTION_KEYS"
    if value is None:
        return ()
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
        raise ConfigurationError(
            "must be a list of keys, the first of which encrypts, e.g. "
            "[os.environ['TOKEN_KEY_NEW'], os.environ['TOKEN_KEY_OLD']]",
            key=key,
        )
    if not value:
        raise ConfigurationError(
            "is an empty list; give at least one key, or leave it unset to derive "
            "one from SECRET_KEY",
            key=key,
        )
    for index, item in enumerate(value):
        if not isinstance(item, str | bytes) or len(item) < MIN_KEY_LENGTH:
            raise ConfigurationError(
                f"key #{index + 1} is not a string of at least {MIN_KEY_LENGTH} characters; "
                "make one with python -c 'import secrets; print(secrets.token_urlsafe(32))'",
                key=key,
            )
    return tuple(value)


def _derive(secret: str | bytes, info: bytes) -> bytes:
    material = secret.encode() if isinstance(secret, str) else secret
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(material)


def _key_id(key: bytes) -> str:
    """A short public name of *key*; says nothing about the key itself."""
    return _b64encode(hashlib.sha256(b"key id\0" + key).digest()[:6])


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
