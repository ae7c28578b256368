"""Encryption of tokens at rest: :mod:`flask_oauth2login.crypto.cipher`."""

from __future__ import annotations

import pytest

from flask_oauth2login import ConfigurationError
from flask_oauth2login.config.settings import load_settings
from flask_oauth2login.crypto.cipher import (
    Cipher,
    DecryptionFailed,
    MissingKey,
    check_keys,
    cipher_for,
)
from tests.conftest import rogue_entry

KEY_A = "a-key-of-enough-length-0123456789abcdef"
KEY_B = "b-key-of-enough-length-0123456789abcdef"
TOKEN = {"access_token": "at-secret", "refresh_token": "rt-secret", "n": 1}


def test_a_sealed_value_opens_for_its_context_only():
    cipher = Cipher([KEY_A])
    sealed = cipher.seal(TOKEN, "rogue\0https://idp\0alice")
    assert "secret" not in sealed
    assert sealed.startswith("v1.")
    assert cipher.open(sealed, "rogue\0https://idp\0alice") == TOKEN
    with pytest.raises(DecryptionFailed):
        cipher.open(sealed, "rogue\0https://idp\0mallory")  # moved to another login
    assert cipher.seal(TOKEN, "x") != cipher.seal(TOKEN, "x")  # a fresh nonce each time


@pytest.mark.parametrize(
    "broken",
    [
        None,
        "",
        "v1",
        "v1..",
        "v2.abc.def",
        "v1.abc.!!!not-base64!!!",
        "v1.abc.AAAA",  # shorter than a nonce
        {"access_token": "x"},
    ],
)
def test_what_is_not_a_sealed_value_does_not_open(broken):
    with pytest.raises(DecryptionFailed):
        Cipher([KEY_A]).open(broken, "x")


def test_a_value_tampered_with_does_not_open():
    cipher = Cipher([KEY_A])
    sealed = cipher.seal(TOKEN, "x")
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    with pytest.raises(DecryptionFailed):
        cipher.open(flipped, "x")


def test_the_first_key_encrypts_and_all_decrypt():
    old = Cipher([KEY_A]).seal(TOKEN, "x")
    rotated = Cipher([KEY_B, KEY_A])
    assert rotated.open(old, "x") == TOKEN
    assert not rotated.is_current(old)
    new = rotated.seal(TOKEN, "x")
    assert rotated.is_current(new)
    assert Cipher([KEY_B]).open(new, "x") == TOKEN
    with pytest.raises(DecryptionFailed, match="not configured"):
        Cipher([KEY_B]).open(old, "x")  # its key rotated away
    assert not rotated.is_current("garbage")


def test_keys_derived_from_secret_key_and_its_fallbacks():
    sealed = cipher_for((), "old-secret").seal(TOKEN, "x")
    assert cipher_for((), "new-secret", ["old-secret"]).open(sealed, "x") == TOKEN
    with pytest.raises(DecryptionFailed):
        cipher_for((), "new-secret").open(sealed, "x")
    # The same string as SECRET_KEY and as an encryption key makes other keys.
    as_key = cipher_for((KEY_A,), "ignored")
    as_secret = cipher_for((), KEY_A)
    with pytest.raises(DecryptionFailed):
        as_key.open(as_secret.seal(TOKEN, "x"), "x")


def test_without_any_key_sealing_is_a_configuration_error():
    cipher = cipher_for((), None)
    assert isinstance(cipher, MissingKey)
    with pytest.raises(ConfigurationError, match="OAUTH2LOGIN_ENCRYPTION_KEYS: .*SECRET_KEY"):
        cipher.seal(TOKEN, "x")
    assert not cipher.is_current("v1.x.y")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (KEY_A, "must be a list of keys"),
        (b"bytes-key-" * 5, "must be a list of keys"),
        ({"k": KEY_A}, "must be a list of keys"),
        ([], "empty list"),
        ([KEY_A, "short"], "key #2 is not a string of at least 32 characters"),
        ([42], "key #1"),
    ],
)
def test_encryption_keys_are_checked_at_start_up(value, message, rogue):
    config = {
        "OAUTH2LOGIN_PROVIDERS": {"rogue": rogue_entry(rogue)},
        "OAUTH2LOGIN_ENCRYPTION_KEYS": value,
    }
    with pytest.raises(ConfigurationError, match=message) as caught:
        check_keys(value)
    assert caught.value.key == "OAUTH2LOGIN_ENCRYPTION_KEYS"
    assert KEY_A not in str(caught.value)  # no key shown
    with pytest.raises(ConfigurationError, match=message):
        load_settings(config)


def test_keys_never_show_in_the_settings(make_app, rogue):
    app = make_app(
        {"rogue": rogue_entry(rogue)},
        OAUTH2LOGIN_ENCRYPTION_KEYS=[KEY_A],
    )
    assert KEY_A not in repr(app.extensions["oauth2login"].settings)
    assert KEY_A not in repr(app.extensions["oauth2login"])


def test_a_token_store_needs_a_key(make_app, rogue, tmp_path):
    with pytest.raises(ConfigurationError, match="SECRET_KEY: missing; logins need it"):
        make_app(
            {"rogue": rogue_entry(rogue)},
            SECRET_KEY=None,
            OAUTH2LOGIN_TOKEN_STORE=f"sqlite:///{tmp_path / 'tokens.db'}",
        )
