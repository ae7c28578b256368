"""Benchmarks of flask-oauth2login, each side by side with a baseline, in one run.

Run from anywhere (it needs the ``bench`` dependency group, redis-py,
gunicorn and authlib: ``pip install -e . --group bench``; and a
``redis-server`` binary; it installs nothing)::

    python bench/run.py            # or, from the repository root: python -m bench.run
    python bench/run.py --quick    # fewer rounds, for a smoke test
    python bench/run.py --steps    # only where a login's time goes (see bench.steps)
    python bench/run.py --scaleout # Redis, Redis Cluster, PostgreSQL (see bench.scaleout)

Everything runs on 127.0.0.1 against one local provider, the rogue provider
of ``tests/support`` (well behaved; RS256 ID tokens, a UserInfo endpoint and
an ``/api/me`` resource) served by gunicorn in a process of its own
(:mod:`bench.provider`; it keeps connections alive), and one
``redis-server`` that holds the sessions. What is measured, with the aim
for each:

0. **Provider calls per login**, counted at the provider (after a warm-up
   login, as discovery and keys are cached per process; the browser's visit
   to the authorization endpoint is not counted): ours at its default
   (``fetch_userinfo="auto"``: the ID token carries every claim, so the token
   request is the only call) and with ``fetch_userinfo=True``, Authlib's
   Flask client at its defaults and with an explicit ``userinfo()`` call.
1. **Login** (start, provider, callback: token exchange, ID token
   validation, session stored) through the Flask test client, ours at its
   defaults vs Authlib's Flask client (``authlib.integrations.flask_client``)
   at its defaults (PKCE, nonce, ID token validation; no UserInfo call) with
   the same session store. Aim: ratio <= 0.85. And the same login calling
   UserInfo on both sides (``fetch_userinfo=True`` vs ``userinfo()`` and a
   ``sub`` check). Aim: ratio <= 1.0.
2. **A ``@login_required`` view** vs the same view without it, same session
   store, same logged-in session. Aim: ratio <= 1.1.
3. **An API call** through ``oauth.session("rogue")`` (made anew per call, as
   a view does) vs a plain pooled ``requests.Session`` sending the same
   bearer token. Aim: ratio <= 1.1.
   And the same call made with no request, for a stored login
   (``oauth.session("rogue", subject=...)``: the token read from the token
   store and opened), with SQLite and with Redis as the store. Aim: ratio <= 1.1.
4. **The embedded file store with 100,000 logged-in sessions on disk**: a
   ``@login_required`` view and the start of a login (a new session
   written) vs the same app on an empty store. Aim: ratio <= 1.1. And the
   time of one background sweep of expired sessions over that folder.
5. **DPoP** (:mod:`bench.dpop`): a login with ``dpop: True`` vs the same
   login without it, and an API call with a DPoP proof vs the same call with
   a Bearer token, against a provider that verifies every proof. Aim: ratio
   <= 1.2 for the login, <= 1.3 for the API call.
6. **Logins per second and p50/p99 latency** at 1, 8 and 32 concurrent
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
    if __package__ and "--scaleout" in sys.argv[1:]:
        from bench.scaleout import main as run_scaleout

        return run_scaleout([a for a in sys.argv[1:] if a != "--scaleout"])
    if __package__:  # python -m bench.run, from the repository root
        from bench.suite import main as run_suite

        return run_suite(sys.argv[1:])
    # python bench/run.py: run as the module, from the repository root, so
    # that the repository's packages import without touching sys.path.
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "bench.run", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
