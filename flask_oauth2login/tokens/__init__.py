"""A token's life after the login: kept, sealed, refreshed and revoked; and the app's own.

``logins`` holds the session's logins, ``holders`` says where a token is
kept, ``refresh`` renews it single-flight, ``sealing`` decides what of it
is encrypted, and ``app_tokens`` gets tokens for the app itself. Nothing
here is public API: ``oauth.session()`` and ``oauth.token()`` are.
"""

__all__: list[str] = []
