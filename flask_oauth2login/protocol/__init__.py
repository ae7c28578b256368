"""Talking to one provider as an OAuth 2.0 and OpenID Connect client, with no Flask in sight.

A ``provider`` is one configured provider at run time: it keeps its
endpoints (``discovery`` finds them) and makes the calls through its
``client``, over ``http`` (the hardened transport, held to one ``deadline``
per exchange), authenticated as ``clientauth`` says and bound by ``dpop``;
``oidc`` checks ID and logout tokens, ``token_answer`` the token endpoint's
answer, and ``api_session`` is the ``requests`` session that
``oauth.session()`` hands out. ``redaction`` keeps log lines clean. Nothing
here is public API.
"""

__all__: list[str] = []
