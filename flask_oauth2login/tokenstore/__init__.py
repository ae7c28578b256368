"""Token stores: tokens kept outside the session, for use with no request.

``OAUTH2LOGIN_TOKEN_STORE`` chooses one; the backend is looked up in a
registry by what the setting holds, and imported only when chosen:

- a SQLAlchemy database URL (``"sqlite:///tokens.db"``, a path relative to
  the instance folder; ``"postgresql://..."``) or a SQLAlchemy ``Engine``:
  :class:`~flask_oauth2login.tokenstore.sql.SQLTokenStore` (the ``sql`` extra);
- a ``redis.Redis`` client:
  :class:`~flask_oauth2login.tokenstore.redis.RedisTokenStore`;
- any :class:`TokenStore` of your own, used as it is.
"""

from __future__ import annotations

import importlib
import typing as t

from ..errors import ConfigurationError
from .base import RecentTokens as RecentTokens
from .base import StoredLogin as StoredLogin
from .base import StoredToken as StoredToken
from .base import TokenKey as TokenKey
from .base import TokenStore as TokenStore

__all__ = ["RecentTokens", "StoredLogin", "StoredToken", "TokenKey", "TokenStore", "open_store"]

#: Backend name to ``module:class``, imported on first use.
_BACKENDS: dict[str, str] = {
    "sql": "sql:SQLTokenStore",
    "redis": "redis:RedisTokenStore",
}

#: The name of a configured value's class (or of one of its bases) to its backend.
_KINDS: dict[str, str] = {
    "str": "sql",  # a database URL
    "URL": "sql",
    "Engine": "sql",
    "Redis": "redis",
    "RedisCluster": "redis",
}

#: What to install when a backend's package is missing.
_INSTALL: dict[str, str] = {
    "sql": "pip install 'flask-oauth2login[sql]' (SQLAlchemy 2), plus your database's driver",
    "redis": "pip install 'flask-oauth2login[redis]'",
}

_SETTING = "OAUTH2LOGIN_TOKEN_STORE"


def open_store(value: t.Any, *, instance_path: str) -> TokenStore:
    """The store ``OAUTH2LOGIN_TOKEN_STORE`` = *value* describes.

    :raises ConfigurationError: if *value* names no backend, or the
        backend's package is not installed, or it refuses *value*.
    """
    if isinstance(value, TokenStore):
        return value
    kind = next((_KINDS[c.__name__] for c in type(value).__mro__ if c.__name__ in _KINDS), None)
    if kind is None:
        raise ConfigurationError(
            f"must be a database URL such as 'sqlite:///tokens.db', a redis.Redis client, "
            f"or a TokenStore, not {type(value).__name__}",
            key=_SETTING,
        )
    module_name, _, class_name = _BACKENDS[kind].partition(":")
    try:
        module = importlib.import_module(f"{__name__}.{module_name}")
    except ImportError as exc:
        raise ConfigurationError(
            f"the {kind} token store needs {exc.name or 'a package'}: {_INSTALL[kind]}",
            key=_SETTING,
        ) from None
    store: TokenStore = getattr(module, class_name).from_config(value, instance_path=instance_path)
    return store
