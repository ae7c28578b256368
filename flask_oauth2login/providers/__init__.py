"""The registry of provider presets, looked up by name.

Each preset lives in its own module and declares a module-level ``preset``.
"""

from __future__ import annotations

import importlib

from .base import Preset as Preset
from .base import oidc_profile as oidc_profile

#: Preset name to the module that declares it; imported on first use.
_MODULES: dict[str, str] = {
    "oidc": "generic",
    "devidp": "devidp",
    "apple": "apple",
    "auth0": "auth0",
    "discord": "discord",
    "facebook": "facebook",
    "github": "github",
    "gitlab": "gitlab",
    "google": "google",
    "keycloak": "keycloak",
    "linkedin": "linkedin",
    "microsoft": "microsoft",
    "okta": "okta",
    "slack": "slack",
    "twitch": "twitch",
}


def names() -> list[str]:
    """The names of all built-in presets."""
    return sorted(_MODULES)


def get(name: str) -> Preset | None:
    """Return the preset called *name*, or ``None`` if there is none."""
    module_name = _MODULES.get(name)
    if module_name is None:
        return None
    module = importlib.import_module(f"{__name__}.{module_name}")
    return module.preset  # type: ignore[no-any-return]
