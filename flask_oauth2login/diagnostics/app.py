"""The whole check of an app, as ``flask oauth2login check`` runs it: its
``OAUTH2LOGIN_*`` keys, each provider, then the session store, the cookie and
the secret key."""

from __future__ import annotations

import os
import re
import typing as t

from flask import Flask

from .._runtime import EXTENSION_KEY, AppState
from ..config.settings import ProviderConfig, credential_origin
from .clientkeys import check_client_keys
from .cookies import check_cookies
from .hardening import check_host_cookie, check_secret_key_strength
from .keys import check_discovery
from .logout import check_logout
from .redirects import RedirectURI, check_redirect_uri, redirect_uri, served_at
from .report import ERROR, INFO, Report
from .secret import check_secret_key
from .settings import check_settings
from .store import check_session_store


def check_app(
    app: Flask,
    *,
    registered: t.Mapping[str, str] | None = None,
    processes: int | None = None,
    network: bool = True,
    environ: t.Mapping[str, str] | None = None,
    url: str | None = None,
) -> Report:
    """Check how *app* is set up for logging in; see :mod:`flask_oauth2login.diagnostics`.

    :param registered: provider name to the redirect URI registered at the
        provider, to compare with the one the app sends.
    :param processes: how many processes serve the app; guessed from the
        environment (gunicorn, uWSGI, ``WEB_CONCURRENCY``) when ``None``.
    :param network: fetch each provider's discovery document and keys.
    :param environ: the environment to guess *processes* from.
    :param url: where the app is served (``http://127.0.0.1:5001``), to show
        the URIs of an app that pins no address of its own; by default from
        ``FLASK_RUN_HOST`` and ``FLASK_RUN_PORT``, else ``flask run``'s default.
    """
    app_state: AppState | None = app.extensions.get(EXTENSION_KEY)
    report = Report()
    if app_state is None:
        report.add(ERROR, "setup", "flask-oauth2login is not set up: call OAuth2Login(app).")
        return report
    with served_at(url):
        _check_all(app, app_state, report, registered or {}, processes, network, environ)
    return report


def _check_all(
    app: Flask,
    app_state: AppState,
    report: Report,
    registered: t.Mapping[str, str],
    processes: int | None,
    network: bool,
    environ: t.Mapping[str, str] | None,
) -> None:
    check_settings(app, report)
    for name in registered:
        if name not in app_state.providers:
            report.add(ERROR, "setup", f"--redirect-uri names no configured provider: {name!r}.")
    uris = {}
    for name in app_state.providers:
        uris[name] = redirect_uri(app, name)
        check_provider(app, name, uris[name], registered.get(name), report, network=network)
    check_session_store(app, report, processes=processes, environ=environ)
    check_cookies(app, list(uris.values()), report)
    check_host_cookie(app, list(uris.values()), report)
    check_secret_key(app, report)
    check_secret_key_strength(app, report)


def report_scopes(config: ProviderConfig, report: Report, topic: str) -> None:
    """The scope every login asks for, and the ``allowed_scopes`` a login link
    (or ``@login_required(..., scope=...)``) may add."""
    asked = " ".join(config.scope) or "(none)"
    if config.allowed_scopes:
        allowed = " ".join(config.allowed_scopes)
        report.add(INFO, topic, f"scope: {asked}; allowed_scopes (asked for on demand): {allowed}.")
    else:
        report.add(
            INFO,
            topic,
            f"scope: {asked}; allowed_scopes: none (a login link asking for another scope "
            "answers 400; list the scopes pages need in allowed_scopes).",
        )


def check_provider(
    app: Flask,
    name: str,
    uri: RedirectURI,
    registered: str | None,
    report: Report,
    *,
    network: bool = True,
) -> None:
    """Check one provider: its redirect URI, discovery and keys, its
    high-security settings (the key to register for ``private_key_jwt``), and
    logout."""
    app_state: AppState = app.extensions[EXTENSION_KEY]
    provider = app_state.providers[name]
    topic = f"provider {name!r} ({provider.config.title})"
    check_client_id(app, provider.config, report, topic)
    check_redirect_uri(app, name, uri, registered, report, topic)
    report_scopes(provider.config, report, topic)
    if network:
        check_discovery(app, provider, report, topic)
    else:
        report.add(INFO, topic, "discovery and keys not checked (--offline).")
    check_client_keys(app, provider, report, topic, network=network)
    check_logout(app, provider, report, topic, network=network)


#: ``client_id`` values copied from examples and templates, never a provider's.
PLACEHOLDER_CLIENT_ID = re.compile(
    r"\.{2,}|…|[x*?#_-]{3,}|<[^<>]*>|\{\{?[^{}]*\}\}?|\$\{[^}]*\}|\[[^]]*\]|"
    r"(your|my)[-_ ]?(app[-_ ]?|oauth[-_ ]?)?client[-_ ]?id|client[-_ ]?id|"
    r"change[-_ ]?me|replace[-_ ]?me|fill[-_ ]?me|todo|tbd|fixme|placeholder|dummy|none|null",
    re.IGNORECASE,
)


def check_client_id(app: Flask, config: ProviderConfig, report: Report, topic: str) -> None:
    """Fail a ``client_id`` that is a placeholder (``"..."``, ``"xxx"``,
    ``"your-client-id"``, ``"<client id>"``, ``"changeme"``): the provider
    would refuse every login."""
    client_id = config.client_id.strip()
    if not PLACEHOLDER_CLIENT_ID.fullmatch(client_id):
        return
    origin = credential_origin(config.name, "client_id", app.config, os.environ)
    where = f" (it comes from {origin})" if origin else ""
    console = f", at {config.preset.console_url}" if config.preset.console_url else ""
    report.add(
        ERROR,
        topic,
        f"client_id {client_id!r} is a placeholder{where}: the provider refuses every login. "
        f"Set the client id the provider gave when the app was registered{console}.",
    )
