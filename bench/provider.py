"""The rogue provider of ``tests/support``, as a WSGI app for gunicorn.

The test suite serves it with werkzeug's development server, which closes
every connection; served by gunicorn (one worker, threads), clients keep
their connections open, as they would with a real provider. One worker
only: the provider keeps its codes and tokens in memory.
"""

from __future__ import annotations

import os
import typing as t

from tests.support.rogue_idp import RogueProvider

#: The environment variable that holds the provider's URL (its issuer).
ISSUER_VARIABLE = "BENCH_PROVIDER_ISSUER"


def create_app() -> t.Callable[..., t.Any]:
    provider = RogueProvider()
    provider.issuer = os.environ[ISSUER_VARIABLE]
    return provider._wsgi_app
