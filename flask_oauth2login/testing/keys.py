"""The RSA key that signs test tokens by default: :func:`default_key`.

The key itself is a :class:`~flask_oauth2login.crypto.jwks.SigningKey`, the
same class the development identity provider signs with.
"""

from __future__ import annotations

import functools

from ..crypto.jwks import SigningKey as SigningKey


@functools.lru_cache(maxsize=1)
def default_key() -> SigningKey:
    """The key :func:`.make_id_token` signs with when given none (made once)."""
    return SigningKey()
