"""Checking logout: the URIs to register with each provider so that logging
out works everywhere (OpenID Connect RP-Initiated, Back-Channel and
Front-Channel Logout 1.0), and whether the provider offers what the
configuration asks for."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, url_for

from .._runtime import EXTENSION_KEY, AppState
from ..config.provider import ProviderConfig
from ..errors import OAuth2LoginError
from ..login import logout
from ..protocol.discovery import Endpoints
from ..protocol.provider import Provider
from .redirects import app_pinned_by, shown_request
from .report import INFO, OK, WARNING, Report


@dataclass(frozen=True)
class LogoutURIs:
    """The logout URIs of one provider, as the app sends or serves them."""

    #: ``GET /logout/callback/<provider>``, or ``None`` when none is sent
    #: (outside debug without ``OAUTH2LOGIN_EXTERNAL_URL``).
    post_logout_redirect_uri: str | None
    backchannel_logout_uri: str
    frontchannel_logout_uri: str
    #: ``"OAUTH2LOGIN_EXTERNAL_URL"``, ``"SERVER_NAME"``, or ``None`` when
    #: they follow the host of each request.
    pinned_by: str | None


def logout_uris(app: Flask, provider: str) -> LogoutURIs:
    """The logout URIs of *provider*; without a pinned address, shown for
    ``flask run``'s default, ``http://127.0.0.1:5000``."""
    app_state: AppState = app.extensions[EXTENSION_KEY]
    pinned_by = app_pinned_by(app)
    with shown_request(app, pinned_by):

        def absolute(endpoint: str) -> str:
            if app_state.settings.external_url is not None:
                return app_state.settings.external_url + url_for(endpoint, provider=provider)
            return url_for(endpoint, provider=provider, _external=True)

        return LogoutURIs(
            post_logout_redirect_uri=logout.post_logout_redirect_uri(app_state.settings, provider),
            backchannel_logout_uri=absolute("oauth2login.backchannel_logout"),
            frontchannel_logout_uri=absolute("oauth2login.frontchannel_logout"),
            pinned_by=pinned_by,
        )


def check_logout(
    app: Flask, provider: Provider, report: Report, topic: str, *, network: bool = True
) -> None:
    """What to register for logging out with *provider*, and whether the
    provider offers it."""
    config = provider.config
    if not config.is_oidc:
        if config.logout_at_provider:
            report.add(
                WARNING,
                topic,
                "logout_at_provider is on, but this provider does not use OpenID Connect: "
                "POST /logout logs out of this app only.",
            )
        return
    uris = logout_uris(app, config.name)
    where = f" (from {uris.pinned_by})" if uris.pinned_by else " when the app is browsed there"
    endpoints = _endpoints(app, provider) if network else None

    if config.logout_at_provider:
        if uris.post_logout_redirect_uri is None:
            report.add(
                WARNING,
                topic,
                "logout_at_provider is on, but without OAUTH2LOGIN_EXTERNAL_URL (outside debug) "
                "no post_logout_redirect_uri is sent, so the browser stays on the provider's "
                "page after logging out there. Set OAUTH2LOGIN_EXTERNAL_URL.",
            )
        else:
            report.add(
                OK,
                topic,
                f"post_logout_redirect_uri to register: {uris.post_logout_redirect_uri}{where}.",
            )
        if endpoints is not None and endpoints.end_session_url is None:
            report.add(
                WARNING,
                topic,
                "logout_at_provider is on, but the provider advertises no end_session_endpoint: "
                "POST /logout logs out of this app only (and tells the user so).",
            )

    if endpoints is None:
        report.add(
            INFO,
            topic,
            "backchannel_logout_uri to register if the provider supports back-channel logout: "
            f"{uris.backchannel_logout_uri}{where}, with backchannel_logout_session_required.",
        )
        return
    configured = provider.config.backchannel_logout
    if configured or (configured is None and endpoints.backchannel_logout):
        session = (
            ", with backchannel_logout_session_required: true (logout tokens then name the session)"
            if endpoints.backchannel_logout_session
            else ""
        )
        report.add(
            OK,
            topic,
            f"backchannel_logout_uri to register: {uris.backchannel_logout_uri}{where}{session}.",
        )
    elif configured is False:
        report.add(
            INFO,
            topic,
            "backchannel_logout is False: logging out there does not end sessions here.",
        )
    else:
        report.add(
            INFO,
            topic,
            "the provider does not advertise back-channel logout (backchannel_logout_supported): "
            "logging out there does not end sessions here (set backchannel_logout: True if it "
            "sends logout tokens all the same).",
        )
    _check_frontchannel(config, endpoints, uris.frontchannel_logout_uri + where, report, topic)


def _check_frontchannel(
    config: ProviderConfig, endpoints: Endpoints, uri: str, report: Report, topic: str
) -> None:
    """Front-channel logout: opt-in (``frontchannel_logout``), and refused
    where the provider offers back-channel logout."""
    offered = endpoints.frontchannel_logout_session
    if config.frontchannel_logout and logout.sends_logout_tokens(
        config.backchannel_logout, endpoints.backchannel_logout
    ):
        report.add(
            WARNING,
            topic,
            "frontchannel_logout is on, but the provider sends logout tokens (back-channel "
            "logout), so front-channel logouts are refused: register the "
            "backchannel_logout_uri instead.",
        )
    elif config.frontchannel_logout and not offered:
        report.add(
            WARNING,
            topic,
            "frontchannel_logout is on, but the provider does not advertise front-channel "
            "logout with a session id (frontchannel_logout_session_supported): it is refused.",
        )
    elif config.frontchannel_logout:
        report.add(
            OK,
            topic,
            f"frontchannel_logout_uri to register: {uri}, with "
            "frontchannel_logout_session_required.",
        )
    elif offered and not endpoints.backchannel_logout:
        report.add(
            INFO,
            topic,
            "the provider offers front-channel logout; to accept it, set frontchannel_logout: "
            "True in this provider's entry and register the frontchannel_logout_uri "
            f"{uri}.",
        )


def _endpoints(app: Flask, provider: Provider) -> Endpoints | None:
    """The provider's endpoints, or ``None`` when discovery fails (reported
    by the discovery check) or is served by this app."""
    if (provider.config.server_metadata_url or "").startswith("/"):
        return None
    try:
        with app.test_request_context():
            return provider.endpoints()
    except OAuth2LoginError:
        return None
