"""Checking the session cookie settings that make a browser drop the cookie,
or withhold it from the callback, so the login is lost on its way back.

The rules are :class:`~flask_oauth2login.login.hints.SessionCookie`'s, the same the
debug hint applies to one request; here they are applied to each redirect URI.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

from flask import Flask

from .._runtime import EXTENSION_KEY, AppState
from ..login.hints import SessionCookie
from .redirects import RedirectURI, is_loopback
from .report import ERROR, INFO, OK, WARNING, Report


def check_cookies(app: Flask, uris: t.Sequence[RedirectURI], report: Report) -> None:
    """The session cookie settings that make the browser drop or withhold it."""
    topic = "session cookie"
    cookie = SessionCookie.of(app)
    problems = len(report.errors) + len(report.warnings)

    if cookie.withheld_on_redirect:
        report.add(
            ERROR,
            topic,
            "SESSION_COOKIE_SAMESITE is 'Strict': browsers withhold the cookie on the "
            "provider's redirect back, so every login is lost. Use 'Lax'.",
        )
    elif cookie.refused:
        report.add(
            ERROR,
            topic,
            "SESSION_COOKIE_SAMESITE is 'None' without SESSION_COOKIE_SECURE: browsers "
            "refuse such a cookie. Use 'Lax' (or make the cookie Secure).",
        )
    elif cookie.cross_site:
        report.add(
            INFO,
            topic,
            "SESSION_COOKIE_SAMESITE is 'None': the cookie goes along with cross-site "
            "requests too; 'Lax' is enough for logins.",
        )

    for uri in uris:
        _check_callback(cookie, uri, report, topic)

    app_state: AppState = app.extensions[EXTENSION_KEY]
    lifetime = app.permanent_session_lifetime.total_seconds()
    if lifetime < app_state.settings.login_timeout:
        report.add(
            WARNING,
            topic,
            f"PERMANENT_SESSION_LIFETIME ({lifetime:g} s) is shorter than "
            f"OAUTH2LOGIN_LOGIN_TIMEOUT ({app_state.settings.login_timeout} s): slow logins "
            "outlive their session.",
        )
    if len(report.errors) + len(report.warnings) == problems:
        report.add(
            OK,
            topic,
            f"SameSite={cookie.samesite or 'Lax'}, Secure={'on' if cookie.secure else 'on https'}.",
        )


def _check_callback(cookie: SessionCookie, uri: RedirectURI, report: Report, topic: str) -> None:
    """Whether the browser sends the cookie to the callback at *uri*."""
    parts = urlsplit(uri.uri)
    host = parts.hostname or ""
    if cookie.withheld_from(secure_channel=parts.scheme != "http"):
        if uri.pinned_by is not None:
            # With SERVER_NAME the scheme still follows the request.
            sure = uri.pinned_by != "SERVER_NAME" and not is_loopback(host)
            report.add(
                ERROR if sure else WARNING,
                topic,
                f"SESSION_COOKIE_SECURE is on but the redirect URI {uri.uri} is http: "
                "browsers keep Secure cookies away from http pages"
                + (" (some allow them on localhost)" if is_loopback(host) else "")
                + ", and the login is lost"
                + (
                    " (set PREFERRED_URL_SCHEME = 'https' if the app is served over https)."
                    if uri.pinned_by == "SERVER_NAME"
                    else "."
                ),
            )
        else:
            report.add(
                INFO,
                topic,
                "SESSION_COOKIE_SECURE is on: logins work only when the app is reached over https.",
            )
    if uri.pinned_by and not cookie.covers_host(host):
        report.add(
            ERROR,
            topic,
            f"SESSION_COOKIE_DOMAIN is {cookie.domain!r}, which does not cover the redirect "
            f"URI's host {host}: the cookie is not sent to the callback.",
        )
    if not cookie.covers_path(parts.path):
        report.add(
            ERROR,
            topic,
            f"the session cookie's path {cookie.path} does not cover the callback "
            f"{parts.path}: the cookie is not sent to it.",
        )
