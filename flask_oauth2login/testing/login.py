"""Logging a test client in without any provider: :func:`login_as`.

:func:`login_as` stores the user and a token in the server-side session
through the very function the callback of a real login uses
(:func:`flask_oauth2login.login.outcome.commit`: the same keys, a new session id,
the ``on_login`` hooks and the ``logged_in`` signal).
"""

from __future__ import annotations

import typing as t
from urllib.parse import urljoin, urlsplit

from flask import Flask
from flask.ctx import RequestContext
from flask.testing import EnvironBuilder, FlaskClient

from .._runtime import EXTENSION_KEY, AppState
from ..config.settings import ProviderConfig
from ..errors import ConfigurationError, LoginError
from ..login import outcome
from ..user import User, normalize
from .tokens import make_token, merge

_WELL_KNOWN_SUFFIXES = (
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
)


def login_as(
    client: FlaskClient,
    provider: str | None = None,
    *,
    sub: str = "test-user",
    email: str | None = None,
    email_verified: bool | None = None,
    name: str | None = None,
    picture: str | None = None,
    issuer: str | None = None,
    raw: t.Mapping[str, t.Any] | None = None,
    token: t.Mapping[str, t.Any] | str | None = None,
    hooks: bool = True,
) -> User:
    """Log *client* in as a user of *provider*, without talking to the provider.

    The server-side session ends up as after a real login started from
    this site: the normalized user in ``oauth.user`` and ``oauth.users``,
    the token in ``oauth.token(provider)`` (its ``scope`` the configured
    one unless *token* says), and a new session id. Like a real login, it
    joins the session's logins with other providers (a connect), replaces
    the login of the same user, and ends every earlier login first when it
    is another user's at the same provider (without revoking anything).
    Unless *hooks* is false, the extension's ``on_login`` hooks run and
    ``logged_in`` is sent, as the callback does; a response a hook returns
    is ignored.

    :param client: a test client of an app set up with
        :class:`~flask_oauth2login.OAuth2Login` (cookies enabled).
    :param provider: a configured provider name; may be omitted when the app
        has only one.
    :param sub: the user's subject (their id at the provider).
    :param email_verified: defaults to whether *email* is given.
    :param issuer: the issuer the user belongs to; defaults to the one a real
        login would record: the configured ``issuer``, else the discovery
        URL without ``/.well-known/...``, else the authorization server's
        origin.
    :param raw: what the provider said about the user (``user["raw"]``);
        defaults to the claims given here.
    :param token: a mapping merged over :func:`make_token`'s result (a
        ``None`` value removes the key), or a string used as the access token.
    :param hooks: run the ``on_login`` hooks and send ``logged_in``.
    :returns: the :class:`~flask_oauth2login.User` now logged in.
    :raises LoginError: if an ``on_login`` hook refused the login; the session
        is then left as a refused real login leaves it.
    """
    app = t.cast(Flask, client.application)
    app_state: AppState | None = app.extensions.get(EXTENSION_KEY)
    if app_state is None:
        raise ConfigurationError("login_as needs an app set up with OAuth2Login(app).")
    provider = _pick_provider(app_state, provider)
    refused: LoginError | None = None

    with client.session_transaction() as sess:
        builder = EnvironBuilder(app, environ_base=client.environ_base)
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        with RequestContext(app, environ, session=sess):
            config = app_state.providers[provider].config
            user_issuer = issuer or _issuer_of(config, app_state.base_url())
            verified = (email is not None) if email_verified is None else email_verified
            profile = {
                "sub": str(sub),
                "email": email,
                "email_verified": verified,
                "name": name,
                "picture": picture,
            }
            claims = {k: v for k, v in profile.items() if v is not None}
            user = normalize(provider, user_issuer, profile, raw if raw is not None else claims)
            stored = make_token(iss=user_issuer, sub=str(sub), scope=" ".join(config.scope))
            if isinstance(token, str):
                stored["access_token"] = token
            elif token is not None:
                stored = merge(stored, token)

            kind = outcome.decide(provider, user, started_here=True)
            try:
                outcome.commit(
                    app_state,
                    app_state.providers[provider],
                    user,
                    stored,
                    kind=kind,
                    linking=True,
                    hooks=hooks,
                    revoke=False,
                )
            except LoginError as exc:  # the session is as a refused real login leaves it
                refused = exc
    if refused is not None:
        raise refused
    return user


def _pick_provider(app_state: AppState, provider: str | None) -> str:
    names = list(app_state.providers)
    if provider is None:
        if len(names) == 1:
            return names[0]
        raise ConfigurationError(
            f"Several providers are configured ({', '.join(names)}); "
            "say which one, e.g. login_as(client, provider=...)."
        )
    if provider not in app_state.providers:
        raise ConfigurationError(
            f"No provider called {provider!r} is configured; "
            f"configured: {', '.join(names) or '(none)'}."
        )
    return provider


def _issuer_of(config: ProviderConfig, base_url: str) -> str:
    """The issuer a real login with *config* records for its users."""
    if config.issuer:
        return urljoin(base_url, config.issuer)
    if config.server_metadata_url:
        url = urljoin(base_url, config.server_metadata_url)
        for suffix in _WELL_KNOWN_SUFFIXES:
            if url.endswith(suffix):
                return url[: -len(suffix)]
        return _origin(url)
    if config.authorize_url:
        return _origin(urljoin(base_url, config.authorize_url))
    return base_url.rstrip("/")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
