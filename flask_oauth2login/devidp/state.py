"""Per-app state of the development identity provider.

:class:`~flask_oauth2login.devidp.DevIdentityProvider` keeps nothing itself;
``init_app`` stores one :class:`ProviderState` in
``app.extensions["oauth2login_devidp"]`` and the views find it through
:func:`get_state`.
"""

from __future__ import annotations

import typing as t

from flask import current_app, request

from ..errors import ConfigurationError
from .assertions import ReplayCache
from .clients import Client, authenticate_client, load_clients
from .keys import SigningKey
from .memory import Store
from .pushed import PushedRequests

if t.TYPE_CHECKING:  # pragma: no cover
    from flask import Request

#: The key in ``app.extensions``.
EXTENSION_KEY = "oauth2login_devidp"


class ProviderState:
    """The signing key, the in-memory store and where the provider is mounted.

    :param url_prefix: The blueprint's URL prefix, ``""`` or ``"/something"``.
    :param users: The (normalized) users offered on the sign-in page.
    """

    def __init__(self, url_prefix: str, users: t.Iterable[t.Mapping[str, t.Any]]) -> None:
        self.url_prefix = url_prefix
        self.key = SigningKey()
        self.store = Store(users)
        #: Pushed authorization requests waiting for the browser.
        self.pushed = PushedRequests()
        #: The ``jti`` of client assertions already used.
        self.replays = ReplayCache()

    def issuer(self) -> str:
        """The issuer for the current request.

        ``OAUTH2LOGIN_DEVIDP_ISSUER`` when set; otherwise the app's root URL
        as the request reached it plus the URL prefix, so the provider works
        on whatever host and port it is served.
        """
        pinned = current_app.config.get("OAUTH2LOGIN_DEVIDP_ISSUER")
        if pinned:
            return str(pinned).rstrip("/")
        return request.url_root.rstrip("/") + self.url_prefix

    def endpoint(self, path: str) -> str:
        """The absolute URL of the endpoint at ``path`` (e.g. ``"/token"``)."""
        return self.issuer() + path

    def clients(self) -> dict[str, Client]:
        """The clients registered in ``OAUTH2LOGIN_DEVIDP_CLIENTS``."""
        return load_clients(current_app.config.get("OAUTH2LOGIN_DEVIDP_CLIENTS"))

    def authenticate(self, request: Request) -> Client:
        """The client that sent *request* to a client-authenticated endpoint.

        A client assertion's ``aud`` may be the issuer, the token endpoint or
        the endpoint called.
        """
        audiences = {self.issuer(), self.endpoint("/token"), request.base_url}
        return authenticate_client(
            request, self.clients(), audiences=audiences, replays=self.replays
        )

    def setting(self, name: str) -> t.Any:
        """The value of config key ``OAUTH2LOGIN_DEVIDP_<name>``."""
        return current_app.config["OAUTH2LOGIN_DEVIDP_" + name]


def get_state() -> ProviderState:
    """The provider state of the current app.

    :raises ConfigurationError: if the provider is not registered on the app.
    """
    try:
        return current_app.extensions[EXTENSION_KEY]  # type: ignore[no-any-return]
    except KeyError:
        raise ConfigurationError(
            "The development identity provider is not registered on this app;"
            " call DevIdentityProvider(app) or init_app(app) first."
        ) from None
