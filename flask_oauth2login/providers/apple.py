"""Sign in with Apple (OpenID Connect, callback by ``form_post``).

Apple POSTs the callback (``response_mode=form_post``), so the callback
arrives without the ``SameSite=Lax`` session cookie; the callback view
re-posts it from this site. Apple's client secret is an ES256 JWT the app
signs with its private key: give ``team_id``, ``key_id`` (of the key made
for Sign in with Apple) and ``private_key`` (the ``.p8`` file's PEM text, or
its path) instead of ``client_secret``; ``client_id`` is the Services ID. The secret is
built on first use, lives :data:`SECRET_LIFETIME` seconds and is rebuilt
before it expires.

The user's name is sent only on the first login, as the unsigned ``user``
form field; it is used for the name only, never for the e-mail.
"""

from __future__ import annotations

import json
import threading
import time
import typing as t

from cryptography.hazmat.primitives.asymmetric import ec

from ..crypto.keys import InvalidKey, JwtSigner, load_private_key
from ..errors import ConfigurationError
from .base import Preset, oidc_profile

ISSUER = "https://appleid.apple.com"
#: Seconds a client secret is valid (Apple allows up to six months).
SECRET_LIFETIME = 3600
#: Seconds before its expiry at which a client secret is rebuilt.
RENEW_BEFORE = 300


def configure(entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """Check the key material now, so a bad key fails at start-up."""
    for key in ("team_id", "key_id"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ConfigurationError(
                "missing; Apple's client secret is signed with your key, see "
                "https://developer.apple.com/account/resources/authkeys/list",
                key=key,
            )
    entry["private_key"] = _load_key(entry.get("private_key"))
    return entry


def _load_key(value: t.Any) -> ec.EllipticCurvePrivateKey:
    """The ``.p8`` key, loaded: kept as a key object, whose ``repr`` shows nothing of it."""
    if value is None or value == "":
        raise ConfigurationError(
            "missing; give the PEM text of the .p8 key file Apple let you download (or its path)",
            key="private_key",
        )
    try:
        key = load_private_key(value)
    except InvalidKey as exc:
        message = {
            "missing": "is not a PEM private key (the .p8 file's text, from "
            "-----BEGIN PRIVATE KEY-----, or its path)",
            "format": "is not a PEM private key (the .p8 file's text, from "
            "-----BEGIN PRIVATE KEY-----, or its path)",
            "type": "must be an ES256 (P-256) key",
        }.get(exc.kind, str(exc))
        raise ConfigurationError(message, key="private_key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ConfigurationError("must be an ES256 (P-256) key", key="private_key")
    return key


class ClientSecret:
    """Apple's client secret for one app: an ES256 JWT with ``iss`` the team
    id, ``sub`` the client id and ``aud`` Apple, signed by the package's
    :class:`~flask_oauth2login.crypto.keys.JwtSigner`, built on first use and
    rebuilt :data:`RENEW_BEFORE` seconds before it expires. Thread-safe.

    :param client_id: the Services ID.
    :param options: the preset's options, as :func:`configure` checked them.
    :param clock: where the time comes from (for tests).
    """

    def __init__(
        self,
        client_id: str,
        options: t.Mapping[str, t.Any],
        *,
        lifetime: int = SECRET_LIFETIME,
        clock: t.Callable[[], float] = time.time,
    ) -> None:
        self._client_id = client_id
        self._team_id = options["team_id"]
        self._signer = JwtSigner(
            load_private_key(options["private_key"]),
            key_id=options["key_id"],
            algorithm="ES256",
        )
        self._lifetime = lifetime
        self._clock = clock
        self._lock = threading.Lock()
        self._secret: str | None = None
        self._expires_at = 0.0

    def __repr__(self) -> str:
        return f"<apple.ClientSecret client_id={self._client_id!r}>"

    def __call__(self) -> str:
        with self._lock:
            now = int(self._clock())
            if self._secret is None or now >= self._expires_at - RENEW_BEFORE:
                self._expires_at = now + self._lifetime
                self._secret = self._signer.sign(
                    {
                        "iss": self._team_id,
                        "iat": now,
                        "exp": now + self._lifetime,
                        "aud": ISSUER,
                        "sub": self._client_id,
                    }
                )
            return self._secret


def profile(claims: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """ID token claims, and the name from the first login's ``user`` field."""
    mapped = oidc_profile(claims)
    mapped["name"] = _name(claims.get("user"))
    mapped["picture"] = None
    return mapped


def _name(user: t.Any) -> str | None:
    try:
        data = json.loads(user) if isinstance(user, str) else None
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to read
        return None
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, dict):
        return None
    parts = [name.get("firstName"), name.get("lastName")]
    return " ".join(p for p in parts if isinstance(p, str) and p) or None


preset = Preset(
    name="apple",
    title="Apple",
    issuer=ISSUER,
    authorize_url="https://appleid.apple.com/auth/authorize",
    token_url="https://appleid.apple.com/auth/token",
    jwks_uri="https://appleid.apple.com/auth/keys",
    revocation_url="https://appleid.apple.com/auth/revoke",
    scope=("openid", "email", "name"),
    token_endpoint_auth_method="client_secret_post",
    response_mode="form_post",
    id_token_algorithms=("RS256",),
    options=("team_id", "key_id", "private_key"),
    configure=configure,
    profile=profile,
    client_secret_builder=ClientSecret,
    callback_profile_params=("user",),
    console_url="https://developer.apple.com/account/resources/identifiers/list/serviceId",
)
