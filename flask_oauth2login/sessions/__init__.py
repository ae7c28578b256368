"""The server-side session, and what shares its backend: refresh locks and the logout index.

``setup`` configures Flask-Session and turns store outages into 503
answers, ``files`` is the embedded file store, ``engines`` has one adapter
per kind of session store (chosen once per app), ``coordination`` makes one
refresh serve concurrent requests, and ``logout_index`` finds the sessions a
logout from the provider ends. Nothing here is public API.
"""

__all__: list[str] = []
