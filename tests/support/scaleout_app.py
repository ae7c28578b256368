"""A small app for several processes sharing Redis, built from environment variables.

Run it as ``python -m gunicorn "tests.support.scaleout_app:create_app()"``
from the repository root. Every process given the same variables is one
more process of the same deployment:

``SCALEOUT_SESSIONS``
    Where the sessions are (and refreshes are coordinated): ``redis`` (the
    default: ``SCALEOUT_REDIS_URL``), ``cluster`` (a Redis Cluster of the
    comma-separated ``host:port`` in ``SCALEOUT_CLUSTER_NODES``),
    ``sentinel`` (the master ``mymaster`` of the sentinels in
    ``SCALEOUT_SENTINELS``) or ``sql`` (Flask-Session's SQLAlchemy backend
    on ``SCALEOUT_DATABASE_URL``).
``SCALEOUT_REDIS_URL``
    The Redis that holds the sessions (and coordinates refreshes).
``SCALEOUT_METADATA_URL``, ``SCALEOUT_CLIENT_ID``, ``SCALEOUT_CLIENT_SECRET``
    The provider, ``rogue`` (by discovery).
``SCALEOUT_SECRET_KEY``
    The app's ``SECRET_KEY``, the same in every process.
``SCALEOUT_EXTERNAL_URL``
    The public base URL of the deployment (the load balancer in front of the
    processes), pinned with ``OAUTH2LOGIN_EXTERNAL_URL``; the redirect URI is
    built from it whichever process starts the login.
``SCALEOUT_API_URL``
    The provider API ``/api/rogue`` calls through ``oauth.session``.
``SCALEOUT_REDIS_TIMEOUT``
    Socket timeout (seconds) of the Redis client; default 0.5.

Views besides the extension's: ``/`` (who is logged in, and the process id),
``/api/rogue`` (the provider's API through ``oauth.session``), ``/public``
(does not touch the session), and ``/hold``, which loads the session, says
so on the Redis list ``scaleout:held`` and waits for an item on
``scaleout:release`` before it ends (``?modify=1``: after changing a key of
the app's own), to play a slow request of the same session.
"""

from __future__ import annotations

import os
import time
import typing as t

import redis
from flask import Flask, jsonify, request, session
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from flask_oauth2login import OAuth2Login

#: Redis lists the ``/hold`` view uses.
HELD_KEY = "scaleout:held"
RELEASE_KEY = "scaleout:release"


def redis_client(url: str, timeout: float) -> redis.Redis:
    """A Redis client as the documentation recommends: short timeouts, few retries."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(ExponentialBackoff(cap=0.1, base=0.01), 1),
        health_check_interval=30,
    )


def _addresses(value: str) -> list[tuple[str, int]]:
    return [(host, int(port)) for host, _, port in (a.rpartition(":") for a in value.split(","))]


def session_config(app: Flask, env: t.Mapping[str, str], timeout: float) -> t.Any:
    """Configure *app*'s sessions as ``SCALEOUT_SESSIONS`` says; the Redis
    client, if they are in Redis."""
    kind = env.get("SCALEOUT_SESSIONS", "redis")
    if kind == "sql":
        from flask_sqlalchemy import SQLAlchemy

        app.config.update(
            SESSION_TYPE="sqlalchemy",
            SQLALCHEMY_DATABASE_URI=env["SCALEOUT_DATABASE_URL"],
            SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        )
        app.config["SESSION_SQLALCHEMY"] = SQLAlchemy(app)
        return None
    options: dict[str, t.Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": Retry(ExponentialBackoff(cap=0.1, base=0.01), 1),
    }
    if kind == "cluster":
        from redis.cluster import ClusterNode, RedisCluster

        nodes = [ClusterNode(h, p) for h, p in _addresses(env["SCALEOUT_CLUSTER_NODES"])]
        store: t.Any = RedisCluster(startup_nodes=nodes, **options)
    elif kind == "sentinel":
        from redis.sentinel import Sentinel

        sentinel = Sentinel(_addresses(env["SCALEOUT_SENTINELS"]), socket_timeout=timeout)
        store = sentinel.master_for("mymaster", **options)
    else:
        store = redis_client(env["SCALEOUT_REDIS_URL"], timeout)
    app.config.update(SESSION_TYPE="redis", SESSION_REDIS=store)
    return store


def create_app(environ: t.Mapping[str, str] | None = None) -> Flask:
    env = os.environ if environ is None else environ
    timeout = float(env.get("SCALEOUT_REDIS_TIMEOUT", "0.5"))
    app = Flask(__name__)
    store = session_config(app, env, timeout)
    app.config.update(
        SECRET_KEY=env["SCALEOUT_SECRET_KEY"],
        OAUTH2LOGIN_EXTERNAL_URL=env["SCALEOUT_EXTERNAL_URL"],
        OAUTH2LOGIN_PROVIDERS={
            "rogue": {
                "client_id": env["SCALEOUT_CLIENT_ID"],
                "client_secret": env["SCALEOUT_CLIENT_SECRET"],
                "server_metadata_url": env["SCALEOUT_METADATA_URL"],
            }
        },
    )
    oauth = OAuth2Login(app)
    api_url = env.get("SCALEOUT_API_URL", "")

    @app.get("/")
    def index() -> t.Any:
        user = oauth.user
        return jsonify(user=user.to_dict() if user else None, pid=os.getpid())

    @app.get("/public")
    def public() -> t.Any:
        return jsonify(page="public")

    @app.get("/api/rogue")
    def api() -> t.Any:
        response = oauth.session("rogue").get(api_url, timeout=10)
        return jsonify(status=response.status_code, body=response.json())

    @app.get("/hold")
    def hold() -> t.Any:
        if request.args.get("modify"):
            session["visits"] = session.get("visits", 0) + 1
        store.rpush(HELD_KEY, os.getpid())
        deadline = time.monotonic() + 15
        while not store.lpop(RELEASE_KEY) and time.monotonic() < deadline:
            time.sleep(0.01)
        return jsonify(held=True)

    return app
