"""Exceptions raised by flask-oauth2login.

Every exception derives from :class:`OAuth2LoginError`, which carries the
name of the provider involved and, where there is one, the provider's HTTP
response::

    OAuth2LoginError
    ├── ConfigurationError
    ├── ForeignOriginError
    ├── SessionStoreUnavailable
    │   └── TokenStoreUnavailable
    ├── NotLoggedInError
    │   └── RefreshError
    └── LoginError
        ├── UnknownProvider
        ├── InvalidLoginRequest
        ├── CrossOriginRequest
        ├── DisconnectRefused
        ├── AuthorizationDenied
        ├── InvalidState
        ├── InvalidCallback
        ├── ProviderError
        │   ├── ProviderUnavailable
        │   └── InvalidProviderResponse
        │       └── InvalidClient
        └── InvalidToken

:class:`LoginError` and its subclasses describe a login that failed; the
callback view turns them into an error page with :attr:`LoginError.status_code`
and fires :data:`~flask_oauth2login.signals.login_failed`.

Messages never contain a secret, token, authorization code or PKCE verifier.
An error's :attr:`~OAuth2LoginError.detail` is for the site's operator (the log,
and the error page in debug mode only): which host could not be reached and
why, which setting to check. Each error has an anchor in the documentation's
error reference, :func:`docs_url_for`.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:  # pragma: no cover
    import requests


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """Mark *message* as meant for people: it is shown translated into the
    person's language (see :mod:`flask_oauth2login.pages.locale`), and
    ``pybabel extract`` finds it. It returns *message* unchanged."""
    return message


class OAuth2LoginError(Exception):
    """Base class of every exception raised by this extension."""

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        response: requests.Response | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        #: The name of the provider involved, if any.
        self.provider = provider
        #: The provider's HTTP response that caused the error, if any.
        self.response = response
        #: What the site's operator should know and do (a host and port and
        #: why it could not be reached, a setting to check): logged, and shown
        #: on the error page in debug mode only, never to the person logging in
        #: otherwise. Never a secret.
        self.detail = detail

    @property
    def message(self) -> str:
        """The message, as shown to users and in logs."""
        return str(self.args[0]) if self.args else ""


class ConfigurationError(OAuth2LoginError, ValueError):
    """The extension's configuration is wrong; raised by ``init_app``."""

    def __init__(self, message: str, *, provider: str | None = None, key: str | None = None):
        where = ""
        if provider is not None and key is not None:
            where = f"OAUTH2LOGIN_PROVIDERS[{provider!r}][{key!r}]: "
        elif provider is not None:
            where = f"OAUTH2LOGIN_PROVIDERS[{provider!r}]: "
        elif key is not None:
            where = f"{key}: "
        super().__init__(where + message, provider=provider)
        #: The configuration key at fault.
        self.key = key


class ForeignOriginError(OAuth2LoginError):
    """``oauth.session()`` was asked to send a token to an origin that is not
    the provider's API (a mistake in the app's code, or in ``api_origins``)."""


class SessionStoreUnavailable(OAuth2LoginError):
    """The session store (e.g. Redis) cannot be reached or did not answer in time."""

    status_code = 503
    error_code = "session_store_unavailable"


class TokenStoreUnavailable(SessionStoreUnavailable):
    """The token store (``OAUTH2LOGIN_TOKEN_STORE``) cannot be reached or did
    not answer in time; answered with a 503, like the session store."""

    error_code = "token_store_unavailable"


class NotLoggedInError(OAuth2LoginError):
    """There is no usable token for the provider in this session."""


class RefreshError(NotLoggedInError):
    """The provider refused to refresh the token; the login has ended."""


class LoginError(OAuth2LoginError):
    """A login attempt failed. Nobody was logged in."""

    #: HTTP status of the error page shown to the user.
    status_code: int = 400
    #: A short machine-readable code, shown to the user and sent with signals.
    error_code: str = "login_failed"


class UnknownProvider(LoginError):
    """No provider of that name is configured (a mistyped login link)."""

    status_code = 404
    error_code = "unknown_provider"


class InvalidLoginRequest(LoginError):
    """A login link asks for something this site does not allow: a scope not
    in the provider's ``allowed_scopes``, a malformed ``max_age``, ..."""

    error_code = "invalid_request"


class CrossOriginRequest(LoginError):
    """A state-changing request came from another site (Fetch Metadata or
    ``Origin``), and was refused before anything changed."""

    status_code = 403
    error_code = "cross_origin_request"


class DisconnectRefused(LoginError):
    """Disconnecting this login would leave the session with none, and the
    app refuses that (``OAUTH2LOGIN_DISCONNECT_LAST = "refuse"``, the
    default): the person logs out instead."""

    status_code = 409
    error_code = "last_login"


class AuthorizationDenied(LoginError):
    """The provider answered the authorization request with an error."""

    status_code = 403
    error_code = "access_denied"

    def __init__(self, message: str, *, provider: str | None = None, error: str = "") -> None:
        super().__init__(message, provider=provider)
        #: The OAuth ``error`` code the provider sent, e.g. ``access_denied``.
        self.error = error


class InvalidState(LoginError):
    """The callback's ``state`` is missing, unknown, expired, replayed or foreign."""

    error_code = "invalid_state"


class InvalidCallback(LoginError):
    """The callback is malformed: no code, or a wrong ``iss`` (RFC 9207)."""

    error_code = "invalid_callback"


class ProviderError(LoginError):
    """The provider's token, userinfo or discovery endpoint failed."""

    status_code = 502
    error_code = "provider_error"


class ProviderUnavailable(ProviderError):
    """The provider could not be reached, or did not answer in time."""

    status_code = 503
    error_code = "provider_unavailable"


class InvalidProviderResponse(ProviderError):
    """The provider answered something this client must not accept."""

    error_code = "invalid_provider_response"


class InvalidClient(InvalidProviderResponse):
    """The provider refused this app's client credentials (``invalid_client``):
    the ``client_id`` or ``client_secret`` (or key) configured is wrong."""

    error_code = "invalid_client"


class InvalidToken(LoginError):
    """The ID token, or the identity it names, did not validate."""

    status_code = 401
    error_code = "invalid_token"


#: Where the documentation lives when ``OAUTH2LOGIN_DOCS_URL`` is not set.
DEFAULT_DOCS_URL = "https://flask-oauth2login.readthedocs.io/en/latest"


def docs_anchor(error: BaseException | type[BaseException]) -> str:
    """The anchor of *error* (an exception or its class) in the error
    reference: its ``error_code`` with ``_`` as ``-`` (``invalid-state``),
    else its class name in lower case (``configurationerror``)."""
    code = getattr(error, "error_code", None)
    if isinstance(code, str) and code:
        return code.replace("_", "-")
    cls = error if isinstance(error, type) else type(error)
    return cls.__name__.lower()


def docs_url_for(error: BaseException | type[BaseException], base: str | None = None) -> str:
    """The URL of *error*'s entry in the error reference: *base* (the
    ``OAUTH2LOGIN_DOCS_URL`` setting; default :data:`DEFAULT_DOCS_URL`)
    + ``/errors.html#`` + :func:`docs_anchor`."""
    root = (base or DEFAULT_DOCS_URL).rstrip("/")
    return f"{root}/errors.html#{docs_anchor(error)}"
