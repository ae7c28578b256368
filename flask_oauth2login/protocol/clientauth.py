"""How the client proves who it is to a provider's token, revocation and PAR endpoints.

One :class:`ClientAuth` per provider, chosen by ``token_endpoint_auth_method``
from :data:`METHODS`:

- ``client_secret_basic`` and ``client_secret_post`` (:rfc:`6749#section-2.3.1`):
  the client secret, in an HTTP Basic header or in the form;
- ``private_key_jwt`` (:rfc:`7523`, OpenID Connect Core §9): a short JWT, the
  *client assertion*, signed with the app's private key (RSA or EC), whose
  public half the provider knows (registered, or fetched from the app's JWKS
  route);
- ``client_secret_jwt``: the same JWT, signed with the client secret (HS256);
- ``none``: a public client, which sends only its ``client_id``.

A client assertion names the client as ``iss`` and ``sub``, the provider as
``aud`` (its issuer, or the URL of the endpoint where the provider wants
that), carries a fresh ``jti`` and expires :data:`ASSERTION_LIFETIME` seconds
after it is made: one is made for every request.

Assertions are signed by :class:`~flask_oauth2login.crypto.keys.JwtSigner`.
"""

from __future__ import annotations

import secrets
import time
import typing as t
from urllib.parse import quote_plus

import jwt

from ..crypto.keys import JwtSigner

#: The ``client_assertion_type`` of :rfc:`7523#section-2.2`.
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

#: Seconds a client assertion is valid: one request's worth, well within five minutes.
ASSERTION_LIFETIME = 60

#: The HMAC algorithm of ``client_secret_jwt``.
HMAC_ALGORITHM = "HS256"


# -- the methods -------------------------------------------------------------------


#: What :meth:`ClientAuth.apply` gives to ``requests``: Basic credentials, or
#: ``None`` when everything went into the form.
BasicCredentials = tuple[str, str] | None


class ClientAuth:
    """One way of authenticating the client; see :data:`METHODS`.

    :param client_id: the client's id.
    :param secret: gives the client secret (a callable: Apple's is built at
        run time); ``None`` when there is none.
    :param signer: signs ``private_key_jwt`` assertions.
    :param clock: where the time comes from (for tests).
    """

    #: The ``token_endpoint_auth_method`` this class implements.
    method: t.ClassVar[str] = ""

    def __init__(
        self,
        client_id: str,
        *,
        secret: t.Callable[[], str | None] | None = None,
        signer: JwtSigner | None = None,
        clock: t.Callable[[], float] = time.time,
    ) -> None:
        self.client_id = client_id
        self._secret = secret or (lambda: None)
        self.signer = signer
        self._clock = clock

    def __repr__(self) -> str:
        return f"<{type(self).__name__} client_id={self.client_id!r}>"

    def apply(
        self, data: dict[str, str], *, audience: str, algorithms: t.Sequence[str] = ()
    ) -> BasicCredentials:
        """Authenticate the request whose form is *data*: add what it needs to
        *data*, and return the Basic credentials to send, if any.

        :param audience: the ``aud`` of a client assertion.
        :param algorithms: the signing algorithms the provider says it
            accepts for client assertions (may be empty).
        """
        data["client_id"] = self.client_id
        return None

    def secret(self) -> str:
        """The client secret to send now."""
        return self._secret() or ""

    def assertion_claims(self, audience: str) -> dict[str, t.Any]:
        """The claims of a fresh client assertion for *audience*."""
        now = int(self._clock())
        return {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "jti": secrets.token_urlsafe(24),
            "iat": now,
            "nbf": now,
            "exp": now + ASSERTION_LIFETIME,
        }


class NoClientAuth(ClientAuth):
    """``none``: a public client sends its ``client_id`` only."""

    method = "none"


class ClientSecretBasic(ClientAuth):
    """``client_secret_basic``: the client id and secret in HTTP Basic."""

    method = "client_secret_basic"

    def apply(
        self, data: dict[str, str], *, audience: str, algorithms: t.Sequence[str] = ()
    ) -> BasicCredentials:
        # RFC 6749 §2.3.1: form-urlencode both before Basic's base64.
        return quote_plus(self.client_id), quote_plus(self.secret())


class ClientSecretPost(ClientAuth):
    """``client_secret_post``: the client id and secret in the form."""

    method = "client_secret_post"

    def apply(
        self, data: dict[str, str], *, audience: str, algorithms: t.Sequence[str] = ()
    ) -> BasicCredentials:
        data["client_id"] = self.client_id
        data["client_secret"] = self.secret()
        return None


class PrivateKeyJwt(ClientAuth):
    """``private_key_jwt``: a client assertion signed with the app's private key."""

    method = "private_key_jwt"

    def apply(
        self, data: dict[str, str], *, audience: str, algorithms: t.Sequence[str] = ()
    ) -> BasicCredentials:
        assert self.signer is not None
        algorithm = self.signer.algorithm_for(algorithms)
        assertion = self.signer.sign(
            self.assertion_claims(audience), headers={"typ": "JWT"}, algorithm=algorithm
        )
        data.update(
            client_id=self.client_id,
            client_assertion_type=ASSERTION_TYPE,
            client_assertion=assertion,
        )
        return None


class ClientSecretJwt(ClientAuth):
    """``client_secret_jwt``: a client assertion signed (HS256) with the client secret."""

    method = "client_secret_jwt"

    def apply(
        self, data: dict[str, str], *, audience: str, algorithms: t.Sequence[str] = ()
    ) -> BasicCredentials:
        assertion = jwt.encode(
            self.assertion_claims(audience),
            self.secret(),
            algorithm=HMAC_ALGORITHM,
            headers={"typ": "JWT"},
        )
        data.update(
            client_id=self.client_id,
            client_assertion_type=ASSERTION_TYPE,
            client_assertion=assertion,
        )
        return None


#: The client authentication methods, by ``token_endpoint_auth_method``.
METHODS: dict[str, type[ClientAuth]] = {
    cls.method: cls
    for cls in (ClientSecretBasic, ClientSecretPost, PrivateKeyJwt, ClientSecretJwt, NoClientAuth)
}
