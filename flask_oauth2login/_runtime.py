"""The extension's per-app state, kept in ``app.extensions["oauth2login"]``."""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request

from .config.settings import Settings
from .crypto.cipher import Cipher, MissingKey
from .errors import ConfigurationError
from .protocol.provider import Provider
from .sessions.coordination import Coordinator, LocalCoordinator
from .sessions.engines import Engine
from .sessions.engines.base import SHARED
from .sessions.logout_index import LogoutStore
from .tokenstore import RecentTokens

if t.TYPE_CHECKING:  # pragma: no cover
    from .tokenstore import TokenStore
    from .user import User

#: Key under ``app.extensions``.
EXTENSION_KEY = "oauth2login"

#: Called with the provider name, the user and the token after a login was
#: checked and stored; may return a response to show instead of the usual
#: redirect, or raise a LoginError to refuse the login (the session then goes
#: back to the logins it held before).
LoginHook = t.Callable[[str, "User", t.Mapping[str, t.Any]], t.Any]


@dataclass(repr=False)
class AppState:
    """Everything the extension knows about one app."""

    settings: Settings
    #: The configured providers, by name.
    providers: dict[str, Provider]
    #: The engine of the session store: refresh coordination, the logout
    #: index, outages and description (see :mod:`~flask_oauth2login.sessions.engines`).
    session_engine: Engine
    login_hooks: list[LoginHook] = field(default_factory=list)
    #: Client credentials token caches, by provider
    #: (see :mod:`~flask_oauth2login.tokens.app_tokens`).
    app_token_caches: dict[str, t.Any] = field(default_factory=dict)
    #: Where tokens are also kept (``OAUTH2LOGIN_TOKEN_STORE``), if anywhere.
    token_store: TokenStore | None = None
    #: Seals tokens at rest (``OAUTH2LOGIN_ENCRYPTION_KEYS``).
    cipher: Cipher | MissingKey = field(default_factory=MissingKey)
    #: Refreshed tokens this process could not write yet (the store was
    #: down), by the refresh they came from (see
    #: :class:`~flask_oauth2login.tokens.holders.Holder`).
    unsaved: LocalCoordinator = field(default_factory=LocalCoordinator)
    #: Stored tokens read lately (``OAUTH2LOGIN_TOKEN_CACHE_TTL``).
    recent: RecentTokens = field(default_factory=lambda: RecentTokens(0))

    def __repr__(self) -> str:
        # Short, and nothing secret: the providers by name, and what stores
        # tokens by kind (its settings, caches and keys are never shown).
        store = "none" if self.token_store is None else type(self.token_store).__name__
        return (
            f"<AppState providers={sorted(self.providers)!r} "
            f"session_engine={type(self.session_engine).__name__} token_store={store}>"
        )

    @property
    def coordinator(self) -> Coordinator:
        """The lock and result slot of single-flight refreshes: the session
        store's, or the token store's when only that one is shared by every
        process and machine."""
        engine = self.session_engine
        if self.token_store is not None and engine.coordination() != SHARED:
            shared = self.token_store.coordinator()
            if shared is not None:
                return t.cast(Coordinator, shared)
        return engine.coordinator

    @property
    def logout_store(self) -> LogoutStore:
        """The logout index and the logout tokens seen
        (see :mod:`~flask_oauth2login.sessions.logout_index`)."""
        return self.session_engine.logout_store

    def provider(self, name: str) -> Provider:
        """The provider called *name*.

        :raises ConfigurationError: if no provider of that name is configured
            (a mistake in the app's code, not a user who is not logged in).
        """
        try:
            return self.providers[name]
        except KeyError:
            raise ConfigurationError(
                f"no provider called {name!r} is configured; "
                f"configured: {', '.join(self.providers)}",
                key="OAUTH2LOGIN_PROVIDERS",
            ) from None

    def base_url(self) -> str:
        """This app's public base URL, ending with ``/``."""
        return app_base_url(self.settings)


def app_base_url(settings: Settings) -> str:
    """The public base URL, ending with ``/``, of the app with *settings*:
    ``OAUTH2LOGIN_EXTERNAL_URL``, else the request's; outside a request
    ``SERVER_NAME``'s, else the origin of ``OAUTH2LOGIN_DEVIDP_ISSUER`` (the
    development provider's pinned address, which is this app's), else
    ``http://localhost/`` (see :data:`UNKNOWN_BASE_URL`)."""
    if settings.external_url:
        return settings.external_url + "/"
    if has_request_context():
        return request.url_root
    config = current_app.config
    if config.get("SERVER_NAME"):
        return f"{config['PREFERRED_URL_SCHEME']}://{config['SERVER_NAME']}/"
    issuer = config.get("OAUTH2LOGIN_DEVIDP_ISSUER")
    if isinstance(issuer, str) and "://" in issuer:
        parts = urlsplit(issuer)
        return f"{parts.scheme}://{parts.netloc}/"
    return UNKNOWN_BASE_URL


#: The base URL of an app outside a request when nothing says where it lives.
UNKNOWN_BASE_URL = "http://localhost/"


def get_state() -> AppState:
    """The extension's state for the current app."""
    try:
        return current_app.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]
    except KeyError:
        raise ConfigurationError(
            "flask-oauth2login is not set up for this app; call OAuth2Login(app) or init_app(app)."
        ) from None
