"""Checking redirect URIs: the one each provider must have registered, what
pins it, and whether it brings the browser back to where the login started."""

from __future__ import annotations

import ipaddress
import typing as t
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, url_for

from .._runtime import EXTENSION_KEY, AppState
from ..login import code_flow
from .report import ERROR, INFO, OK, WARNING, Report

#: Where URLs of an app that pins no address are shown: ``flask run``'s default.
UNPINNED_BASE = "http://127.0.0.1:5000/"


@dataclass(frozen=True)
class RedirectURI:
    """The redirect URI of one provider, and what decides it."""

    uri: str
    #: ``"redirect_uri"``, ``"OAUTH2LOGIN_EXTERNAL_URL"``, ``"SERVER_NAME"``,
    #: or ``None`` when it follows the host of each request.
    pinned_by: str | None


def redirect_uri(app: Flask, provider: str) -> RedirectURI:
    """The redirect URI *app* sends for *provider*, as the login computes it.

    Without a pinned URI it follows each request's host; it is then shown
    for ``flask run``'s default address, ``http://127.0.0.1:5000``.
    """
    app_state: AppState = app.extensions[EXTENSION_KEY]
    found = app_state.providers[provider]
    pinned_by = "redirect_uri" if found.config.redirect_uri is not None else app_pinned_by(app)
    with shown_request(app, pinned_by):
        return RedirectURI(code_flow.redirect_uri(found, app_state.settings), pinned_by)


def app_pinned_by(app: Flask) -> str | None:
    """What pins the app's own public address: ``"OAUTH2LOGIN_EXTERNAL_URL"``,
    ``"SERVER_NAME"``, or ``None`` when it follows the host of each request."""
    app_state: AppState = app.extensions[EXTENSION_KEY]
    if app_state.settings.external_url is not None:
        return "OAUTH2LOGIN_EXTERNAL_URL"
    if app.config.get("SERVER_NAME"):
        return "SERVER_NAME"
    return None


@contextmanager
def shown_request(app: Flask, pinned_by: str | None) -> t.Iterator[None]:
    """A request context in which URLs come out as the app sends them: at its
    pinned address, or else at ``flask run``'s default, :data:`UNPINNED_BASE`."""
    base = None if pinned_by else UNPINNED_BASE + app_root(app).lstrip("/")
    with app.test_request_context(base_url=base):
        yield


def app_origin(app: Flask) -> str | None:
    """Where the app says it lives (external URL or ``SERVER_NAME``), if it says."""
    app_state: AppState = app.extensions[EXTENSION_KEY]
    if app_state.settings.external_url is not None:
        return origin_of(app_state.settings.external_url)
    if app.config.get("SERVER_NAME"):
        return f"{app.config['PREFERRED_URL_SCHEME']}://{app.config['SERVER_NAME']}"
    return None


def check_redirect_uri(
    app: Flask, name: str, uri: RedirectURI, registered: str | None, report: Report, topic: str
) -> None:
    """The redirect URI of provider *name*: what to register, and whether it
    matches *registered*, the app's callback and the app's host."""
    if uri.pinned_by is None:
        report.add(
            OK,
            topic,
            f"redirect URI to register: {uri.uri} when the app is browsed at "
            "http://127.0.0.1:5000; it follows the host and scheme of each request. Pin it "
            "with OAUTH2LOGIN_EXTERNAL_URL when the app has a public address.",
        )
    else:
        report.add(OK, topic, f"redirect URI to register: {uri.uri} (from {uri.pinned_by}).")
        if uri.pinned_by == "SERVER_NAME":
            report.add(
                INFO,
                topic,
                "with SERVER_NAME alone the scheme still follows each request: behind an "
                "HTTPS proxy use ProxyFix or set OAUTH2LOGIN_EXTERNAL_URL.",
            )

    if registered is not None and registered != uri.uri:
        level = ERROR if uri.pinned_by is not None else WARNING
        report.add(
            level,
            topic,
            f"the app sends {uri.uri} but {registered} is registered: the provider refuses "
            "the login (redirect_uri_mismatch). Register the former, or set "
            f"OAUTH2LOGIN_EXTERNAL_URL = {origin_of(registered)!r} "
            "or this provider's redirect_uri.",
        )
    elif registered is not None:
        report.add(OK, topic, "the registered redirect URI matches.")

    parts = urlsplit(uri.uri)
    with app.test_request_context():
        callback_path = url_for("oauth2login.callback", provider=name)
    if uri.pinned_by == "redirect_uri" and parts.path != callback_path:
        report.add(
            WARNING,
            topic,
            f"the configured redirect_uri's path {parts.path} is not this app's callback "
            f"{callback_path}; the provider's answer does not reach the login unless a "
            "proxy rewrites the path.",
        )
    origin = app_origin(app)
    if uri.pinned_by == "redirect_uri" and origin and origin_of(uri.uri) != origin:
        report.add(
            WARNING,
            topic,
            f"logins start at {origin} but the provider sends the browser back to "
            f"{origin_of(uri.uri)}: the session cookie of one host is not sent to the other, "
            "and the login gets lost. Use the same host in both.",
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        report.add(
            WARNING,
            topic,
            f"the redirect URI is plain http on {parts.hostname}: most providers refuse it "
            "and the code travels in clear. Serve the app over https.",
        )


def app_root(app: Flask) -> str:
    """``APPLICATION_ROOT``, the path the app is mounted at."""
    return str(app.config.get("APPLICATION_ROOT") or "/")


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of *url*."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_loopback(host: str) -> bool:
    """Whether *host* names this machine (``localhost``, ``127.0.0.1``, ``::1``)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
