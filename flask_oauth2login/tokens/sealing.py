"""Tokens at rest: what of a token is sealed, and what stays readable.

What grants anything (access, refresh and ID tokens) is encrypted with the
app's :class:`~flask_oauth2login.crypto.cipher.Cipher` and bound to the login's
provider, issuer and subject; only :data:`PUBLIC_FIELDS` (who, and until
when) are kept readable next to it. The same format serves a session entry
(:func:`seal`), a token store record (:func:`to_record`) and a refresh's
result slot (:func:`seal_slot`). A value that no configured key opens raises
:class:`~flask_oauth2login.crypto.cipher.DecryptionFailed`.
"""

from __future__ import annotations

import typing as t

from ..crypto.cipher import DecryptionFailed
from ..protocol.token_answer import ID_TOKEN_SUB, Token
from ..tokenstore import StoredToken, TokenKey

if t.TYPE_CHECKING:
    from .._runtime import AppState

#: Fields of a token kept readable next to the sealed rest: they say whose
#: token it is (``sid``: the login's session at the provider, which
#: back-channel logout looks for) and until when, and grant nothing.
PUBLIC_FIELDS = ("iss", "sub", ID_TOKEN_SUB, "sid", "expires_at", "scope")
#: Of those, the fields the token store keeps readable (its columns).
STORE_FIELDS = ("iss", "sub", "expires_at", "scope")
#: Field of a session entry that holds the sealed rest of the token.
SEALED = "sealed"


def seal(
    app_state: AppState,
    key: TokenKey,
    token: t.Mapping[str, t.Any],
    public_fields: t.Sequence[str] = PUBLIC_FIELDS,
) -> dict[str, t.Any]:
    """*token* as kept at rest: the *public_fields* it has as they are, the
    rest sealed for *key*'s login under :data:`SEALED`."""
    public = {name: token[name] for name in public_fields if is_plain(token.get(name, ()))}
    secret = {name: value for name, value in token.items() if name not in public}
    return {**public, SEALED: app_state.cipher.seal(secret, key.context)}


def unseal(app_state: AppState, key: TokenKey, entry: t.Mapping[str, t.Any]) -> Token:
    """The token a :func:`seal` result holds.

    :raises DecryptionFailed: if no configured key opens it.
    """
    secret = app_state.cipher.open(entry[SEALED], key.context)
    if not isinstance(secret, dict):
        raise DecryptionFailed("not a token")
    return Token({**secret, **{name: entry[name] for name in PUBLIC_FIELDS if name in entry}})


def is_plain(value: t.Any) -> bool:
    """Whether *value* can be kept as it is next to a sealed token (or a
    column): a string, a number or nothing."""
    return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))


def key_of(provider: str, token: t.Mapping[str, t.Any]) -> TokenKey:
    return TokenKey(provider, str(token.get("iss") or ""), str(token.get("sub") or ""))


def to_record(app_state: AppState, key: TokenKey, token: t.Mapping[str, t.Any]) -> StoredToken:
    expires_at = token.get("expires_at")
    if isinstance(expires_at, float):
        token = {**token, "expires_at": int(expires_at)}
    scope = token.get("scope")
    if scope is not None and not isinstance(scope, str):
        token = {**token, "scope": " ".join(map(str, scope))}
    entry = seal(app_state, key, token, STORE_FIELDS)
    return StoredToken(
        provider=key.provider,
        issuer=key.issuer,
        subject=key.subject,
        sealed=entry[SEALED],
        scope=entry.get("scope"),
        expires_at=entry.get("expires_at"),
    )


def from_record(app_state: AppState, record: StoredToken) -> Token:
    entry: dict[str, t.Any] = {
        "iss": record.issuer,
        "sub": record.subject,
        "expires_at": record.expires_at,
        SEALED: record.sealed,
    }
    if record.scope is not None:
        entry["scope"] = record.scope
    return unseal(app_state, record.key, entry)


def seal_slot(app_state: AppState, slot: str, token: t.Mapping[str, t.Any]) -> dict[str, str]:
    """What a result slot holds: the token sealed for that slot only."""
    return {SEALED: app_state.cipher.seal(dict(token), f"refresh\0{slot}")}


def open_slot(app_state: AppState, slot: str, slots: t.Any) -> Token | None:
    """The token a result slot holds (see :func:`seal_slot`), if it opens."""
    found = slots.get_result(slot)
    if not found or SEALED not in found:
        return None
    try:
        token = app_state.cipher.open(found[SEALED], f"refresh\0{slot}")
    except DecryptionFailed:
        return None
    return Token(token) if isinstance(token, dict) else None
