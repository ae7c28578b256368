"""The app's private keys, and the signer of the JWTs the app sends.

:class:`JwtSigner` signs client assertions (:mod:`~flask_oauth2login.protocol.clientauth`),
Apple's client secret (itself a JWT signed with the app's key) and DPoP proofs
(:mod:`~flask_oauth2login.protocol.dpop`). Private keys are loaded by
:func:`load_private_key`; they never appear in a message or a ``repr``. The
algorithm lists say which signatures the package accepts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import typing as t
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

#: Signature algorithms accepted for ID tokens, asymmetric ones first. HMAC
#: algorithms are used only when a provider entry lists them explicitly.
ASYMMETRIC_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
#: HMAC algorithms, keyed with the client secret (never with a published key).
HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")


#: A private key this package signs with.
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

#: The smallest RSA key accepted, in bits.
MIN_RSA_BITS = 2048
#: The JWS algorithm of each elliptic curve.
CURVE_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
#: The RSA algorithms, in order of preference when the provider names several.
RSA_ALGORITHMS = ("RS256", "PS256", "RS384", "PS384", "RS512", "PS512")


class InvalidKey(ValueError):
    """A private key that cannot be used; the message says why, and never
    shows the key."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        #: ``"missing"``, ``"file"`` (unreadable), ``"format"`` (not an
        #: unencrypted PEM private key) or ``"type"`` (not a key this package
        #: signs with).
        self.kind = kind


def load_private_key(value: t.Any) -> PrivateKey:
    """Load an RSA or EC private key: PEM text, or the path of a PEM file.

    A PEM squeezed into one line with literal ``\\n`` (as environment
    variables often carry it) is accepted too.

    :raises InvalidKey: if there is no key, the file does not exist, the text
        is not an unencrypted PEM private key, or the key is neither RSA (of
        at least :data:`MIN_RSA_BITS` bits) nor EC on P-256, P-384 or P-521.
    """
    if isinstance(value, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return _usable(value)
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            raise InvalidKey(
                "is not PEM text (it has bytes that are not ASCII)", kind="format"
            ) from None
    if not isinstance(value, str) or not value.strip():
        raise InvalidKey(
            "missing; give the private key as PEM text (-----BEGIN PRIVATE KEY-----...) "
            "or the path of a PEM file",
            kind="missing",
        )
    text = value.strip()
    if "-----BEGIN" not in text:
        path = Path(text).expanduser()
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            if not _is_file(path):
                # Not shown: it may be key material that lost its PEM lines.
                raise InvalidKey(
                    "is neither PEM text (-----BEGIN PRIVATE KEY-----...) nor the path of a "
                    "file that exists",
                    kind="file",
                ) from None
            raise InvalidKey(
                f"names the file {str(path)!r}, which cannot be read as PEM text "
                f"({type(exc).__name__})",
                kind="file",
            ) from None
    elif "\\n" in text and "\n" not in text:  # a PEM squeezed into one environment line
        text = text.replace("\\n", "\n")
    try:
        key = load_pem_private_key(text.encode("ascii"), password=None)
    except TypeError:
        raise InvalidKey(
            "is an encrypted PEM key; give it without a passphrase "
            "(openssl pkey -in key.pem -out plain.pem)",
            kind="format",
        ) from None
    except (ValueError, UnicodeEncodeError):
        raise InvalidKey(
            "is not a PEM private key (expected -----BEGIN PRIVATE KEY-----, "
            "-----BEGIN RSA PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY-----)",
            kind="format",
        ) from None
    return _usable(key)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _usable(key: t.Any) -> PrivateKey:
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise InvalidKey(
                f"is a {key.key_size}-bit RSA key; use at least {MIN_RSA_BITS} bits", kind="type"
            )
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name not in CURVE_ALGORITHMS:
            raise InvalidKey(
                f"is an EC key on {key.curve.name}; use P-256, P-384 or P-521", kind="type"
            )
        return key
    raise InvalidKey(
        f"is a {type(key).__name__.removeprefix('_')}; use an RSA or EC key", kind="type"
    )


def key_algorithm(key: PrivateKey, supported: t.Sequence[str] = ()) -> str:
    """The JWS algorithm to sign with *key*.

    An EC key has one (``ES256`` on P-256, ...). An RSA key signs ``RS256``
    unless the provider's *supported* list (from its metadata) leaves it out,
    in which case the first RSA algorithm the list names is used.
    """
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return CURVE_ALGORITHMS[key.curve.name]
    if not supported or "RS256" in supported:
        return "RS256"
    return next((alg for alg in RSA_ALGORITHMS if alg in supported), "RS256")


def b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE wants it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(key: PrivateKey) -> dict[str, str]:
    """The public half of *key* as a bare JWK (``kty`` and its parameters)."""
    public = key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
    else:
        jwk = ECAlgorithm.to_jwk(public, as_dict=True)
    return {name: str(value) for name, value in jwk.items() if name in _JWK_MEMBERS[jwk["kty"]]}


#: The members of a public JWK, by key type (also those of its RFC 7638 thumbprint).
_JWK_MEMBERS = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y")}


def thumbprint(jwk: t.Mapping[str, t.Any]) -> str:
    """The :rfc:`7638` SHA-256 thumbprint of a public JWK, base64url-encoded."""
    members = {name: jwk[name] for name in _JWK_MEMBERS[jwk["kty"]]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


class JwtSigner:
    """Signs JWTs with one private key (RSA or EC).

    :param key: the private key; see :func:`load_private_key`.
    :param key_id: the ``kid`` header of every JWT; by default the key's
        :rfc:`7638` thumbprint (the ``kid`` its JWKS entry has too).
    :param algorithm: the JWS algorithm; by default the key's own (see
        :func:`key_algorithm`).
    """

    def __init__(
        self, key: PrivateKey, *, key_id: str | None = None, algorithm: str | None = None
    ) -> None:
        self._key = _usable(key)
        self._jwk = public_jwk(self._key)
        self._fixed = algorithm is not None
        #: The ``kid`` of the key.
        self.key_id = key_id or thumbprint(self._jwk)
        #: The default JWS algorithm.
        self.algorithm = algorithm or key_algorithm(self._key)

    def __repr__(self) -> str:
        return f"<JwtSigner {self.algorithm} kid={self.key_id!r}>"

    def sign(
        self,
        claims: t.Mapping[str, t.Any],
        *,
        headers: t.Mapping[str, t.Any] | None = None,
        algorithm: str | None = None,
        with_kid: bool = True,
    ) -> str:
        """A compact JWS of *claims* (with ``kid`` in its header unless
        *with_kid* is false, and *headers*)."""
        header = {"kid": self.key_id} if with_kid else {}
        header.update(headers or {})
        return jwt.encode(
            dict(claims),
            self._key,  # type: ignore[arg-type]
            algorithm=algorithm or self.algorithm,
            headers=header,
        )

    def algorithm_for(self, supported: t.Sequence[str]) -> str:
        """The algorithm to sign with for a provider that accepts *supported*
        (see :func:`key_algorithm`); the one given, if one was."""
        return self.algorithm if self._fixed else key_algorithm(self._key, supported)

    def public_jwk(self) -> dict[str, str]:
        """The public key as a bare JWK (no ``kid``, ``use`` or ``alg``)."""
        return dict(self._jwk)

    def registration_jwk(self, algorithm: str | None = None) -> dict[str, str]:
        """The public key as registered with a provider: with ``kid``,
        ``use: sig`` and ``alg``."""
        return {
            **self._jwk,
            "kid": self.key_id,
            "use": "sig",
            "alg": algorithm or self.algorithm,
        }
