"""Client authentication and the app's signing key, under their documented import path.

The methods live in :mod:`flask_oauth2login.protocol.clientauth`, the keys and
the signer in :mod:`flask_oauth2login.crypto.keys`.
"""

from __future__ import annotations

from .crypto.keys import InvalidKey as InvalidKey
from .crypto.keys import JwtSigner as JwtSigner
from .crypto.keys import PrivateKey as PrivateKey
from .crypto.keys import load_private_key as load_private_key
from .crypto.keys import public_jwk as public_jwk
from .crypto.keys import thumbprint as thumbprint
from .protocol.clientauth import METHODS as METHODS
from .protocol.clientauth import ClientAuth as ClientAuth

__all__ = [
    "METHODS",
    "ClientAuth",
    "InvalidKey",
    "JwtSigner",
    "PrivateKey",
    "load_private_key",
    "public_jwk",
    "thumbprint",
]
