"""Keys and ciphers: private keys, the JWT signer, accepted algorithms, encryption at rest.

``keys`` loads private keys and signs JWTs; ``cipher`` seals tokens at rest
with keys that can be rotated. Nothing here is public API.
"""

__all__: list[str] = []
