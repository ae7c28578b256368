"""Configuration: the app-wide ``OAUTH2LOGIN_*`` keys and the provider entries, read once.

``settings`` holds the app-wide settings, ``provider`` reads one entry of
``OAUTH2LOGIN_PROVIDERS``, and ``parsers`` checks single values. Nothing here
is public API: apps configure the extension through ``app.config``.
"""

__all__: list[str] = []
