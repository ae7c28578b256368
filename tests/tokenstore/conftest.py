"""The token store fixtures of :mod:`tests.tokenstore.test_tokenstore`, for
every module of this folder: each kind of store, and apps on it."""

from tests.tokenstore.test_tokenstore import (  # noqa: F401
    app,
    backend,
    postgres_server,
    redis_server,
    server_backend,
    store_app,
)
