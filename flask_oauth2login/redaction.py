"""Keeping codes and tokens out of log lines the extension does not write.

The development server logs every request line, including a callback's
``?code=...&state=...``, and urllib3 logs request URLs at DEBUG, including a
query-string access token. :class:`RedactingFilter` masks those values.
"""

from __future__ import annotations

import logging
import re

#: Query and form parameters whose values never appear in logs.
SECRET_PARAMS = (
    "code",
    "state",
    "access_token",
    "refresh_token",
    "id_token",
    "id_token_hint",
    "client_secret",
    "code_verifier",
    "nonce",
    "token",
)

_PATTERN = re.compile(r"([?&](?:" + "|".join(SECRET_PARAMS) + r")=)[^&\s\"']*", re.IGNORECASE)

#: Loggers of other libraries that may log URLs.
LOGGERS = ("werkzeug", "urllib3.connectionpool")


def redact(text: str) -> str:
    """Mask the values of secret query parameters in *text*."""
    return _PATTERN.sub(r"\1[redacted]", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with secret parameter values masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_filter = RedactingFilter()


def install() -> None:
    """Add the filter to the loggers that may log secret URLs (once)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)
