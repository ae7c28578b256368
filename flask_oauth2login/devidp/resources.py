"""The bearer-protected endpoints: UserInfo and the demo API.

Both take the access token from ``Authorization: Bearer`` (or, for a form
``POST``, the ``access_token`` body parameter of :rfc:`6750#section-2.2`)
and answer a missing or bad token with 401 and a ``WWW-Authenticate``
challenge.
"""

from __future__ import annotations

import typing as t

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from .errors import bearer_error
from .records import Token
from .state import get_state
from .users import claims_for


def _bearer_token() -> Token:
    header = request.headers.get("Authorization", "")
    value = ""
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            value = ""
    elif request.method == "POST" and request.mimetype == "application/x-www-form-urlencoded":
        value = request.form.get("access_token", "")
    value = value.strip()
    if not value:
        raise bearer_error(None, status=401)
    record = get_state().store.get_access_token(value)
    if record is None:
        raise bearer_error("invalid_token", "The access token is invalid, expired or revoked.")
    return record


def userinfo() -> ResponseReturnValue:
    """``GET|POST /userinfo``: the claims released for the token's scopes."""
    token = _bearer_token()
    user = get_state().store.get_user(token.grant.sub) if token.grant.sub else None
    if user is None or "openid" not in token.scope:
        raise bearer_error(
            "insufficient_scope",
            "UserInfo needs a user's access token with the openid scope.",
            status=403,
            scope="openid",
        )
    return jsonify(claims_for(user, token.scope))


def api_me() -> ResponseReturnValue:
    """``GET /api/me``: a demo API call showing who the token belongs to."""
    state = get_state()
    token = _bearer_token()
    now = state.store.clock()
    user: dict[str, t.Any] | None = None
    if token.grant.sub is not None:
        found = state.store.get_user(token.grant.sub)
        if found is not None:
            user = {key: found.get(key) for key in ("sub", "name", "email", "email_verified")}
    assert token.expires_at is not None
    return jsonify(
        {
            "message": f"Hello from the demo API of {state.issuer()}.",
            "sub": token.grant.sub or token.grant.client_id,
            "client_id": token.grant.client_id,
            "scope": " ".join(token.scope),
            "user": user,
            "issued_at": int(token.issued_at),
            "expires_at": int(token.expires_at),
            "expires_in": max(0, int(token.expires_at - now)),
        }
    )
