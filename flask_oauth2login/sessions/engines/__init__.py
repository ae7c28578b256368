"""The session engines: one adapter per kind of session store.

Each engine (:class:`~.base.Engine`) keeps together what depends on where
the sessions live: the refresh lock and result slot, the logout index, the
errors that mean the store is down, and the store's description. The engine
of an app is chosen once, at set-up (:func:`engine_for`), by asking each of
:data:`ENGINES` in turn whether it serves the app's session interface.
"""

from __future__ import annotations

import typing as t

from .base import Engine
from .cache import CacheEngine
from .generic import GenericEngine
from .redis import RedisEngine
from .sql import SQLEngine

if t.TYPE_CHECKING:  # pragma: no cover
    from ..setup import GuardedSessionInterface

#: The engines, asked in this order; the last one serves any Flask-Session backend.
ENGINES: tuple[type[Engine], ...] = (RedisEngine, SQLEngine, CacheEngine, GenericEngine)


def engine_for(interface: GuardedSessionInterface) -> Engine:
    """The engine of the first kind that serves *interface*, made for it."""
    kind = next(kind for kind in ENGINES if kind.serves(interface))
    return kind(interface)


__all__ = ["ENGINES", "Engine", "engine_for"]
