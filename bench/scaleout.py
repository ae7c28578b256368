"""Two gunicorn processes on each session store: logins per second, and
refreshes of one expired token by concurrent requests.

For one Redis (the baseline, measured in the same run), a three-master
Redis Cluster and PostgreSQL (Flask-Session's SQLAlchemy backend), two
gunicorn processes of :mod:`tests.support.scaleout_app` serve the app, and
at 1, 8 and 32 concurrent clients:

- **logins**: new visitors log in for a few seconds, each starting on one
  process and finishing on the other; logins per second and the median
  latency;
- **refreshes**: one logged-in browser's token expires, and that many
  requests of it, spread over both processes, call the provider's API at
  once; the median time of such a round, and the refreshes the provider
  saw per expired token (single-flight: exactly 1).

Each figure is given with its ratio to the one Redis server's. The provider
is the rogue provider of ``tests/support``, in this process (so that the
bench can expire its tokens); everything runs on 127.0.0.1.

Run with ``python bench/run.py --scaleout`` (``--quick`` for a smoke test).
It needs redis-server and redis-cli, PostgreSQL's ``initdb``, and the
``bench`` dependency group (``pip install -e . --group bench``).
"""

from __future__ import annotations

import contextlib
import secrets
import statistics
import sys
import threading
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import requests

from bench.apps import ROOT
from tests.support.postgres_server import BIN_DIR, PostgresServer
from tests.support.processes import Gunicorn
from tests.support.redis_cluster import RedisCluster
from tests.support.redis_server import REDIS_CLI, REDIS_SERVER, RedisServer
from tests.support.rogue_idp import RogueProvider

APP = "tests.support.scaleout_app:create_app()"
#: Concurrent clients.
LEVELS = (1, 8, 32)
#: The deployments' public base URL.
EXTERNAL_URL = "http://app.test"


def browser() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def log_in(session: requests.Session, start: str, finish: str) -> bool:
    response = session.get(start + "/login/rogue", allow_redirects=False, timeout=30)
    back = session.get(response.headers["Location"], allow_redirects=False, timeout=30)
    callback = urlsplit(back.headers["Location"])
    done = session.get(
        f"{finish}{callback.path}?{callback.query}", allow_redirects=False, timeout=30
    )
    return done.status_code == 302


def login_load(a: str, b: str, clients: int, duration: float) -> tuple[list[float], int, float]:
    """*clients* browsers logging in for *duration* seconds, each starting on
    one app and finishing on the other: the latencies of the logins that
    succeeded, the number that failed, and the seconds measured."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    stop = threading.Event()

    def loop(index: int) -> None:
        start, finish = (a, b) if index % 2 == 0 else (b, a)
        session = browser()
        barrier.wait()
        while not stop.is_set():
            session.cookies.clear()  # a new visitor each time
            began = time.perf_counter()
            try:
                ok = log_in(session, start, finish)
            except (requests.RequestException, KeyError):
                ok = False
            with lock:
                if ok:
                    latencies.append(time.perf_counter() - began)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    time.sleep(duration)
    stop.set()
    for thread in threads:
        thread.join()
    return latencies, errors[0], time.perf_counter() - began


def logins(a: str, b: str, clients: int, duration: float) -> tuple[float, float, int]:
    """Logins per second, median latency and errors, by *clients* browsers."""
    latencies, errors, elapsed = login_load(a, b, clients, duration)
    median = statistics.median(latencies) if latencies else float("nan")
    return len(latencies) / elapsed, median, errors


def refreshes(
    a: str, b: str, provider: RogueProvider, clients: int, rounds: int
) -> tuple[float, float, int]:
    """Median time of a round (*clients* requests of one session at once,
    its token just expired), refreshes per round, and failed requests."""
    session = browser()
    provider.behaviour.expires_in = 20  # within the app's refresh leeway
    assert log_in(session, a, b)
    provider.behaviour.expires_in = 3600
    times: list[float] = []
    failed = 0
    before = provider.calls["token:refresh_token"]
    bases = [a if i % 2 == 0 else b for i in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        for _ in range(rounds):
            provider.expire_access_tokens()
            barrier = threading.Barrier(clients)

            def call(base: str, barrier: threading.Barrier = barrier) -> int:
                barrier.wait()
                return session.get(
                    base + "/api/rogue", allow_redirects=False, timeout=30
                ).status_code

            began = time.perf_counter()
            statuses = list(pool.map(call, bases))
            times.append(time.perf_counter() - began)
            failed += sum(status != 200 for status in statuses)
    per_round = (provider.calls["token:refresh_token"] - before) / rounds
    return statistics.median(times), per_round, failed


@contextlib.contextmanager
def deployment(env: dict[str, str]) -> t.Iterator[tuple[str, str]]:
    # One after the other: Flask-Session creates its table at start-up.
    with Gunicorn(APP, env=env, threads=16, cwd=str(ROOT)) as a:
        a.wait_ready("/public")
        with Gunicorn(APP, env=env, threads=16, cwd=str(ROOT)) as b:
            b.wait_ready("/public")
            yield a.url, b.url


def measure(
    name: str, store_env: dict[str, str], provider: RogueProvider, quick: bool
) -> dict[str, t.Any]:
    env = {
        **store_env,
        "SCALEOUT_METADATA_URL": provider.metadata_url,
        "SCALEOUT_CLIENT_ID": provider.client_id,
        "SCALEOUT_CLIENT_SECRET": provider.client_secret,
        "SCALEOUT_SECRET_KEY": secrets.token_hex(32),
        "SCALEOUT_EXTERNAL_URL": EXTERNAL_URL,
        "SCALEOUT_API_URL": provider.issuer + "/api/me",
        "SCALEOUT_REDIS_TIMEOUT": "2",
    }
    print(f"measuring {name} ...", flush=True)
    results: dict[str, t.Any] = {"logins": {}, "refreshes": {}}
    with deployment(env) as (a, b):
        log_in(browser(), a, b)  # warm-up: discovery, keys, connections
        for clients in LEVELS:
            results["logins"][clients] = logins(a, b, clients, 1.0 if quick else 3.0)
            results["refreshes"][clients] = refreshes(a, b, provider, clients, 3 if quick else 10)
    return results


def report(results: dict[str, dict[str, t.Any]], baseline: str) -> None:
    print()
    print("two gunicorn processes per session store; ratios against one Redis server, same run")
    print()
    header = (
        f"{'store':22} {'clients':>7} {'logins/s':>9} {'ratio':>6} {'p50':>8} {'errors':>6}"
        f" | {'refresh round':>13} {'ratio':>6} {'refreshes':>9} {'failed':>6}"
    )
    print(header)
    print("-" * len(header))
    base = results[baseline]
    for name, found in results.items():
        for clients in LEVELS:
            rate, p50, errors = found["logins"][clients]
            took, per_round, failed = found["refreshes"][clients]
            base_rate = base["logins"][clients][0]
            base_took = base["refreshes"][clients][0]
            print(
                f"{name:22} {clients:>7} {rate:>9.1f} {rate / base_rate:>6.2f} "
                f"{p50 * 1e3:>6.1f}ms {errors:>6} | {took * 1e3:>11.1f}ms "
                f"{took / base_took:>6.2f} {per_round:>9.2f} {failed:>6}"
            )
    print()
    print("logins/s ratio: higher is better; refresh round ratio: lower is better;")
    print("refreshes: at the provider, per expired token (single-flight: 1.00)")


def main(argv: t.Sequence[str] = ()) -> int:
    quick = "--quick" in argv
    missing = [
        name
        for name, found in (
            ("redis-server", REDIS_SERVER),
            ("redis-cli", REDIS_CLI),
            ("PostgreSQL (initdb)", BIN_DIR),
        )
        if found is None
    ]
    if missing:
        print(f"not installed: {', '.join(missing)}", file=sys.stderr)
        return 2
    results: dict[str, dict[str, t.Any]] = {}
    with contextlib.ExitStack() as stack:
        provider = stack.enter_context(RogueProvider())
        redis_server = stack.enter_context(RedisServer())
        cluster = stack.enter_context(RedisCluster())
        postgres = stack.enter_context(PostgresServer())
        stores = {
            "Redis (baseline)": {
                "SCALEOUT_SESSIONS": "redis",
                "SCALEOUT_REDIS_URL": redis_server.url,
            },
            "Redis Cluster (3)": {
                "SCALEOUT_SESSIONS": "cluster",
                "SCALEOUT_CLUSTER_NODES": ",".join(cluster.nodes),
            },
            "PostgreSQL": {"SCALEOUT_SESSIONS": "sql", "SCALEOUT_DATABASE_URL": postgres.url},
        }
        for name, env in stores.items():
            results[name] = measure(name, env, provider, quick)
    report(results, "Redis (baseline)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
