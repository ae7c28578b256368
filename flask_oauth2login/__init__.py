"""flask-oauth2login: "Log in with X" for Flask, with tokens kept on the server."""

from __future__ import annotations

import importlib.metadata as _metadata

from .decorators import login_required as login_required
from .errors import AuthorizationDenied as AuthorizationDenied
from .errors import ConfigurationError as ConfigurationError
from .errors import CrossOriginRequest as CrossOriginRequest
from .errors import DisconnectRefused as DisconnectRefused
from .errors import ForeignOriginError as ForeignOriginError
from .errors import InvalidCallback as InvalidCallback
from .errors import InvalidClient as InvalidClient
from .errors import InvalidLoginRequest as InvalidLoginRequest
from .errors import InvalidProviderResponse as InvalidProviderResponse
from .errors import InvalidState as InvalidState
from .errors import InvalidToken as InvalidToken
from .errors import LoginError as LoginError
from .errors import NotLoggedInError as NotLoggedInError
from .errors import OAuth2LoginError as OAuth2LoginError
from .errors import ProviderError as ProviderError
from .errors import ProviderUnavailable as ProviderUnavailable
from .errors import RefreshError as RefreshError
from .errors import SessionStoreUnavailable as SessionStoreUnavailable
from .errors import TokenStoreUnavailable as TokenStoreUnavailable
from .extension import OAuth2Login as OAuth2Login
from .signals import disconnected as disconnected
from .signals import logged_in as logged_in
from .signals import logged_out as logged_out
from .signals import login_failed as login_failed
from .signals import token_refreshed as token_refreshed
from .user import User as User

try:
    #: The installed distribution's version, e.g. ``"0.3.0"``.
    __version__ = _metadata.version("flask-oauth2login")
except _metadata.PackageNotFoundError:  # a source checkout that was never installed
    __version__ = "0+unknown"

__all__ = [
    "AuthorizationDenied",
    "ConfigurationError",
    "CrossOriginRequest",
    "DisconnectRefused",
    "ForeignOriginError",
    "InvalidCallback",
    "InvalidClient",
    "InvalidLoginRequest",
    "InvalidProviderResponse",
    "InvalidState",
    "InvalidToken",
    "LoginError",
    "NotLoggedInError",
    "OAuth2Login",
    "OAuth2LoginError",
    "ProviderError",
    "ProviderUnavailable",
    "RefreshError",
    "SessionStoreUnavailable",
    "TokenStoreUnavailable",
    "User",
    "disconnected",
    "__version__",
    "logged_in",
    "logged_out",
    "login_failed",
    "login_required",
    "token_refreshed",
]
