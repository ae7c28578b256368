"""Client assertions: ``private_key_jwt`` and ``client_secret_jwt``
(:rfc:`7523`, OpenID Connect Core §9).

A client registered with ``jwks`` (its public keys) authenticates with a JWT
signed by its private key; a client with a secret may sign the JWT with the
secret (HS256) instead of sending it. The JWT must name the client as ``iss``
and ``sub``, this provider (its issuer, or the endpoint called) as ``aud``,
expire within :data:`MAX_LIFETIME` seconds and carry a ``jti`` never seen before.
"""

from __future__ import annotations

import threading
import time
import typing as t

import jwt

from .errors import OAuthError

#: ``client_assertion_type`` of a JWT client assertion.
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: Algorithms accepted for ``private_key_jwt``.
KEY_ALGORITHMS = ("RS256", "PS256", "ES256", "ES384", "ES512")
#: Algorithms accepted for ``client_secret_jwt``.
SECRET_ALGORITHMS = ("HS256",)
#: The longest an assertion may live, in seconds.
MAX_LIFETIME = 300
#: Clock skew tolerated, in seconds.
LEEWAY = 30


def _refuse(description: str) -> OAuthError:
    return OAuthError("invalid_client", description, status=401)


class ReplayCache:
    """The ``jti`` values seen, until their assertion expires. Thread-safe."""

    def __init__(self, clock: t.Callable[[], float] = time.time) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def first_use(self, key: str, expires_at: float) -> bool:
        """Record *key*; whether it was new."""
        now = self._clock()
        with self._lock:
            for old in [k for k, until in self._seen.items() if until < now]:
                del self._seen[old]
            if key in self._seen:
                return False
            self._seen[key] = expires_at
            return True


def verify(
    assertion: str,
    *,
    client_id: str,
    client_secret: str | None,
    jwks: t.Mapping[str, t.Any] | None,
    audiences: t.Collection[str],
    replays: ReplayCache,
) -> str:
    """Check the assertion of client *client_id*, registered with *client_secret*
    and/or the public keys *jwks*; the method it used.

    :raises OAuthError: ``invalid_client`` naming what is wrong.
    """
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise _refuse("The client_assertion is not a JWT.") from None
    alg = header.get("alg")
    key: t.Any
    if alg in SECRET_ALGORITHMS and client_secret is not None:
        method, key = "client_secret_jwt", client_secret.encode()
    elif alg in KEY_ALGORITHMS and jwks is not None:
        method, key = "private_key_jwt", _public_key(jwks, header, alg)
    else:
        raise _refuse(f"The client_assertion's algorithm {alg!r} is not accepted for this client.")
    try:
        claims = jwt.decode(
            assertion,
            key,
            algorithms=[alg],
            audience=list(audiences),
            issuer=client_id,
            leeway=LEEWAY,
            options={"require": ["iss", "sub", "aud", "exp", "jti"]},
        )
    except jwt.PyJWTError as exc:
        raise _refuse(f"The client_assertion was refused: {exc}.") from None
    if claims["sub"] != client_id:
        raise _refuse("The client_assertion's sub is not the client_id.")
    if not isinstance(claims["exp"], int | float) or claims["exp"] > time.time() + MAX_LIFETIME:
        raise _refuse(f"The client_assertion must expire within {MAX_LIFETIME} seconds.")
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise _refuse("The client_assertion needs a jti.")
    if not replays.first_use(f"{client_id}\0{claims['jti']}", claims["exp"] + LEEWAY):
        raise _refuse("This client_assertion was used before; make a new one for each request.")
    return method


def _public_key(jwks: t.Mapping[str, t.Any], header: t.Mapping[str, t.Any], alg: str) -> t.Any:
    keys = [k for k in jwks.get("keys", []) if isinstance(k, dict)]
    kid = header.get("kid")
    if kid is not None:
        keys = [k for k in keys if k.get("kid") == kid]
    if len(keys) != 1:
        raise _refuse("No registered key of this client matches the client_assertion's kid.")
    try:
        return jwt.PyJWK(keys[0], algorithm=alg).key
    except jwt.PyJWTError:
        raise _refuse("The registered key does not fit the client_assertion's algorithm.") from None
