"""Provider presets: what this package knows about identity providers.

A preset is data (a :class:`Preset`) in a module of its own. Presets are
found by name in a :class:`PresetRegistry`: the built-in ones, those that
installed packages declare under the ``flask_oauth2login.presets``
entry-point group, and those an app registers with
``oauth.register_preset(...)``.
"""

from __future__ import annotations

from .base import Preset as Preset
from .base import oidc_profile as oidc_profile
from .registry import BUILTIN as BUILTIN
from .registry import GROUP as GROUP
from .registry import PresetRegistry as PresetRegistry
from .registry import PresetSource as PresetSource

__all__ = [
    "BUILTIN",
    "GROUP",
    "Preset",
    "PresetRegistry",
    "PresetSource",
    "get",
    "names",
    "oidc_profile",
]

#: The built-in presets alone, for :func:`get` and :func:`names`.
_builtin = PresetRegistry(entry_points=False)


def names() -> list[str]:
    """The names of all built-in presets."""
    return _builtin.names()


def get(name: str) -> Preset | None:
    """Return the built-in preset called *name*, or ``None`` if there is none."""
    return _builtin.get(name)
