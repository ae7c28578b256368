"""Why a login gets lost on its way back from the provider.

The callback's error page, in debug mode, shows :func:`diagnose_missing_login`:
why the login the provider's answer belongs to cannot be found in this
session; for other failed logins it shows :func:`operator_detail`, which the
log line of every failed login carries too. It runs inside a request, so it lives here, apart from
:mod:`flask_oauth2login.diagnostics` (the checks behind
``flask oauth2login check``), which applies the same two rule books to the
app's settings instead of to one request:

- :class:`SessionCookie`: the cookie settings that make a browser drop or
  withhold the session cookie;
- :func:`describe_store`: what keeps the sessions, and how widely it is shared
  (the session engine's description).

Nothing here shows a secret: hints name configuration keys and hosts, never
a session id.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from flask import Flask, current_app, request, session

from .._runtime import EXTENSION_KEY, AppState
from ..config.settings import credential_origin
from ..errors import InvalidClient, InvalidState, LoginError, OAuth2LoginError
from . import pending as pending_logins


def describe_store(app: Flask) -> tuple[str, str | None]:
    """What the app's session store is, and how widely it is shared
    (:data:`~flask_oauth2login.sessions.engines.base.PROCESS`, ``MACHINE``,
    ``SHARED``, or ``None`` if unknown): its session engine's description."""
    app_state: AppState = app.extensions[EXTENSION_KEY]
    return app_state.session_engine.describe()


@dataclass(frozen=True)
class SessionCookie:
    """An app's session cookie settings, and the rules by which browsers
    drop or withhold such a cookie."""

    #: ``SESSION_COOKIE_NAME``.
    name: str
    #: ``SESSION_COOKIE_SAMESITE`` as configured; ``None`` when unset.
    samesite: str | None
    #: ``SESSION_COOKIE_SECURE``.
    secure: bool
    #: ``SESSION_COOKIE_DOMAIN``; ``None`` when unset.
    domain: str | None
    #: ``SESSION_COOKIE_PATH``, or else ``APPLICATION_ROOT``.
    path: str

    @classmethod
    def of(cls, app: Flask) -> SessionCookie:
        """The session cookie settings of *app*."""
        config = app.config
        return cls(
            name=config["SESSION_COOKIE_NAME"],
            samesite=config.get("SESSION_COOKIE_SAMESITE") or None,
            secure=bool(config.get("SESSION_COOKIE_SECURE")),
            domain=config.get("SESSION_COOKIE_DOMAIN") or None,
            path=config.get("SESSION_COOKIE_PATH") or str(config.get("APPLICATION_ROOT") or "/"),
        )

    @property
    def withheld_on_redirect(self) -> bool:
        """``SameSite=Strict``: the cookie stays home on the provider's redirect back."""
        return self._samesite == "strict"

    @property
    def cross_site(self) -> bool:
        """``SameSite=None``: the cookie goes along with cross-site requests."""
        return self._samesite == "none"

    @property
    def refused(self) -> bool:
        """``SameSite=None`` without ``Secure``: browsers refuse the cookie."""
        return self.cross_site and not self.secure

    def withheld_from(self, *, secure_channel: bool) -> bool:
        """Whether a ``Secure`` cookie is kept away from a page (not over https)."""
        return self.secure and not secure_channel

    def covers_host(self, host: str) -> bool:
        """Whether the cookie is sent to *host* (``SESSION_COOKIE_DOMAIN`` allows it)."""
        if not self.domain:
            return True
        domain = str(self.domain).lstrip(".").lower()
        host = host.lower()
        return host == domain or host.endswith("." + domain)

    def covers_path(self, path: str) -> bool:
        """Whether the cookie is sent to *path*."""
        return path.startswith(self.path.rstrip("/") + "/") or path == self.path

    @property
    def _samesite(self) -> str:
        return str(self.samesite).lower() if self.samesite else ""


def diagnose_missing_login() -> str:
    """Why the login the current callback answers cannot be found, in short.

    Call it while handling the callback request. It tells apart: no session
    cookie came with the request (a SameSite, Secure, domain or host
    problem), the cookie came but its session is unknown here (a store not
    shared between processes, or one that lost it), and the session is
    known but holds no such login (already used, expired, or started
    elsewhere).
    """
    app = current_app
    if not request.values.get("state"):
        return (
            "The request carries no state, so it cannot belong to a login started here: "
            "it did not come from the provider's redirect (a bookmark, a reload of a "
            "stripped URL, or a provider that drops the state)."
        )
    cookie_settings = SessionCookie.of(app)
    name = cookie_settings.name
    cookie = request.cookies.get(name)
    if not cookie:
        return _no_cookie_hint(cookie_settings)
    if not _session_is_known(cookie):
        description, _ = describe_store(app)
        return (
            f"A session cookie ({name!r}) came with this request, but this server does "
            "not know its session. Likely: the session store is not shared between the "
            f"app's processes or servers (this app keeps sessions in {description}), it "
            "lost the session (a restart of an in-memory store, or the session expired), "
            "or SECRET_KEY differs between processes (with SESSION_USE_SIGNER)."
        )
    app_state: AppState = app.extensions[EXTENSION_KEY]
    pending = session.get(pending_logins.SESSION_KEY) or {}
    others = "" if not pending else f" ({len(pending)} other login(s) are in progress)"
    return (
        f"Your session is known, but it holds no login this answer belongs to{others}. "
        "Likely: the answer was already used (reloading the callback or going back "
        "replays it), the login took longer than OAUTH2LOGIN_LOGIN_TIMEOUT "
        f"({app_state.settings.login_timeout} s), it was started in another browser, or "
        f"newer logins in other tabs pushed it out (at most "
        f"{app_state.settings.max_pending_logins} are kept)."
    )


def operator_detail(error: OAuth2LoginError, provider: str | None) -> str | None:
    """What the site's operator should know of *error*: its detail, and for
    refused client credentials where they came from (an environment
    variable). For the log, and the error page in debug mode only."""
    detail = error.detail
    if isinstance(error, InvalidClient) and provider is not None:
        origins = [
            f"{key} comes from {origin}"
            for key in ("client_id", "client_secret")
            if (origin := credential_origin(provider, key, current_app.config, os.environ))
        ]
        if origins:
            detail = f"{detail} ({'; '.join(origins)}.)"
    return detail


def debug_hint(error: LoginError, provider: str | None) -> str | None:
    """The hint of the error page in debug mode: why the login got lost, or
    the error's detail (a host that could not be reached, a setting to check)."""
    if isinstance(error, InvalidState):
        return diagnose_missing_login()
    return operator_detail(error, provider)


def _no_cookie_hint(cookie: SessionCookie) -> str:
    host = request.host.partition(":")[0]
    causes = []
    if cookie.withheld_on_redirect:
        causes.append(
            "SESSION_COOKIE_SAMESITE is 'Strict', so the browser withholds the cookie on the "
            "provider's redirect back; use 'Lax'"
        )
    if cookie.refused:
        causes.append("SESSION_COOKIE_SAMESITE is 'None' without Secure, which browsers refuse")
    if cookie.withheld_from(secure_channel=request.is_secure):
        causes.append(
            "SESSION_COOKIE_SECURE is on but this request came over http, so the browser "
            "does not send the cookie (behind an HTTPS proxy, use ProxyFix)"
        )
    if not cookie.covers_host(host):
        causes.append(f"SESSION_COOKIE_DOMAIN is {cookie.domain!r}, which does not cover {host}")
    if request.method == "POST":
        causes.append("the provider posted its answer from another site (form_post)")
    causes.append(
        f"the login started on another host than this callback's ({request.host}), e.g. "
        "localhost and 127.0.0.1, or www and the bare domain: register the redirect URI "
        "with the host you browse, or pin it with OAUTH2LOGIN_EXTERNAL_URL"
    )
    causes.append("the browser blocks cookies for this site")
    return (
        f"No session cookie ({cookie.name!r}) came with this request, so the login started in "
        "this browser cannot be found. Likely: " + "; or ".join(causes) + "."
    )


def _session_is_known(cookie: str) -> bool:
    """Whether the session was loaded from the store (not made anew for an
    unknown cookie)."""
    sid = getattr(session, "sid", None)
    if not isinstance(sid, str):
        return bool(session)
    return cookie == sid or cookie.startswith(sid + ".")
