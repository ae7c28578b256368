"""Fixtures of the development identity provider's tests: ``app`` is an app
with only the provider on it (in testing mode), ``client`` its test client."""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask

from tests.support.devidp import make_app


@pytest.fixture
def app() -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> t.Any:
    return app.test_client()
