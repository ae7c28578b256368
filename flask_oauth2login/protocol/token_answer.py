"""A token endpoint's answer: checked, and kept as a :class:`Token`
(RFC 6749 §5.1; RFC 9449 §5 for DPoP).

:func:`check_token_response` keeps what this client stores of an answer,
after refusing one without an access token, or with a token type other than
the one asked for (Bearer, or DPoP when a proof was sent). A code exchange
also gives the members the preset's ``token_profile_params`` name (Strava's
``athlete``, say): they travel beside the token, in a :class:`TokenAnswer`,
and are never stored with it.
"""

from __future__ import annotations

import time
import typing as t

from ..errors import InvalidProviderResponse

#: The longest token lifetime believed (ten years); longer ones count as unknown.
MAX_EXPIRES_IN = 10 * 365 * 24 * 3600
#: Field of a login's token: the ID token's ``sub`` when the app knows the
#: user by another subject (``sub``, given by ``user_map`` or the preset). What
#: the provider says is checked against it: a refreshed ID token, a logout
#: token's ``sub``.
ID_TOKEN_SUB = "id_token_sub"
#: What a token's ``repr`` shows: nothing that opens anything.
_SHOWN = ("token_type", "expires_at", "scope", "iss", "sub")


class Token(dict[str, t.Any]):
    """A token as this client keeps it: ``access_token``, ``token_type``,
    ``expires_at`` (a timestamp, or ``None`` when unknown), and when the
    provider gave them ``refresh_token``, ``id_token`` and ``scope``; a login
    adds who it is for (``iss``, ``sub``, ``sid``).

    A dict, so that sessions, token stores and ``on_login`` hooks keep and
    read it as they would any mapping; its ``repr`` shows no token.
    """

    def __repr__(self) -> str:
        shown = {key: self[key] for key in _SHOWN if key in self}
        held = sorted(key for key in self if key.endswith("_token"))
        return f"<Token {shown} holding {', '.join(held) or 'nothing'}>"

    @property
    def access_token(self) -> str:
        """The access token."""
        return str(self["access_token"])

    @property
    def expires_at(self) -> float | None:
        """When the access token expires (a timestamp), if known."""
        expires_at = self.get("expires_at")
        return None if expires_at is None else float(expires_at)

    @property
    def scope(self) -> str | None:
        """The granted scope, space-separated, if known."""
        scope = self.get("scope")
        if scope is None or isinstance(scope, str):
            return scope
        return " ".join(map(str, scope))

    def is_expired(self, leeway: float = 0, *, now: float | None = None) -> bool:
        """Whether the access token expires within *leeway* seconds (never,
        if its expiry is unknown).

        :param now: the time to compare with (by default, the current time).
        """
        expires_at = self.expires_at
        return expires_at is not None and expires_at - leeway <= (
            time.time() if now is None else now
        )


class TokenAnswer(t.NamedTuple):
    """A code exchange's answer: the token, and beside it the members of the
    answer the preset's ``token_profile_params`` name (about the user, not
    the token; never stored with it)."""

    token: Token
    profile: dict[str, t.Any]


def check_token_response(
    token: t.Mapping[str, t.Any], *, provider: str, dpop: bool = False
) -> Token:
    """Check a token endpoint answer and return the token to keep.

    Refuses answers without ``access_token``, and with a ``token_type``
    (compared case-insensitively) other than Bearer, or, when *dpop* (a DPoP
    proof was sent), other than DPoP: a Bearer token where a bound one was
    asked for could be used by anyone who got hold of it. ``expires_in``
    becomes an absolute ``expires_at``.
    """
    access_token = token.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise InvalidProviderResponse(
            "The provider's token answer has no access_token.", provider=provider
        )
    if not all(" " <= ch <= "~" for ch in access_token):  # RFC 6749 A.12: VSCHAR
        raise InvalidProviderResponse(
            "The provider's access_token has characters a token may not have.", provider=provider
        )
    token_type = token.get("token_type")
    expected = "DPoP" if dpop else "Bearer"
    if not isinstance(token_type, str) or token_type.lower() != expected.lower():
        shown = token_type if isinstance(token_type, str) and len(token_type) < 32 else "(none)"
        if dpop:
            message = (
                f"The provider issued a {shown!r} token although a DPoP-bound one was asked "
                "for; refusing it (does the provider support DPoP for this client?)."
            )
        elif isinstance(token_type, str) and token_type.lower() == "dpop":
            message = (
                "The provider issued a DPoP-bound token; set 'dpop': True in the provider "
                "entry to use it."
            )
        else:
            message = f"The provider issued a {shown!r} token; only Bearer tokens are supported."
        raise InvalidProviderResponse(message, provider=provider)
    kept = Token(access_token=access_token, token_type=expected)
    for key in ("refresh_token", "id_token", "scope"):
        if isinstance(token.get(key), str) and token[key]:
            kept[key] = token[key]
    kept["expires_at"] = _expires_at(token.get("expires_in"))
    return kept


def _expires_at(expires_in: t.Any) -> int | None:
    """``expires_in`` seconds from now as a timestamp; ``None`` when the
    provider did not say, or said something that is not a sane duration."""
    if isinstance(expires_in, bool):
        return None
    try:
        seconds = float(expires_in)
    except (TypeError, ValueError):
        return None
    if not 0 <= seconds <= MAX_EXPIRES_IN:
        return None
    return int(time.time() + seconds)


def protocol_subject(token: t.Mapping[str, t.Any]) -> str | None:
    """The subject the provider knows a login by: its ID token's ``sub``
    (:data:`ID_TOKEN_SUB`, when the app's subject differs), else its ``sub``."""
    value = token.get(ID_TOKEN_SUB) or token.get("sub")
    return None if value is None else str(value)
