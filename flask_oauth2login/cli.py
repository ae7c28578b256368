"""The ``flask oauth2login`` commands.

``OAuth2Login.init_app`` adds :data:`oauth2login_group` to ``app.cli``, so
every app using the extension has::

    flask oauth2login check [--redirect-uri [PROVIDER=]URI] [--url URL] [--processes N]
                            [--offline] [--strict]
    flask oauth2login providers
    flask oauth2login tokens [--provider P] [--subject S] [--issuer I] [--revoke]
    flask oauth2login rotate-keys [--delete-unreadable]
    flask oauth2login init-db [--sql]

The last three work on the token store (``OAUTH2LOGIN_TOKEN_STORE``).

``providers`` lists every preset with where it comes from (built in, an
installed package's entry point, or registered in code).

``check`` exits with status 1 when a check fails (with ``--strict``, also on
a warning), so it can guard a deployment.
"""

from __future__ import annotations

import typing as t
from contextlib import contextmanager
from datetime import UTC, datetime
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import AppGroup

from ._runtime import EXTENSION_KEY, AppState
from .errors import ConfigurationError, TokenStoreUnavailable
from .tokens import logins
from .tokenstore import TokenStore

#: The command group, ``flask oauth2login``.
oauth2login_group = AppGroup(
    "oauth2login",
    help="Check and list the login providers of flask-oauth2login, and manage stored tokens.",
)


def _app_state() -> AppState:
    app_state: AppState | None = current_app.extensions.get(EXTENSION_KEY)
    if app_state is None:
        raise click.ClickException("flask-oauth2login is not set up for this app.")
    return app_state


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
        if not _is_http_url(uri):
            raise click.BadParameter(
                f"{uri!r} is no http(s) URL with a host, such as "
                "https://app.example/callback/github",
                param_hint="--redirect-uri",
            )
        registered[name] = uri
    return registered


def _is_http_url(value: str) -> bool:
    """Whether *value* is an ``http`` or ``https`` URL with a host (and a valid port)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError when it is no port)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _served_url(value: str | None) -> str | None:
    """``check --url``: an ``http`` or ``https`` URL with a host."""
    if value is not None and not _is_http_url(value):
        raise click.BadParameter(
            f"{value!r} is no http(s) URL with a host, such as http://127.0.0.1:5001",
            param_hint="'--url'",
        )
    return value


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
@click.option(
    "--url",
    metavar="URL",
    callback=lambda ctx, param, value: _served_url(value),
    help="Where the app is served, e.g. http://127.0.0.1:5001, for the URIs of an app that "
    "pins no address (default: from FLASK_RUN_HOST and FLASK_RUN_PORT, else "
    "http://127.0.0.1:5000).",
)
def check_command(
    redirect_uris: tuple[str, ...],
    processes: int | None,
    offline: bool,
    strict: bool,
    url: str | None,
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
    app_state = _app_state()
    registered = _parse_registered(redirect_uris, list(app_state.providers))
    report = diagnostics.check_app(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        registered=registered,
        processes=processes,
        network=not offline,
        url=url,
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
    app_state = _app_state()
    presets = app_state.settings.presets
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
    for name, provider in app_state.providers.items():
        config = provider.config
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


# -- the token store ----------------------------------------------------------------


@contextmanager
def _token_store() -> t.Iterator[tuple[AppState, TokenStore]]:
    """The app's extension state and token store; their errors as messages, not tracebacks."""
    app_state = _app_state()
    try:
        yield app_state, logins.require_store(app_state)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    except TokenStoreUnavailable:
        raise click.ClickException(
            "The token store cannot be reached (is the database or Redis up?); nothing changed."
        ) from None


def _when(timestamp: int | None) -> str:
    if not timestamp:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


@oauth2login_group.command("tokens")
@click.option("--provider", help="Only the logins at this provider.")
@click.option("--subject", help="Only the logins of this subject (the user's id at the provider).")
@click.option("--issuer", help="Only the logins at this issuer.")
@click.option(
    "--revoke",
    is_flag=True,
    help="Revoke the logins listed (needs --subject): revoke their tokens at the provider "
    "and delete them from the store.",
)
def tokens_command(
    provider: str | None, subject: str | None, issuer: str | None, revoke: bool
) -> None:
    """List the logins in the token store (never a token), or revoke them."""
    if revoke and subject is None:
        raise click.UsageError("--revoke needs --subject: whose logins to revoke.")
    with _token_store() as (app_state, store):
        found = store.find(provider, subject, issuer)
        if revoke:
            _revoke(app_state, found)
            return
        rows = [
            (
                r.provider,
                r.issuer,
                r.subject,
                r.scope or "-",
                _when(r.expires_at),
                _when(r.updated_at),
            )
            for r in found
        ]
        header = ("PROVIDER", "ISSUER", "SUBJECT", "SCOPE", "EXPIRES", "UPDATED")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
        for row in [header, *rows]:
            click.echo(
                "  ".join([*(v.ljust(w) for v, w in zip(row, widths, strict=False)), row[-1]])
            )
        click.echo(f"{len(rows)} login{'' if len(rows) == 1 else 's'} in {store.describe()}.")


def _revoke(app_state: AppState, found: t.Sequence[t.Any]) -> None:
    """Delete and revoke the logins *found*, saying for each what happened;
    exits with status 1 when a revocation failed."""
    revoked = failed = 0
    for record in found:
        problems: list[str] = []
        confirmed = logins.revoke_stored(app_state, record, problems)
        who = f"{record.provider} {record.issuer} {record.subject}"
        if confirmed:
            revoked += 1
            click.echo(f"Deleted {who} from the store, and revoked at the provider.")
        elif problems:
            failed += 1
            hint = _relative_urls_hint(app_state, record.provider)
            click.echo(
                f"Deleted {who} from the store, but NOT revoked at the provider: "
                f"{'; '.join(p.rstrip('.') for p in problems)}{hint}. The token stays valid "
                "at the provider until it expires.",
                err=True,
            )
        else:
            click.echo(
                f"Deleted {who} from the store; the provider offers no revocation, so the "
                "token stays valid there until it expires."
            )
    plural = "" if len(found) == 1 else "s"
    click.echo(
        f"{len(found)} login{plural} deleted: {revoked} revoked at the provider, "
        f"{failed} failed, {len(found) - revoked - failed} not revocable."
    )
    if failed:
        click.get_current_context().exit(1)


def _relative_urls_hint(app_state: AppState, name: str) -> str:
    """Why a provider at a path of this app may not be reached from a
    command: with no request, its address comes from the configuration."""
    provider = app_state.providers.get(name)
    if provider is None or not provider.config.relative_urls:
        return ""
    return (
        f" (the provider's URLs are paths of this app, here resolved against "
        f"{app_state.base_url()}: set OAUTH2LOGIN_EXTERNAL_URL or SERVER_NAME to the app's "
        "address)"
    )


@oauth2login_group.command("rotate-keys")
@click.option(
    "--delete-unreadable",
    is_flag=True,
    help="Delete the stored tokens no configured key opens (those users log in again).",
)
def rotate_keys_command(delete_unreadable: bool) -> None:
    """Encrypt every stored token with the first of OAUTH2LOGIN_ENCRYPTION_KEYS.

    Run it after putting a new key first; once it is done (and sessions
    sealed with the old key have ended), the old key can go.
    """
    with _token_store() as (app_state, store):
        counts = logins.reseal_stored(app_state, delete_unreadable=delete_unreadable)
    click.echo(
        f"Re-encrypted {counts['resealed']} stored token(s) with the first key; "
        f"{counts['current']} already were; {counts['skipped']} changed meanwhile "
        "(written with the first key)."
    )
    if counts["unreadable"]:
        deleted = f", {counts['deleted']} deleted" if delete_unreadable else ""
        click.echo(
            f"{counts['unreadable']} stored token(s) open with none of the keys{deleted}: "
            "their users must log in again"
            + ("." if delete_unreadable else " (or put their key back, and run this again).")
        )
    click.echo(
        "Tokens kept in sessions are sealed anew with the first key when next used; keep the "
        "old key until sessions older than PERMANENT_SESSION_LIFETIME have ended."
    )


@oauth2login_group.command("init-db")
@click.option("--sql", "show_sql", is_flag=True, help="Print the SQL instead of running it.")
def init_db_command(show_sql: bool) -> None:
    """Create the token store's table (SQL stores; SQLite also does it on first use)."""
    with _token_store() as (_, store):
        if show_sql:
            schema = getattr(store, "schema_sql", None)
            click.echo(schema() if schema else f"-- {store.describe()} needs no schema.")
            return
        created = store.create_schema()
    if created:
        click.echo(f"Created {store.describe()}.")
    else:
        click.echo(f"Nothing to create: {store.describe()} is ready.")
