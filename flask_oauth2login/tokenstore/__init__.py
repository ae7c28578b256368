"""Token stores: tokens kept outside the session, for use with no request.

``OAUTH2LOGIN_TOKEN_STORE`` chooses one; each backend says whether it serves
what the setting holds, and is imported only when chosen:

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
from dataclasses import dataclass

from ..errors import ConfigurationError
from ..storage.imports import is_instance
from .base import MAX_KEY_LENGTH as MAX_KEY_LENGTH
from .base import RecentTokens as RecentTokens
from .base import StoredLogin as StoredLogin
from .base import StoredToken as StoredToken
from .base import TokenKey as TokenKey
from .base import TokenStore as TokenStore
from .base import unstorable as unstorable

__all__ = [
    "MAX_KEY_LENGTH",
    "RecentTokens",
    "StoredLogin",
    "StoredToken",
    "TokenKey",
    "TokenStore",
    "open_store",
    "unstorable",
]


@dataclass(frozen=True)
class _Backend:
    """A token store of this package, imported only when a configured value asks for it."""

    #: Its name, in messages.
    name: str
    #: ``module:class`` under this package.
    where: str
    #: Whether a configured value is for this backend (asked without importing it).
    serves: t.Callable[[t.Any], bool]
    #: What to install when its package is missing.
    install: str


#: The backends, asked in this order.
_BACKENDS = (
    _Backend(
        "sql",
        "sql:SQLTokenStore",
        lambda value: (
            isinstance(value, str)  # a database URL
            or is_instance(value, ("sqlalchemy.engine", "URL"), ("sqlalchemy.engine", "Engine"))
        ),
        "pip install 'flask-oauth2login[sql]' (SQLAlchemy 2), plus your database's driver",
    ),
    _Backend(
        "redis",
        "redis:RedisTokenStore",
        lambda value: is_instance(value, ("redis", "Redis"), ("redis.cluster", "RedisCluster")),
        "pip install 'flask-oauth2login[redis]'",
    ),
)

_SETTING = "OAUTH2LOGIN_TOKEN_STORE"


def open_store(value: t.Any, *, instance_path: str) -> TokenStore:
    """The store ``OAUTH2LOGIN_TOKEN_STORE`` = *value* describes.

    :raises ConfigurationError: if *value* names no backend, or the
        backend's package is not installed, or it refuses *value*.
    """
    if isinstance(value, TokenStore):
        return value
    backend = next((backend for backend in _BACKENDS if backend.serves(value)), None)
    if backend is None:
        raise ConfigurationError(
            f"must be a database URL such as 'sqlite:///tokens.db', a redis.Redis client, "
            f"or a TokenStore, not {type(value).__name__}",
            key=_SETTING,
        )
    module_name, _, class_name = backend.where.partition(":")
    try:
        module = importlib.import_module(f"{__name__}.{module_name}")
    except ImportError as exc:
        raise ConfigurationError(
            f"the {backend.name} token store needs {exc.name or 'a package'}: {backend.install}",
            key=_SETTING,
        ) from None
    store: TokenStore = getattr(module, class_name).from_config(value, instance_path=instance_path)
    return store
