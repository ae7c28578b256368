"""The :class:`DevIdentityProvider` Flask extension."""

from __future__ import annotations

import copy
import logging
import typing as t

from ..errors import ConfigurationError
from .clients import DEFAULT_CLIENTS, load_clients
from .state import EXTENSION_KEY, ProviderState
from .users import DEFAULT_USERS, normalize_user
from .views import blueprint

if t.TYPE_CHECKING:  # pragma: no cover
    from flask import Flask

logger = logging.getLogger(__name__)

#: Configuration keys and their defaults.
CONFIG_DEFAULTS: dict[str, t.Any] = {
    # Pins the issuer; by default it follows the request's host and port.
    "OAUTH2LOGIN_DEVIDP_ISSUER": None,
    # {client_id: {"client_secret": str | None, "redirect_uris": list | None}}
    "OAUTH2LOGIN_DEVIDP_CLIENTS": DEFAULT_CLIENTS,
    "OAUTH2LOGIN_DEVIDP_ACCESS_TOKEN_TTL": 3600,
    "OAUTH2LOGIN_DEVIDP_ID_TOKEN_TTL": 3600,
    # None: refresh tokens do not expire (they are still rotated on use).
    "OAUTH2LOGIN_DEVIDP_REFRESH_TOKEN_TTL": 14 * 24 * 3600,
    "OAUTH2LOGIN_DEVIDP_CODE_TTL": 60,
    # Seconds a sign-in at the provider lasts (its session cookie).
    "OAUTH2LOGIN_DEVIDP_SESSION_TTL": 24 * 3600,
    # Seconds the provider waits for a client's back-channel logout URI.
    "OAUTH2LOGIN_DEVIDP_BACKCHANNEL_TIMEOUT": 3,
}


class DevIdentityProvider:
    """A small but real OpenID Connect provider for development and tests.

    It serves discovery, JWKS, authorization (with a page to pick a test
    user), token, UserInfo, revocation and end-session endpoints (with a
    confirmation page, and logout tokens sent to the clients that ask for
    them), plus a demo API at ``/api/me``, under ``url_prefix``::

        app = Flask(__name__)
        app.debug = True
        DevIdentityProvider(app)  # at /_devidp

    It refuses to start unless ``app.debug`` or ``app.testing`` is true: its
    sign-in page lets anybody be anybody. For the same reason it answers only
    requests from this machine (a loopback peer, addressed to a loopback
    host), with 403 otherwise, however the app is served. All state is kept
    in memory, per process, and lost on restart.

    :param app: The app, or ``None`` to call :meth:`init_app` later.
    :param url_prefix: Where to mount the endpoints; ``""`` for the root.
    :param users: The test users offered on the sign-in page, dicts with
        ``sub``, ``name``, ``email``, ``email_verified`` and ``picture``
        (all optional but one of ``name`` and ``email``). Defaults to
        :data:`~flask_oauth2login.devidp.users.DEFAULT_USERS`.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        url_prefix: str = "/_devidp",
        users: t.Iterable[t.Mapping[str, t.Any]] | None = None,
    ) -> None:
        url_prefix = url_prefix.rstrip("/")
        if url_prefix and not url_prefix.startswith("/"):
            raise ConfigurationError("url_prefix must be empty or start with '/'.")
        self.url_prefix = url_prefix
        self.users = [normalize_user(u) for u in (DEFAULT_USERS if users is None else users)]
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register the provider's blueprint and state on ``app``.

        :raises ConfigurationError: unless ``app.debug`` or ``app.testing`` is true,
            or if the provider is already registered on ``app``.
        :raises ConfigurationError: if ``OAUTH2LOGIN_DEVIDP_CLIENTS`` is malformed.
        """
        if not (app.debug or app.testing):
            raise ConfigurationError(
                "The development identity provider only runs when app.debug or"
                " app.testing is true (flask run --debug, FLASK_DEBUG=1, or TESTING=True"
                " in tests): it lets anybody sign in as anybody. Do not register it in"
                " production."
            )
        if EXTENSION_KEY in app.extensions:
            raise ConfigurationError("The development identity provider is already registered.")

        for key, value in CONFIG_DEFAULTS.items():
            app.config.setdefault(key, copy.deepcopy(value))
        load_clients(app.config["OAUTH2LOGIN_DEVIDP_CLIENTS"])  # fail early on a typo

        app.extensions[EXTENSION_KEY] = ProviderState(self.url_prefix, self.users)
        app.register_blueprint(blueprint, url_prefix=self.url_prefix)
        logger.info("devidp: development identity provider mounted at %s/", self.url_prefix or "")
