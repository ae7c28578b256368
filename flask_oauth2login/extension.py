"""The extension object: ``OAuth2Login(app)`` or ``OAuth2Login().init_app(app)``."""

from __future__ import annotations

import functools
import logging
import re
import typing as t

from babel import Locale
from flask import Flask, has_request_context, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from . import cli
from ._runtime import EXTENSION_KEY, AppState, LoginHook, app_base_url, get_state
from .config.settings import Settings, load_settings, refuse_unknown_keys
from .crypto.cipher import MissingKey, cipher_for
from .decorators import handle_not_logged_in, login_required
from .errors import (
    ConfigurationError,
    LoginError,
    NotLoggedInError,
    OAuth2LoginError,
    docs_url_for,
)
from .login import accounts
from .login import disconnect as disconnecting
from .login.hints import SessionCookie
from .pages import locale as pages_locale
from .protocol import dpop, redaction
from .protocol.api_session import OAuth2Session
from .protocol.provider import Provider
from .providers import Preset, PresetRegistry
from .sessions.engines import engine_for
from .sessions.setup import setup_session
from .tokens import app_tokens, logins
from .tokenstore import RecentTokens, StoredLogin, TokenStore, open_store
from .user import User
from .views import create_blueprint, error_response, jwks

log = logging.getLogger(__name__)


class OAuth2Login:
    """ "Log in with X" for a Flask app.

    Reads ``OAUTH2LOGIN_PROVIDERS`` and the other ``OAUTH2LOGIN_*`` keys,
    makes sure sessions are kept on the server (Flask-Session), and registers
    the ``/login/<provider>``, ``/callback/<provider>`` and ``/logout``
    routes. One instance may serve several apps; per-app state lives in
    ``app.extensions["oauth2login"]``.
    """

    def __init__(self, app: Flask | None = None) -> None:
        self._login_hooks: list[LoginHook] = []
        self._presets = PresetRegistry()
        self._initialized = False
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Validate the configuration and set the extension up for *app*.

        :raises ConfigurationError: naming the provider and key at fault
            (and logged, with a link to the error reference).
        """
        self._initialized = True
        try:
            self._set_up(app)
        except ConfigurationError as exc:
            _log_refusal(app, exc)
            raise

    def _set_up(self, app: Flask) -> None:
        _require_secret_key(app)
        settings = load_settings(app.config, presets=self._presets)
        refuse_unknown_keys(app.config, settings)
        _refuse_strict_cookie(app)
        _check_relative_urls(app, settings)
        interface = setup_session(app, pending_lifetime=settings.login_timeout)
        dpop_key = None
        if any(config.dpop for config in settings.providers.values()):
            dpop_key = dpop.app_key(settings.dpop_private_key, app.config.get("SECRET_KEY"))
        providers = {
            name: Provider(
                config,
                base_url=functools.partial(app_base_url, settings),
                timeout=settings.http_timeout,
                metadata_ttl=settings.metadata_ttl,
                jwks_min_refetch_interval=settings.jwks_min_refetch_interval,
                leeway=settings.clock_skew,
                dpop_key=dpop_key,
            )
            for name, config in settings.providers.items()
        }
        cipher = cipher_for(
            settings.encryption_keys,
            app.config.get("SECRET_KEY"),
            app.config.get("SECRET_KEY_FALLBACKS") or (),
        )
        app.extensions[EXTENSION_KEY] = AppState(
            settings=settings,
            providers=providers,
            session_engine=engine_for(interface),
            login_hooks=self._login_hooks,
            token_store=_token_store(app, settings, cipher),
            cipher=cipher,
            recent=RecentTokens(settings.token_cache_ttl),
        )
        pages_locale.install(app, settings.base_template, settings.translation_directories)
        blueprint = create_blueprint(settings.url_prefix)
        if settings.accounts_page:
            blueprint.add_url_rule("/accounts", "accounts", login_required(accounts.page))
        app.register_blueprint(blueprint)
        if settings.jwks_url_path is not None:
            app.add_url_rule(settings.jwks_url_path, "oauth2login_jwks", jwks)
        _refuse_route_clashes(app)
        app.before_request(_ClashGuard(app))
        app.register_error_handler(NotLoggedInError, handle_not_logged_in)
        app.register_error_handler(LoginError, error_response)
        app.cli.add_command(cli.oauth2login_group)
        redaction.install()

    def register_preset(self, preset: Preset, *, replace: bool = False) -> Preset:
        """Make *preset* available to this extension's apps by its name, as
        if an installed package declared it.

        Register presets before ``init_app`` reads the configuration::

            oauth = OAuth2Login()
            oauth.register_preset(acme_preset)
            oauth.init_app(app)

        :param replace: let *preset* replace a built-in or installed preset of
            the same name; without it, a name that is taken is an error.
        :returns: *preset*.
        :raises ConfigurationError: if ``init_app`` has run already, *preset*
            is not a :class:`~flask_oauth2login.providers.Preset`, or its name
            is taken (and *replace* is not set).
        """
        if self._initialized:
            raise ConfigurationError(
                "register presets before init_app reads the configuration: "
                "oauth = OAuth2Login(); oauth.register_preset(...); oauth.init_app(app)",
                key="register_preset",
            )
        self._presets.register(preset, replace=replace)
        return preset

    # -- in views ----------------------------------------------------------

    @property
    def user(self) -> User | None:
        """The user of this session's most recent login, or ``None``."""
        return logins.get_user()

    @property
    def users(self) -> dict[str, User]:
        """The users of this session's logins, by provider (the most recent
        last): one per provider connected."""
        return logins.get_users()

    @property
    def locale(self) -> Locale:
        """The language of the extension's pages in this request (a
        ``babel.Locale``): the app's Flask-Babel locale, else the best of
        the browser's ``Accept-Language`` that a catalog exists for, else
        English. An app's own pages can follow it."""
        return pages_locale.current_locale()

    def token(
        self, provider: str, subject: str | None = None, *, issuer: str | None = None
    ) -> dict[str, t.Any] | None:
        """The user's token for *provider*. Its ``scope`` is the granted
        scope, space-separated: what the provider said, else what the login
        asked for.

        Without *subject*: the token of this request's session, as stored
        (not refreshed), or ``None``. With *subject* (no request needed):
        the token of that user's stored login, refreshed first if it has
        expired; *issuer* picks one when the subject has logins at several
        issuers of the provider.

        :raises NotLoggedInError: with *subject*, if no token is stored or it
            expired and cannot be refreshed.
        :raises TokenStoreUnavailable: if the token store is down.
        """
        if subject is None:
            _need_request(provider)
            return logins.get_token(provider)
        app_state = get_state()
        return logins.fresh_token(logins.stored(app_state, provider, subject, issuer))

    def login_url(
        self,
        provider: str,
        next: str | None = None,
        scope: str | t.Sequence[str] | None = None,
        prompt: str | None = None,
        login_hint: str | None = None,
        max_age: int | None = None,
    ) -> str:
        """The URL of ``GET /login/<provider>`` with these options.

        :param next: the path to come back to after the login.
        :param scope: scopes to ask for besides the configured (and already
            granted) ones; each must be in the provider's ``allowed_scopes``,
            else the link answers 400.
        :param prompt: ``login``, ``consent``, ``select_account``, ``none``...
        :param login_hint: who is expected to sign in (an e-mail address).
        :param max_age: seconds since the user last signed in at the
            provider; the login checks the ID token's ``auth_time``.
        :raises ConfigurationError: if no provider of that name is configured.
        """
        get_state().provider(provider)
        if scope is not None and not isinstance(scope, str):
            scope = " ".join(scope)
        options: dict[str, t.Any] = {
            "next": next,
            "scope": scope or None,
            "prompt": prompt,
            "login_hint": login_hint,
            "max_age": max_age,
        }
        args = {key: value for key, value in options.items() if value is not None}
        return url_for("oauth2login.login", provider=provider, **args)

    def session(
        self, provider: str, subject: str | None = None, *, issuer: str | None = None
    ) -> OAuth2Session:
        """A :class:`requests.Session` that calls *provider*'s API as the user.

        It sends the user's access token with every request and refreshes
        it when it has expired (saving the new one), once for all requests,
        jobs and processes that find it expired at the same time.

        Without *subject*: the user of this request's session. With
        *subject* (no request needed, e.g. in a CLI command or a worker):
        that user's stored login (``OAUTH2LOGIN_TOKEN_STORE``); *issuer*
        picks one when the subject has logins at several issuers.

        :raises NotLoggedInError: if there is no token for *provider*.
        :raises TokenStoreUnavailable: if the token store is down.
        """
        app_state = get_state()
        found = app_state.provider(provider)
        place: logins.Holder | None
        if subject is None:
            _need_request(provider)
            place = logins.holder(provider, app_state)
        else:
            place = logins.stored(app_state, provider, subject, issuer)
        token = place.load() if place is not None else None
        if place is None or token is None:
            raise NotLoggedInError(f"Nobody is logged in with {provider!r}.", provider=provider)
        return found.api_session(logins.HeldTokenSource(place, first=token))

    def revoke(
        self, provider: str, subject: str | None = None, *, issuer: str | None = None
    ) -> bool:
        """End the user's login at *provider*: forget the token (in the
        session and the token store) and revoke it at the provider when it
        offers revocation (RFC 7009, best effort).

        Without *subject*: this request's session's login; with *subject*:
        that user's stored login, whichever sessions refer to it. Returns
        whether the provider confirmed the revocation.

        :raises NotLoggedInError: if there is no token to revoke.
        """
        app_state = get_state()
        found = app_state.provider(provider)
        if subject is not None:
            place = logins.stored(app_state, provider, subject, issuer, fresh=True)
            assert place.record is not None
            return logins.revoke_stored(app_state, place.record)
        _need_request(provider)
        token = logins.get_token(provider)
        if token is None:
            raise NotLoggedInError(f"Nobody is logged in with {provider!r}.", provider=provider)
        logins.forget(provider)
        return found.revoke_token(token)

    def disconnect(self, provider: str) -> bool:
        """Disconnect this session's login with *provider*, as ``POST
        /disconnect/<provider>`` does: revoke its tokens at the provider
        (best effort), forget it in the session and the token store, send
        :data:`~flask_oauth2login.disconnected`; the session's other
        logins stay. Returns whether the provider confirmed the revocation.

        The session's only login is refused, unless
        ``OAUTH2LOGIN_DISCONNECT_LAST = "logout"``: then the whole session
        ends, as with ``POST /logout`` (``logged_out`` is sent instead).

        :raises NotLoggedInError: if the session holds no login with *provider*.
        :raises DisconnectRefused: if it is the session's only login.
        :raises ConfigurationError: if no provider of that name is configured.
        :raises TokenStoreUnavailable: if the token store is down (nothing changed).
        """
        app_state = get_state()
        found = app_state.provider(provider)
        _need_request(provider)
        return disconnecting.disconnect(app_state, found)

    def stored_logins(
        self, provider: str | None = None, subject: str | None = None
    ) -> list[StoredLogin]:
        """The logins whose tokens are in the token store (all, or those of
        *provider* and/or *subject*): who and until when, never a token.

        :raises ConfigurationError: if there is no token store.
        :raises TokenStoreUnavailable: if it is down.
        """
        store = logins.require_store(get_state())
        return [StoredLogin.of(record) for record in store.find(provider, subject)]

    def app_session(
        self, provider: str, scope: str | t.Sequence[str] | None = None
    ) -> OAuth2Session:
        """A :class:`requests.Session` that calls *provider*'s API as this app.

        It sends a client-credentials token (fetched on first use, cached per
        process, refreshed before it expires), never stored in a user's
        session. For server-to-server calls.
        """
        app_state = get_state()
        return app_tokens.app_session(app_state, app_state.provider(provider), scope)

    # -- hooks -------------------------------------------------------------

    def on_login(self, hook: LoginHook) -> LoginHook:
        """Register *hook* to run after each successful login, as a decorator.

        It is called with the provider name, the :class:`User` and the token,
        after they were stored. It may return a response to send instead of
        the redirect to ``next``, or raise a
        :class:`~flask_oauth2login.errors.LoginError` to refuse the login:
        the session then goes back to the logins it held before.
        """
        self._login_hooks.append(hook)
        return hook


def _need_request(provider: str) -> None:
    if not has_request_context():
        raise OAuth2LoginError(
            "There is no request here, so no session: say whose token to use, e.g. "
            f"oauth.session({provider!r}, subject=...), with OAUTH2LOGIN_TOKEN_STORE set.",
            provider=provider,
        )


def _token_store(app: Flask, settings: Settings, cipher: t.Any) -> TokenStore | None:
    """The token store ``OAUTH2LOGIN_TOKEN_STORE`` names, if any.

    :raises ConfigurationError: if it names none, or there is no key to
        encrypt tokens with.
    """
    if settings.token_store is None:
        return None
    if isinstance(cipher, MissingKey):
        raise ConfigurationError(
            "a token store needs a key to encrypt tokens with: set SECRET_KEY, or "
            "OAUTH2LOGIN_ENCRYPTION_KEYS",
            key="OAUTH2LOGIN_ENCRYPTION_KEYS",
        )
    return open_store(settings.token_store, instance_path=app.instance_path)


def _log_refusal(app: Flask, error: ConfigurationError) -> None:
    """Log *error*, with a link to its entry in the documentation."""
    base = app.config.get("OAUTH2LOGIN_DOCS_URL")
    url = docs_url_for(error, base if isinstance(base, str) else None)
    log.error("flask-oauth2login refused the configuration: %s See %s", error, url)


def _require_secret_key(app: Flask) -> None:
    """Refuse an app without ``SECRET_KEY``: the login's state, the sealed
    tokens and the signed session all derive from it."""
    if not app.config.get("SECRET_KEY"):
        raise ConfigurationError(
            "missing; logins need it (their state and the tokens at rest are protected with "
            "keys derived from it). Set it to a long random value, the same in every "
            "process, e.g. from python -c 'import secrets; print(secrets.token_hex(32))'",
            key="SECRET_KEY",
        )


def _refuse_strict_cookie(app: Flask) -> None:
    """Refuse ``SESSION_COOKIE_SAMESITE = "Strict"``: browsers withhold such
    a cookie on the provider's redirect back, so every login would be lost."""
    if SessionCookie.of(app).withheld_on_redirect:
        raise ConfigurationError(
            "is 'Strict': browsers withhold the session cookie on the provider's redirect "
            "back, so every login would be lost. Use 'Lax' (the default)",
            key="SESSION_COOKIE_SAMESITE",
        )


def _check_relative_urls(app: Flask, settings: Settings) -> None:
    """Refuse provider URLs relative to this app where the request's Host
    header would decide where the server sends codes and secrets.

    Outside debug and testing, they need ``OAUTH2LOGIN_EXTERNAL_URL``.
    """
    if settings.external_url is not None or app.debug or app.testing:
        return
    for name, config in settings.providers.items():
        if config.relative_urls:
            raise ConfigurationError(
                "is a path on this app, which outside debug and testing needs "
                "OAUTH2LOGIN_EXTERNAL_URL (else the request's Host header would decide "
                "where the server sends codes and secrets)",
                provider=name,
                key=config.relative_urls[0],
            )


def route_clashes(app: Flask) -> list[str]:
    """The app's own routes that clash with the extension's: the same path
    (whatever its variables are called) and a method in common, or a fixed
    path one of ours would answer (``/login/github``, github configured)."""
    ours = [rule for rule in app.url_map.iter_rules() if _is_ours(rule.endpoint)]
    if not ours:
        return []
    matcher = Map([Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods) for rule in ours])
    adapter = matcher.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        if _is_ours(rule.endpoint) or rule.endpoint == "static":
            continue
        methods = set(rule.methods or ()) - {"HEAD", "OPTIONS"}
        for mine in ours:
            common = methods & set(mine.methods or ())
            if common and _shape(rule.rule) == _shape(mine.rule):
                found.append(_clash(rule, mine, common))
                break
        else:
            if rule.arguments:
                continue
            for method in sorted(methods):
                try:
                    endpoint, values = adapter.match(rule.rule, method)
                except HTTPException:
                    continue
                mine = next(r for r in ours if r.endpoint == endpoint)
                if values.get("provider", "") in {"", *app.extensions[EXTENSION_KEY].providers}:
                    found.append(_clash(rule, mine, {method}))
                    break
    return found


def _is_ours(endpoint: str) -> bool:
    return endpoint.startswith("oauth2login.") or endpoint == "oauth2login_jwks"


def _shape(path: str) -> str:
    """*path* with its variables unnamed: ``/login/<provider>`` and
    ``/login/<string:name>`` are the same route."""
    return re.sub(r"<[^>]*>", "<>", path)


def _clash(rule: Rule, mine: Rule, methods: t.Collection[str]) -> str:
    shown = ", ".join(sorted(methods))
    return (
        f"the app's route {shown} {rule.rule} (view {rule.endpoint!r}) clashes with "
        f"flask-oauth2login's {mine.rule} ({mine.endpoint})"
    )


def _refuse_route_clashes(app: Flask) -> None:
    """:raises ConfigurationError: if the app has a route that clashes with ours."""
    clashes = route_clashes(app)
    if clashes:
        raise ConfigurationError(
            "; ".join(clashes) + ". Rename the app's route, or move the extension's routes "
            'under a prefix, e.g. OAUTH2LOGIN_URL_PREFIX = "/auth"',
            key="OAUTH2LOGIN_URL_PREFIX",
        )


class _ClashGuard:
    """Checks, at the first request, the routes the app added after
    ``init_app``; until they no longer clash, every request is refused with
    the :class:`ConfigurationError` that names them."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.checked = False

    def __call__(self) -> None:
        if self.checked:
            return
        try:
            _refuse_route_clashes(self.app)
        except ConfigurationError as exc:
            _log_refusal(self.app, exc)
            raise
        self.checked = True
