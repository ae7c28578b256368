"""Flask-Login integration: apps that use Flask-Login keep their ``current_user``.

After each completed login, :class:`FlaskLoginBridge` asks the app's
*account loader* which of the app's users the login belongs to and logs
that user in with :func:`flask_login.login_user`; when the extension logs
out (``POST /logout``), it calls :func:`flask_login.logout_user`, and
``logout_user()`` called by the app also ends the extension's login. When
the provider ends the login (a back-channel logout), the whole session is
deleted, Flask-Login's user with it: the browser's next request is not
logged in (unless Flask-Login's remember-me cookie, see *remember*, brings
the user back)::

    from flask_login import LoginManager
    from flask_oauth2login import OAuth2Login
    from flask_oauth2login.contrib.flask_login import FlaskLoginBridge

    login_manager = LoginManager(app)
    oauth = OAuth2Login(app)
    bridge = FlaskLoginBridge(oauth, app)

    @login_manager.user_loader
    def load_user(user_id):
        return db.session.get(Account, int(user_id))

    @bridge.account_loader
    def account_for(issuer, subject, user, current):
        identity = db.session.scalar(
            select(Identity).filter_by(issuer=issuer, subject=subject)
        )
        if identity is not None:           # known: its account
            return identity.account
        if current is not None:            # logged in already: link to that account
            db.session.add(Identity(issuer=issuer, subject=subject, account=current))
            db.session.commit()
            return current
        account = Account(name=user.name)  # someone new (never matched by e-mail)
        db.session.add_all([account, Identity(issuer=issuer, subject=subject, account=account)])
        db.session.commit()
        return account

Disconnecting one of the session's logins (``POST /disconnect/<provider>``,
``oauth.disconnect(provider)``) calls the bridge's *unlink* hook, so the app
can take that identity off the account, which stays logged in::

    @bridge.on_disconnect
    def unlink(issuer, subject, user, current):
        db.session.execute(
            delete(Identity).filter_by(issuer=issuer, subject=subject, account=current)
        )
        db.session.commit()

Accounts are keyed by (issuer, subject), never by e-mail: the same address
at two providers may belong to two people, and a provider may hand out an
address it never verified. A second provider joins an account only while
that account is logged in, because the loader receives it as *current*;
and only when the login was started from this site (a ``POST`` to
``/login/<provider>``, or a link of this site) or the person confirmed it on
the connect page: a login another site started gets ``current=None``, so no
other site can link an identity to someone's account (see
:mod:`flask_oauth2login.login.outcome`).
"""

from __future__ import annotations

import typing as t

import flask_login  # type: ignore[import-untyped]
from flask import Flask, current_app, has_request_context, session

from ..errors import ConfigurationError, LoginError
from ..login import outcome
from ..signals import disconnected, logged_out
from ..tokens import logins

if t.TYPE_CHECKING:  # pragma: no cover
    from ..extension import OAuth2Login
    from ..user import User

__all__ = ["AccountLoader", "AccountRefused", "DisconnectHook", "FlaskLoginBridge"]

#: Key under ``app.extensions``.
EXTENSION_KEY = "oauth2login_flask_login"

#: Maps a completed login to the app's user: called with the issuer, the
#: subject, the :class:`~flask_oauth2login.User` and the app user logged in
#: before this login when the login may be linked to it (started from this
#: site, or confirmed), else ``None``; returns the app user to log in, or
#: ``None`` to refuse the login.
AccountLoader = t.Callable[[str, str, "User", t.Any], t.Any]

#: Called after one login of the session was disconnected, with its issuer,
#: subject, :class:`~flask_oauth2login.User` and the app user logged in (or
#: ``None``): takes that identity off the app user's account. Its return
#: value is ignored.
DisconnectHook = t.Callable[[str, str, "User", t.Any], t.Any]


class AccountRefused(LoginError):
    """The app has no account for this login, or the account is inactive."""

    status_code = 403
    error_code = "account_refused"


class FlaskLoginBridge:
    """Log the app's own user in and out with Flask-Login along with each login.

    :param oauth: the :class:`~flask_oauth2login.OAuth2Login` instance.
    :param app: the app, or ``None`` to call :meth:`init_app` later. It must
        have Flask-Login's ``LoginManager`` set up (with a ``user_loader``).
    :param account_loader: the :data:`AccountLoader`; or set it with the
        :meth:`account_loader` decorator.
    :param remember: passed to :func:`flask_login.login_user`: also set
        Flask-Login's remember-me cookie (which outlives the server-side
        session and so the extension's tokens).
    """

    def __init__(
        self,
        oauth: OAuth2Login,
        app: Flask | None = None,
        *,
        account_loader: AccountLoader | None = None,
        remember: bool = False,
    ) -> None:
        self._account_loader = account_loader
        self._disconnect_hook: DisconnectHook | None = None
        #: Whether logins set Flask-Login's remember-me cookie.
        self.remember = remember
        oauth.on_login(self._on_login)
        # Weak references: the hook registered above keeps the bridge alive
        # as long as the extension object.
        logged_out.connect(self._on_logged_out)
        disconnected.connect(self._on_disconnected)
        flask_login.user_logged_out.connect(self._on_flask_login_logout)
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Bridge the logins of *app*.

        :raises ConfigurationError: if the app has no Flask-Login ``LoginManager``.
        """
        if getattr(app, "login_manager", None) is None:
            raise ConfigurationError(
                "set up Flask-Login first: LoginManager(app), with a user_loader",
                key="login_manager",
            )
        app.extensions[EXTENSION_KEY] = self

    def account_loader(self, loader: AccountLoader) -> AccountLoader:
        """Set the :data:`AccountLoader`, as a decorator."""
        self._account_loader = loader
        return loader

    def on_disconnect(self, hook: DisconnectHook) -> DisconnectHook:
        """Set the :data:`DisconnectHook`, as a decorator."""
        self._disconnect_hook = hook
        return hook

    def _bridges(self, app: Flask) -> bool:
        return app.extensions.get(EXTENSION_KEY) is self

    def _on_login(self, provider: str, user: User, token: t.Mapping[str, t.Any]) -> None:
        if not self._bridges(current_app):
            return
        if self._account_loader is None:
            raise ConfigurationError("FlaskLoginBridge has no account loader; set one.")
        current = flask_login.current_user
        before = None
        if outcome.linking() and current.is_authenticated:
            before = current._get_current_object()
        issuer, subject = user.id
        account = self._account_loader(issuer, subject, user, before)
        if account is None:
            raise AccountRefused("There is no account here for this login.", provider=provider)
        if not flask_login.login_user(account, remember=self.remember):
            raise AccountRefused("This account is disabled.", provider=provider)

    def _on_logged_out(self, app: Flask, **kwargs: t.Any) -> None:
        # Sent once per provider by POST /logout; log out once. Sent too for
        # the logins a fresh login ended, whose own hook logged its user in.
        # A logout the provider sends (back-channel, front-channel) runs in
        # the provider's request, not the user's: it deleted the user's whole
        # session, with Flask-Login's user id in it.
        if outcome.linking() is not None or kwargs.get("reason", "logout") != "logout":
            return
        if self._bridges(app) and has_request_context() and "_user_id" in session:
            flask_login.logout_user()

    def _on_disconnected(self, app: Flask, **kwargs: t.Any) -> None:
        # One login ended, the others stay: so does the app's user.
        user = kwargs.get("user")
        if self._disconnect_hook is None or user is None or not self._bridges(app):
            return
        current = flask_login.current_user
        account = current._get_current_object() if current.is_authenticated else None
        issuer, subject = user.id
        self._disconnect_hook(issuer, subject, user, account)

    def _on_flask_login_logout(self, app: Flask, **kwargs: t.Any) -> None:
        # The app called logout_user(): end the extension's login too (no
        # revocation; POST /logout revokes).
        if not (self._bridges(app) and has_request_context()):
            return
        for provider in logins.forget():
            logged_out.send(app, provider=provider, reason="logout")
