"""The cost of a login: ours against Authlib's Flask client, and the session
store writes of each.

Both apps keep their sessions in the same kind of Flask-Session store, a
cachelib ``FileSystemCache`` (each in a folder of its own), and log in at
the same provider, whose ID token carries every claim (so neither calls
UserInfo). The provider advertises no back-channel logout, as in the
measurement this reproduces; a second count shows the writes of a login at
a provider that does (its logins are filed in the logout index, which a
logout token needs).

Logins are timed in rounds, alternately (ours, Authlib's, ours, ...); each
round gives a ratio of medians, and the login ratio is the median of the
rounds' ratios. Store writes per login are counted at the cache: every
``set`` (a session, or an index entry) is a write; deletions are counted
apart.
"""

from __future__ import annotations

import collections
import contextlib
import statistics
import tempfile
import time
import typing as t

import requests
from cachelib import FileSystemCache

from bench.apps import Provider, authlib_app, login_with_test_client, our_app

#: Rounds of alternating logins, and logins per side in each round.
ROUNDS = 5
LOGINS_PER_ROUND = 60
#: Discovery changes that leave back-channel logout out.
NO_LOGOUT_TOKENS = {
    "backchannel_logout_supported": False,
    "backchannel_logout_session_supported": False,
}


class CountedCache(FileSystemCache):
    """A ``FileSystemCache`` that counts its writes and deletions."""

    def __init__(self, path: str) -> None:
        super().__init__(path, threshold=0)
        self.counts: collections.Counter[str] = collections.Counter()

    def set(self, key: str, *args: t.Any, **kwargs: t.Any) -> bool:
        self.counts["writes"] += 1
        return bool(super().set(key, *args, **kwargs))

    def delete(self, key: str) -> bool:
        self.counts["deletions"] += 1
        return bool(super().delete(key))


def per_login(
    app: t.Any, start: str, cache: CountedCache, browser: requests.Session, logins: int = 20
) -> dict[str, float]:
    """Store writes and deletions per login of *app*, after a warm-up login."""
    login_with_test_client(app, start, browser)
    before = collections.Counter(cache.counts)
    for _ in range(logins):
        login_with_test_client(app, start, browser)
    done = cache.counts - before
    return {kind: done[kind] / logins for kind in ("writes", "deletions")}


def bench_login_cost(quick: bool) -> dict[str, t.Any]:
    """The login ratio against Authlib (the median of the rounds' ratios,
    and each round's), and store writes per login of each side."""
    per_round = LOGINS_PER_ROUND // 3 if quick else LOGINS_PER_ROUND
    browser = requests.Session()
    browser.trust_env = False
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        provider = stack.enter_context(Provider(metadata=NO_LOGOUT_TOKENS))
        ours_cache = CountedCache(f"{folder}/ours")
        theirs_cache = CountedCache(f"{folder}/authlib")
        ours = our_app(provider, ours_cache)
        theirs = authlib_app(provider, theirs_cache)
        writes = {
            "ours": per_login(ours, "/login/rogue", ours_cache, browser),
            "Authlib": per_login(theirs, "/login", theirs_cache, browser),
        }
        for _ in range(5):  # warm-up: discovery, keys, connections
            login_with_test_client(ours, "/login/rogue", browser)
            login_with_test_client(theirs, "/login", browser)
        rounds = []
        for number in range(ROUNDS):
            mine: list[float] = []
            others: list[float] = []
            for _ in range(per_round):
                pair = [
                    (mine, lambda: login_with_test_client(ours, "/login/rogue", browser)),
                    (others, lambda: login_with_test_client(theirs, "/login", browser)),
                ]
                for samples, login in pair if number % 2 == 0 else reversed(pair):
                    began = time.perf_counter()
                    login()
                    samples.append(time.perf_counter() - began)
            rounds.append((statistics.median(mine), statistics.median(others)))
        filed_cache = CountedCache(f"{folder}/filed")
        filed_provider = stack.enter_context(Provider())  # advertises back-channel logout
        filed = per_login(
            our_app(filed_provider, filed_cache), "/login/rogue", filed_cache, browser
        )
    ratios = [mine / theirs for mine, theirs in rounds]
    return {
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "ours_ms": statistics.median(m for m, _ in rounds) * 1e3,
        "authlib_ms": statistics.median(a for _, a in rounds) * 1e3,
        "writes": writes,
        "writes_filed": filed,
        "logins_per_round": per_round,
    }


def report_login_cost(found: t.Mapping[str, t.Any], aim: float = 0.85) -> None:
    """Print what :func:`bench_login_cost` found."""
    ratio = found["ratio"]
    verdict = "ok" if ratio <= aim else "MISSED"
    rounds = ", ".join(f"{r:.2f}" for r in found["ratios"])
    print()
    print(
        f"the cost of a login on a Flask-Session file store (cachelib FileSystemCache), "
        f"{len(found['ratios'])} alternating rounds of {found['logins_per_round']} logins a side"
    )
    print(
        f"  login ratio, ours / Authlib's: {ratio:.2f} (aim <= {aim:.2f}, {verdict}); "
        f"rounds: {rounds}; medians {found['ours_ms']:.3f} ms vs {found['authlib_ms']:.3f} ms"
    )
    for side, counts in found["writes"].items():
        print(
            f"  store writes per login, {side + ':':8} {counts['writes']:g} "
            f"(and {counts['deletions']:g} deletions)"
        )
    filed = found["writes_filed"]
    print(
        f"  store writes per login, ours at a provider with back-channel logout: "
        f"{filed['writes']:g} (the login is filed in the logout index)"
    )
