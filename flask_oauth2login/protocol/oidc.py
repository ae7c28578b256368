"""OpenID Connect: the signing-key cache, and ID token and logout token validation.

ID tokens are checked as OpenID Connect Core 1.0 §3.1.3.7 asks of a client:
signature with a key of the issuer (algorithm from an allow-list, never from
the token), ``iss``, ``aud``/``azp``, ``exp``, ``iat``, ``sub``, ``nonce`` and
``at_hash``. Logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.6) go
through the same signature, issuer, audience and time checks, then their own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import threading
import time
import typing as t
from dataclasses import dataclass, field

import jwt

from ..crypto.keys import HMAC_ALGORITHMS
from ..errors import InvalidToken, ProviderError

_Keys = list[tuple[t.Mapping[str, t.Any], jwt.PyJWK]]


class KeyCache:
    """The issuer's signing keys, fetched on first use and cached.

    A key id that is not in the cache causes one refetch (the provider may
    have rotated its keys), but never more than one per
    *min_refetch_interval* seconds, however many tokens with unknown key ids
    arrive; tokens that arrive while that refetch runs wait for it.

    No lock is held while the keys are fetched: a slow provider holds up the
    logins that need its keys, never each other one after the other.

    :param fetch: fetches the key set document; it must give up on its own
        (the client's deadline), since others may wait for it.
    """

    def __init__(
        self,
        fetch: t.Callable[[], t.Mapping[str, t.Any]],
        *,
        ttl: float,
        min_refetch_interval: float,
        provider: str | None = None,
    ) -> None:
        self._fetch = fetch
        self._provider = provider
        self._ttl = ttl
        self._min_interval = min_refetch_interval
        self._keys: _Keys | None = None
        self._fetched_at = 0.0
        #: When an unknown key id last caused a refetch.
        self._refetched_at = -math.inf
        #: Set when the refetch caused by an unknown key id has ended.
        self._refetching: threading.Event | None = None
        #: Guards the fields above; never held during a fetch.
        self._lock = threading.Lock()

    def get(self, kid: str | None, alg: str) -> jwt.PyJWK:
        """Return the key for *kid* and *alg*, refetching once if it is unknown."""
        with self._lock:
            now = time.monotonic()
            stale = self._keys is None or now - self._fetched_at > self._ttl
            key = None if stale else _find(self._keys, kid, alg)
            refetch = wait = None
            if key is None and not stale:
                if self._refetching is not None:
                    wait = self._refetching
                elif now - self._refetched_at >= self._min_interval:
                    self._refetched_at = now  # also when the fetch fails
                    refetch = self._refetching = threading.Event()
        if stale:
            key = _find(self._load(now), kid, alg)
        elif wait is not None:
            wait.wait()  # bounded: the fetch gives up at its deadline
            with self._lock:
                key = _find(self._keys, kid, alg)
        elif refetch is not None:
            try:
                key = _find(self._load(now), kid, alg)
            finally:
                with self._lock:
                    self._refetching = None
                refetch.set()
        if key is None:
            raise InvalidToken(
                f"The token was signed with a key the provider does not publish (kid={kid!r}).",
                provider=self._provider,
            )
        return key

    def _load(self, now: float) -> _Keys:
        """Fetch the key set (holding no lock), keep it and return it."""
        document = self._fetch()
        data = document.get("keys") if isinstance(document, t.Mapping) else None
        if not isinstance(data, list):
            raise ProviderError(
                "The provider's key set (jwks_uri) is not a JSON Web Key Set.",
                provider=self._provider,
            )
        keys: _Keys = []
        for item in data:
            if not isinstance(item, dict) or item.get("kty") == "oct":
                continue  # HMAC keys come only from the client secret
            try:
                keys.append((item, jwt.PyJWK(item)))
            except jwt.PyJWTError:
                continue  # a key type this client cannot use
        with self._lock:
            if now >= self._fetched_at:  # a fetch that began earlier does not win
                self._fetched_at = now
                self._keys = keys
        return keys


def _find(keys: _Keys | None, kid: str | None, alg: str) -> jwt.PyJWK | None:
    """The one key of *keys* that fits *kid* and *alg*, if exactly one does."""
    candidates = [
        key
        for data, key in keys or ()
        if data.get("use", "sig") == "sig"
        and data.get("alg", alg) == alg
        and (data.get("kty"), data.get("crv")) in _KEY_TYPES.get(alg, ())
    ]
    if kid is not None:
        candidates = [key for key in candidates if key.key_id == kid]
    return candidates[0] if len(candidates) == 1 else None


#: The key type (``kty``, ``crv``) each algorithm verifies with: a key of
#: another type never reaches the signature check (PyJWT raises TypeError).
_KEY_TYPES: dict[str, frozenset[tuple[str, str | None]]] = {
    **{
        alg: frozenset({("RSA", None)})
        for alg in ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
    },
    "ES256": frozenset({("EC", "P-256")}),
    "ES384": frozenset({("EC", "P-384")}),
    "ES512": frozenset({("EC", "P-521")}),
    "EdDSA": frozenset({("OKP", "Ed25519"), ("OKP", "Ed448")}),
}


@dataclass(frozen=True)
class TokenRules:
    """What the tokens one provider signs are checked against: ID tokens and
    logout tokens alike."""

    #: This client's id, which ``aud`` must name (and ``azp``, if present or
    #: if there are several audiences).
    client_id: str
    #: The issuer the token must name exactly.
    issuer: str
    #: The allowed signature algorithms.
    algorithms: t.Sequence[str]
    #: The issuer's signing keys (not needed for HMAC algorithms).
    keys: KeyCache | None
    #: Seconds of clock skew allowed.
    leeway: float
    #: Audiences besides :attr:`client_id` ``aud`` may name.
    trusted_audiences: t.Collection[str] = ()
    #: The key of HMAC algorithms, if :attr:`algorithms` has any.
    client_secret: str | None = field(default=None, repr=False)
    #: The provider's name, for error messages.
    provider: str | None = None
    #: For providers whose tokens name a per-tenant issuer: decides whether
    #: the claims' ``iss`` is acceptable.
    issuer_matches: t.Callable[[str, t.Mapping[str, t.Any]], bool] | None = None

    def signed_claims(
        self,
        token: str,
        *,
        what: str,
        required: t.Sequence[str],
        azp: bool,
        issued_after: float | None = None,
    ) -> tuple[dict[str, t.Any], str]:
        """The claims of *token* once its signature, ``iss``, ``aud`` and
        ``iat`` are checked, and the algorithm it was signed with."""
        claims, alg = _verified_claims(token, self, what=what, required=required)
        _check_issuer(claims, self, what)
        _check_audience(claims, self, what, azp=azp)
        _check_times(claims, self, issued_after, what)
        return claims, alg


def _same(claim: t.Any, expected: str) -> bool:
    """Whether a claim equals *expected*, in constant time; compared as UTF-8
    bytes, so a claim that is not ASCII is simply not equal."""
    return hmac.compare_digest(
        str(claim).encode("utf-8", "replace"), expected.encode("utf-8", "replace")
    )


def validate_id_token(
    id_token: str,
    rules: TokenRules,
    *,
    nonce: str | None = None,
    access_token: str | None = None,
    issued_after: float | None = None,
) -> dict[str, t.Any]:
    """Check an ID token of the provider *rules* describe and return its claims.

    :param nonce: the nonce sent with the authorization request, if any.
    :param access_token: the access token issued with it, for ``at_hash``.
    :param issued_after: a timestamp ``iat`` may not be earlier than (less
        the leeway): the start of the login or refresh.
    :raises InvalidToken: if any check fails.
    """
    provider = rules.provider
    claims, alg = rules.signed_claims(
        id_token,
        what="ID token",
        required=("iss", "sub", "aud", "exp", "iat"),
        azp=True,
        issued_after=issued_after,
    )
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidToken("The ID token names no subject (sub).", provider=provider)
    if nonce is not None and not _same(claims.get("nonce", ""), nonce):
        raise InvalidToken(
            "The ID token's nonce is not the one sent with this login (a replayed token?).",
            provider=provider,
        )
    if "at_hash" in claims and access_token is not None:
        expected = token_hash(access_token, alg)
        if not _same(claims["at_hash"], expected):
            raise InvalidToken(
                "The ID token's at_hash does not match the access token issued with it.",
                provider=provider,
            )
    return claims


#: The event a logout token carries (OpenID Connect Back-Channel Logout 1.0 §2.4).
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
#: ``typ`` header values a logout token may carry (compared case-insensitively):
#: the explicit type, or a plain JWT of providers that do not type theirs.
LOGOUT_TOKEN_TYPES = ("logout+jwt", "application/logout+jwt", "jwt")
#: Seconds after its ``iat`` a logout token is still accepted, whatever its
#: ``exp`` says: its ``jti`` is remembered at least that long.
MAX_LOGOUT_TOKEN_AGE = 600


def validate_logout_token(logout_token: str, rules: TokenRules) -> dict[str, t.Any]:
    """Check a logout token (OpenID Connect Back-Channel Logout 1.0 §2.6) of
    the provider *rules* describe and return its claims.

    The signature follows the ID token rules (algorithm from the allow-list,
    a key of the issuer, no ``none``, no unknown ``crit``); ``iss`` exact,
    ``aud`` naming the client, ``iat`` sane and at most
    :data:`MAX_LOGOUT_TOKEN_AGE` seconds old, ``exp`` in the future when
    present, a ``jti``, the back-channel logout event, ``sid`` or ``sub``,
    and no ``nonce`` (so an ID token never passes for a logout token). A
    ``typ`` header, when present, is ``logout+jwt`` (or ``JWT``, which some
    providers send). The ``jti`` is checked against replays by the caller,
    which has the store.

    :raises InvalidToken: if any check fails.
    """
    provider = rules.provider
    _check_typ(logout_token, provider)
    claims, _ = rules.signed_claims(
        logout_token, what="logout token", required=("iss", "aud", "iat", "jti"), azp=False
    )
    if claims["iat"] < time.time() - MAX_LOGOUT_TOKEN_AGE - rules.leeway:
        raise InvalidToken("The logout token is too old (iat).", provider=provider)
    if "nonce" in claims:
        raise InvalidToken(
            "The logout token carries a nonce, as only ID tokens do: refused.", provider=provider
        )
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
        raise InvalidToken(
            "The logout token does not carry the back-channel logout event (events).",
            provider=provider,
        )
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise InvalidToken("The logout token has no usable identifier (jti).", provider=provider)
    present = [name for name in ("sid", "sub") if name in claims]
    if not present or any(not isinstance(claims[n], str) or not claims[n] for n in present):
        raise InvalidToken(
            "The logout token names neither a session (sid) nor a subject (sub).",
            provider=provider,
        )
    return claims


def _check_typ(token: str, provider: str | None) -> None:
    header = _unverified_header(token)
    if header is None:
        return  # refused as malformed by the signature check
    typ = header.get("typ")
    if typ is None:
        return
    if not isinstance(typ, str) or typ.lower() not in LOGOUT_TOKEN_TYPES:
        raise InvalidToken(
            f"The logout token's type (typ) is {typ!r}, not 'logout+jwt'.", provider=provider
        )


def _verified_claims(
    token: str, rules: TokenRules, *, what: str, required: t.Sequence[str]
) -> tuple[dict[str, t.Any], str]:
    """The claims of *token* once its signature is checked, and its algorithm.

    The algorithm must be in *algorithms* (never taken from the token on
    trust), HMAC is keyed with the client secret only, the key comes from
    the issuer's key set, and unknown critical headers are refused.
    """
    provider, algorithms, keys = rules.provider, rules.algorithms, rules.keys
    header = _unverified_header(token)
    if header is None:
        raise InvalidToken(f"The {what} is not a well-formed JWT.", provider=provider)

    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise InvalidToken(
            f"The {what} is signed with {alg!r}, which is not an allowed algorithm "
            f"({', '.join(algorithms)}).",
            provider=provider,
        )
    if "crit" in header:
        raise InvalidToken(
            f"The {what} has critical header extensions this client does not understand.",
            provider=provider,
        )

    if alg in HMAC_ALGORITHMS:
        key: t.Any = (rules.client_secret or "").encode()
    elif keys is not None:
        kid = header.get("kid")
        key = keys.get(kid if isinstance(kid, str) else None, alg).key
    else:
        raise InvalidToken("No signing keys are known for this provider.", provider=provider)

    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[alg],
            leeway=rules.leeway,
            options={"require": list(required), "verify_aud": False, "verify_iss": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"The {what} did not validate: {exc}.", provider=provider) from None
    except (TypeError, ValueError):  # a key PyJWT cannot use with this algorithm
        raise InvalidToken(
            f"The {what}'s signature could not be checked with the provider's key.",
            provider=provider,
        ) from None
    return claims, alg


def _unverified_header(token: str) -> dict[str, t.Any] | None:
    """The JOSE header of the compact JWS *token*, not verified; None if it is
    not one.

    Only the header is read, to choose the algorithm and key: the signature
    check (``jwt.decode``) then parses and checks the whole token strictly,
    header included. (``jwt.get_unverified_header`` would check the payload's
    encoding as well, character by character, once more.)
    """
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    segment = token[: token.index(".")]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error, RecursionError):  # RecursionError: nested too deeply
        return None
    return header if isinstance(header, dict) else None


def token_hash(value: str, alg: str) -> str:
    """The ``at_hash`` of *value* for a token signed with *alg*: the left half
    of its hash, base64url-encoded without padding."""
    try:
        digest = jwt.get_algorithm_by_name(alg).compute_hash_digest(value.encode("ascii"))
    except NotImplementedError:  # EdDSA: SHA-512
        digest = hashlib.sha512(value.encode("ascii")).digest()
    half = digest[: len(digest) // 2]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode("ascii")


def _check_issuer(claims: t.Mapping[str, t.Any], rules: TokenRules, what: str) -> None:
    issuer = rules.issuer
    matches = rules.issuer_matches
    ok = matches(issuer, claims) if matches else claims.get("iss") == issuer
    if not ok:
        raise InvalidToken(
            f"The {what} was issued by {claims.get('iss')!r}, not by {issuer!r}.",
            provider=rules.provider,
        )


def _check_audience(
    claims: t.Mapping[str, t.Any], rules: TokenRules, what: str, *, azp: bool
) -> None:
    client_id, provider = rules.client_id, rules.provider
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud
    if (
        not isinstance(audiences, list)
        or not all(isinstance(a, str) for a in audiences)
        or client_id not in audiences
    ):
        raise InvalidToken(f"The {what} is not meant for this client (aud).", provider=provider)
    trusted = {client_id, *rules.trusted_audiences}
    if any(a not in trusted for a in audiences):
        raise InvalidToken(
            f"The {what} is also meant for audiences this client does not trust (aud).",
            provider=provider,
        )
    if not azp:
        return
    party = claims.get("azp")
    if (len(audiences) > 1 or party is not None) and party != client_id:
        raise InvalidToken("The ID token was issued to another party (azp).", provider=provider)


def _check_times(
    claims: t.Mapping[str, t.Any], rules: TokenRules, issued_after: float | None, what: str
) -> None:
    leeway, provider = rules.leeway, rules.provider
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool) or not math.isfinite(iat):
        raise InvalidToken(f"The {what}'s issue time (iat) is not a number.", provider=provider)
    if iat > time.time() + leeway:  # not left to the JWT library's defaults
        raise InvalidToken(f"The {what} was issued in the future (iat).", provider=provider)
    if issued_after is not None and iat < issued_after - leeway:
        raise InvalidToken(
            "The ID token was issued before this login started (iat).", provider=provider
        )
