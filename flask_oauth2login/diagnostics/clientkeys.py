"""Checking high-security settings: the public key to register for
``private_key_jwt``, the app's DPoP key, and pushed authorization requests."""

from __future__ import annotations

import json

from flask import Flask

from .._runtime import EXTENSION_KEY, AppState
from ..errors import OAuth2LoginError
from ..protocol.provider import Provider
from .report import ERROR, INFO, OK, WARNING, Report


def check_client_keys(
    app: Flask, provider: Provider, report: Report, topic: str, *, network: bool = True
) -> None:
    """Print the JWKS to register for ``private_key_jwt`` (and the app's
    JWKS URL, if it serves one); say which DPoP key binds the tokens; with
    *network*, check that the provider takes pushed requests if they are on."""
    app_state: AppState = app.extensions[EXTENSION_KEY]
    jwk = provider.registration_jwk()
    if jwk is not None:
        jwks = json.dumps({"keys": [jwk]}, separators=(",", ":"))
        report.add(
            INFO,
            topic,
            f"private_key_jwt: register this public key with the provider (the client's "
            f"jwks): {jwks}",
        )
        path = app_state.settings.jwks_url_path
        if path is not None:
            with app.test_request_context():
                url = app_state.base_url().rstrip("/") + path
            report.add(INFO, topic, f"private_key_jwt: or register the jwks_uri {url}")
    key = provider.dpop
    if key is not None:
        if key.origin == "process":
            report.add(
                WARNING,
                topic,
                "DPoP: neither OAUTH2LOGIN_DPOP_PRIVATE_KEY nor SECRET_KEY is set, so each "
                "process makes a key of its own and tokens bound in one process fail in "
                "another; set one of them.",
            )
        else:
            source = "configured" if key.origin == "configured" else "derived from SECRET_KEY"
            report.add(
                OK,
                topic,
                f"DPoP: tokens are bound to the app's key ({source}, jkt {key.thumbprint}).",
            )
    if network and provider.config.pushed_authorization_requests is not False:
        _check_par(app, provider, report, topic)


def _check_par(app: Flask, provider: Provider, report: Report, topic: str) -> None:
    if provider.config.server_metadata_url is None:
        return
    with app.test_request_context():
        try:
            provider = provider.snapshot()
        except OAuth2LoginError:
            return  # the discovery check says why
        par_url = provider.endpoints().par_url
        try:
            pushed = provider.uses_par()
        except OAuth2LoginError as exc:
            report.add(ERROR, topic, f"pushed authorization requests: {exc.message}")
            return
    if pushed:
        report.add(OK, topic, f"authorization requests are pushed to {par_url}.")
