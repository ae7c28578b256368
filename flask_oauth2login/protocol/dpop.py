"""DPoP: tokens bound to a key that never leaves the server (:rfc:`9449`).

With ``dpop: True`` in a provider entry, every request that obtains or uses
a token carries a *proof*: a JWT signed with the app's DPoP key, naming the
request's method (``htm``) and URL (``htu``, without query or fragment),
with a fresh ``jti`` and ``iat``, the server's last ``DPoP-Nonce`` when it
gave one, and, on calls that present a token, ``ath``: the token's SHA-256
hash. The provider binds the tokens it issues to the key's thumbprint; a
stolen token is useless without the key.

The key pair is one per app (:class:`DPoPKey`): ``OAUTH2LOGIN_DPOP_PRIVATE_KEY``
when given, else derived from ``SECRET_KEY`` (HKDF), so that every process of
the app signs with the same key; only its public half is ever sent, inside
each proof. :class:`NonceCache` remembers each server's nonce (section 8 and
9): a server that answers ``use_dpop_nonce`` gets the request once more with
its nonce (:func:`send_with_nonce`, for every request that carries a proof).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
import typing as t
from urllib.parse import urlsplit, urlunsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..crypto.keys import JwtSigner, PrivateKey, b64url

if t.TYPE_CHECKING:  # pragma: no cover
    import requests

log = logging.getLogger(__name__)

#: The ``typ`` header of a DPoP proof.
PROOF_TYPE = "dpop+jwt"
#: The header a server sends its nonce in.
NONCE_HEADER = "DPoP-Nonce"
#: The error a server answers when it wants a (new) nonce.
NONCE_ERROR = "use_dpop_nonce"
#: The longest nonce kept (a server's nonce is an opaque short string).
MAX_NONCE_LENGTH = 512
_HKDF_INFO = b"flask-oauth2login DPoP key v1"


class DPoPKey:
    """The app's DPoP key pair, and the proofs it signs.

    :param key: the private key (EC or RSA); see
        :func:`~flask_oauth2login.crypto.keys.load_private_key`.
    :param clock: where the time comes from (for tests).
    """

    def __init__(
        self,
        key: PrivateKey,
        *,
        origin: str = "configured",
        clock: t.Callable[[], float] = time.time,
    ) -> None:
        # RSA keys sign PS256, as FAPI 2.0 asks (RS256 is not allowed there).
        self._signer = JwtSigner(
            key, algorithm="PS256" if isinstance(key, rsa.RSAPrivateKey) else None
        )
        #: Where the key comes from: ``"configured"``, ``"secret_key"`` (derived
        #: from it) or ``"process"`` (made by this process alone).
        self.origin = origin
        self._clock = clock
        #: The public key, as the ``jwk`` header of every proof.
        self.jwk = self._signer.public_jwk()
        #: The key's :rfc:`7638` thumbprint, which tokens are bound to (``jkt``).
        self.thumbprint = self._signer.key_id
        #: The JWS algorithm of the proofs.
        self.algorithm = self._signer.algorithm

    def __repr__(self) -> str:
        return f"<DPoPKey {self.algorithm} jkt={self.thumbprint!r}>"

    def proof(
        self,
        method: str,
        url: str,
        *,
        nonce: str | None = None,
        access_token: str | None = None,
    ) -> str:
        """A proof for one request.

        :param method: the request's method (``htm``).
        :param url: the request's URL; its query and fragment are left out (``htu``).
        :param nonce: the server's last ``DPoP-Nonce``, if it gave one.
        :param access_token: the token the request presents, hashed into ``ath``.
        """
        claims: dict[str, t.Any] = {
            "jti": secrets.token_urlsafe(24),
            "htm": method.upper(),
            "htu": target_uri(url),
            "iat": int(self._clock()),
        }
        if nonce is not None:
            claims["nonce"] = nonce
        if access_token is not None:
            claims["ath"] = token_hash(access_token)
        return self._signer.sign(
            claims, headers={"typ": PROOF_TYPE, "jwk": self.jwk}, with_kid=False
        )


def app_key(configured: PrivateKey | None, secret_key: t.Any) -> DPoPKey:
    """The app's DPoP key: the *configured* one, else one derived from the
    app's *secret_key*, else (with neither) a new one for this process only."""
    if configured is not None:
        return DPoPKey(configured)
    if isinstance(secret_key, str | bytes) and secret_key:
        return DPoPKey(derive_key(secret_key), origin="secret_key")
    log.warning(
        "DPoP: neither OAUTH2LOGIN_DPOP_PRIVATE_KEY nor SECRET_KEY is set; this process "
        "made a DPoP key of its own, which other processes of the app do not share."
    )
    return DPoPKey(ec.generate_private_key(ec.SECP256R1()), origin="process")


def derive_key(secret_key: str | bytes) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key derived from *secret_key* with HKDF-SHA256 (the
    same in every process that has the same secret; independent of every
    other use of the secret)."""
    material = secret_key.encode() if isinstance(secret_key, str) else secret_key
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # of P-256
    stream = HKDF(algorithm=hashes.SHA256(), length=48, salt=None, info=_HKDF_INFO)
    scalar = int.from_bytes(stream.derive(material), "big") % (order - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def target_uri(url: str) -> str:
    """*url* as ``htu``: without its query and fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def token_hash(access_token: str) -> str:
    """``ath``: the base64url SHA-256 hash of *access_token*'s ASCII bytes."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest())


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class NonceCache:
    """The last ``DPoP-Nonce`` of each server (by origin). Thread-safe."""

    def __init__(self) -> None:
        self._nonces: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> str | None:
        """The nonce to put in a proof for *url*, if its server gave one."""
        return self._nonces.get(_origin(url))

    def update(self, url: str, response: requests.Response) -> bool:
        """Remember the nonce *response* (from *url*) carries; whether it had a new one."""
        nonce = response.headers.get(NONCE_HEADER)
        if not nonce or len(nonce) > MAX_NONCE_LENGTH or not nonce.isascii():
            return False
        nonce = nonce.strip()
        origin = _origin(url)
        with self._lock:
            if self._nonces.get(origin) == nonce:
                return False
            self._nonces[origin] = nonce
        return True


def asks_for_nonce(response: requests.Response) -> bool:
    """Whether *response* is a server's ``use_dpop_nonce`` challenge, with a
    nonce to use: a 400 JSON error from an authorization server (section 8),
    or a 401 ``WWW-Authenticate: DPoP error="use_dpop_nonce"`` from a
    resource server (section 9)."""
    if not response.headers.get(NONCE_HEADER):
        return False
    if response.status_code == 401:
        challenge = response.headers.get("WWW-Authenticate", "")
        return challenge.lower().startswith("dpop") and NONCE_ERROR in challenge
    if response.status_code == 400:
        try:
            body = response.json()
        except (ValueError, RecursionError):
            return False
        return isinstance(body, dict) and body.get("error") == NONCE_ERROR
    return False


def send_with_nonce(
    nonces: NonceCache,
    url: str,
    send: t.Callable[[str | None], requests.Response],
    *,
    answer: requests.Response | None = None,
    sent: str | None = None,
) -> requests.Response:
    """Send a request whose proof carries the server's last nonce for *url*,
    and once more (with a new proof) when the server answers
    ``use_dpop_nonce`` with a nonce other than the one sent (sections 8 and
    9); the nonces the answers bring are remembered in *nonces*.

    :param send: sends the request with a proof carrying the nonce it is
        given (or none).
    :param answer: the answer to the request, when it was sent already
        (with the nonce *sent*): then only the retry, if asked for, is sent here.
    """
    if answer is None:
        sent = nonces.get(url)
        answer = send(sent)
    nonces.update(url, answer)
    if not asks_for_nonce(answer) or answer.headers.get(NONCE_HEADER, "").strip() == sent:
        return answer
    retried = send(nonces.get(url))
    nonces.update(url, retried)
    return retried
