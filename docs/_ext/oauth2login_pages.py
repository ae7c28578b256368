"""Pages of the documentation generated from the package: the reStructuredText
that the directives of :mod:`oauth2login_docs` put in the pages at build time.

Three directives, each writing reStructuredText from what the code declares:

``.. oauth2login-config-reference::``
    The configuration reference, from the one settings table
    (:func:`flask_oauth2login.config.reference`, the same rows ``check`` reads).
``.. oauth2login-presets::``
    One section per built-in preset, from the preset registry: where to register
    the app, the callback URL, the scopes, the options, and the quirks (the
    preset module's docstring).
``.. oauth2login-errors::``
    One section per exception of :mod:`flask_oauth2login.errors`, each with a
    stable anchor: the ``error_code`` with ``_`` as ``-`` (``invalid-state``),
    else the class name in lower case (``configurationerror``).

These are plain functions (no Sphinx here), so the tests read the same
output (``tests/docs/``).
"""

from __future__ import annotations

import importlib
import inspect
import re
import typing as t
from urllib.parse import urlsplit

#: Links inside the settings table's Markdown that point at README-style
#: anchors, to the page of the documentation that now holds them.
ANCHOR_PAGES = {
    "tokens-in-background-jobs": "howto/tokens-in-jobs",
    "logout": "howto/logout",
    "scopes-and-login-options": "howto/scopes",
    "connecting-accounts": "howto/connecting",
    "calling-apis": "howto/calling-apis",
    "flask-login": "howto/flask-login",
}


def markdown_inline(text: str) -> str:
    """One line of the settings table's Markdown as reStructuredText."""
    out: list[str] = []
    # Split off code spans first: nothing inside them is markup.
    for i, part in enumerate(re.split(r"(`[^`]+`)", text)):
        if i % 2:
            out.append(f"``{part[1:-1]}``")
            continue

        def link(match: re.Match[str]) -> str:
            label, target = match.group(1), match.group(2)
            if target.startswith("#"):
                page = ANCHOR_PAGES.get(target[1:])
                return f":doc:`{label} </{page}>`" if page else label
            return f"`{label} <{target}>`__"

        part = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", link, part)
        out.append(part)
    return "".join(out)


def markdown_tables(text: str) -> list[tuple[str, list[list[str]]]]:
    """Each table of the Markdown *text*, with the paragraph before it:
    (intro, rows of cells)."""
    found: list[tuple[str, list[list[str]]]] = []
    intro: list[str] = []
    rows: list[list[str]] | None = None
    for line in text.splitlines():
        if line.startswith("| key |"):
            rows = []
            found.append((" ".join(intro).strip(), rows))
            intro = []
        elif line.startswith("|---"):
            continue
        elif rows is not None and line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
        else:
            rows = None
            if line.strip():
                intro.append(line.strip())
    return found


def list_table(rows: list[list[str]], header: list[str], widths: str) -> list[str]:
    lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        first, *rest = row
        lines.append(f"   * - {first}")
        lines.extend(f"     - {cell}" for cell in rest)
    return lines


def config_reference_rst() -> list[str]:
    """The configuration reference, from :func:`flask_oauth2login.config.reference`."""
    from flask_oauth2login import config

    lines: list[str] = []
    titles = ["Application keys", "Provider entry keys"]
    for title, (intro, rows) in zip(titles, markdown_tables(config.reference()), strict=True):
        lines += [".. _" + title.lower().replace(" ", "-") + ":", "", title, "-" * len(title), ""]
        lines += [markdown_inline(intro), ""]
        cells = [
            [f"``{row[0].strip('`')}``", markdown_inline(row[1]), markdown_inline(row[2])]
            for row in rows
        ]
        lines += list_table(cells, ["key", "default", "meaning"], "30 25 45")
        lines.append("")
    return lines


def _literal(value: t.Any) -> str:
    if isinstance(value, tuple | list):
        return " ".join(map(str, value)) if value else "(none: set on the provider's side)"
    return str(value)


def presets_rst() -> list[str]:
    """One section per built-in preset, from the registry."""
    from flask_oauth2login.providers.registry import BUILTIN, PresetRegistry

    registry = PresetRegistry(entry_points=False)
    lines: list[str] = []
    for name in registry.names():
        preset = registry.get(name)
        assert preset is not None
        title = f"{preset.title} (``{name}``)"
        lines += [f".. _preset-{name}:", "", title, "-" * (len(title) + 4), ""]
        module = importlib.import_module(BUILTIN[name].partition(":")[0])
        authorize = preset.authorize_url or preset.server_metadata_url or preset.issuer
        host = urlsplit(authorize).netloc if authorize else ""
        fields = [
            (
                "Register the app",
                f"`{preset.console_url} <{preset.console_url}>`__"
                if preset.console_url
                else "at your provider",
            ),
            (
                "Callback URL",
                f"``/callback/{name}``"
                if name != "oidc"
                else "``/callback/<name>`` (the entry's name)",
            ),
            (
                "Scope",
                f"``{_literal(preset.scope)}``"
                if preset.scope
                else "none by default (set on the provider's side, or give ``scope``)",
            ),
            ("Options", ", ".join(f"``{o}``" for o in preset.options) or "none"),
            ("Where the login goes", f"``{host}``" if host else "from the options given"),
            ("Client authentication", f"``{preset.token_endpoint_auth_method}``"),
        ]
        if preset.logout_at_provider:
            fields.append(("Logout at the provider", "on by default"))
        for label, value in fields:
            lines.append(f":{label}: {value}")
        lines.append("")
        doc = inspect.getdoc(module) or ""
        lines += ["**Quirks.** " + doc.strip() if doc else "", ""]
        secret = [] if preset.client_secret_builder else ["client_secret"]
        found_by = ["server_metadata_url"] if name == "oidc" else []
        entry = ["client_id", *secret, *found_by, *preset.options]
        example = [f'           "{key}": "...",' for key in entry]
        lines += [
            ".. code-block:: python",
            "",
            '   app.config["OAUTH2LOGIN_PROVIDERS"] = {',
            f'       "{name if name != "oidc" else "corp"}": {{',
            *example,
            "       },",
            "   }",
            "",
        ]
    return lines


def error_anchor(cls: type[BaseException]) -> str:
    """The stable anchor of an exception's section in the error reference."""
    code = vars(cls).get("error_code")
    return code.replace("_", "-") if isinstance(code, str) else cls.__name__.lower()


def error_classes() -> list[type[BaseException]]:
    """The exceptions of :mod:`flask_oauth2login.errors`, in the order written
    there, then the Flask-Login bridge's."""
    from flask_oauth2login import errors

    found = [
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseException)
        and obj.__module__ == errors.__name__
    ]
    source = inspect.getsource(errors)
    found.sort(key=lambda cls: source.index(f"class {cls.__name__}("))
    # Raised by the Flask-Login bridge; shown on error pages like the others.
    from flask_oauth2login.contrib.flask_login import AccountRefused

    return [*found, AccountRefused]


def errors_rst() -> list[str]:
    """One section per exception, each under its stable anchor."""
    import flask_oauth2login

    lines: list[str] = []
    for cls in error_classes():
        anchor = error_anchor(cls)
        title = cls.__name__
        lines += [f".. _{anchor}:", "", title, "-" * len(title), ""]
        public = cls.__name__ in flask_oauth2login.__all__
        path = f"flask_oauth2login.{cls.__name__}" if public else f"{cls.__module__}.{title}"
        bases = ", ".join(f"``{b.__name__}``" for b in cls.__bases__)
        lines.append(f":Import: ``{path}``")
        lines.append(f":Derives from: {bases}")
        code = getattr(cls, "error_code", None)
        if code:
            lines.append(f":Error code: ``{code}``")
        status = getattr(cls, "status_code", None)
        if status:
            lines.append(f":HTTP status: {status}")
        lines.append("")
        lines += (inspect.getdoc(cls) or "").splitlines()
        lines.append("")
    return lines
