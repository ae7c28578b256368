"""Skip-or-fail helper for tests that need optional tools."""

from __future__ import annotations

import os

import pytest

REQUIRE_ALL_ENV = "OAUTH2LOGIN_TEST_REQUIRE_ALL"


def require_all() -> bool:
    """Return True when missing tools must fail tests instead of skipping them."""
    return os.environ.get(REQUIRE_ALL_ENV, "").strip() == "1"


def require(available: bool, reason: str) -> None:
    """Skip the current test when ``available`` is false, or fail it under REQUIRE_ALL=1."""
    if available:
        return
    if require_all():
        pytest.fail(f"{reason} ({REQUIRE_ALL_ENV}=1)", pytrace=False)
    pytest.skip(reason)
