"""Checking ``SECRET_KEY``: missing, short, or a placeholder from a tutorial."""

from __future__ import annotations

import re

from flask import Flask

from .report import ERROR, OK, WARNING, Report

#: SECRET_KEY values seen in examples and tutorials.
_PLACEHOLDER_KEYS = frozenset(
    (
        "...",
        "change-me",
        "changeme",
        "default",
        "dev",
        "development",
        "flask",
        "key",
        "password",
        "secret",
        "secret-key",
        "secret_key",
        "secretkey",
        "super-secret",
        "super secret key",
        "supersecret",
        "test",
        "testing",
        "xxx",
    )
)
_PLACEHOLDER_WORDS = re.compile(r"change|replace|your[-_ ]|example|placeholder|insecure")
#: Shortest SECRET_KEY that does not draw a warning (``secrets.token_hex()`` has 64).
MIN_SECRET_KEY_LENGTH = 24


def check_secret_key(app: Flask, report: Report) -> None:
    """A missing, short or placeholder ``SECRET_KEY``."""
    topic = "secret key"
    key = app.config.get("SECRET_KEY")
    signer = bool(app.config.get("SESSION_USE_SIGNER"))
    if not key:
        report.add(
            ERROR if signer else WARNING,
            topic,
            "SECRET_KEY is not set"
            + (": SESSION_USE_SIGNER cannot sign session ids." if signer else ".")
            + " Set it to a long random value, e.g. from python -c "
            "'import secrets; print(secrets.token_hex())', the same in every process.",
        )
        return
    text = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
    if text.strip().lower() in _PLACEHOLDER_KEYS or _PLACEHOLDER_WORDS.search(text.lower()):
        report.add(
            WARNING,
            topic,
            "SECRET_KEY looks like a placeholder: set a long random value in production.",
        )
    elif len(text) < MIN_SECRET_KEY_LENGTH or len(set(text)) < 8:
        report.add(
            WARNING,
            topic,
            f"SECRET_KEY is short or repetitive ({len(text)} characters); use at least "
            f"{MIN_SECRET_KEY_LENGTH} random ones.",
        )
    else:
        report.add(OK, topic, "SECRET_KEY is set and looks random.")
