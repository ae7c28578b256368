"""Classes of optional packages, looked at without importing those packages.

A configured value can be an instance of a class of redis-py, SQLAlchemy or
cachelib only once that package is imported; until then it is not one, and
asking costs no import.
"""

from __future__ import annotations

import sys


def loaded_class(module: str, name: str) -> type | None:
    """The class *name* of *module* if that module is imported already, else ``None``."""
    found = getattr(sys.modules.get(module), name, None)
    return found if isinstance(found, type) else None


def is_instance(value: object, *classes: tuple[str, str]) -> bool:
    """Whether *value* is an instance of one of *classes*, each a
    ``(module, name)`` pair, of the modules imported so far."""
    loaded = tuple(c for c in (loaded_class(*pair) for pair in classes) if c is not None)
    return bool(loaded) and isinstance(value, loaded)
