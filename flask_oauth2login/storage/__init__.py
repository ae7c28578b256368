"""What the session engines and the token stores share about the servers they keep data in.

:mod:`~flask_oauth2login.sessions` and :mod:`~flask_oauth2login.tokenstore`
are siblings that may not import each other; a piece both need lives here,
below both, and knows nothing of Flask or of either. ``redis`` holds the
refresh lock and the errors that mean a Redis is down; ``imports`` tells
whether a configured value is a client of an optional package without
importing it. Nothing here is public API.
"""

__all__: list[str] = []
