"""Checking the session store: what it is, whether it keeps a session, and
whether every process that serves the app shares it."""

from __future__ import annotations

import os
import re
import secrets
import typing as t

from flask import Flask, request
from werkzeug.http import parse_cookie

from ..errors import OAuth2LoginError
from ..login.hints import describe_store as describe_store
from ..sessions.engines.base import MACHINE as MACHINE
from ..sessions.engines.base import PROCESS as PROCESS
from ..sessions.engines.base import SHARED as SHARED
from .report import ERROR, INFO, OK, WARNING, Report

#: The session key the store probe writes, reads and deletes.
PROBE_KEY = "_oauth2login_probe"

#: Environment variables that tell how many worker processes serve the app.
_WORKER_VARIABLES = ("WEB_CONCURRENCY", "UWSGI_PROCESSES", "UWSGI_WORKERS")
_GUNICORN_WORKERS = re.compile(r"(?:^|\s)(?:-w|--workers)(?:=|\s+)?(\d+)")


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
    check_coordination(app, report, processes=processes)
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


def check_coordination(app: Flask, report: Report, *, processes: int | None) -> None:
    """How widely a token refresh is single-flight: across every process
    and machine (the session store's engine, or the token store), across
    the processes of one machine, or within one process only."""
    topic = "session store"
    app_state = app.extensions["oauth2login"]
    engine = app_state.session_engine
    description, sharing = engine.describe()
    scope = engine.coordination()
    store = app_state.token_store
    if scope != SHARED and store is not None and store.coordinator() is not None:
        report.add(
            OK,
            topic,
            "refresh is single-flight across the processes that share the token store "
            f"({store.describe()}).",
        )
    elif scope == SHARED:
        report.add(
            OK, topic, f"refresh is single-flight across processes and machines ({description})."
        )
    elif scope == MACHINE:
        report.add(
            OK if sharing != SHARED else WARNING,
            topic,
            f"refresh is single-flight across the processes of one machine ({description}).",
        )
    elif (
        sharing == SHARED
        or (processes is not None and processes >= 2)
        or (sharing is None and processes is None)  # a store of the app's own, maybe shared
    ):
        advice = (
            "set `OAUTH2LOGIN_TOKEN_STORE` to your database"
            if store is None
            else f"give the token store ({store.describe()}) a coordinator()"
        )
        report.add(
            ERROR,
            topic,
            f"refresh is single-flight within one process only on {description}; {advice} "
            "(or keep the sessions in Redis or SQL): a provider that rotates refresh tokens "
            "ends the logins that lose a race.",
        )
    else:
        report.add(INFO, topic, f"refresh is single-flight within this process ({description}).")


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
