"""Checking what the app fetches from a provider: its discovery document and
the signing keys (JWKS) ID tokens are checked with."""

from __future__ import annotations

import typing as t

import jwt
from flask import Flask

from ..errors import OAuth2LoginError
from ..protocol.http import parse_json
from ..protocol.provider import Provider
from .report import ERROR, INFO, OK, WARNING, Report

#: JWK key type each family of algorithms needs.
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


def check_discovery(app: Flask, provider: Provider, report: Report, topic: str) -> None:
    """Fetch the provider's discovery document and keys, as a login would."""
    config = provider.config
    if config.server_metadata_url is None and config.jwks_uri is None:
        report.add(INFO, topic, "plain OAuth 2.0 endpoints configured by hand: nothing to fetch.")
        return
    for url in (config.server_metadata_url, config.jwks_uri):
        if url is not None and url.startswith("/"):
            report.add(
                INFO,
                topic,
                f"discovery is served by this app ({url}); it is checked when the app runs.",
            )
            return
    try:
        with app.test_request_context():
            endpoints = provider.endpoints()
    except OAuth2LoginError as exc:
        detail = f" {exc.detail}" if exc.detail else ""
        report.add(ERROR, topic, f"discovery failed: {exc.message}{detail}")
        return
    if config.server_metadata_url is not None:
        report.add(
            OK,
            topic,
            f"discovery reachable at {config.server_metadata_url}; issuer {endpoints.issuer}.",
        )
    if not config.is_oidc:
        return
    if endpoints.jwks_uri is None:
        report.add(ERROR, topic, "no jwks_uri: ID tokens of this provider cannot be checked.")
        return
    check_jwks(provider, endpoints.jwks_uri, endpoints.id_token_algorithms, report, topic)


def check_jwks(
    provider: Provider, uri: str, algorithms: t.Sequence[str], report: Report, topic: str
) -> None:
    """Whether the key set at *uri* holds a signing key for *algorithms*."""
    try:
        # Through the provider's own plumbing: proxies, deadline and size cap
        # as for a login.
        response = provider.transport.send("GET", uri, what="key set")
    except OAuth2LoginError as exc:
        report.add(ERROR, topic, f"keys (jwks_uri {uri}) unreachable: {exc}")
        return
    document = parse_json(response) if response.status_code == 200 else None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        report.add(
            ERROR,
            topic,
            f"keys (jwks_uri {uri}): HTTP {response.status_code}, not a JSON Web Key Set.",
        )
        return
    usable = []
    for data in keys:
        if (
            not isinstance(data, dict)
            or data.get("kty") == "oct"
            or data.get("use", "sig") != "sig"
        ):
            continue
        try:
            usable.append((data, jwt.PyJWK(data)))
        except jwt.PyJWTError:
            continue
    if not usable:
        report.add(ERROR, topic, f"keys (jwks_uri {uri}): no signing key this client can use.")
        return
    matching = [data for data, key in usable if _key_fits(data, algorithms)]
    if not matching:
        report.add(
            ERROR,
            topic,
            f"keys (jwks_uri {uri}): none fits the allowed algorithms {', '.join(algorithms)}.",
        )
        return
    kids = [data.get("kid") for data, _ in usable]
    duplicates = sorted({str(k) for k in kids if k is not None and kids.count(k) > 1})
    if duplicates:
        report.add(
            WARNING,
            topic,
            f"keys (jwks_uri {uri}): several keys share the kid {', '.join(duplicates)}.",
        )
    report.add(
        OK,
        topic,
        f"keys reachable at {uri}: {len(usable)} signing key(s) for {', '.join(algorithms)}.",
    )


def _key_fits(jwk: t.Mapping[str, t.Any], algorithms: t.Sequence[str]) -> bool:
    if "alg" in jwk:
        return jwk["alg"] in algorithms
    return any(_KEY_TYPES.get(alg[:2]) == jwk.get("kty") for alg in algorithms)
