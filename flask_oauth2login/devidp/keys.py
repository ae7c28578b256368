"""The RSA key that signs ID tokens, and its public JWK.

A fresh 2048-bit key is generated each time the provider starts, so nothing
secret is ever written to disk. Relying parties find the public half through
the ``jwks_uri`` of the discovery document; its ``kid`` is the
:rfc:`7638` thumbprint, so a client that cached the previous key set notices
the new key after a restart and fetches it again.

The key is a :class:`flask_oauth2login.crypto.jwks.SigningKey`, the one users'
tests sign their ID tokens with.
"""

from __future__ import annotations

from ..crypto.jwks import SigningKey as SigningKey
from ..crypto.keys import b64url as b64url

#: The only signature algorithm the provider uses.
ALGORITHM = "RS256"
