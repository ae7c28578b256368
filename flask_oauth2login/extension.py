"""The extension object: ``OAuth2Login(app)`` or ``OAuth2Login().init_app(app)``."""

from __future__ import annotations

import typing as t

from flask import Flask

from . import app_tokens, cli, redaction, tokens
from .auth import OAuth2Session
from .client import ProviderClient
from .config import Settings, load_settings
from .coordination import for_session_interface
from .decorators import handle_not_logged_in
from .errors import ConfigurationError, LoginError, NotLoggedInError
from .logout_store import for_session_interface as logout_store_for
from .sessions import setup_session
from .state import EXTENSION_KEY, AppState, LoginHook, get_state
from .user import User
from .views import create_blueprint, error_response


class OAuth2Login:
    """ "Log in with X" for a Flask app.

    Reads ``OAUTH2LOGIN_PROVIDERS`` and the other ``OAUTH2LOGIN_*`` keys,
    makes sure sessions are kept on the server (Flask-Session), and registers
    the ``/login/<provider>``, ``/callback/<provider>`` and ``/logout``
    routes. One instance may serve several apps; per-app state lives in
    ``app.extensions["oauth2login"]``.
    """

    def __init__(self, app: Flask | None = None) -> None:
        self._login_hooks: list[LoginHook] = []
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Validate the configuration and set the extension up for *app*.

        :raises ConfigurationError: naming the provider and key at fault.
        """
        settings = load_settings(app.config)
        _check_relative_urls(app, settings)
        interface = setup_session(app, pending_lifetime=settings.login_timeout)
        clients = {
            name: ProviderClient(
                config,
                timeout=settings.http_timeout,
                metadata_ttl=settings.metadata_ttl,
                jwks_min_refetch_interval=settings.jwks_min_refetch_interval,
            )
            for name, config in settings.providers.items()
        }
        app.extensions[EXTENSION_KEY] = AppState(
            settings=settings,
            clients=clients,
            coordinator=for_session_interface(interface),
            logout_store=logout_store_for(t.cast(t.Any, interface)),
            login_hooks=self._login_hooks,
        )
        app.register_blueprint(create_blueprint(settings.url_prefix))
        app.register_error_handler(NotLoggedInError, handle_not_logged_in)
        app.register_error_handler(LoginError, error_response)
        app.cli.add_command(cli.oauth2login_group)
        redaction.install()

    # -- in views ----------------------------------------------------------

    @property
    def user(self) -> User | None:
        """The logged-in user of this request, or ``None``."""
        return tokens.get_user()

    def token(self, provider: str) -> dict[str, t.Any] | None:
        """The token stored for *provider* in this session (not refreshed)."""
        return tokens.get_token(provider)

    def session(self, provider: str) -> OAuth2Session:
        """A :class:`requests.Session` that calls *provider*'s API as the user.

        It sends the user's access token with every request and refreshes
        it when it has expired (saving the new one in the session).

        :raises NotLoggedInError: if this session holds no token for *provider*.
        """
        state = get_state()
        client = state.client(provider)
        if tokens.get_token(provider) is None:
            raise NotLoggedInError(f"Nobody is logged in with {provider!r}.", provider=provider)
        return client.api_session(tokens.SessionTokenSource(state, provider))

    def app_session(
        self, provider: str, scope: str | t.Sequence[str] | None = None
    ) -> OAuth2Session:
        """A :class:`requests.Session` that calls *provider*'s API as this app.

        It sends a client-credentials token (fetched on first use, cached per
        process, refreshed before it expires), never stored in a user's
        session. For server-to-server calls.
        """
        return app_tokens.app_session(get_state(), provider, scope)

    # -- hooks -------------------------------------------------------------

    def on_login(self, hook: LoginHook) -> LoginHook:
        """Register *hook* to run after each successful login, as a decorator.

        It is called with the provider name, the :class:`User` and the token,
        after they were stored. It may return a response to send instead of
        the redirect to ``next``, or raise a
        :class:`~flask_oauth2login.errors.LoginError` to refuse the login:
        the session then goes back to the logins it held before.
        """
        self._login_hooks.append(hook)
        return hook


def _check_relative_urls(app: Flask, settings: Settings) -> None:
    """Refuse provider URLs relative to this app where the request's Host
    header would decide where the server sends codes and secrets.

    Outside debug and testing, they need ``OAUTH2LOGIN_EXTERNAL_URL``.
    """
    if settings.external_url is not None or app.debug or app.testing:
        return
    for name, config in settings.providers.items():
        if config.relative_urls:
            raise ConfigurationError(
                "is a path on this app, which outside debug and testing needs "
                "OAUTH2LOGIN_EXTERNAL_URL (else the request's Host header would decide "
                "where the server sends codes and secrets)",
                provider=name,
                key=config.relative_urls[0],
            )
