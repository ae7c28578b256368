"""An RSA key that signs tokens as a provider does, and its public JWK Set: :class:`SigningKey`.

It signs JWTs as compact JWS (:rfc:`7515`) and publishes its public half as
a JWK Set (:rfc:`7517`) whose ``kid`` is, unless given, the :rfc:`7638`
thumbprint. Users' tests sign ID tokens with it (:func:`.make_id_token`),
and the development identity provider (:mod:`flask_oauth2login.devidp`)
signs its ID and logout tokens with one made at each start.
"""

from __future__ import annotations

import typing as t

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from .keys import public_jwk, thumbprint


class SigningKey:
    """An RSA key pair that signs test ID tokens, and its public JWKS.

    Serve :attr:`jwks` at a fake provider's ``jwks_uri`` and sign tokens with
    :meth:`sign` (or :func:`.make_id_token`).

    :param private_key: the key; a new 2048-bit key is generated when omitted.
    :param kid: the key id; defaults to the RFC 7638 thumbprint.
    :param algorithm: ``RS256``, ``RS384``, ``RS512``, ``PS256``, ...
    """

    def __init__(
        self,
        private_key: rsa.RSAPrivateKey | None = None,
        *,
        kid: str | None = None,
        algorithm: str = "RS256",
    ) -> None:
        if private_key is None:
            private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        #: The private key.
        self.private_key = private_key
        #: The signature algorithm.
        self.algorithm = algorithm
        #: The key id, sent as ``kid`` in token headers and the JWKS.
        self.kid = kid or thumbprint(public_jwk(private_key))

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        """The public key, e.g. to check a token's signature in a test."""
        return self.private_key.public_key()

    @property
    def public_jwk(self) -> dict[str, t.Any]:
        """The public key as a JWK with ``kid``, ``use`` and ``alg``."""
        return {
            **public_jwk(self.private_key),
            "kid": self.kid,
            "use": "sig",
            "alg": self.algorithm,
        }

    @property
    def jwks(self) -> dict[str, list[dict[str, t.Any]]]:
        """The JWK Set a provider serves at its ``jwks_uri``."""
        return {"keys": [self.public_jwk]}

    def sign(
        self, claims: t.Mapping[str, t.Any], headers: t.Mapping[str, t.Any] | None = None
    ) -> str:
        """Sign *claims* as a compact JWS; *headers* are merged over ``kid``
        (and ``typ``, ``JWT`` unless they say otherwise)."""
        return jwt.encode(
            dict(claims),
            self.private_key,
            algorithm=self.algorithm,
            headers={"kid": self.kid, **(headers or {})},
        )
