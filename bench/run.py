"""Benchmarks of flask-oauth2login, each side by side with a baseline, in one run.

Run from anywhere (it needs the test extras: redis-py, gunicorn, authlib,
and a ``redis-server`` binary; it installs nothing)::

    python bench/run.py            # or, from the repository root: python -m bench.run
    python bench/run.py --quick    # fewer rounds, for a smoke test

Everything runs on 127.0.0.1 against one local provider, the rogue provider
of ``tests/support`` (well behaved; RS256 ID tokens, a UserInfo endpoint and
an ``/api/me`` resource) served by gunicorn in a process of its own
(:mod:`bench.provider`; it keeps connections alive), and one
``redis-server`` that holds the sessions. What is measured, with the aim
for each:

1. **Full login** (start, provider, callback: token exchange, ID token
   validation, UserInfo, session stored) through the Flask test client, vs
   Authlib's Flask client (``authlib.integrations.flask_client.OAuth``)
   doing the same (PKCE, nonce, ID token, UserInfo) with the same session
   store. Aim: ratio <= 1.0.
2. **A ``@login_required`` view** vs the same view without it, same session
   store, same logged-in session. Aim: ratio <= 1.1.
3. **An API call** through ``oauth.session("rogue")`` (made anew per call, as
   a view does) vs a plain pooled ``requests.Session`` sending the same
   bearer token. Aim: ratio <= 1.1.
4. **Logins per second and p50/p99 latency** at 1, 8 and 32 concurrent
   clients against two gunicorn processes sharing Redis; each login starts on
   one process and completes on the other.

Timings 1-3 are taken alternately (ours, baseline, ours, ...) and compared
by their medians, so that load on the machine affects both sides alike.
A full run takes one to two minutes on two cores; the numbers are medians
of one run, so expect some noise between runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    if __package__:  # python -m bench.run, from the repository root
        from bench.suite import main as run_suite

        return run_suite(sys.argv[1:])
    # python bench/run.py: run as the module, from the repository root, so
    # that the repository's packages import without touching sys.path.
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "bench.run", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
