"""Where presets come from: built in, installed packages, or the app's code.

Every preset, ours included, is declared the same way: an entry point in the
``flask_oauth2login.presets`` group whose value (``"module:attribute"``)
names a :class:`~.base.Preset`. Ours are listed in :data:`BUILTIN` too, and
``pyproject.toml`` declares exactly that table, so they load from a source
checkout that was never installed; entry points of this distribution itself
are therefore not read again.

Rules:

- A preset's entry point name is its ``Preset.name``.
- A package may not replace a built-in preset, and two packages may not
  declare the same name: using (or listing) such a name raises
  :class:`~flask_oauth2login.errors.ConfigurationError` naming the entry
  points. An app chooses explicitly with :meth:`PresetRegistry.register`
  and ``replace=True``.
- A plug-in that fails to import, or gives something that is not a
  ``Preset``, raises ``ConfigurationError`` naming its entry point when its
  preset is used or listed, and only then: apps that do not use it never
  notice it.
"""

from __future__ import annotations

import importlib.metadata
import re
import typing as t
from dataclasses import dataclass, field

from ..errors import ConfigurationError
from .base import Preset

#: The entry-point group presets are declared in.
GROUP = "flask_oauth2login.presets"
#: This package's distribution name; its own entry points are :data:`BUILTIN`.
DIST_NAME = "flask-oauth2login"

#: The built-in presets, name to ``"module:attribute"``: the same table as the
#: ``[project.entry-points."flask_oauth2login.presets"]`` of ``pyproject.toml``.
BUILTIN: dict[str, str] = {
    name: f"flask_oauth2login.providers.{module}:preset"
    for name, module in {
        "oidc": "generic",
        "devidp": "devidp",
        "amazon_cognito": "amazon_cognito",
        "apple": "apple",
        "atlassian": "atlassian",
        "auth0": "auth0",
        "azure_ad_b2c": "azure_ad_b2c",
        "bitbucket": "bitbucket",
        "discord": "discord",
        "dropbox": "dropbox",
        "entra_external_id": "entra_external_id",
        "facebook": "facebook",
        "github": "github",
        "gitlab": "gitlab",
        "google": "google",
        "keycloak": "keycloak",
        "linkedin": "linkedin",
        "microsoft": "microsoft",
        "notion": "notion",
        "okta": "okta",
        "reddit": "reddit",
        "salesforce": "salesforce",
        "slack": "slack",
        "spotify": "spotify",
        "strava": "strava",
        "twitch": "twitch",
        "x": "x",
        "zoom": "zoom",
    }.items()
}

#: What a preset's name may be: it is also a provider name, in URLs.
_NAME = re.compile(r"[A-Za-z0-9_-]+")

#: Kinds of :class:`PresetSource`.
BUILT_IN = "built-in"
ENTRY_POINT = "entry point"
CODE = "code"


@dataclass(frozen=True)
class PresetSource:
    """Where one preset comes from (loaded only when asked for)."""

    #: The preset's name.
    name: str
    #: :data:`BUILT_IN`, :data:`ENTRY_POINT` or :data:`CODE`.
    kind: str
    #: Where it comes from, for people: ``built-in``, ``entry point
    #: 'acme = acme_presets:preset' of acme-presets 1.0``, ``registered in code``.
    origin: str
    _entry_point: importlib.metadata.EntryPoint | None = field(default=None, repr=False)
    _preset: Preset | None = field(default=None, repr=False)

    def load(self) -> Preset:
        """Import the preset and check it.

        :raises ConfigurationError: if it cannot be imported, is not a
            :class:`Preset`, or its name is not the entry point's.
        """
        if self._preset is not None:
            return self._preset
        assert self._entry_point is not None
        try:
            value = self._entry_point.load()
        except Exception as exc:  # a plug-in may fail in any way when imported
            detail = f"{type(exc).__name__}: {exc}"[:300]
            raise ConfigurationError(
                f"the preset {self.name!r} cannot be loaded from {self.origin} ({detail}); "
                "fix or uninstall that package"
            ) from None
        return _checked(value, self.name, self.origin)


def _checked(value: t.Any, name: str, origin: str) -> Preset:
    if not isinstance(value, Preset):
        raise ConfigurationError(
            f"{origin} gives a {type(value).__name__}, not a flask_oauth2login.providers.Preset"
        )
    _check_name(value.name, origin)
    if value.name != name:
        raise ConfigurationError(
            f"{origin} gives the preset {value.name!r}; an entry point must be named "
            "like its preset"
        )
    return value


def _check_name(name: t.Any, origin: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigurationError(
            f"{origin}: a preset's name is letters, digits, '-' and '_' (it appears in "
            f"URLs), not {name!r}"
        )


def _builtin_source(name: str) -> PresetSource:
    entry_point = importlib.metadata.EntryPoint(name=name, value=BUILTIN[name], group=GROUP)
    return PresetSource(name, BUILT_IN, BUILT_IN, _entry_point=entry_point)


def _installed_sources() -> list[PresetSource]:
    """The presets other installed distributions declare."""
    sources = []
    for entry_point in importlib.metadata.entry_points(group=GROUP):
        dist = entry_point.dist
        dist_name = dist.name if dist is not None else None
        if dist_name is not None and _normalized(dist_name) == DIST_NAME:
            continue  # ours: BUILTIN, which works installed or not
        of = f" of {dist_name} {dist.version}" if dist is not None else ""
        origin = f"{ENTRY_POINT} '{entry_point.name} = {entry_point.value}'{of}"
        sources.append(
            PresetSource(entry_point.name, ENTRY_POINT, origin, _entry_point=entry_point)
        )
    return sources


def _normalized(dist_name: str) -> str:
    return re.sub(r"[-_.]+", "-", dist_name).lower()


class PresetRegistry:
    """The presets one :class:`~flask_oauth2login.OAuth2Login` can use, by name.

    Built-in presets and installed packages' entry points are always there;
    :meth:`register` adds presets from the app's code.

    :param entry_points: whether to read installed packages' entry points
        (``False``: built-in and registered presets only).
    """

    def __init__(self, *, entry_points: bool = True) -> None:
        self._read_entry_points = entry_points
        self._installed: list[PresetSource] | None = None
        self._registered: dict[str, PresetSource] = {}

    def register(self, preset: Preset, *, replace: bool = False) -> None:
        """Add *preset*, under its ``name``.

        :param replace: let it replace a built-in or installed preset (or
            one registered before) of the same name; without it, that is an error.
        :raises ConfigurationError: if *preset* is not a :class:`Preset`, or
            its name is taken and *replace* is not set.
        """
        origin = "registered in code"
        _checked(preset, preset.name if isinstance(preset, Preset) else "", origin)
        taken = self._sources().get(preset.name)
        if taken and not replace:
            raise ConfigurationError(
                f"the preset {preset.name!r} is already {_origins(taken)}; pass "
                "replace=True to use yours instead"
            )
        self._registered[preset.name] = PresetSource(preset.name, CODE, origin, _preset=preset)

    def names(self) -> list[str]:
        """Every preset's name, sorted (nothing is imported)."""
        return sorted(self._sources())

    def source(self, name: str) -> PresetSource | None:
        """Where the preset called *name* comes from, or ``None`` if there is none.

        :raises ConfigurationError: if installed packages declare it more than
            once, or one declares a built-in name.
        """
        sources = self._sources().get(name)
        if not sources:
            return None
        registered = [s for s in sources if s.kind == CODE]
        if registered:
            return registered[0]
        if len(sources) > 1:
            builtin = sources[0].kind == BUILT_IN
            others = [s for s in sources if s.kind != BUILT_IN]
            raise ConfigurationError(
                (
                    f"the built-in preset {name!r} is declared again by {_origins(others)}; "
                    "a package may not replace a built-in preset"
                    if builtin
                    else f"the preset {name!r} is declared by {_origins(sources)}"
                )
                + "; uninstall the package you do not want, or pick one in code with "
                "oauth.register_preset(preset, replace=True)"
            )
        return sources[0]

    def get(self, name: str) -> Preset | None:
        """The preset called *name*, or ``None`` if there is none.

        :raises ConfigurationError: if it is declared twice (see :meth:`source`)
            or its package's entry point is broken.
        """
        source = self.source(name)
        return source.load() if source is not None else None

    def _sources(self) -> dict[str, list[PresetSource]]:
        """Every source, by name: built-in first, then installed, then registered."""
        if self._installed is None:
            self._installed = _installed_sources() if self._read_entry_points else []
        by_name: dict[str, list[PresetSource]] = {}
        for source in (
            *(_builtin_source(name) for name in BUILTIN),
            *self._installed,
            *self._registered.values(),
        ):
            by_name.setdefault(source.name, []).append(source)
        return by_name


def _origins(sources: t.Sequence[PresetSource]) -> str:
    return " and ".join(
        "built in" if s.kind == BUILT_IN else "registered in code" if s.kind == CODE else s.origin
        for s in sources
    )
