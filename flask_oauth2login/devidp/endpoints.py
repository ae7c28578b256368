"""The client-authenticated endpoints: token (:rfc:`6749`), revocation
(:rfc:`7009`) and pushed authorization requests (:rfc:`9126`).

Clients authenticate with ``client_secret_basic``, ``client_secret_post``,
``private_key_jwt``, ``client_secret_jwt`` or, for public clients, ``none``
(see :func:`.clients.authenticate_client`). Errors are the JSON answers of
:rfc:`6749#section-5.2`; every answer carries ``Cache-Control: no-store``.
"""

from __future__ import annotations

import logging
import typing as t

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from . import pkce, pushed
from .clients import Client
from .errors import OAuthError
from .idtoken import id_token_claims
from .memory import new_secret
from .records import Grant
from .state import ProviderState, get_state

logger = logging.getLogger(__name__)

_INVALID_CODE = "The authorization code is invalid, expired or was already used."


def _read_form() -> None:
    if request.mimetype != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "Send the parameters form-urlencoded.")
    for name, values in request.form.lists():
        if len(values) > 1:
            raise OAuthError("invalid_request", f"The {name} parameter was sent twice.")


def _require(name: str) -> str:
    value = request.form.get(name)
    if not value:
        raise OAuthError("invalid_request", f"The {name} parameter is required.")
    return value


def token() -> ResponseReturnValue:
    """``POST /token``."""
    _read_form()
    state = get_state()
    client = state.authenticate(request)
    grant_type = _require("grant_type")
    handlers: dict[str, t.Callable[[ProviderState, Client], dict[str, t.Any]]] = {
        "authorization_code": _authorization_code,
        "refresh_token": _refresh_token,
        "client_credentials": _client_credentials,
    }
    handler = handlers.get(grant_type)
    if handler is None:
        raise OAuthError("unsupported_grant_type", "This grant type is not supported.")
    return jsonify(handler(state, client))


def _authorization_code(state: ProviderState, client: Client) -> dict[str, t.Any]:
    code = _require("code")
    redirect_uri = _require("redirect_uri")
    verifier = _require("code_verifier")
    record = state.store.redeem_code(code)
    if record is None:
        raise OAuthError("invalid_grant", _INVALID_CODE)
    if record.grant.client_id != client.client_id:
        raise OAuthError("invalid_grant", "The authorization code was issued to another client.")
    if redirect_uri != record.redirect_uri:
        raise OAuthError(
            "invalid_grant", "redirect_uri does not match the one of the authorization request."
        )
    if not pkce.verify(verifier, record.code_challenge):
        raise OAuthError("invalid_grant", "PKCE verification failed: wrong code_verifier.")
    return _issue(state, record.grant, record.grant.scope, refresh=True, nonce=record.grant.nonce)


def _refresh_token(state: ProviderState, client: Client) -> dict[str, t.Any]:
    value = _require("refresh_token")
    invalid = OAuthError("invalid_grant", "The refresh token is invalid, expired or revoked.")
    asked: tuple[str, ...] | None = None
    if "scope" in request.form:
        # Checked before the token is used up, so a bad scope does not cost it.
        current = state.store.find_refresh_token(value, client.client_id)
        if current is None:
            state.store.use_refresh_token(value, client.client_id)  # detects reuse
            raise invalid
        asked = tuple(dict.fromkeys(request.form["scope"].split()))
        if not set(asked) <= set(current.scope):
            raise OAuthError("invalid_scope", "The scope exceeds what was granted.")
    record = state.store.use_refresh_token(value, client.client_id)
    if record is None:
        raise invalid
    return _issue(state, record.grant, record.grant.scope if asked is None else asked, refresh=True)


def _client_credentials(state: ProviderState, client: Client) -> dict[str, t.Any]:
    if client.is_public:
        raise OAuthError("unauthorized_client", "Public clients cannot use client_credentials.")
    scope = tuple(dict.fromkeys(request.form.get("scope", "").split()))
    grant = Grant(id=new_secret(), client_id=client.client_id, sub=None, scope=scope)
    logger.info("devidp: client %s got a client_credentials token", client.client_id)
    return _issue(state, grant, scope, refresh=False)


def _issue(
    state: ProviderState,
    grant: Grant,
    scope: tuple[str, ...],
    *,
    refresh: bool,
    nonce: str | None = None,
) -> dict[str, t.Any]:
    access_ttl = int(state.setting("ACCESS_TOKEN_TTL"))
    refresh_ttl = state.setting("REFRESH_TOKEN_TTL")
    user = state.store.get_user(grant.sub) if grant.sub is not None else None
    if grant.sub is not None and user is None:
        raise OAuthError("invalid_grant", "The user of this grant no longer exists.")
    try:
        issued = state.store.issue_tokens(
            grant,
            scope=scope,
            access_ttl=access_ttl,
            refresh=refresh,
            refresh_ttl=None if refresh_ttl is None else int(refresh_ttl),
        )
    except LookupError:
        raise OAuthError("invalid_grant", "The grant was revoked.") from None
    body: dict[str, t.Any] = {
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": access_ttl,
        "scope": " ".join(scope),
    }
    if issued.refresh_token is not None:
        body["refresh_token"] = issued.refresh_token
    if user is not None and "openid" in scope:
        claims = id_token_claims(
            issuer=state.issuer(),
            client_id=grant.client_id,
            user=user,
            scope=scope,
            now=int(state.store.clock()),
            ttl=int(state.setting("ID_TOKEN_TTL")),
            auth_time=grant.auth_time,
            access_token=issued.access_token,
            nonce=nonce,
            sid=grant.sid,
        )
        body["id_token"] = state.key.sign(claims)
    return body


def revoke() -> ResponseReturnValue:
    """``POST /revoke``: :rfc:`7009` token revocation.

    Answers 200 whether or not the token was known, and leaves the tokens of
    other clients alone. Revoking a refresh token also revokes the access
    tokens issued with it.
    """
    _read_form()
    state = get_state()
    client = state.authenticate(request)
    value = _require("token")
    state.store.revoke(value, client.client_id, request.form.get("token_type_hint"))
    return "", 200


def par() -> ResponseReturnValue:
    """``POST /par``: push an authorization request (:rfc:`9126`); answers
    ``201`` with the ``request_uri`` the browser takes to ``/authorize``."""
    _read_form()
    state = get_state()
    client = state.authenticate(request)
    params = {k: v for k, v in request.form.items() if k not in pushed.CLIENT_AUTH_PARAMS}
    params["client_id"] = client.client_id
    pushed.check(params, client)
    response = jsonify(request_uri=state.pushed.add(params), expires_in=pushed.REQUEST_TTL)
    response.status_code = 201
    return response
