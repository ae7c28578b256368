"""The pytest plugin under its former name: the fixtures of
:mod:`~flask_oauth2login.testing.fixtures`.

Turn the plugin on with ``pytest_plugins = ["flask_oauth2login.testing"]``
in the project's top-level ``conftest.py``.
"""

from __future__ import annotations

from .fixtures import devidp as devidp
from .fixtures import logged_in_client as logged_in_client
from .fixtures import oauth2login_user as oauth2login_user

__all__ = ["devidp", "logged_in_client", "oauth2login_user"]
