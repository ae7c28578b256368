"""The discovery document and the JWK Set."""

from __future__ import annotations

import typing as t

from flask import jsonify
from flask.typing import ResponseReturnValue

from . import pkce
from .assertions import KEY_ALGORITHMS, SECRET_ALGORITHMS
from .clients import AUTH_METHODS
from .keys import ALGORITHM
from .state import get_state
from .users import SCOPE_CLAIMS

#: Endpoint paths, relative to the provider's URL prefix.
PATHS = {
    "authorization_endpoint": "/authorize",
    "token_endpoint": "/token",
    "userinfo_endpoint": "/userinfo",
    "jwks_uri": "/jwks",
    "revocation_endpoint": "/revoke",
    "end_session_endpoint": "/logout",
    "pushed_authorization_request_endpoint": "/par",
}


def provider_metadata() -> dict[str, t.Any]:
    """The OpenID Provider Metadata for the current request's issuer."""
    state = get_state()
    claims = ["sub", "iss", "aud", "azp", "exp", "iat", "auth_time", "nonce", "at_hash", "sid"]
    for names in SCOPE_CLAIMS.values():
        claims.extend(names)
    return {
        "issuer": state.issuer(),
        **{name: state.endpoint(path) for name, path in PATHS.items()},
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "code_challenge_methods_supported": [pkce.METHOD],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": [
            *KEY_ALGORITHMS,
            *SECRET_ALGORITHMS,
        ],
        "revocation_endpoint_auth_signing_alg_values_supported": [
            *KEY_ALGORITHMS,
            *SECRET_ALGORITHMS,
        ],
        "require_pushed_authorization_requests": False,
        "scopes_supported": ["openid", *SCOPE_CLAIMS],
        "claims_supported": claims,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "claims_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }


def openid_configuration() -> ResponseReturnValue:
    """``GET /.well-known/openid-configuration``."""
    response = jsonify(provider_metadata())
    response.headers["Cache-Control"] = "no-cache"
    return response


def jwks() -> ResponseReturnValue:
    """``GET /jwks``: the public signing key, regenerated at each start."""
    response = jsonify(get_state().key.jwks)
    response.headers["Cache-Control"] = "no-cache"
    return response
