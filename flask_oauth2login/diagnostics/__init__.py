"""Finding out why logins fail or get lost: ``flask oauth2login check``.

:func:`check_app` reports the ``OAUTH2LOGIN_*`` keys that no setting reads;
for each provider, the redirect URI and the logout URIs to register and
whether discovery and keys are reachable and consistent; whether the session
store works and is shared by the app's processes; and the cookie, host and
secret-key settings that classically make a login get lost on its way back
from the provider. One module per check:

- :mod:`~flask_oauth2login.diagnostics.report`: :class:`Finding` and :class:`Report`;
- :mod:`~flask_oauth2login.diagnostics.settings`: ``OAUTH2LOGIN_*`` keys that no
  setting reads;
- :mod:`~flask_oauth2login.diagnostics.redirects`: redirect URIs;
- :mod:`~flask_oauth2login.diagnostics.keys`: discovery documents and signing keys;
- :mod:`~flask_oauth2login.diagnostics.clientkeys`: the public key to register for
  ``private_key_jwt``,
  the DPoP key, pushed authorization requests;
- :mod:`~flask_oauth2login.diagnostics.logout`: the logout URIs to register, and the
  provider's logout endpoints;
- :mod:`~flask_oauth2login.diagnostics.store`: the session store;
- :mod:`~flask_oauth2login.diagnostics.cookies`: the session cookie;
- :mod:`~flask_oauth2login.diagnostics.secret`: ``SECRET_KEY``;
- :mod:`~flask_oauth2login.diagnostics.hardening`: a ``SECRET_KEY`` strong enough to
  derive keys from, and the session cookie's ``__Host-`` prefix;
- :mod:`~flask_oauth2login.diagnostics.app`: all of them for one app.

The hint on the callback's error page in debug mode is
:mod:`flask_oauth2login.login.hints`, which serving a request needs; this package
is imported only by the command.

Nothing here prints a secret: findings name configuration keys, hosts and
URLs, never a client secret, token or session id.
"""

from __future__ import annotations

from ..login.hints import diagnose_missing_login as diagnose_missing_login
from .app import check_app as check_app
from .app import check_provider as check_provider
from .clientkeys import check_client_keys as check_client_keys
from .cookies import check_cookies as check_cookies
from .hardening import check_host_cookie as check_host_cookie
from .hardening import check_secret_key_strength as check_secret_key_strength
from .keys import check_discovery as check_discovery
from .keys import check_jwks as check_jwks
from .logout import LogoutURIs as LogoutURIs
from .logout import check_logout as check_logout
from .logout import logout_uris as logout_uris
from .redirects import RedirectURI as RedirectURI
from .redirects import app_origin as app_origin
from .redirects import check_redirect_uri as check_redirect_uri
from .redirects import redirect_uri as redirect_uri
from .report import ERROR as ERROR
from .report import INFO as INFO
from .report import OK as OK
from .report import WARNING as WARNING
from .report import Finding as Finding
from .report import Report as Report
from .secret import MIN_SECRET_KEY_LENGTH as MIN_SECRET_KEY_LENGTH
from .secret import check_secret_key as check_secret_key
from .settings import check_settings as check_settings
from .store import MACHINE as MACHINE
from .store import PROBE_KEY as PROBE_KEY
from .store import PROCESS as PROCESS
from .store import SHARED as SHARED
from .store import check_session_store as check_session_store
from .store import describe_store as describe_store
from .store import detect_processes as detect_processes
from .store import probe_store as probe_store

__all__ = [
    "ERROR",
    "INFO",
    "MACHINE",
    "MIN_SECRET_KEY_LENGTH",
    "OK",
    "PROBE_KEY",
    "PROCESS",
    "SHARED",
    "WARNING",
    "Finding",
    "LogoutURIs",
    "RedirectURI",
    "Report",
    "app_origin",
    "check_app",
    "check_client_keys",
    "check_cookies",
    "check_discovery",
    "check_host_cookie",
    "check_jwks",
    "check_logout",
    "check_provider",
    "check_redirect_uri",
    "check_secret_key",
    "check_secret_key_strength",
    "check_session_store",
    "check_settings",
    "describe_store",
    "detect_processes",
    "diagnose_missing_login",
    "logout_uris",
    "probe_store",
    "redirect_uri",
]
