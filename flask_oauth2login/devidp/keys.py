"""The RSA key that signs ID tokens, and its public JWK.

A fresh 2048-bit key is generated each time the provider starts, so nothing
secret is ever written to disk. Relying parties find the public half through
the ``jwks_uri`` of the discovery document; its ``kid`` is the
:rfc:`7638` thumbprint, so a client that cached the previous key set notices
the new key after a restart and fetches it again.
"""

from __future__ import annotations

import base64
import hashlib
import json
import typing as t

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

#: The only signature algorithm the provider uses.
ALGORITHM = "RS256"


def b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE wants it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_to_b64url(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


class SigningKey:
    """An RSA private key with its public JWK.

    :param private_key: The key to use; a new one is generated when omitted.
    """

    def __init__(self, private_key: rsa.RSAPrivateKey | None = None) -> None:
        if private_key is None:
            private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._private_key = private_key
        numbers = private_key.public_key().public_numbers()
        self._public_jwk = {
            "kty": "RSA",
            "e": _int_to_b64url(numbers.e),
            "n": _int_to_b64url(numbers.n),
        }
        #: The key id, the :rfc:`7638` thumbprint of the public key.
        self.kid = self._thumbprint(self._public_jwk)

    @staticmethod
    def _thumbprint(jwk: t.Mapping[str, str]) -> str:
        canonical = json.dumps(
            {"e": jwk["e"], "kty": jwk["kty"], "n": jwk["n"]},
            separators=(",", ":"),
            sort_keys=True,
        )
        return b64url(hashlib.sha256(canonical.encode("ascii")).digest())

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        """The public key, e.g. to verify a token in tests."""
        return self._private_key.public_key()

    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK, with ``kid``, ``use`` and ``alg``."""
        return {**self._public_jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWK Set served at the ``jwks_uri``."""
        return {"keys": [self.public_jwk()]}

    def sign(self, claims: t.Mapping[str, t.Any], typ: str = "JWT") -> str:
        """Sign ``claims`` as a compact JWS with ``RS256``, this key's ``kid``
        and the type *typ* (``logout+jwt`` for a logout token)."""
        return jwt.encode(
            dict(claims),
            self._private_key,
            algorithm=ALGORITHM,
            headers={"kid": self.kid, "typ": typ},
        )
