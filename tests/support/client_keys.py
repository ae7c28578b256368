"""Private keys a test app authenticates or proves possession with, and
their public halves as a provider registers them."""

from __future__ import annotations

import functools
import typing as t

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from flask_oauth2login.crypto.keys import PrivateKey, public_jwk, thumbprint


@functools.cache
def rsa_key() -> rsa.RSAPrivateKey:
    """An RSA key (2048 bits), the same for the whole test run."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def ec_key() -> ec.EllipticCurvePrivateKey:
    """An EC key on P-256, the same for the whole test run."""
    return ec.generate_private_key(ec.SECP256R1())


def pem(key: PrivateKey, *, traditional: bool = False) -> str:
    """*key* as unencrypted PEM text (PKCS#8, or the traditional format)."""
    form = (
        serialization.PrivateFormat.TraditionalOpenSSL
        if traditional
        else serialization.PrivateFormat.PKCS8
    )
    return key.private_bytes(serialization.Encoding.PEM, form, serialization.NoEncryption()).decode(
        "ascii"
    )


def registered_jwks(key: PrivateKey, kid: str | None = None) -> dict[str, t.Any]:
    """The JWK Set a provider registers for *key* (``kid``: its thumbprint by default)."""
    jwk = public_jwk(key)
    return {"keys": [{**jwk, "kid": kid or thumbprint(jwk), "use": "sig"}]}
