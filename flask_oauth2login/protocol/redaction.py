"""Log lines that can be trusted: no codes or tokens, no forged lines.

The development server logs every request line, including a callback's
``?code=...&state=...``, and urllib3 logs request URLs at DEBUG, including a
query-string access token. :class:`RedactingFilter` masks those values.

The extension's own lines carry strings from providers and users (an
``error_description``, a claim, a provider's answer). The same filter
escapes control characters in every line (CR and LF above all), so nobody
can write a line of their own into the log ("log forging").
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

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

#: Loggers of other libraries that may log URLs.
LOGGERS = ("werkzeug", "urllib3.connectionpool")
#: The extension's own loggers are this one and those below it.
OWN_LOGGER = "flask_oauth2login"


def redact(text: str) -> str:
    """Mask the values of secret query parameters in *text*."""
    return _PATTERN.sub(r"\1[redacted]", text)


def escape_controls(text: str) -> str:
    """Escape control characters in *text* (``"\\r"`` becomes ``"\\x0d"``)."""
    return _CONTROL.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with secret parameter values masked and
    control characters escaped."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = escape_controls(redact(message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_filter = RedactingFilter()


def install() -> None:
    """Add the filter to the loggers that may log secret URLs, and to every
    logger of the extension (once each).

    A logger's filters do not apply to its children, so each of the
    extension's module loggers gets the filter itself.
    """
    own = [
        name
        for name in list(logging.Logger.manager.loggerDict)
        if name == OWN_LOGGER or name.startswith(OWN_LOGGER + ".")
    ]
    for name in (*LOGGERS, OWN_LOGGER, *own):
        logger = logging.getLogger(name)
        if _filter not in logger.filters:
            logger.addFilter(_filter)
