"""Setting up the server-side session the tokens live in, and surviving its outages.

The app's own Flask-Session is used when it has one. Otherwise Flask-Session
is set up from the app's ``SESSION_*`` configuration, and when there is none,
with an embedded file-system store (cachelib) under the instance folder.

Either way the interface is guarded (:class:`GuardedSessionInterface`):

- **Store outages become 503s.** When the store (Redis) cannot be reached or
  does not answer in time, a request that needs the session is answered
  ``503 Service Unavailable`` with ``Retry-After`` (an HTML page, or JSON for
  JSON clients), never a 500. Nothing is written over the stored session and
  the cookie is left alone, so the login is still there when the store is back.
- **Visitors who are not logged in cost nothing lasting.** A session that
  holds nothing but pending logins is stored (and its cookie kept) only as
  long as a login may take (``OAUTH2LOGIN_LOGIN_TIMEOUT``), so anonymous
  traffic cannot fill the store; the embedded store
  (:mod:`~flask_oauth2login.sessions.files`) never evicts a session to make room.
- **An ended session stays ended.** Logging out (and logging in, which gives
  the session a new id) marks the old id as ended in the store before
  deleting it. A request of that session still running writes its session
  back and then looks for the mark: if it is there, it deletes what it wrote.
  Either it sees the mark, or its write came before the deletion, so no
  request that began before a logout can bring the login back, in any
  process.
- **Concurrent requests do not undo each other.** A request that loaded the
  session before another one of the same session refreshed a token, logged
  out or started a login does not write the old values of this extension's
  keys (``_oauth2login_*``) back at its end: keys it did not change itself are
  taken from the store at save time.
"""

from __future__ import annotations

import logging
import os
import pickle
import typing as t
import warnings
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app, jsonify, render_template, request, session
from flask.sessions import SessionMixin
from flask_session import Session
from flask_session.base import ServerSideSessionInterface
from werkzeug.wrappers import Response

from ..errors import ConfigurationError, SessionStoreUnavailable
from ..pages.locale import N_
from ..pages.messages import person_message
from ..pages.responses import protect, wants_json
from ..storage.imports import is_instance, loaded_class
from ..storage.redis import is_cluster

log = logging.getLogger(__name__)

#: The session keys of this extension start with this.
KEY_PREFIX = "_oauth2login_"
#: Seconds a client is asked to wait before retrying while the store is down.
RETRY_AFTER = 5
#: Session key of the pending logins (see :mod:`~flask_oauth2login.login.pending`).
PENDING_KEY = f"{KEY_PREFIX}pending"
#: Keys a session always has, which say nothing about a login.
_BOOKKEEPING_KEYS = frozenset(("_permanent",))
#: Seconds the mark of an ended session id is kept: longer than any request
#: that loaded the session before it ended can still be running.
ENDED_MARK_TTL = 3600


def setup_session(app: Flask, *, pending_lifetime: float) -> GuardedSessionInterface:
    """Make sure *app* keeps its sessions on the server; return the interface,
    guarded (its session engine, :func:`~flask_oauth2login.sessions.engines.engine_for`,
    completes it).

    :param pending_lifetime: seconds a session that holds only pending
        logins is kept (the login timeout).
    """
    interface = app.session_interface
    if not isinstance(interface, ServerSideSessionInterface):
        if type(interface).__name__ != "SecureCookieSessionInterface":
            raise ConfigurationError(
                f"the app's session interface {type(interface).__name__} does not keep "
                "sessions on the server; use Flask-Session (or leave the default in place "
                "and flask-oauth2login sets Flask-Session up)",
                key="SESSION_TYPE",
            )
        if app.config.get("SESSION_TYPE") in (None, "null"):
            app.config["SESSION_TYPE"] = "cachelib"
            app.config.setdefault("SESSION_CACHELIB", _embedded_store(app))
        elif app.config["SESSION_TYPE"] == "redis" and app.config.get("SESSION_REDIS") is None:
            raise ConfigurationError(
                "SESSION_TYPE is 'redis' but SESSION_REDIS is not set; set it to a "
                "redis.Redis client, e.g. redis.Redis.from_url('redis://localhost:6379/0', "
                "socket_timeout=1, socket_connect_timeout=1)",
                key="SESSION_REDIS",
            )
        elif app.config["SESSION_TYPE"] == "redis" and not is_instance(
            app.config["SESSION_REDIS"], ("redis", "Redis"), ("redis.cluster", "RedisCluster")
        ):
            raise ConfigurationError(
                "SESSION_REDIS must be a redis.Redis client (also one from "
                "redis.sentinel.Sentinel(...).master_for(...)) or a "
                f"redis.cluster.RedisCluster, not {type(app.config['SESSION_REDIS']).__name__}",
                key="SESSION_REDIS",
            )
        try:
            with warnings.catch_warnings():
                # Flask-Session warns, then swaps a client that is not a
                # redis.Redis (a RedisCluster) for one on localhost; the
                # configured one is put back right after.
                if is_cluster(app.config.get("SESSION_REDIS")):
                    warnings.filterwarnings("ignore", "No valid Redis", RuntimeWarning)
                Session(app)
        except (ValueError, TypeError) as exc:
            raise ConfigurationError(str(exc), key="SESSION_TYPE") from None
        interface = app.session_interface
        assert isinstance(interface, ServerSideSessionInterface)
    _keep_configured_client(app, interface)

    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        # Lax: sent on the top-level redirect back from the provider, not on
        # cross-site POSTs.
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    guard(interface)
    guarded = t.cast(GuardedSessionInterface, interface)
    guarded.pending_lifetime = timedelta(seconds=pending_lifetime)
    app.register_error_handler(SessionStoreUnavailable, unavailable_response)
    return guarded


def _keep_configured_client(app: Flask, interface: ServerSideSessionInterface) -> None:
    """Use the Redis Cluster client ``SESSION_REDIS`` names, which Flask-Session
    0.8 replaces with a ``redis.Redis()`` on localhost (it takes only a
    ``redis.Redis``)."""
    configured = app.config.get("SESSION_REDIS")
    redis_sessions = loaded_class("flask_session.redis", "RedisSessionInterface")
    if (
        redis_sessions is not None
        and isinstance(interface, redis_sessions)
        and is_cluster(configured)
        and t.cast(t.Any, interface).client is not configured
    ):
        t.cast(t.Any, interface).client = configured


def regenerate() -> None:
    """Give the current session a new id, keeping its data (no session fixation).

    :raises SessionStoreUnavailable: if the store is down.
    """
    interface = t.cast(GuardedSessionInterface, current_app.session_interface)
    with store_errors_as_unavailable(interface):
        interface.regenerate(_current_session())


def end() -> None:
    """End the current session: its id is dead for every request and process
    from now on, also for requests of it that are still running. The request
    goes on with a new id and whatever data the session holds now (clear it
    first to end everything).

    :raises SessionStoreUnavailable: if the store is down.
    """
    interface = t.cast(GuardedSessionInterface, current_app.session_interface)
    with store_errors_as_unavailable(interface):
        interface.end(_current_session())


# -- the guard -----------------------------------------------------------------


class GuardedSessionInterface(ServerSideSessionInterface):
    """Behaviour added to a Flask-Session interface; see the module docstring.

    :func:`guard` makes an interface an instance of a subclass of both its
    own class and this one, so it stays the same object, of its own class,
    with its own configuration.
    """

    #: Exceptions of this store that mean "unreachable or too slow"; the
    #: app's session engine sets them (see :mod:`~flask_oauth2login.sessions.engines`).
    store_errors: tuple[type[BaseException], ...] = (OSError,)
    #: How long a session holding only pending logins is kept.
    pending_lifetime: timedelta = timedelta(minutes=10)
    #: Called before each write of a session with the session, its store id
    #: and lifetime: keeps the logout index in step with the session's id
    #: and life (see :mod:`~flask_oauth2login.sessions.logout_index`).
    before_write: t.Callable[[t.Any, str, timedelta], None] | None = None

    def end(self, session: t.Any) -> None:
        """Mark the stored session *session* came from as ended, delete it,
        and give *session* a new id (see the module docstring).

        A session that held nothing but pending logins is only deleted: a
        request of it still running has no login to bring back.
        """
        loaded_sid, loaded = getattr(session, "_oauth2login_loaded", (None, {}))
        if loaded_sid is not None:
            store_id = self._get_store_id(loaded_sid)
            if set(loaded) <= {PENDING_KEY} and not _app_keys(session):
                self._delete_session(store_id)
            else:
                self.end_stored(store_id)
        session.sid = self._generate_sid(self.sid_length)
        session.modified = True

    def end_stored(self, store_id: str) -> None:
        """Mark the stored session *store_id* as ended, then delete it."""
        mark = self.session_class({"ended": True}, sid="")
        super()._upsert_session(timedelta(seconds=ENDED_MARK_TTL), mark, _ended_id(store_id))
        self._delete_session(store_id)

    def put_record(self, key: str, data: dict[str, t.Any], lifetime: timedelta) -> None:
        """Store *data* under *key* for *lifetime*, as the store keeps a session."""
        super()._upsert_session(lifetime, self.session_class(data, sid=""), key)

    def get_record(self, key: str) -> dict[str, t.Any] | None:
        """What :meth:`put_record` stored under *key* (or a stored session), if any."""
        return self._retrieve_session_data(key)  # type: ignore[no-any-return]

    def is_ended(self, store_id: str) -> bool:
        """Whether the stored session *store_id* was ended (within the last hour)."""
        return self._retrieve_session_data(_ended_id(store_id)) is not None

    def regenerate(self, session: t.Any) -> None:
        """Give *session* a new id; the old one is ended, not just deleted, so a
        request of it still running cannot bring it back."""
        if session:
            self.end(session)

    def get_expiration_time(self, app: Flask, session: t.Any) -> datetime | None:
        if session.permanent and _holds_only_pending(session):
            return datetime.now(UTC) + self.pending_lifetime
        return super().get_expiration_time(app, session)  # type: ignore[no-any-return]

    def open_session(self, app: Flask, request: t.Any) -> t.Any:
        try:
            opened = super().open_session(app, request)
        except self.store_errors as exc:
            log.warning("The session store is unavailable (%s); answering 503.", type(exc).__name__)
            return UnavailableSession()
        # What this extension's keys held when the request began, to tell at
        # the end which ones this request changed; the sid only if the
        # session came from the store.
        opened._oauth2login_loaded = (opened.sid if opened else None, _own_keys(opened))
        return opened

    def save_session(self, app: Flask, session: t.Any, response: Response) -> None:
        if isinstance(session, UnavailableSession):
            return  # never write over the stored session, keep the cookie
        try:
            super().save_session(app, session, response)
        except _SessionEnded:
            pass  # ended by a concurrent request (logout): leave it ended
        except self.store_errors + (SessionStoreUnavailable,) as exc:
            log.warning("Could not save the session (%s); answering 503.", type(exc).__name__)
            _become(response, unavailable_response(SessionStoreUnavailable(_OUTAGE_MESSAGE)))

    def _upsert_session(self, session_lifetime: t.Any, session: t.Any, store_id: str) -> None:
        loaded_sid, loaded = getattr(session, "_oauth2login_loaded", (None, {}))
        from_store = loaded_sid is not None and session.sid == loaded_sid
        if from_store:
            # Another request of this session may have refreshed the token,
            # logged out or started a login since this one began: of this
            # extension's keys, those this request did not change are taken
            # from the store.
            stored = self._retrieve_session_data(store_id)
            if stored is None:
                raise _SessionEnded
            for key in {*loaded, *(k for k in stored if k.startswith(KEY_PREFIX))}:
                if _fingerprint(dict.get(session, key, _MISSING)) != loaded.get(key):
                    continue  # changed by this request
                if key in stored:
                    dict.__setitem__(session, key, stored[key])
                else:
                    dict.pop(session, key, None)
            if not session:
                raise _SessionEnded
        if _holds_only_pending(session):
            # A visitor who is not logged in: kept only while a login may run.
            session_lifetime = min(session_lifetime, self.pending_lifetime)
        if self.before_write is not None:
            self.before_write(session, store_id, session_lifetime)
        super()._upsert_session(session_lifetime, session, store_id)
        if from_store and self.is_ended(store_id):
            # Ended (logged out) while this request ran, after the read above:
            # take back what was just written.
            self._delete_session(store_id)
            raise _SessionEnded

    def get_cookie_secure(self, app: Flask) -> bool:
        """Mark the session cookie ``Secure`` whenever the request came over HTTPS."""
        return bool(super().get_cookie_secure(app)) or request.is_secure


def guard(interface: ServerSideSessionInterface) -> None:
    """Add :class:`GuardedSessionInterface`'s behaviour to *interface* (once)."""
    if not isinstance(interface, GuardedSessionInterface):
        interface.__class__ = _guarded_class(type(interface))


#: Each session interface class to its guarded subclass, made once.
_GUARDED: dict[type, type[GuardedSessionInterface]] = {}


def _guarded_class(cls: type[ServerSideSessionInterface]) -> type[GuardedSessionInterface]:
    guarded = _GUARDED.get(cls)
    if guarded is None:
        guarded = _GUARDED[cls] = type(
            f"Guarded{cls.__name__}",
            (GuardedSessionInterface, cls),
            {"__module__": __name__},
        )
    return guarded


@contextmanager
def store_errors_as_unavailable(interface: t.Any) -> t.Iterator[None]:
    """Turn *interface*'s store errors into :class:`SessionStoreUnavailable`."""
    try:
        yield
    except getattr(interface, "store_errors", (OSError,)) as exc:
        log.warning("The session store is unavailable (%s).", type(exc).__name__)
        raise SessionStoreUnavailable(_OUTAGE_MESSAGE) from None


_MISSING = object()


def _current_session() -> t.Any:
    """The request's session object itself, not its proxy."""
    return session._get_current_object()  # type: ignore[attr-defined]


def _ended_id(store_id: str) -> str:
    return f"{store_id}:ended"


def _app_keys(data: dict[str, t.Any]) -> set[str]:
    """The keys of *data* that are neither this extension's nor bookkeeping."""
    # dict's own keys(): the session's would mark it accessed.
    return {k for k in dict.keys(data) if not k.startswith(KEY_PREFIX)} - _BOOKKEEPING_KEYS


def _holds_only_pending(data: dict[str, t.Any]) -> bool:
    """Whether *data* holds nothing but pending logins (nobody is logged in,
    and the app stored nothing of its own)."""
    keys = set(dict.keys(data)) - _BOOKKEEPING_KEYS  # dict's: not marked accessed
    return keys == {PENDING_KEY}


class _SessionEnded(Exception):
    """Raised inside a save to skip it: the stored session was deleted meanwhile."""


def _own_keys(data: dict[str, t.Any]) -> dict[str, bytes | None]:
    """Fingerprints of this extension's keys in *data*."""
    # dict methods, not the session's: those would mark it accessed.
    return {k: _fingerprint(v) for k, v in dict.items(data) if k.startswith(KEY_PREFIX)}


def _fingerprint(value: t.Any) -> bytes | None:
    """Equal for equal values (as far as this extension stores them); None if missing."""
    return None if value is _MISSING else pickle.dumps(value, protocol=5)


# -- while the store is down ---------------------------------------------------

_OUTAGE_MESSAGE = N_(
    "Sign-in is temporarily unavailable because the session store cannot be reached. "
    "Nothing was lost; please try again in a few seconds."
)


class UnavailableSession(SessionMixin):
    """Stands in for the session while the store is down.

    Requests that never touch the session are served as usual; touching it
    raises :class:`SessionStoreUnavailable`, answered with a 503. It is never
    saved, so the stored session and the cookie are left as they are.
    """

    modified = False
    accessed = False
    new = False

    def __getitem__(self, key: str) -> t.Any:
        raise SessionStoreUnavailable(_OUTAGE_MESSAGE)

    def __setitem__(self, key: str, value: t.Any) -> None:
        raise SessionStoreUnavailable(_OUTAGE_MESSAGE)

    def __delitem__(self, key: str) -> None:
        raise SessionStoreUnavailable(_OUTAGE_MESSAGE)

    def __iter__(self) -> t.Iterator[str]:
        raise SessionStoreUnavailable(_OUTAGE_MESSAGE)

    def __len__(self) -> int:
        raise SessionStoreUnavailable(_OUTAGE_MESSAGE)

    def __repr__(self) -> str:
        return "<UnavailableSession>"


def unavailable_response(error: SessionStoreUnavailable) -> Response:
    """The 503 answer while the store is down: JSON for JSON clients, else a page."""
    if wants_json():
        response = jsonify(error=error.error_code, message=error.message)
    else:
        try:
            page = render_template(
                "oauth2login/unavailable.html",
                message=person_message(error)[0],
                code=error.error_code,
            )
        except Exception:  # a page of the app's own that needs the session, say
            log.exception("Could not render the store-unavailable page.")
            page = error.message
        response = current_app.response_class(page, mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return protect(response)


def _become(response: Response, replacement: Response) -> None:
    """Turn *response* (already through ``after_request``) into *replacement*."""
    response.status_code = replacement.status_code
    response.headers = replacement.headers
    response.direct_passthrough = False
    response.set_data(replacement.get_data())


def _embedded_store(app: Flask) -> t.Any:
    from .files import SessionFileStore

    path = os.path.join(app.instance_path, "flask_session")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return SessionFileStore(path, mode=0o600)
