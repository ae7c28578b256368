"""The benchmarks themselves; see :mod:`bench.run` for what they measure and how to run them."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import sys
import time
import typing as t
from urllib.parse import urlsplit

import requests
from flask import Flask

from bench.apps import (
    CLIENT_ID,
    CLIENT_SECRET,
    ROOT,
    Provider,
    authlib_app,
    login_with_test_client,
    our_app,
)
from bench.dpop import bench_dpop
from bench.filestore import bench_file_store
from bench.login_cost import bench_login_cost, report_login_cost
from bench.scaleout import login_load
from bench.stored import bench_stored_tokens
from flask_oauth2login import OAuth2Login
from tests.support.processes import Gunicorn
from tests.support.redis_server import REDIS_SERVER, RedisServer

APP = "tests.support.scaleout_app:create_app()"


# -- measuring ------------------------------------------------------------------------


def timed(operation: t.Callable[[], object], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        operation()
        samples.append(time.perf_counter() - start)
    return samples


def side_by_side(
    ours: t.Callable[[], object], baseline: t.Callable[[], object], *, count: int
) -> tuple[float, float]:
    """Medians (seconds) of *count* runs of *ours* and of *baseline*, taken
    alternately (ours, baseline, ours, ...) so that both see the same machine."""
    for _ in range(3):  # warm up: caches, connections
        ours(), baseline()
    mine: list[float] = []
    theirs: list[float] = []
    for _ in range(count):
        mine += timed(ours, 1)
        theirs += timed(baseline, 1)
    return statistics.median(mine), statistics.median(theirs)


# -- the apps under test (in this process) ------------------------------------------------


def bench_calls(
    provider: Provider, redis_server: RedisServer
) -> list[tuple[str, dict[str, float]]]:
    """Requests the provider serves per login, by path, after a warm-up login
    (discovery and keys are cached per process by both clients). The
    browser's visit to the authorization endpoint is left out: every login
    has it."""
    store = redis_server.client()
    browser = requests.Session()
    browser.trust_env = False
    logins = 20
    rows = []
    for name, app, start in (
        ("ours (fetch_userinfo: auto, the default)", our_app(provider, store), "/login/rogue"),
        ("Authlib Flask client, its defaults", authlib_app(provider, store), "/login"),
        ("ours, fetch_userinfo: True", our_app(provider, store, True), "/login/rogue"),
        ("Authlib + userinfo()", authlib_app(provider, store, userinfo=True), "/login"),
    ):
        login_with_test_client(app, start, browser)  # warm-up: discovery, keys
        before = provider.calls()
        for _ in range(logins):
            login_with_test_client(app, start, browser)
        served = provider.calls() - before
        del served["/authorize"]
        rows.append((name, {path: count / logins for path, count in sorted(served.items())}))
    store.close()
    return rows


# -- 1-3: side by side ------------------------------------------------------------------


def bench_side_by_side(provider: Provider, redis_server: RedisServer, quick: bool) -> list[tuple]:
    scale = 0.25 if quick else 1.0
    store = redis_server.client()
    ours = our_app(provider, store)
    theirs = authlib_app(provider, store)
    ours_userinfo = our_app(provider, store, fetch_userinfo=True)
    theirs_userinfo = authlib_app(provider, store, userinfo=True)
    browser = requests.Session()
    browser.trust_env = False
    rows = []

    login = side_by_side(
        lambda: login_with_test_client(ours, "/login/rogue", browser),
        lambda: login_with_test_client(theirs, "/login", browser),
        count=int(300 * scale),
    )
    rows.append(("login (start, provider, callback)", "Authlib, its defaults", *login, 0.85))
    login = side_by_side(
        lambda: login_with_test_client(ours_userinfo, "/login/rogue", browser),
        lambda: login_with_test_client(theirs_userinfo, "/login", browser),
        count=int(300 * scale),
    )
    rows.append(("login calling UserInfo too", "Authlib + userinfo()", *login, 1.0))

    client = ours.test_client()
    login_with_test_client_keeping(ours, client, browser)
    assert client.get("/private").status_code == 200
    guarded = side_by_side(
        lambda: client.get("/private"),
        lambda: client.get("/bare"),
        count=int(3000 * scale),
    )
    rows.append(("@login_required view", "the same view without it", *guarded, 1.1))

    oauth: OAuth2Login = ours.extensions["bench_oauth"]
    api_url = provider.issuer + "/api/me"
    plain = requests.Session()  # like oauth.session(): trust_env and all
    cookie = client.get_cookie("session").value
    with ours.test_request_context("/", headers={"Cookie": f"session={cookie}"}):
        bearer = {"Authorization": f"Bearer {oauth.token('rogue')['access_token']}"}

        def through_ours() -> None:
            response = oauth.session("rogue").get(api_url, timeout=10)
            assert response.status_code == 200

        def through_requests() -> None:
            response = plain.get(api_url, headers=bearer, timeout=10)
            assert response.status_code == 200

        api = side_by_side(through_ours, through_requests, count=int(2000 * scale))
    rows.append(("API call via oauth.session()", "pooled requests.Session", *api, 1.1))
    store.close()
    return rows


def login_with_test_client_keeping(app: Flask, client: t.Any, browser: requests.Session) -> None:
    response = client.get("/login/rogue")
    back = browser.get(response.headers["Location"], allow_redirects=False)
    callback = urlsplit(back.headers["Location"])
    assert client.get(f"{callback.path}?{callback.query}").status_code == 302


# -- 4: two gunicorn processes sharing Redis ---------------------------------------------


def bench_load(
    provider: Provider, redis_server: RedisServer, quick: bool
) -> list[tuple[int, int, float, float, float, int]]:
    env = {
        "SCALEOUT_REDIS_URL": redis_server.url,
        "SCALEOUT_METADATA_URL": provider.metadata_url,
        "SCALEOUT_CLIENT_ID": CLIENT_ID,
        "SCALEOUT_CLIENT_SECRET": CLIENT_SECRET,
        "SCALEOUT_SECRET_KEY": "bench",
        "SCALEOUT_EXTERNAL_URL": "http://app.test",
        "SCALEOUT_REDIS_TIMEOUT": "2",
    }
    duration = 2.0 if quick else 6.0
    rows = []
    with (
        Gunicorn(APP, env=env, threads=16, cwd=str(ROOT)) as a,
        Gunicorn(APP, env=env, threads=16, cwd=str(ROOT)) as b,
    ):
        a.wait_ready("/public")
        b.wait_ready("/public")
        for clients in (1, 8, 32):
            rows.append((clients, *load(a.url, b.url, clients, duration)))
    return rows


def load(a: str, b: str, clients: int, duration: float) -> tuple[int, float, float, float, int]:
    """Logins by *clients* concurrent browsers for *duration* seconds: how
    many, per second, their p50 and p99, and the errors."""
    latencies, errors, elapsed = login_load(a, b, clients, duration)
    ordered = sorted(latencies) or [float("nan")]
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return len(latencies), len(latencies) / elapsed, p50, p99, errors


# -- report -----------------------------------------------------------------------------


def report(
    calls: list[tuple[str, dict[str, float]]],
    side: list[tuple],
    loads: list[tuple],
    redis_version: str,
    took: float,
    sweep: tuple[int, float],
) -> None:
    print()
    print(
        f"flask-oauth2login benchmarks - Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, redis-server {redis_version}, provider: rogue on 127.0.0.1"
    )
    print()
    print("provider calls per login, counted at the provider (after a warm-up login;")
    print("the browser's visit to /authorize not counted)")
    header = f"{'client':42} {'calls':>5}  by endpoint"
    print(header)
    print("-" * (len(header) + 20))
    for name, by_path in calls:
        detail = ", ".join(f"{path} {count:g}" for path, count in by_path.items())
        print(f"{name:42} {sum(by_path.values()):>5g}  {detail}")
    print()
    header = f"{'measure':40} {'ours':>9} {'baseline':>9} {'ratio':>6} {'aim':>7}  baseline"
    print(header)
    print("-" * len(header))
    for name, baseline_name, mine, theirs, aim in side:
        ratio = mine / theirs
        verdict = "ok" if ratio <= aim else "MISSED"
        print(
            f"{name:40} {mine * 1e3:7.3f}ms {theirs * 1e3:7.3f}ms {ratio:6.2f} "
            f"{'<=' + format(aim, '.2f'):>7}  {baseline_name} ({verdict})"
        )
    print(
        f"one background sweep of expired sessions among {sweep[0]:,} on disk: "
        f"{sweep[1]:.2f} s (in a thread of its own, at most every five minutes)"
    )
    print()
    print("logins across two gunicorn processes sharing Redis (start on one, finish on the other)")
    header = f"{'clients':>7} {'logins':>7} {'logins/s':>9} {'p50':>9} {'p99':>9} {'errors':>6}"
    print(header)
    print("-" * len(header))
    for clients, count, rate, p50, p99, errors in loads:
        print(
            f"{clients:>7} {count:>7} {rate:>9.1f} {p50 * 1e3:>7.1f}ms {p99 * 1e3:>7.1f}ms "
            f"{errors:>6}"
        )
    print()
    print(f"(medians; the whole run took {took:.0f} s)")


def main(argv: t.Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmarks of flask-oauth2login.")
    parser.add_argument("--quick", action="store_true", help="fewer rounds, shorter load runs")
    parser.add_argument(
        "--steps", action="store_true", help="only time the steps of a login, ours and Authlib's"
    )
    parser.add_argument(
        "--login",
        action="store_true",
        help="only the cost of a login against Authlib's, with store writes per login",
    )
    # Taken by bench.run before this parser sees the arguments; listed for --help.
    parser.add_argument(
        "--scaleout",
        action="store_true",
        help="only logins/s and refreshes at 1, 8 and 32 clients on two workers, "
        "for Redis, Redis Cluster and PostgreSQL sessions",
    )
    args = parser.parse_args(argv)
    if args.login:
        report_login_cost(bench_login_cost(args.quick))
        return 0
    if REDIS_SERVER is None:
        print("redis-server is not installed (apt install redis-server)", file=sys.stderr)
        return 2
    if args.steps:
        from bench.steps import main as time_steps

        return time_steps(count=100 if args.quick else 300)

    began = time.perf_counter()
    with contextlib.ExitStack() as stack:
        provider = stack.enter_context(Provider())
        redis_server = stack.enter_context(RedisServer())
        probe = redis_server.client()
        redis_version = probe.info("server")["redis_version"]
        probe.close()
        print("measuring the cost of a login on a file store ...", flush=True)
        login_cost = bench_login_cost(args.quick)
        print("counting provider calls per login ...", flush=True)
        calls = bench_calls(provider, redis_server)
        print("measuring side by side ...", flush=True)
        side = bench_side_by_side(provider, redis_server, args.quick)
        print("measuring API calls with stored tokens ...", flush=True)
        stored_client = redis_server.client()
        side += bench_stored_tokens(provider.issuer, stored_client, side_by_side, args.quick)
        stored_client.close()
        print("measuring the embedded file store with many sessions on disk ...", flush=True)
        store_rows, sweep = bench_file_store(side_by_side, args.quick)
        side += store_rows
        print("measuring DPoP against none ...", flush=True)
        side += bench_dpop(side_by_side, redis_server, args.quick)
        print("measuring load on two gunicorn processes ...", flush=True)
        loads = bench_load(provider, redis_server, args.quick)
    report(calls, side, loads, redis_version, time.perf_counter() - began, sweep)
    report_login_cost(login_cost)
    return 0
