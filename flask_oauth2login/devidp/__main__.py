"""Run the development identity provider on its own.

::

    python -m flask_oauth2login.devidp --port 8400 [--host 127.0.0.1]

Its issuer is then ``http://127.0.0.1:8400``; the registered client is
``dev-client`` (see :mod:`flask_oauth2login.devidp.clients`).
"""

from __future__ import annotations

import argparse
import sys
import typing as t

from .app import create_app
from .serving import check_loopback, serve


def parse_args(argv: t.Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m flask_oauth2login.devidp",
        description="Run the development OpenID Connect provider on a loopback address.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address (default %(default)s)"
    )
    parser.add_argument("--port", type=int, default=8400, help="port (default %(default)s)")
    return parser.parse_args(argv)


def main(argv: t.Sequence[str] | None = None) -> int:
    """The command line entry point; returns the exit status."""
    args = parse_args(argv)
    try:
        check_loopback(args.host)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app = create_app(DEBUG=True)  # a development command, bound to loopback above
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f" * Development identity provider: http://{host}:{args.port}/", file=sys.stderr)
    print(
        f" * Discovery: http://{host}:{args.port}/.well-known/openid-configuration",
        file=sys.stderr,
    )
    print(" * Client id: dev-client (its secret is the documented default)", file=sys.stderr)
    serve(app, args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
