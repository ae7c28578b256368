"""Finding out why logins fail or get lost.

Two users of this module:

- ``flask oauth2login check`` runs :func:`check_app`: for each provider the
  redirect URI to register and whether discovery and keys are reachable and
  consistent; whether the session store works and is shared by the app's
  processes; and the cookie, host and secret-key settings that classically
  make a login get lost on its way back from the provider.
- The callback's error page, in debug mode, shows
  :func:`diagnose_missing_login`: why the login the provider's answer
  belongs to cannot be found in this session.

Nothing here prints a secret: findings name configuration keys, hosts and
URLs, never a client secret, token or session id.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import typing as t
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import jwt
from flask import Flask, current_app, request, session
from werkzeug.http import parse_cookie

from . import flow, login
from .client import ProviderClient, parse_json
from .errors import OAuth2LoginError
from .state import EXTENSION_KEY, AppState

#: Finding levels, from harmless to fatal.
OK = "ok"
INFO = "info"
WARNING = "warning"
ERROR = "error"

#: The session key the store probe writes, reads and deletes.
PROBE_KEY = "_oauth2login_probe"

#: How widely a session store is shared: by one process, the processes of one
#: machine, or any number of machines.
PROCESS, MACHINE, SHARED = "process", "machine", "shared"

#: Store class name (a Flask-Session interface, or the cachelib cache it
#: uses) to what it is and how widely it is shared.
_STORES: dict[str, tuple[str, str]] = {
    "RedisSessionInterface": ("Redis", SHARED),
    "MemcachedSessionInterface": ("Memcached", SHARED),
    "MongoDBSessionInterface": ("MongoDB", SHARED),
    "SqlAlchemySessionInterface": ("SQLAlchemy", SHARED),
    "DynamoDBSessionInterface": ("DynamoDB", SHARED),
    "FileSystemSessionInterface": ("files (Flask-Session filesystem)", MACHINE),
    "FileSystemCache": ("files (cachelib FileSystemCache)", MACHINE),
    "SimpleCache": ("process memory (cachelib SimpleCache)", PROCESS),
    "NullCache": ("nowhere (cachelib NullCache)", PROCESS),
    "UWSGICache": ("uWSGI cache (cachelib)", MACHINE),
    "RedisCache": ("Redis (cachelib RedisCache)", SHARED),
    "ValkeyCache": ("Valkey (cachelib ValkeyCache)", SHARED),
    "MemcachedCache": ("Memcached (cachelib MemcachedCache)", SHARED),
    "MongoDbCache": ("MongoDB (cachelib MongoDbCache)", SHARED),
    "DynamoDbCache": ("DynamoDB (cachelib DynamoDbCache)", SHARED),
}

#: SECRET_KEY values seen in examples and tutorials.
_PLACEHOLDER_KEYS = frozenset(
    (
        "...",
        "change-me",
        "changeme",
        "default",
        "dev",
        "development",
        "flask",
        "key",
        "password",
        "secret",
        "secret-key",
        "secret_key",
        "secretkey",
        "super-secret",
        "super secret key",
        "supersecret",
        "test",
        "testing",
        "xxx",
    )
)
_PLACEHOLDER_WORDS = re.compile(r"change|replace|your[-_ ]|example|placeholder|insecure")
#: Shortest SECRET_KEY that does not draw a warning (``secrets.token_hex()`` has 64).
MIN_SECRET_KEY_LENGTH = 24

#: Environment variables that tell how many worker processes serve the app.
_WORKER_VARIABLES = ("WEB_CONCURRENCY", "UWSGI_PROCESSES", "UWSGI_WORKERS")
_GUNICORN_WORKERS = re.compile(r"(?:^|\s)(?:-w|--workers)(?:=|\s+)?(\d+)")


@dataclass(frozen=True)
class Finding:
    """One result of a check."""

    #: :data:`OK`, :data:`INFO`, :data:`WARNING` or :data:`ERROR`.
    level: str
    #: What was checked, e.g. ``"provider 'github'"`` or ``"cookies"``.
    topic: str
    #: What was found, and what to do about it.
    message: str


@dataclass
class Report:
    """The findings of :func:`check_app`, in the order they were made."""

    findings: list[Finding] = field(default_factory=list)

    def add(self, level: str, topic: str, message: str) -> None:
        """Record a finding."""
        self.findings.append(Finding(level, topic, message))

    @property
    def errors(self) -> list[Finding]:
        """The findings that make a login fail."""
        return [f for f in self.findings if f.level == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        """The findings that may make a login fail."""
        return [f for f in self.findings if f.level == WARNING]

    def topics(self) -> dict[str, list[Finding]]:
        """The findings grouped by topic, topics in order of appearance."""
        grouped: dict[str, list[Finding]] = {}
        for finding in self.findings:
            grouped.setdefault(finding.topic, []).append(finding)
        return grouped


@dataclass(frozen=True)
class RedirectURI:
    """The redirect URI of one provider, and what decides it."""

    uri: str
    #: ``"redirect_uri"``, ``"OAUTH2LOGIN_EXTERNAL_URL"``, ``"SERVER_NAME"``,
    #: or ``None`` when it follows the host of each request.
    pinned_by: str | None


# -- the whole check -------------------------------------------------------------


def check_app(
    app: Flask,
    *,
    registered: t.Mapping[str, str] | None = None,
    processes: int | None = None,
    network: bool = True,
    environ: t.Mapping[str, str] | None = None,
) -> Report:
    """Check how *app* is set up for logging in; see the module docstring.

    :param registered: provider name to the redirect URI registered at the
        provider, to compare with the one the app sends.
    :param processes: how many processes serve the app; guessed from the
        environment (gunicorn, uWSGI, ``WEB_CONCURRENCY``) when ``None``.
    :param network: fetch each provider's discovery document and keys.
    :param environ: the environment to guess *processes* from.
    """
    state: AppState | None = app.extensions.get(EXTENSION_KEY)
    report = Report()
    if state is None:
        report.add(ERROR, "setup", "flask-oauth2login is not set up: call OAuth2Login(app).")
        return report
    registered = registered or {}
    for name in registered:
        if name not in state.clients:
            report.add(ERROR, "setup", f"--redirect-uri names no configured provider: {name!r}.")
    uris = {}
    for name in state.clients:
        uris[name] = redirect_uri(app, name)
        check_provider(app, name, uris[name], registered.get(name), report, network=network)
    check_session_store(app, report, processes=processes, environ=environ)
    check_cookies(app, list(uris.values()), report)
    check_secret_key(app, report)
    return report


# -- providers and redirect URIs --------------------------------------------------


def redirect_uri(app: Flask, provider: str) -> RedirectURI:
    """The redirect URI *app* sends for *provider*, as the login computes it.

    Without a pinned URI it follows each request's host; it is then shown
    for ``flask run``'s default address, ``http://127.0.0.1:5000``.
    """
    state: AppState = app.extensions[EXTENSION_KEY]
    config = state.clients[provider].config
    if config.redirect_uri is not None:
        pinned_by: str | None = "redirect_uri"
    elif state.settings.external_url is not None:
        pinned_by = "OAUTH2LOGIN_EXTERNAL_URL"
    elif app.config.get("SERVER_NAME"):
        pinned_by = "SERVER_NAME"
    else:
        pinned_by = None
    base = None if pinned_by else "http://127.0.0.1:5000/" + _app_root(app).lstrip("/")
    with app.test_request_context(base_url=base):
        return RedirectURI(login.redirect_uri(state, provider), pinned_by)


def app_origin(app: Flask) -> str | None:
    """Where the app says it lives (external URL or ``SERVER_NAME``), if it says."""
    state: AppState = app.extensions[EXTENSION_KEY]
    if state.settings.external_url is not None:
        return _origin(state.settings.external_url)
    if app.config.get("SERVER_NAME"):
        return f"{app.config['PREFERRED_URL_SCHEME']}://{app.config['SERVER_NAME']}"
    return None


def check_provider(
    app: Flask,
    name: str,
    uri: RedirectURI,
    registered: str | None,
    report: Report,
    *,
    network: bool = True,
) -> None:
    """Check one provider: its redirect URI, discovery and keys."""
    state: AppState = app.extensions[EXTENSION_KEY]
    client = state.clients[name]
    config = client.config
    topic = f"provider {name!r} ({config.title})"
    _check_redirect_uri(app, name, uri, registered, report, topic)
    if not network:
        report.add(INFO, topic, "discovery and keys not checked (--offline).")
        return
    if config.server_metadata_url is None and config.jwks_uri is None:
        report.add(INFO, topic, "plain OAuth 2.0 endpoints configured by hand: nothing to fetch.")
        return
    for url in (config.server_metadata_url, config.jwks_uri):
        if url is not None and url.startswith("/"):
            report.add(
                INFO,
                topic,
                f"discovery is served by this app ({url}); it is checked when the app runs.",
            )
            return
    with app.test_request_context():
        base = state.base_url()
    try:
        endpoints = client.endpoints(base)
    except OAuth2LoginError as exc:
        report.add(ERROR, topic, f"discovery failed: {exc.message}")
        return
    if config.server_metadata_url is not None:
        report.add(
            OK,
            topic,
            f"discovery reachable at {config.server_metadata_url}; issuer {endpoints.issuer}.",
        )
    if not config.is_oidc:
        return
    if endpoints.jwks_uri is None:
        report.add(ERROR, topic, "no jwks_uri: ID tokens of this provider cannot be checked.")
        return
    _check_jwks(client, endpoints.jwks_uri, endpoints.id_token_algorithms, report, topic)


def _check_redirect_uri(
    app: Flask, name: str, uri: RedirectURI, registered: str | None, report: Report, topic: str
) -> None:
    if uri.pinned_by is None:
        report.add(
            OK,
            topic,
            f"redirect URI to register: {uri.uri} when the app is browsed at "
            "http://127.0.0.1:5000; it follows the host and scheme of each request. Pin it "
            "with OAUTH2LOGIN_EXTERNAL_URL when the app has a public address.",
        )
    else:
        report.add(OK, topic, f"redirect URI to register: {uri.uri} (from {uri.pinned_by}).")
        if uri.pinned_by == "SERVER_NAME":
            report.add(
                INFO,
                topic,
                "with SERVER_NAME alone the scheme still follows each request: behind an "
                "HTTPS proxy use ProxyFix or set OAUTH2LOGIN_EXTERNAL_URL.",
            )

    if registered is not None and registered != uri.uri:
        level = ERROR if uri.pinned_by is not None else WARNING
        report.add(
            level,
            topic,
            f"the app sends {uri.uri} but {registered} is registered: the provider refuses "
            "the login (redirect_uri_mismatch). Register the former, or set "
            f"OAUTH2LOGIN_EXTERNAL_URL = {_origin(registered)!r} "
            "or this provider's redirect_uri.",
        )
    elif registered is not None:
        report.add(OK, topic, "the registered redirect URI matches.")

    parts = urlsplit(uri.uri)
    with app.test_request_context():
        callback_path = _callback_path(app, name)
    if uri.pinned_by == "redirect_uri" and parts.path != callback_path:
        report.add(
            WARNING,
            topic,
            f"the configured redirect_uri's path {parts.path} is not this app's callback "
            f"{callback_path}; the provider's answer does not reach the login unless a "
            "proxy rewrites the path.",
        )
    origin = app_origin(app)
    if uri.pinned_by == "redirect_uri" and origin and _origin(uri.uri) != origin:
        report.add(
            WARNING,
            topic,
            f"logins start at {origin} but the provider sends the browser back to "
            f"{_origin(uri.uri)}: the session cookie of one host is not sent to the other, "
            "and the login gets lost. Use the same host in both.",
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        report.add(
            WARNING,
            topic,
            f"the redirect URI is plain http on {parts.hostname}: most providers refuse it "
            "and the code travels in clear. Serve the app over https.",
        )


def _check_jwks(
    client: ProviderClient, uri: str, algorithms: t.Sequence[str], report: Report, topic: str
) -> None:
    try:
        # Through the client's own plumbing: proxies, deadline and size cap
        # as for a login.
        response = client._send("GET", uri, what="key set")
    except OAuth2LoginError as exc:
        report.add(ERROR, topic, f"keys (jwks_uri {uri}) unreachable: {exc}")
        return
    document = parse_json(response) if response.status_code == 200 else None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        report.add(
            ERROR,
            topic,
            f"keys (jwks_uri {uri}): HTTP {response.status_code}, not a JSON Web Key Set.",
        )
        return
    usable = []
    for data in keys:
        if (
            not isinstance(data, dict)
            or data.get("kty") == "oct"
            or data.get("use", "sig") != "sig"
        ):
            continue
        try:
            usable.append((data, jwt.PyJWK(data)))
        except jwt.PyJWTError:
            continue
    if not usable:
        report.add(ERROR, topic, f"keys (jwks_uri {uri}): no signing key this client can use.")
        return
    matching = [data for data, key in usable if _key_fits(data, algorithms)]
    if not matching:
        report.add(
            ERROR,
            topic,
            f"keys (jwks_uri {uri}): none fits the allowed algorithms {', '.join(algorithms)}.",
        )
        return
    kids = [data.get("kid") for data, _ in usable]
    duplicates = sorted({str(k) for k in kids if k is not None and kids.count(k) > 1})
    if duplicates:
        report.add(
            WARNING,
            topic,
            f"keys (jwks_uri {uri}): several keys share the kid {', '.join(duplicates)}.",
        )
    report.add(
        OK,
        topic,
        f"keys reachable at {uri}: {len(usable)} signing key(s) for {', '.join(algorithms)}.",
    )


#: JWK key type each family of algorithms needs.
_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


def _key_fits(jwk: t.Mapping[str, t.Any], algorithms: t.Sequence[str]) -> bool:
    if "alg" in jwk:
        return jwk["alg"] in algorithms
    return any(_KEY_TYPES.get(alg[:2]) == jwk.get("kty") for alg in algorithms)


# -- the session store ------------------------------------------------------------


def describe_store(app: Flask) -> tuple[str, str | None]:
    """What the app's session store is, and how widely it is shared
    (:data:`PROCESS`, :data:`MACHINE`, :data:`SHARED`, or ``None`` if unknown)."""
    interface = app.session_interface
    found: tuple[str, str] | None = None
    for cls in type(interface).__mro__:
        found = _STORES.get(cls.__name__)
        if found is not None:
            break
    cache = getattr(interface, "cache", None)
    if cache is not None:
        for cls in type(cache).__mro__:  # the embedded store is a FileSystemCache
            if cls.__name__ in _STORES:
                found = _STORES[cls.__name__]
                break
    if found is None:
        return type(interface).__name__, None
    label, sharing = found
    where = _store_location(interface, cache)
    return (f"{label} at {where}" if where else label), sharing


def _store_location(interface: t.Any, cache: t.Any) -> str | None:
    path = getattr(cache, "_path", None)
    if isinstance(path, str):
        return path
    client = getattr(interface, "client", None)
    pool = getattr(client, "connection_pool", None)
    kwargs = getattr(pool, "connection_kwargs", None)
    if isinstance(kwargs, dict) and "host" in kwargs:
        return f"{kwargs['host']}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
    return None


def detect_processes(environ: t.Mapping[str, str] | None = None) -> tuple[int, str] | None:
    """How many worker processes the environment says serve the app, and which
    variable said so; ``None`` when it does not say."""
    environ = os.environ if environ is None else environ
    found = _GUNICORN_WORKERS.search(environ.get("GUNICORN_CMD_ARGS", ""))
    if found:
        return int(found.group(1)), "GUNICORN_CMD_ARGS"
    for name in _WORKER_VARIABLES:
        value = environ.get(name, "").strip()
        if value.isdigit():
            return int(value), name
    return None


def check_session_store(
    app: Flask,
    report: Report,
    *,
    processes: int | None = None,
    environ: t.Mapping[str, str] | None = None,
) -> None:
    """Which store keeps the sessions, whether it works, and whether the
    app's processes share it."""
    topic = "session store"
    description, sharing = describe_store(app)
    report.add(OK, topic, f"sessions are kept in {description}.")
    problem = probe_store(app)
    if problem is None:
        report.add(OK, topic, "probe: a session was written, read back and deleted.")
    else:
        report.add(ERROR, topic, f"probe: {problem}")

    source = "--processes"
    if processes is None:
        detected = detect_processes(environ)
        if detected is not None:
            processes, source = detected
    if processes is None or processes < 2:
        if sharing == PROCESS:
            report.add(
                INFO,
                topic,
                "this store lives in the process: every restart logs everybody out, and it "
                "cannot serve more than one process.",
            )
        return
    if sharing == PROCESS:
        report.add(
            ERROR,
            topic,
            f"{processes} processes ({source}) but each has its own sessions: a login "
            "started in one is unknown to the others. Use Redis (SESSION_TYPE = 'redis').",
        )
    elif sharing == MACHINE:
        report.add(
            WARNING,
            topic,
            f"{processes} processes ({source}) share this store only on one machine (and "
            "only if they see the same directory); several machines or containers need "
            "Redis (SESSION_TYPE = 'redis').",
        )


def probe_store(app: Flask) -> str | None:
    """Write, read and delete a session through the app's session interface.

    :returns: ``None`` if all three worked, else what went wrong.
    """
    interface: t.Any = app.session_interface  # a Flask-Session interface
    name = app.config["SESSION_COOKIE_NAME"]
    value = secrets.token_urlsafe(16)
    try:
        with app.test_request_context():
            written = interface.open_session(app, request)
            written[PROBE_KEY] = value
            response = app.response_class()
            interface.save_session(app, written, response)
        cookie = _cookie_value(response, name)
        if cookie is None:
            return "writing a session set no session cookie."
        headers = {"Cookie": f"{name}={cookie}"}
        with app.test_request_context(headers=headers):
            read = interface.open_session(app, request)
            if read.get(PROBE_KEY) != value:
                return "a session written to the store could not be read back."
            read.clear()
            interface.save_session(app, read, app.response_class())
        with app.test_request_context(headers=headers):
            if interface.open_session(app, request).get(PROBE_KEY) is not None:
                return "a session deleted from the store could still be read."
    except OAuth2LoginError as exc:
        return exc.message
    except Exception as exc:  # the store may fail in any way of its own
        return f"the store failed: {type(exc).__name__}."
    return None


def _cookie_value(response: t.Any, name: str) -> str | None:
    for header in response.headers.getlist("Set-Cookie"):
        value = parse_cookie(header).get(name)
        if value:
            return value
    return None


# -- cookies, hosts and the secret key -------------------------------------------------


def check_cookies(app: Flask, uris: t.Sequence[RedirectURI], report: Report) -> None:
    """The session cookie settings that make the browser drop or withhold it."""
    topic = "session cookie"
    config = app.config
    samesite = config.get("SESSION_COOKIE_SAMESITE")
    secure = bool(config.get("SESSION_COOKIE_SECURE"))
    samesite_text = str(samesite).lower() if samesite else "none set"
    problems = len(report.errors) + len(report.warnings)

    if samesite_text == "strict":
        report.add(
            ERROR,
            topic,
            "SESSION_COOKIE_SAMESITE is 'Strict': browsers withhold the cookie on the "
            "provider's redirect back, so every login is lost. Use 'Lax'.",
        )
    elif samesite_text == "none" and not secure:
        report.add(
            ERROR,
            topic,
            "SESSION_COOKIE_SAMESITE is 'None' without SESSION_COOKIE_SECURE: browsers "
            "refuse such a cookie. Use 'Lax' (or make the cookie Secure).",
        )
    elif samesite_text == "none":
        report.add(
            INFO,
            topic,
            "SESSION_COOKIE_SAMESITE is 'None': the cookie goes along with cross-site "
            "requests too; 'Lax' is enough for logins.",
        )

    for uri in uris:
        parts = urlsplit(uri.uri)
        host = parts.hostname or ""
        if secure and parts.scheme == "http" and uri.pinned_by is not None:
            # With SERVER_NAME the scheme still follows the request.
            sure = uri.pinned_by != "SERVER_NAME" and not _is_loopback(host)
            report.add(
                ERROR if sure else WARNING,
                topic,
                f"SESSION_COOKIE_SECURE is on but the redirect URI {uri.uri} is http: "
                "browsers keep Secure cookies away from http pages"
                + (" (some allow them on localhost)" if _is_loopback(host) else "")
                + ", and the login is lost"
                + (
                    " (set PREFERRED_URL_SCHEME = 'https' if the app is served over https)."
                    if uri.pinned_by == "SERVER_NAME"
                    else "."
                ),
            )
        elif secure and uri.pinned_by is None and parts.scheme == "http":
            report.add(
                INFO,
                topic,
                "SESSION_COOKIE_SECURE is on: logins work only when the app is reached over https.",
            )
        domain = config.get("SESSION_COOKIE_DOMAIN")
        if domain and uri.pinned_by and not _domain_matches(host, str(domain)):
            report.add(
                ERROR,
                topic,
                f"SESSION_COOKIE_DOMAIN is {domain!r}, which does not cover the redirect "
                f"URI's host {host}: the cookie is not sent to the callback.",
            )
        path = config.get("SESSION_COOKIE_PATH") or _app_root(app)
        if not parts.path.startswith(path.rstrip("/") + "/") and parts.path != path:
            report.add(
                ERROR,
                topic,
                f"the session cookie's path {path} does not cover the callback "
                f"{parts.path}: the cookie is not sent to it.",
            )

    state: AppState = app.extensions[EXTENSION_KEY]
    lifetime = app.permanent_session_lifetime.total_seconds()
    if lifetime < state.settings.login_timeout:
        report.add(
            WARNING,
            topic,
            f"PERMANENT_SESSION_LIFETIME ({lifetime:g} s) is shorter than "
            f"OAUTH2LOGIN_LOGIN_TIMEOUT ({state.settings.login_timeout} s): slow logins "
            "outlive their session.",
        )
    if len(report.errors) + len(report.warnings) == problems:
        report.add(
            OK, topic, f"SameSite={samesite or 'Lax'}, Secure={'on' if secure else 'on https'}."
        )


def check_secret_key(app: Flask, report: Report) -> None:
    """A missing, short or placeholder ``SECRET_KEY``."""
    topic = "secret key"
    key = app.config.get("SECRET_KEY")
    signer = bool(app.config.get("SESSION_USE_SIGNER"))
    if not key:
        report.add(
            ERROR if signer else WARNING,
            topic,
            "SECRET_KEY is not set"
            + (": SESSION_USE_SIGNER cannot sign session ids." if signer else ".")
            + " Set it to a long random value, e.g. from python -c "
            "'import secrets; print(secrets.token_hex())', the same in every process.",
        )
        return
    text = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
    if text.strip().lower() in _PLACEHOLDER_KEYS or _PLACEHOLDER_WORDS.search(text.lower()):
        report.add(
            WARNING,
            topic,
            "SECRET_KEY looks like a placeholder: set a long random value in production.",
        )
    elif len(text) < MIN_SECRET_KEY_LENGTH or len(set(text)) < 8:
        report.add(
            WARNING,
            topic,
            f"SECRET_KEY is short or repetitive ({len(text)} characters); use at least "
            f"{MIN_SECRET_KEY_LENGTH} random ones.",
        )
    else:
        report.add(OK, topic, "SECRET_KEY is set and looks random.")


# -- a callback whose login is missing ------------------------------------------------


def diagnose_missing_login() -> str:
    """Why the login the current callback answers cannot be found, in short.

    Call it while handling the callback request. It tells apart: no session
    cookie came with the request (a SameSite, Secure, domain or host
    problem), the cookie came but its session is unknown here (a store not
    shared between processes, or one that lost it), and the session is
    known but holds no such login (already used, expired, or started
    elsewhere).
    """
    app = current_app
    if not request.values.get("state"):
        return (
            "The request carries no state, so it cannot belong to a login started here: "
            "it did not come from the provider's redirect (a bookmark, a reload of a "
            "stripped URL, or a provider that drops the state)."
        )
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = request.cookies.get(name)
    if not cookie:
        return _no_cookie_hint(app, name)
    if not _session_is_known(cookie):
        description, _ = describe_store(app)
        return (
            f"A session cookie ({name!r}) came with this request, but this server does "
            "not know its session. Likely: the session store is not shared between the "
            f"app's processes or servers (this app keeps sessions in {description}), it "
            "lost the session (a restart of an in-memory store, or the session expired), "
            "or SECRET_KEY differs between processes (with SESSION_USE_SIGNER)."
        )
    state: AppState = app.extensions[EXTENSION_KEY]
    pending = session.get(flow.SESSION_KEY) or {}
    others = "" if not pending else f" ({len(pending)} other login(s) are in progress)"
    return (
        f"Your session is known, but it holds no login this answer belongs to{others}. "
        "Likely: the answer was already used (reloading the callback or going back "
        "replays it), the login took longer than OAUTH2LOGIN_LOGIN_TIMEOUT "
        f"({state.settings.login_timeout} s), it was started in another browser, or "
        f"newer logins in other tabs pushed it out (at most "
        f"{state.settings.max_pending_logins} are kept)."
    )


def _no_cookie_hint(app: Flask, name: str) -> str:
    config = app.config
    samesite = str(config.get("SESSION_COOKIE_SAMESITE") or "").lower()
    secure = bool(config.get("SESSION_COOKIE_SECURE"))
    domain = config.get("SESSION_COOKIE_DOMAIN")
    host = request.host.partition(":")[0]
    causes = []
    if samesite == "strict":
        causes.append(
            "SESSION_COOKIE_SAMESITE is 'Strict', so the browser withholds the cookie on the "
            "provider's redirect back; use 'Lax'"
        )
    if samesite == "none" and not secure:
        causes.append("SESSION_COOKIE_SAMESITE is 'None' without Secure, which browsers refuse")
    if secure and not request.is_secure:
        causes.append(
            "SESSION_COOKIE_SECURE is on but this request came over http, so the browser "
            "does not send the cookie (behind an HTTPS proxy, use ProxyFix)"
        )
    if domain and not _domain_matches(host, str(domain)):
        causes.append(f"SESSION_COOKIE_DOMAIN is {domain!r}, which does not cover {host}")
    if request.method == "POST":
        causes.append("the provider posted its answer from another site (form_post)")
    causes.append(
        f"the login started on another host than this callback's ({request.host}), e.g. "
        "localhost and 127.0.0.1, or www and the bare domain: register the redirect URI "
        "with the host you browse, or pin it with OAUTH2LOGIN_EXTERNAL_URL"
    )
    causes.append("the browser blocks cookies for this site")
    return (
        f"No session cookie ({name!r}) came with this request, so the login started in "
        "this browser cannot be found. Likely: " + "; or ".join(causes) + "."
    )


def _session_is_known(cookie: str) -> bool:
    """Whether the session was loaded from the store (not made anew for an
    unknown cookie)."""
    sid = getattr(session, "sid", None)
    if not isinstance(sid, str):
        return bool(session)
    return cookie == sid or cookie.startswith(sid + ".")


# -- small helpers -------------------------------------------------------------------------


def _callback_path(app: Flask, provider: str) -> str:
    from flask import url_for

    return url_for("oauth2login.callback", provider=provider)


def _app_root(app: Flask) -> str:
    return str(app.config.get("APPLICATION_ROOT") or "/")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _domain_matches(host: str, domain: str) -> bool:
    domain = domain.lstrip(".").lower()
    host = host.lower()
    return host == domain or host.endswith("." + domain)
