"""Where a login's time goes: the steps of ours and of Authlib's, timed.

``python bench/run.py --steps`` logs in alternately with both apps of
:mod:`bench.apps` and times the steps of each login by wrapping the
functions that do them (so it knows their names; they may move). Each
step's median is printed next to the whole login's; what no step covers is
Flask, the test client and the views themselves.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import statistics
import time
import typing as t

import requests

from bench.apps import Provider, authlib_app, login_with_test_client, our_app
from tests.support.redis_server import RedisServer

#: Seconds spent in each step so far, by step name.
_spent: collections.Counter[str] = collections.Counter()


def _timed(owner: t.Any, name: str, step: str) -> None:
    """Replace ``owner.name`` with a wrapper that adds its time to *step*."""
    function = getattr(owner, name)

    @functools.wraps(function)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            _spent[step] += time.perf_counter() - began

    setattr(owner, name, wrapper)


def _instrument(ours: t.Any, theirs: t.Any, browser: requests.Session) -> None:
    from authlib.integrations.base_client import sync_app, sync_openid
    from authlib.integrations.flask_client import apps

    from flask_oauth2login.login import code_flow, outcome
    from flask_oauth2login.protocol import provider

    _timed(browser, "get", "the browser at /authorize")
    _timed(code_flow, "start", "ours: start (authorization URL)")
    _timed(provider.Provider, "exchange_code", "ours: token request")
    _timed(provider.Provider, "check_id_token", "ours: ID token validation")
    _timed(outcome, "regenerate", "ours: new session id")
    _timed(ours.session_interface, "open_session", "ours: session load (x2)")
    _timed(ours.session_interface, "save_session", "ours: session save (x2)")
    _timed(apps.FlaskOAuth2App, "authorize_redirect", "Authlib: start (authorization URL)")
    _timed(sync_app.OAuth2Mixin, "fetch_access_token", "Authlib: token request")
    _timed(sync_openid.OpenIDMixin, "parse_id_token", "Authlib: ID token validation")
    _timed(theirs.session_interface, "open_session", "Authlib: session load (x2)")
    _timed(theirs.session_interface, "save_session", "Authlib: session save (x2)")


def main(count: int = 300) -> int:
    with contextlib.ExitStack() as stack:
        provider = stack.enter_context(Provider())
        redis_server = stack.enter_context(RedisServer())
        store = redis_server.client()
        browser = requests.Session()
        browser.trust_env = False
        sides = {
            "ours": (our_app(provider, store), "/login/rogue"),
            "Authlib": (authlib_app(provider, store), "/login"),
        }
        _instrument(sides["ours"][0], sides["Authlib"][0], browser)
        for app, start in sides.values():
            for _ in range(10):  # warm-up: discovery, keys, connections
                login_with_test_client(app, start, browser)
        steps: dict[str, dict[str, list[float]]] = {side: {} for side in sides}
        totals: dict[str, list[float]] = {side: [] for side in sides}
        for _ in range(count):
            for side, (app, start) in sides.items():
                before = dict(_spent)
                began = time.perf_counter()
                login_with_test_client(app, start, browser)
                totals[side].append(time.perf_counter() - began)
                for step, spent in _spent.items():
                    took = spent - before.get(step, 0.0)
                    if took:
                        steps[side].setdefault(step, []).append(took)
        store.close()

    print()
    print(f"the steps of a login, medians of {count} logins each (ms)")
    for side in sides:
        print()
        print(f"{side + ': the whole login':45} {statistics.median(totals[side]) * 1e3:7.3f}")
        for step, samples in sorted(steps[side].items()):
            print(f"  {step:43} {statistics.median(samples) * 1e3:7.3f}")
    return 0
