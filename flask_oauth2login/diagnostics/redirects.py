"""Checking redirect URIs: the one each provider must have registered, what
pins it, and whether it brings the browser back to where the login started."""

from __future__ import annotations

import ipaddress
import os
import typing as t
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from flask import Flask, url_for

from .._runtime import EXTENSION_KEY, AppState
from ..login import code_flow
from .report import ERROR, INFO, OK, WARNING, Report

#: Where URLs of an app that pins no address are shown, when nothing says
#: where it is served: ``flask run``'s default.
UNPINNED_BASE = "http://127.0.0.1:5000/"

_served_at: ContextVar[str | None] = ContextVar("oauth2login_served_at", default=None)


@contextmanager
def served_at(url: str | None) -> t.Iterator[None]:
    """Show the URLs of an app that pins no address at *url* (``check --url``)
    while the block runs."""
    token = _served_at.set(url)
    try:
        yield
    finally:
        _served_at.reset(token)


def served_base(environ: t.Mapping[str, str] | None = None) -> str:
    """Where an app that pins no address is served, ending with ``/``:
    ``check --url``, else ``FLASK_RUN_HOST`` and ``FLASK_RUN_PORT`` (what
    ``flask run --host/--port`` read), else :data:`UNPINNED_BASE`."""
    url = _served_at.get()
    if url:
        return url.rstrip("/") + "/"
    environ = os.environ if environ is None else environ
    host = environ.get("FLASK_RUN_HOST") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # noqa: S104 (shown, not bound: any interface)
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):  # an IPv6 address: bracketed in a URL
        host = f"[{host}]"
    port = environ.get("FLASK_RUN_PORT") or "5000"
    if not (port.isascii() and port.isdigit()):
        port = "5000"  # flask run refuses it; show the default
    return f"http://{host}:{port}/"


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
    pinned address, or else where it is served (:func:`served_base`)."""
    base = None if pinned_by else served_base() + app_root(app).lstrip("/")
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
            f"{origin_of(uri.uri)}; it follows the host and scheme of each request. Pin it "
            "with OAUTH2LOGIN_EXTERNAL_URL when the app has a public address (or say where "
            "it is served with check --url).",
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

    parts = urlsplit(uri.uri)
    with app.test_request_context():
        callback_path = url_for("oauth2login.callback", provider=name)
    if registered is not None:
        _compare(app, name, uri, registered, callback_path, report, topic)
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


def _compare(
    app: Flask,
    name: str,
    uri: RedirectURI,
    registered: str,
    callback_path: str,
    report: Report,
    topic: str,
) -> None:
    """Whether *registered* is the redirect URI the app sends; a mismatch
    fails (the provider refuses every login), with the fix."""
    sent = uri.uri
    elsewhere = uri.pinned_by is None and _served_elsewhere(uri.uri, registered)
    if uri.pinned_by is None and not elsewhere:
        # It follows the request: browsed at the registered origin, it sends this.
        sent = origin_of(registered) + urlsplit(uri.uri).path
    if sent == registered:
        where = "" if uri.pinned_by else f" when the app is browsed at {origin_of(registered)}"
        report.add(OK, topic, f"the registered redirect URI matches{where}.")
        return
    fixes = [f"register {sent}"]
    registered_path = urlsplit(registered).path
    if elsewhere:
        fixes.append(f"serve the app at {origin_of(registered)}")
    elif registered_path == urlsplit(sent).path:
        fixes.append(f"set OAUTH2LOGIN_EXTERNAL_URL = {origin_of(registered)!r}")
    else:
        tail = "/callback/" + name
        root = app_root(app).rstrip("/")
        prefix = registered_path.removesuffix(tail).removeprefix(root)
        current = callback_path.removesuffix(tail).removeprefix(root)
        if registered_path.endswith(tail) and prefix != current and prefix.startswith("/"):
            fixes.append(f"set OAUTH2LOGIN_URL_PREFIX = {prefix!r}")
        elif registered_path.endswith(tail) and not prefix:
            fixes.append('set OAUTH2LOGIN_URL_PREFIX = ""')
    fixes.append(f"set OAUTH2LOGIN_PROVIDERS[{name!r}]['redirect_uri'] (behind a proxy)")
    report.add(
        ERROR,
        topic,
        f"the app sends {sent} but {registered} is registered: the provider refuses every "
        f"login (redirect_uri_mismatch). Fix: {'; or '.join(fixes)}.",
    )


def _served_elsewhere(sent: str, registered: str) -> bool:
    """Whether an app that follows each request's host, stated to be served on
    this machine (``check --url``, ``FLASK_RUN_HOST``, ``FLASK_RUN_PORT``) at
    *sent*'s origin, cannot be browsed at the loopback origin of *registered*:
    another scheme or port (``127.0.0.1`` and ``localhost`` are one machine)."""
    stated = (
        _served_at.get() or os.environ.get("FLASK_RUN_PORT") or os.environ.get("FLASK_RUN_HOST")
    )
    ours, theirs = urlsplit(sent), urlsplit(registered)
    if not stated or not (is_loopback(ours.hostname or "") and is_loopback(theirs.hostname or "")):
        return False
    return (ours.scheme, _port(ours)) != (theirs.scheme, _port(theirs))


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return None


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
