"""The ``flask oauth2login`` commands.

``OAuth2Login.init_app`` adds :data:`oauth2login_group` to ``app.cli``, so
every app using the extension has::

    flask oauth2login check [--redirect-uri [PROVIDER=]URI] [--processes N] [--offline] [--strict]
    flask oauth2login providers

``providers`` lists every preset with where it comes from (built in, an
installed package's entry point, or registered in code).

``check`` exits with status 1 when a check fails (with ``--strict``, also on
a warning), so it can guard a deployment.
"""

from __future__ import annotations

import typing as t

import click
from flask import current_app
from flask.cli import AppGroup

from .errors import ConfigurationError
from .state import EXTENSION_KEY, AppState

#: The command group, ``flask oauth2login``.
oauth2login_group = AppGroup(
    "oauth2login",
    help="Check and list the login providers of flask-oauth2login.",
)


def _state() -> AppState:
    state: AppState | None = current_app.extensions.get(EXTENSION_KEY)
    if state is None:
        raise click.ClickException("flask-oauth2login is not set up for this app.")
    return state


def _parse_registered(values: t.Sequence[str], names: t.Sequence[str]) -> dict[str, str]:
    registered: dict[str, str] = {}
    for value in values:
        name, sep, uri = value.partition("=")
        if not sep or "/" in name:  # a bare URI
            if len(names) != 1:
                raise click.BadParameter(
                    f"several providers are configured ({', '.join(names)}); write PROVIDER=URI",
                    param_hint="--redirect-uri",
                )
            name, uri = names[0], value
        registered[name] = uri
    return registered


@oauth2login_group.command("check")
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    metavar="[PROVIDER=]URI",
    help="The redirect URI registered at the provider, to compare with the app's. Repeatable.",
)
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    help="How many processes will serve the app (default: guessed from gunicorn, uWSGI "
    "or WEB_CONCURRENCY in the environment).",
)
@click.option("--offline", is_flag=True, help="Do not fetch discovery documents and keys.")
@click.option("--strict", is_flag=True, help="Exit with status 1 on warnings too.")
def check_command(
    redirect_uris: tuple[str, ...], processes: int | None, offline: bool, strict: bool
) -> None:
    """Check providers, redirect and logout URIs, the session store and cookie settings."""
    # Imported here, not with the module: serving requests never loads the checks.
    from . import diagnostics

    marks = {
        diagnostics.OK: ("ok", "green"),
        diagnostics.INFO: ("info", "blue"),
        diagnostics.WARNING: ("WARN", "yellow"),
        diagnostics.ERROR: ("FAIL", "red"),
    }
    state = _state()
    registered = _parse_registered(redirect_uris, list(state.clients))
    report = diagnostics.check_app(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        registered=registered,
        processes=processes,
        network=not offline,
    )
    for topic, findings in report.topics().items():
        click.echo(click.style(topic[:1].upper() + topic[1:], bold=True))
        for finding in findings:
            mark, color = marks[finding.level]
            click.echo(f"  {click.style(f'{mark:<4}', fg=color)}  {finding.message}")
    errors, warnings = len(report.errors), len(report.warnings)
    summary = f"{errors} failed, {warnings} warning{'' if warnings == 1 else 's'}."
    click.echo(summary)
    if errors or (strict and warnings):
        click.get_current_context().exit(1)


@oauth2login_group.command("providers")
def providers_command() -> None:
    """List the presets, where each comes from, and the providers this app configures.

    Exits with status 1 when a preset cannot be loaded (a broken plug-in).
    """
    state = _state()
    presets = state.settings.presets
    broken = 0
    click.echo(click.style("Presets", bold=True))
    for name in presets.names():
        try:
            source = presets.source(name)
            assert source is not None
            preset = source.load()
        except ConfigurationError as exc:
            broken += 1
            click.echo(f"  {name:<20}{click.style('FAIL', fg='red')} {exc.message}")
            continue
        console = f"; register an app at {preset.console_url}" if preset.console_url else ""
        click.echo(f"  {name:<20}{preset.title} ({source.origin}{console})")
    click.echo(click.style("Configured providers", bold=True))
    for name, client in state.clients.items():
        config = client.config
        if config.server_metadata_url:
            how = f"discovery at {config.server_metadata_url}"
        elif config.is_oidc:
            how = f"OpenID Connect, issuer {config.issuer}"
        else:
            how = f"OAuth 2.0, authorize at {config.authorize_url}"
        click.echo(
            f"  {name:<20}{config.title} (preset {config.preset.name}; {how}; "
            f"client_id {config.client_id}; scope {' '.join(config.scope) or '(none)'})"
        )
    if broken:
        click.get_current_context().exit(1)
