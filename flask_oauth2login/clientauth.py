"""How the client proves who it is to a provider's token, revocation and PAR endpoints.

One :class:`ClientAuth` per provider, chosen by ``token_endpoint_auth_method``
from :data:`METHODS`:

- ``client_secret_basic`` and ``client_secret_post`` (:rfc:`6749#section-2.3.1`):
  the client secret, in an HTTP Basic header or in the form;
- ``private_key_jwt`` (:rfc:`7523`, OpenID Connect Core §9): a short JWT, the
  *client assertion*, signed with the app's private key (RSA or EC), whose
  public half the provider knows (registered, or fetched from the app's JWKS
  route);
- ``client_secret_jwt``: the same JWT, signed with the client secret (HS256);
- ``none``: a public client, which sends only its ``client_id``.

A client assertion names the client as ``iss`` and ``sub``, the provider as
``aud`` (its issuer, or the URL of the endpoint where the provider wants
that), carries a fresh ``jti`` and expires :data:`ASSERTION_LIFETIME` seconds
after it is made: one is made for every request.

:class:`JwtSigner` is the one signer of the package: it signs client
assertions, Apple's client secret (itself a JWT signed with the app's key)
and DPoP proofs (:mod:`.dpop`). Private keys are loaded by
:func:`load_private_key`; they never appear in a message or a ``repr``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import typing as t
from pathlib import Path
from urllib.parse import quote_plus

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

#: A private key this package signs with.
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

#: The ``client_assertion_type`` of :rfc:`7523#section-2.2`.
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Seconds a client assertion is valid: one request's worth, well within five minutes.
ASSERTION_LIFETIME = 60
#: The smallest RSA key accepted, in bits.
MIN_RSA_BITS = 2048
#: The JWS algorithm of each elliptic curve.
CURVE_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
#: The RSA algorithms, in order of preference when the provider names several.
RSA_ALGORITHMS = ("RS256", "PS256", "RS384", "PS384", "RS512", "PS512")
#: The HMAC algorithm of ``client_secret_jwt``.
HMAC_ALGORITHM = "HS256"

#: Where a client assertion's ``aud`` points: the provider's issuer
#: (:rfc:`7523`'s successor and FAPI 2.0), or the URL of the endpoint called
#: (Okta, Microsoft Entra ID).
AUDIENCES = ("issuer", "endpoint")


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


# -- the methods -------------------------------------------------------------------


#: What :meth:`ClientAuth.apply` gives to ``requests``: Basic credentials, or
#: ``None`` when everything went into the form.
BasicCredentials = tuple[str, str] | None


class ClientAuth:
    """One way of authenticating the client; see :data:`METHODS`.

    :param client_id: the client's id.
    :param secret: gives the client secret (a callable: Apple's is built at
        run time); ``None`` when there is none.
    :param signer: signs ``private_key_jwt`` assertions.
    :param clock: where the time comes from (for tests).
    """

    #: The ``token_endpoint_auth_method`` this class implements.
    method: t.ClassVar[str] = ""

    def __init__(
        self,
        client_id: str,
        *,
        secret: t.Callable[[], str | None] | None = None,
        signer: JwtSigner | None = None,
        clock: t.Callable[[], float] = time.time,
    ) -> None:
        self.client_id = client_id
        self._secret = secret or (lambda: None)
        self.signer = signer
        self._clock = clock

    def __repr__(self) -> str:
        return f"<{type(self).__name__} client_id={self.client_id!r}>"

    def apply(
        self, data: dict[str, str], *, audience: str, algorithms: t.Sequence[str] = ()
    ) -> BasicCredentials:
        """Authenticate the request whose form is *data*: add what it needs to
        *data*, and return the Basic credentials to send, if any.

        :param audience: the ``aud`` of a client assertion.
        :param algorithms: the signing algorithms the provider says it
            accepts for client assertions (may be empty).
        """
        data["client_id"] = self.client_id
        return None

    def secret(self) -> str:
        """The client secret to send now."""
        return self._secret() or ""

    def assertion_claims(self, audience: str) -> dict[str, t.Any]:
        """The claims of a fresh client assertion for *audience*."""
        now = int(self._clock())
        return {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "jti": secrets.token_urlsafe(24),
            "iat": now,
            "nbf": now,
            "exp": now + ASSERTION_LIFETIME,
        }


class NoClientAuth(ClientAuth):
    """``none``: a public client sends its ``client_id`` only."""

    method = "none"


class ClientSecretBasic(ClientAuth):
    """``client_secret_basic``: the client id and secret in HTTP Basic."""

    method = "client_secret_basic"

    def apply(
        self, data: dict[str, str], *, audience: str, algorithms: t.Sequence[str] = ()
    ) -> BasicCredentials:
        # RFC 6749 §2.3.1: form-urlencode both before Basic's base64.
        return quote_plus(self.client_id), quote_plus(self.secret())


class ClientSecretPost(ClientAuth):
    """``client_secret_post``: the client id and secret in the form."""

    method = "client_secret_post"

    def apply(
        self, data: dict[str, str], *, audience: str, algorithms: t.Sequence[str] = ()
    ) -> BasicCredentials:
        data["client_id"] = self.client_id
        data["client_secret"] = self.secret()
        return None


class PrivateKeyJwt(ClientAuth):
    """``private_key_jwt``: a client assertion signed with the app's private key."""

    method = "private_key_jwt"

    def apply(
        self, data: dict[str, str], *, audience: str, algorithms: t.Sequence[str] = ()
    ) -> BasicCredentials:
        assert self.signer is not None
        algorithm = self.signer.algorithm_for(algorithms)
        assertion = self.signer.sign(
            self.assertion_claims(audience), headers={"typ": "JWT"}, algorithm=algorithm
        )
        data.update(
            client_id=self.client_id,
            client_assertion_type=ASSERTION_TYPE,
            client_assertion=assertion,
        )
        return None


class ClientSecretJwt(ClientAuth):
    """``client_secret_jwt``: a client assertion signed (HS256) with the client secret."""

    method = "client_secret_jwt"

    def apply(
        self, data: dict[str, str], *, audience: str, algorithms: t.Sequence[str] = ()
    ) -> BasicCredentials:
        assertion = jwt.encode(
            self.assertion_claims(audience),
            self.secret(),
            algorithm=HMAC_ALGORITHM,
            headers={"typ": "JWT"},
        )
        data.update(
            client_id=self.client_id,
            client_assertion_type=ASSERTION_TYPE,
            client_assertion=assertion,
        )
        return None


#: The client authentication methods, by ``token_endpoint_auth_method``.
METHODS: dict[str, type[ClientAuth]] = {
    cls.method: cls
    for cls in (ClientSecretBasic, ClientSecretPost, PrivateKeyJwt, ClientSecretJwt, NoClientAuth)
}
