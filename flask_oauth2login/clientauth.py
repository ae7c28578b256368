"""The app's signing key for client authentication, at its documented import path.

``from flask_oauth2login.clientauth import JwtSigner`` (documentation, "High-security
providers") keeps working: the signer lives in
:mod:`flask_oauth2login.crypto.keys`, and the client authentication methods
that use it in :mod:`flask_oauth2login.protocol.clientauth`. Nothing else is
exported here.
"""

from __future__ import annotations

from .crypto.keys import JwtSigner as JwtSigner

__all__ = ["JwtSigner"]
