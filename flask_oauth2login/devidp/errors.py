"""The protocol error of the development identity provider.

Token, revocation, UserInfo and API endpoints answer a failed request with
the JSON error body of :rfc:`6749#section-5.2` (or the ``WWW-Authenticate``
challenge of :rfc:`6750#section-3` for bearer tokens). Views raise
:class:`OAuthError`; the blueprint's error handler renders it.
"""

from __future__ import annotations

import typing as t


class OAuthError(Exception):
    """An OAuth 2.0 error answer.

    :param error: The error code, e.g. ``"invalid_grant"``.
    :param description: A human readable ``error_description``. It must never
        contain a token, code or secret.
    :param status: The HTTP status code.
    :param headers: Extra response headers, e.g. ``WWW-Authenticate``.
    """

    def __init__(
        self,
        error: str,
        description: str | None = None,
        *,
        status: int = 400,
        headers: t.Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(error, description)
        self.error = error
        self.description = description
        self.status = status
        self.headers: dict[str, str] = dict(headers or {})

    def to_dict(self) -> dict[str, str]:
        """The JSON body of the error answer."""
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


def bearer_error(
    error: str | None, description: str | None = None, *, status: int = 401, scope: str = ""
) -> OAuthError:
    """An error for a resource endpoint, with an :rfc:`6750` challenge.

    :param error: ``"invalid_token"``, ``"insufficient_scope"`` or ``None``
        when the request carried no token at all (then no error code is sent,
        as :rfc:`6750#section-3.1` asks).
    :param description: A human readable description.
    :param status: 401 for a missing or bad token, 403 for missing scope.
    :param scope: The scope the endpoint needs, sent in the challenge.
    """
    parts = ['realm="devidp"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{description}"')
    if scope:
        parts.append(f'scope="{scope}"')
    challenge = "Bearer " + ", ".join(parts)
    return OAuthError(
        error or "invalid_request",
        description,
        status=status,
        headers={"WWW-Authenticate": challenge},
    )
