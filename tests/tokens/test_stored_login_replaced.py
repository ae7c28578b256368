"""A job (or request) that holds a stored login's token from before the
person logged out and in again: the store's record of the new login may
carry the same version as the old one had (the old record was deleted, the
new one starts afresh), and must still not be taken for the old login.

The app offers the development provider, mounted in the app itself and
served on loopback: every token request and revocation is real HTTP.
"""

from __future__ import annotations

import importlib.util
import typing as t

import pytest

from flask_oauth2login import NotLoggedInError
from flask_oauth2login.tokens.logins import stored
from flask_oauth2login.tokens.refresh import refresh
from tests.support.accounts import Browser, make_app
from tests.support.requirements import require
from tests.support.threads import serving


@pytest.fixture(scope="module")
def redis_server() -> t.Iterator[t.Any]:
    from tests.support.redis_server import serve_redis

    yield from serve_redis()


@pytest.fixture(params=["sqlite", "redis"])
def token_store(request: pytest.FixtureRequest, tmp_path: t.Any) -> t.Any:
    """``OAUTH2LOGIN_TOKEN_STORE``: a SQLite file, or a Redis server."""
    if request.param == "sqlite":
        require(importlib.util.find_spec("sqlalchemy") is not None, "SQLAlchemy is not installed")
        return f"sqlite:///{tmp_path / 'tokens.db'}"
    return request.getfixturevalue("redis_server").client()


def test_a_refresh_of_a_login_logged_out_since_leaves_the_new_login_alone(tmp_path, token_store):
    app = make_app(tmp_path, OAUTH2LOGIN_TOKEN_STORE=token_store)
    with serving(app) as url:
        browser = Browser(url)
        browser.log_in("dev", "ada")
        issuer = browser.state()["tokens"]["dev"]["iss"]
        state = app.extensions["oauth2login"]
        with app.app_context():
            job = stored(state, "dev", "ada", issuer)  # a worker holds Ada's login
            old = job.load()
            assert old is not None
        assert browser.post("/logout").status_code in (302, 303)  # revoked there
        browser.log_in("dev", "ada")  # a new login, a new record
        new = browser.state()["tokens"]["dev"]
        with app.test_request_context(base_url=url):  # where the provider is
            # The worker's token expired: its refresh finds the new login's
            # record and uses that token, never deleting or overwriting it.
            try:
                token = refresh(job, old)
            except NotLoggedInError:
                pass
            else:
                assert token["access_token"] == new["access_token"]
        assert browser.state()["users"] == {"dev": "ada"}
        assert browser.state()["tokens"]["dev"]["access_token"] == new["access_token"]
