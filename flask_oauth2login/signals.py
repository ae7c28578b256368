"""Signals sent by flask-oauth2login, in the manner of Flask's own.

Each signal is sent with the application as sender. Signals notify; to steer
a login, use the hooks on :class:`~flask_oauth2login.OAuth2Login`.
"""

from __future__ import annotations

import inspect
import typing as t

from blinker import NamedSignal, Namespace
from flask import Flask, current_app

_signals = Namespace()


class _GrownSignal(NamedSignal):
    """A signal that gained keyword arguments after its first release.

    Receivers written before an argument of :attr:`added` existed, without
    ``**kwargs``, are called without it, so they keep working.
    """

    def __init__(self, name: str, added: tuple[str, ...]) -> None:
        super().__init__(name)
        #: The keyword arguments added since the first release.
        self.added = added

    def send(  # type: ignore[override]
        self, sender: t.Any = None, /, **kwargs: t.Any
    ) -> list[tuple[t.Callable[..., t.Any], t.Any]]:
        if self.is_muted:
            return []
        results = []
        for receiver in self.receivers_for(sender):
            if inspect.iscoroutinefunction(receiver):
                raise RuntimeError("Cannot send to a coroutine function.")
            given = {k: v for k, v in kwargs.items() if k not in self.added or _takes(receiver, k)}
            results.append((receiver, receiver(sender, **given)))
        return results


def _takes(receiver: t.Callable[..., t.Any], name: str) -> bool:
    """Whether *receiver* accepts the keyword argument *name*."""
    try:
        parameters = inspect.signature(receiver).parameters.values()
    except (TypeError, ValueError):  # no signature to read: assume it does
        return True
    return any(p.kind is p.VAR_KEYWORD or p.name == name for p in parameters)


#: Sent after a successful login, with ``provider`` (the provider's name),
#: ``user`` (the normalized user mapping) and ``token`` (the token mapping).
logged_in = _signals.signal("oauth2login.logged-in")

#: Sent when a login fails for any reason, with ``provider`` and ``error``
#: (the :class:`~flask_oauth2login.errors.LoginError` raised).
login_failed = _signals.signal("oauth2login.login-failed")

#: Sent after a login ended, once per provider the session held a login for,
#: with ``provider`` and ``reason``: ``"logout"`` (``POST /logout``, or the
#: app's own Flask-Login ``logout_user()`` with the bridge), ``"backchannel"``
#: (the provider sent a logout token), ``"frontchannel"`` (the provider's
#: logout page called this app) or ``"replaced"`` (another person's login
#: in the same browser ended the earlier logins of the session). A
#: back-channel or front-channel logout arrives without the user's browser:
#: ``flask.session`` is not theirs then.
#: Receivers written without ``reason`` (and without ``**kwargs``) are
#: called without it.
logged_out = _signals["oauth2login.logged-out"] = _GrownSignal(
    "oauth2login.logged-out", added=("reason",)
)

#: Sent after one login of a session was disconnected (``POST
#: /disconnect/<provider>`` or ``oauth.disconnect(provider)``) while the
#: others stay, with ``provider``, ``user`` (the
#: :class:`~flask_oauth2login.User` of the login that ended) and ``revoked``
#: (whether the provider confirmed the revocation of its tokens).
disconnected = _signals.signal("oauth2login.disconnected")

#: Sent after an access token was refreshed, with ``provider`` and ``token``.
token_refreshed = _signals.signal("oauth2login.token-refreshed")


def current_sender() -> Flask:
    """The current app itself, not its proxy: the sender of every signal."""
    return current_app._get_current_object()  # type: ignore[attr-defined,no-any-return]
