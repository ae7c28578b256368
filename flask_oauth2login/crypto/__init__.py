"""Keys and ciphers: private keys and the JWT signer, the signature algorithms accepted, and
encryption at rest.

``keys`` loads private keys and signs JWTs; ``cipher`` seals tokens at rest
with keys that can be rotated. Nothing here is public API.
"""

__all__: list[str] = []
