"""Keys and ciphers: private keys, the JWT signer, accepted algorithms, encryption at rest.

``keys`` loads the app's private keys and signs JWTs with them (client
assertions, Apple's client secret, DPoP proofs), ``jwks`` is a key that signs
tokens as a provider does and publishes its JWK Set (the development provider
and tests), and ``cipher`` seals tokens at rest with keys that can be rotated.
Nothing here is public API.
"""

__all__: list[str] = []
