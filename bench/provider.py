"""The rogue provider of ``tests/support``, as a WSGI app for gunicorn.

The test suite serves it with werkzeug's development server, which closes
every connection; served by gunicorn (one worker, threads), clients keep
their connections open, as they would with a real provider. One worker
only: the provider keeps its codes and tokens in memory, and the request
counts below.

``GET /_bench/calls`` answers how many requests each path has served so far
(itself not included), so that a benchmark can count the provider calls of
a login: read the counts before and after, and subtract.

``BENCH_PROVIDER_METADATA``, if set, is a JSON object of changes to the
provider's discovery document (say, no back-channel logout).
"""

from __future__ import annotations

import collections
import json
import os
import threading
import typing as t

from tests.support.rogue_idp import RogueProvider

#: The environment variable that holds the provider's URL (its issuer).
ISSUER_VARIABLE = "BENCH_PROVIDER_ISSUER"
#: Where the request counts are read.
CALLS_PATH = "/_bench/calls"
#: The environment variable of changes to the discovery document (JSON).
METADATA_VARIABLE = "BENCH_PROVIDER_METADATA"


def create_app() -> t.Callable[..., t.Any]:
    provider = RogueProvider()
    provider.issuer = os.environ[ISSUER_VARIABLE]
    provider.behaviour.metadata_overrides = json.loads(os.environ.get(METADATA_VARIABLE) or "{}")
    calls: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()

    def app(environ: dict[str, t.Any], start_response: t.Callable[..., t.Any]) -> t.Any:
        path = environ.get("PATH_INFO", "")
        if path == CALLS_PATH:
            with lock:
                body = json.dumps(calls).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        with lock:
            calls[path] += 1
        return provider._wsgi_app(environ, start_response)

    return app
