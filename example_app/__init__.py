"""The flask-oauth2login example app.

Run it with ``flask --app example_app run --debug``. With no configuration
it logs in against the built-in development identity provider (mounted at
``/_devidp``, debug mode only) and keeps sessions in a file-system store
under ``instance/``. It shows logging out everywhere too: "Sign out" ends
the app's session, then the provider's; signing out at the provider alone
ends the app's session by back-channel logout. Real providers appear when
their credentials are in the environment, e.g. ``OAUTH2LOGIN_GITHUB_CLIENT_ID`` and
``OAUTH2LOGIN_GITHUB_CLIENT_SECRET``. Started by the ``flask`` command with
no provider at all, it says so in two lines instead of a traceback.

Once signed in, the home page lists the accounts of the session and offers
to connect another one (a ``POST`` form of this site); it links the
extension's accounts page (``/accounts``, ``OAUTH2LOGIN_ACCOUNTS_PAGE``), where
an account is connected or disconnected; and ``/more/<provider>``
is a page that needs one more permission than signing in asked for
(incremental authorization: visiting it asks the provider for it).

The pages speak the person's language, as the extension's own pages do: the
app's strings are in its own catalogs (``example_app/translations``, domain
``example_app``), read in the language of ``oauth.locale``.

When SQLAlchemy is installed (``pip install 'flask-oauth2login[sql]'``),
logins are also kept in a token store, ``instance/tokens.db``, and
``flask --app example_app --debug refresh-profiles`` calls each stored
user's provider API with no request at all, as a nightly job would.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import secrets
import typing as t
from urllib.parse import quote, urljoin, urlsplit

import click
import requests
from babel.support import NullTranslations, Translations
from flask import Flask, Response, abort, current_app, render_template, request, url_for
from flask.cli import with_appcontext

from flask_oauth2login import (
    ConfigurationError,
    NotLoggedInError,
    OAuth2Login,
    ProviderError,
    SessionStoreUnavailable,
    login_required,
)

#: Providers offered when their credentials are in the environment, with the
#: API the profile page calls for each.
REAL_PROVIDERS: dict[str, str] = {
    "github": "https://api.github.com/user",
    "google": "https://openidconnect.googleapis.com/v1/userinfo",
}

#: The permission (scope) each provider's "more permission" page needs, and
#: the API it then calls; each scope is in the provider's ``allowed_scopes``.
EXTRA_PERMISSIONS: dict[str, tuple[str, str | None]] = {
    "dev": ("notes:read", None),  # the development provider's demo API
    "github": ("repo", "https://api.github.com/user/repos?visibility=private&per_page=5"),
    "google": (
        "https://www.googleapis.com/auth/drive.metadata.readonly",
        "https://www.googleapis.com/drive/v3/files?pageSize=5",
    ),
}

#: The development provider's client: any loopback redirect URI, and
#: logout tokens sent to this app's back-channel logout route.
DEV_CLIENTS = {
    "dev-client": {
        "client_secret": "dev-secret",
        "redirect_uris": None,
        "backchannel_logout_uri": "/backchannel-logout/dev",
    }
}

#: What to do when no provider is configured.
NO_PROVIDER = (
    "No login provider is configured.\n"
    "Run `flask --app example_app run --debug` to use the development provider, or set"
    " a provider's credentials, e.g. OAUTH2LOGIN_GITHUB_CLIENT_ID and"
    " OAUTH2LOGIN_GITHUB_CLIENT_SECRET."
)

#: The app's icon: a white key on a dark square, inline in every page and
#: at ``/favicon.ico`` for the pages that do not link it (the extension's own).
FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="7" fill="#24292f"/>'
    '<circle cx="11" cy="16" r="5" fill="none" stroke="#fff" stroke-width="3"/>'
    '<path d="M16 16h11m-4 0v5m4-5v4" fill="none" stroke="#fff" stroke-width="3"'
    ' stroke-linecap="round"/></svg>'
)

#: The app's own catalogs (the ``example_app`` domain), one folder per language.
TRANSLATIONS = os.path.join(os.path.dirname(__file__), "translations")

oauth = OAuth2Login()


def create_app(
    config: t.Mapping[str, t.Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Build the example app; *config* overrides the defaults (for tests).

    :raises ConfigurationError: if no provider is configured, or one is
        misconfigured; under the ``flask`` command, a short
        :class:`click.ClickException` instead.
    """
    app = Flask(__name__, instance_path=instance_path)
    app.config.from_prefixed_env()  # FLASK_SECRET_KEY, FLASK_OAUTH2LOGIN_..., ...
    app.config.update(config or {})
    app.config.setdefault("OAUTH2LOGIN_PROVIDERS", _providers(app))
    app.config.setdefault("OAUTH2LOGIN_ACCOUNTS_PAGE", True)  # /accounts
    if importlib.util.find_spec("sqlalchemy") is not None:
        # A file under instance/; the background command reads it.
        app.config.setdefault("OAUTH2LOGIN_TOKEN_STORE", "sqlite:///tokens.db")
    try:
        if not app.config["OAUTH2LOGIN_PROVIDERS"]:
            raise ConfigurationError(NO_PROVIDER)
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _instance_secret(app)
        if app.debug or app.testing:
            from flask_oauth2login.devidp import DevIdentityProvider

            app.config.setdefault("OAUTH2LOGIN_DEVIDP_CLIENTS", DEV_CLIENTS)
            DevIdentityProvider(app)
        oauth.init_app(app)
    except ConfigurationError as exc:
        if click.get_current_context(silent=True) is not None:
            # Started by the flask command: what to do, without a traceback.
            raise click.ClickException(str(exc)) from None
        raise
    _install_translations(app)
    _register_views(app)
    app.cli.add_command(refresh_profiles)
    return app


def _providers(app: Flask) -> dict[str, dict[str, t.Any]]:
    providers: dict[str, dict[str, t.Any]] = {}
    if app.debug or app.testing:
        providers["dev"] = {
            "preset": "devidp",
            "title": "the development provider",
            "client_id": "dev-client",
            "client_secret": "dev-secret",
            "allowed_scopes": [EXTRA_PERMISSIONS["dev"][0]],
        }
    for name in REAL_PROVIDERS:
        if os.environ.get(f"OAUTH2LOGIN_{name.upper()}_CLIENT_ID"):
            providers[name] = {"allowed_scopes": [EXTRA_PERMISSIONS[name][0]]}
    return providers


def _instance_secret(app: Flask) -> str:
    """A secret key kept in the instance folder, so sessions survive restarts."""
    path = os.path.join(app.instance_path, "secret_key")
    os.makedirs(app.instance_path, exist_ok=True)
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key)
        return key


@functools.cache
def _catalog(locale: str) -> NullTranslations:
    return Translations.load(TRANSLATIONS, [locale], "example_app")


def _install_translations(app: Flask) -> None:
    """``_()`` and ``{% trans %}`` in the templates, in the language the
    extension chose for this request (``oauth.locale``)."""

    def gettext(message: str) -> str:
        return _catalog(str(oauth.locale)).gettext(message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return _catalog(str(oauth.locale)).ngettext(singular, plural, n)

    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]


def _refuse_framing(response: Response) -> Response:
    """No page of the app may be framed by another site (clickjacking)."""
    response.headers.setdefault("X-Frame-Options", "DENY")
    csp = response.headers.get("Content-Security-Policy")
    if not csp:
        response.headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    elif "frame-ancestors" not in csp:
        response.headers["Content-Security-Policy"] = csp + "; frame-ancestors 'none'"
    return response


def _register_views(app: Flask) -> None:
    app.after_request(_refuse_framing)

    @app.context_processor
    def page_globals() -> dict[str, str]:
        return {"favicon_href": "data:image/svg+xml," + quote(FAVICON_SVG)}

    @app.get("/favicon.ico")
    def favicon() -> Response:
        response = Response(FAVICON_SVG, mimetype="image/svg+xml")
        response.cache_control.public = True
        response.cache_control.max_age = 86400
        return response

    @app.context_processor
    def logout_links() -> dict[str, t.Any]:
        user = oauth.user
        if user is None:
            return {}
        config = app.extensions["oauth2login"].providers[user["provider"]].config
        # Signing out at the development provider alone: it tells this app.
        dev = config.preset.name == "devidp" and "oauth2login_devidp" in app.blueprints
        return {
            "logout_at_provider": config.logout_at_provider,
            "provider_logout_url": url_for("oauth2login_devidp.logout") if dev else None,
        }

    @app.get("/")
    def index() -> str:
        configured = app.extensions["oauth2login"].providers
        providers = [(name, provider.config.title) for name, provider in configured.items()]
        accounts = [
            (name, configured[name].config.title if name in configured else name, user)
            for name, user in reversed(oauth.users.items())
        ]
        user = oauth.user
        return render_template(
            "index.html",
            user=user,
            # "the development provider", not "dev": the provider's title.
            user_title=dict(providers).get(user["provider"]) if user else None,
            providers=providers,
            accounts=accounts,
            others=[(name, title) for name, title in providers if name not in oauth.users],
            extra={name: scope for name, (scope, _) in EXTRA_PERMISSIONS.items()},
            accounts_page=app.extensions["oauth2login"].settings.accounts_page,
        )

    guarded = {
        name: login_required(name, scope=scope)(functools.partial(_more_permission, name))
        for name, (scope, _) in EXTRA_PERMISSIONS.items()
    }

    @app.get("/more/<provider>")
    def more_permission(provider: str) -> t.Any:
        """A page that needs one more permission than signing in asked for."""
        if provider not in guarded or provider not in app.extensions["oauth2login"].providers:
            abort(404)
        return guarded[provider]()

    @app.get("/profile")
    @login_required
    def profile() -> str:
        user = oauth.user
        assert user is not None
        api_url = _api_url(user["provider"])
        try:
            response = oauth.session(user["provider"]).get(api_url, timeout=10)
            api = {"url": api_url, "status": response.status_code, "body": _json(response)}
        except (ProviderError, requests.RequestException) as exc:
            # The provider or its API is down: say so on the page. An ended
            # login (NotLoggedInError) goes on to the extension, which sends
            # the browser to log in again.
            api = {"url": api_url, "status": None, "body": f"{type(exc).__name__}: {exc}"}
        return render_template(
            "profile.html",
            user=user,
            title=app.extensions["oauth2login"].providers[user["provider"]].config.title,
            api=api,
            # Shown in the person's language (the oauth2login_datetime filter).
            expires_at=(oauth.token(user["provider"]) or {}).get("expires_at"),
        )


def _more_permission(provider: str) -> str:
    scope, api_url = EXTRA_PERMISSIONS[provider]
    api_url = current_app.config.get("EXAMPLE_MORE_API_URLS", {}).get(provider, api_url)
    if api_url is None:  # the development provider's API says what the token may do
        api_url = _api_url(provider)
    try:
        response = oauth.session(provider).get(api_url, timeout=10)
        api = {"url": api_url, "status": response.status_code, "body": _json(response)}
    except (ProviderError, requests.RequestException) as exc:
        api = {"url": api_url, "status": None, "body": f"{type(exc).__name__}: {exc}"}
    token = oauth.token(provider) or {}
    return render_template(
        "more.html",
        user=oauth.user,
        provider=provider,
        title=current_app.extensions["oauth2login"].providers[provider].config.title,
        scope=scope,
        granted=str(token.get("scope") or "").split(),
        api=api,
    )


def _api_url(provider: str) -> str:
    configured = current_app.config.get("EXAMPLE_API_URLS", {}).get(provider)
    if configured:
        return configured  # type: ignore[no-any-return]
    found = current_app.extensions["oauth2login"].provider(provider)
    if found.config.preset.name == "devidp":
        return request.url_root.rstrip("/") + url_for("oauth2login_devidp.api_me")
    if provider in REAL_PROVIDERS:
        return REAL_PROVIDERS[provider]
    return found.endpoints().userinfo_url or ""  # type: ignore[no-any-return]


def _json(response: t.Any) -> t.Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:500]


#: Where ``refresh-profiles`` finds the app when it cannot tell (the
#: development provider lives in the app): ``flask run``'s address.
DEFAULT_APP_URL = "http://127.0.0.1:5000"


@click.command("refresh-profiles")
@click.option(
    "--app-url",
    help="Where the app runs, for the development provider that lives in it "
    f"(default: OAUTH2LOGIN_EXTERNAL_URL, else {DEFAULT_APP_URL}).",
)
@with_appcontext
def refresh_profiles(app_url: str | None) -> None:
    """Call the provider's API for every stored login, with no request.

    What a nightly job does: each user's stored token is used (and
    refreshed first if it has expired) by ``oauth.session(provider,
    subject=...)``. Run it next to ``flask --app example_app run --debug``.
    """
    state = current_app.extensions["oauth2login"]
    if state.token_store is None:
        raise click.ClickException(
            "No token store: pip install 'flask-oauth2login[sql]' (the example then keeps "
            "logins in instance/tokens.db)."
        )
    if state.settings.external_url is None and not current_app.config.get("SERVER_NAME"):
        # The development provider's endpoints are relative to the app's address.
        parts = urlsplit(app_url or DEFAULT_APP_URL)
        current_app.config.update(SERVER_NAME=parts.netloc, PREFERRED_URL_SCHEME=parts.scheme)
    try:
        logins = oauth.stored_logins()
    except SessionStoreUnavailable as exc:
        raise click.ClickException(exc.message) from None
    for login in logins:
        who = f"{login.provider} {login.subject}"
        if login.provider not in state.providers:
            click.echo(f"{who}: skipped, the provider is not configured here")
            continue
        try:
            api = oauth.session(login.provider, subject=login.subject, issuer=login.issuer)
            response = api.get(_background_api_url(login.provider), timeout=10)
        except NotLoggedInError:
            click.echo(f"{who}: must log in again (the provider ended the login)")
            continue
        except (ProviderError, SessionStoreUnavailable, requests.RequestException) as exc:
            click.echo(f"{who}: failed, {type(exc).__name__}")
            continue
        profile = _json(response)
        name = (profile.get("name") or profile.get("login")) if isinstance(profile, dict) else None
        click.echo(f"{who}: {response.status_code} {name or ''}".rstrip())
    click.echo(f"{len(logins)} stored login{'' if len(logins) == 1 else 's'}.")


def _background_api_url(provider: str) -> str:
    """The API URL of *provider*, outside a request."""
    configured = current_app.config.get("EXAMPLE_API_URLS", {}).get(provider)
    if configured:
        return configured  # type: ignore[no-any-return]
    if provider == "dev":
        path = current_app.url_map.bind("").build("oauth2login_devidp.api_me")
        return urljoin(current_app.extensions["oauth2login"].base_url(), path.lstrip("/"))
    return REAL_PROVIDERS[provider]
