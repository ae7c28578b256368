"""The configuration reference in Markdown, made from the settings tables.

:func:`reference` writes the tables of the app-wide keys
(:data:`~flask_oauth2login.config.settings.APP_SETTINGS`) and of a provider
entry's keys (:data:`~flask_oauth2login.config.table.PROVIDER_SETTINGS`);
the documentation's configuration reference (docs/configuration.rst) is
made from its output when the documentation is built. A default taken from
the preset is shown as the :class:`~flask_oauth2login.providers.Preset`
field's own default, with the built-in presets that differ from it when they
are few.
"""

from __future__ import annotations

import dataclasses
import json
import typing as t

from ..providers.base import Preset
from ..providers.registry import PresetRegistry
from .settings import APP_SETTINGS, PREFIX
from .table import FROM_ENVIRON, PROVIDER_SETTINGS, Setting

#: A default taken from the preset lists the built-in presets that differ
#: from the field's own default when there are at most this many.
MOST_EXCEPTIONS = 5

_HEADER = "| key | default | meaning |\n|---|---|---|"


def reference() -> str:
    """The configuration reference: the app-wide keys, then a provider entry's."""
    presets = PresetRegistry(entry_points=False)
    defaults = _PresetDefaults([p for n in presets.names() if (p := presets.get(n))])
    app_rows = [_row(PREFIX + s.name, s, defaults) for s in APP_SETTINGS.values()]
    environ = "`<NAME>`: the entry's name in upper case, `-` as `_`"
    for name in FROM_ENVIRON:
        app_rows.append(
            f"| `{PREFIX}<NAME>_{name.upper()}` | — | the `{name}` of provider `<name>` when its "
            f"entry has none, from the app config or the environment ({environ}) |"
        )
    app_rows.append(
        f"| `{PREFIX}<NAME>_<OPTION>` | — | an option of provider `<name>`'s preset (`tenant`, "
        "`team_id`, ...) when its entry has none, the same way |"
    )
    provider_rows = [_row(s.name, s, defaults) for s in PROVIDER_SETTINGS.values()]
    return "\n".join(
        [
            "Application keys (all read once, by `init_app`; a mistake raises",
            "`flask_oauth2login.ConfigurationError` naming the key):",
            "",
            _HEADER,
            *app_rows,
            "",
            "Provider entry keys (a built-in preset supplies most of them; any key given",
            "overrides the preset's):",
            "",
            _HEADER,
            *provider_rows,
            "",
        ]
    )


def _row(key: str, setting: Setting, defaults: _PresetDefaults) -> str:
    if setting.shown is not None:
        default = setting.shown.format_map(defaults)
    elif setting.preset_field is not None:
        default = defaults[setting.preset_field]
    else:
        default = f"`{_literal(setting.default)}`"
    return f"| `{key}` | {default} | {setting.doc} |"


class _PresetDefaults(dict[str, str]):
    """A Preset field's name to how the reference shows the default it gives."""

    def __init__(self, presets: list[Preset]):
        super().__init__()
        self.presets = presets

    def __missing__(self, field: str) -> str:
        own = _field_default(field)
        if own is None or own in ((), {}, ""):
            return "the preset's"
        differ: dict[str, list[str]] = {}
        for preset in self.presets:
            value = getattr(preset, field)
            if value != own:
                differ.setdefault(_literal(value), []).append(f"`{preset.name}`")
        shown = f"`{_literal(own)}`"
        if sum(map(len, differ.values())) > MOST_EXCEPTIONS:
            return f"the preset's ({shown} unless it says otherwise)"
        if differ:
            groups = (f"{', '.join(names)}: `{value}`" for value, names in sorted(differ.items()))
            shown += f" ({'; '.join(groups)})"
        return shown


def _field_default(name: str) -> t.Any:
    """The default of the :class:`Preset` field *name*."""
    (found,) = (f for f in dataclasses.fields(Preset) if f.name == name)
    if found.default_factory is not dataclasses.MISSING:
        return found.default_factory()
    return found.default


def _literal(value: t.Any) -> str:
    """*value* as Python source, strings in double quotes (as JSON writes them)."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        items = ", ".join(map(_literal, value))
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, t.Mapping):
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)
