"""The Flask-Login bridge: :mod:`flask_oauth2login.contrib.flask_login`.

Two providers over HTTP (two rogue providers with different issuers), an
in-memory account store keyed by (issuer, subject) with the account loader
the documentation recommends, and Flask-Login's ``current_user``.
"""

from __future__ import annotations

import importlib.util
import itertools
import typing as t
from dataclasses import dataclass, field

import pytest
from flask import Flask, jsonify

from flask_oauth2login import ConfigurationError, OAuth2Login, logged_out, login_failed
from flask_oauth2login.testing import login_as
from flask_oauth2login.tokens.logins import TOKENS_KEY
from tests.support.logins import answer_connect, log_in, log_in_elsewhere, log_in_here
from tests.support.requirements import require
from tests.support.rogue_idp import default_user, rogue_entry

HAVE_FLASK_LOGIN = importlib.util.find_spec("flask_login") is not None
if HAVE_FLASK_LOGIN:
    import flask_login

    from flask_oauth2login.contrib.flask_login import AccountRefused, FlaskLoginBridge


@pytest.fixture(autouse=True)
def _needs_flask_login() -> None:
    require(HAVE_FLASK_LOGIN, "Flask-Login is not installed")


# -- the app's side: accounts and identities ------------------------------------------


@dataclass(eq=False)
class Account:
    id: int
    name: str | None
    active: bool = True

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


@dataclass
class Accounts:
    """The app's users, and which (issuer, subject) pairs belong to whom."""

    accounts: dict[int, Account] = field(default_factory=dict)
    identities: dict[tuple[str, str], int] = field(default_factory=dict)
    calls: list[dict[str, t.Any]] = field(default_factory=list)
    refuse: bool = False
    _ids: t.Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def get(self, user_id: str) -> Account | None:
        return self.accounts.get(int(user_id))

    def account_for(self, issuer: str, subject: str, user: t.Any, current: t.Any) -> t.Any:
        """The loader the documentation recommends: never matched by e-mail."""
        self.calls.append({"issuer": issuer, "subject": subject, "user": user, "current": current})
        if self.refuse:
            return None
        known = self.identities.get((issuer, subject))
        if known is not None:
            return self.accounts[known]
        if current is not None:
            self.identities[(issuer, subject)] = current.id
            return current
        account = Account(next(self._ids), user["name"])
        self.accounts[account.id] = account
        self.identities[(issuer, subject)] = account.id
        return account


@pytest.fixture
def accounts() -> Accounts:
    return Accounts()


@pytest.fixture
def app(make_app, rogue, second, accounts):
    app = make_app({"rogue": rogue_entry(rogue), "second": rogue_entry(second)})
    login_manager = flask_login.LoginManager(app)
    login_manager.user_loader(accounts.get)
    FlaskLoginBridge(app.extensions["test_oauth"], app, account_loader=accounts.account_for)

    @app.get("/me")
    def me() -> t.Any:
        user = flask_login.current_user
        return jsonify(account=user.id if user.is_authenticated else None)

    @app.post("/app-logout")
    def app_logout() -> t.Any:
        flask_login.logout_user()
        return "", 204

    return app


def account_of(client: t.Any) -> int | None:
    return client.get("/me").get_json()["account"]


def oauth_user(client: t.Any) -> dict[str, t.Any] | None:
    return client.get("/").get_json()["user"]


def held_tokens(client: t.Any) -> set[str]:
    with client.session_transaction() as sess:
        return set(sess.get(TOKENS_KEY, {}))


# -- logging in ------------------------------------------------------------------------


def test_a_login_logs_the_account_in(client, rogue, accounts):
    assert account_of(client) is None
    assert log_in(client, rogue).status_code == 302
    assert account_of(client) == 1
    assert accounts.accounts[1].name == "Alice Example"
    (call,) = accounts.calls
    assert (call["issuer"], call["subject"]) == (rogue.issuer, "user-123")
    assert call["current"] is None
    assert call["user"]["email"] == "alice@example.test"


def test_the_same_identity_finds_the_same_account(app, rogue):
    first, later = app.test_client(), app.test_client()
    log_in(first, rogue)
    log_in(later, rogue)
    assert account_of(first) == account_of(later) == 1


def test_a_logged_in_user_links_a_second_provider(app, client, rogue, second, accounts):
    log_in(client, rogue)
    second.behaviour.user = {**default_user(), "sub": "second-7", "email": "alice@second.test"}
    assert log_in_here(client, second, "second").status_code == 302

    assert account_of(client) == 1
    assert accounts.calls[-1]["current"] is accounts.accounts[1]
    assert accounts.identities == {(rogue.issuer, "user-123"): 1, (second.issuer, "second-7"): 1}
    assert held_tokens(client) == {"rogue", "second"}

    # Later, the second provider alone reaches the same account.
    fresh = app.test_client()
    log_in(fresh, second, "second")
    assert account_of(fresh) == 1


def test_the_same_email_alone_never_links_accounts(app, rogue, second, accounts):
    first = app.test_client()
    log_in(first, rogue)
    assert oauth_user(first)["email_verified"] is True

    # Someone else, at another provider, with the same (even verified) address.
    second.behaviour.user = {**default_user(), "sub": "mallory", "name": "Mallory"}
    other = app.test_client()
    log_in(other, second, "second")

    assert accounts.calls[-1]["current"] is None
    assert account_of(other) == 2
    assert account_of(first) == 1
    assert accounts.identities[(second.issuer, "mallory")] == 2
    assert accounts.accounts[2].name == "Mallory"


def test_a_refused_login_logs_nobody_in(client, rogue, accounts):
    accounts.refuse = True
    failures: list[t.Any] = []
    with login_failed.connected_to(lambda sender, **kw: failures.append(kw["error"])):
        response = log_in(client, rogue)
    assert response.status_code == 403
    assert "There is no account here for this login." in response.get_data(as_text=True)
    assert [type(error) for error in failures] == [AccountRefused]
    assert account_of(client) is None
    assert oauth_user(client) is None
    assert held_tokens(client) == set()


def test_a_refused_link_keeps_the_login_there_was(client, rogue, second, accounts):
    log_in(client, rogue)
    accounts.refuse = True
    assert log_in_here(client, second, "second").status_code == 403
    assert account_of(client) == 1
    assert oauth_user(client)["provider"] == "rogue"
    assert held_tokens(client) == {"rogue"}


def test_a_login_a_later_hook_refuses_does_not_log_the_account_in(app, client, rogue):
    from flask_oauth2login import LoginError

    @app.extensions["test_oauth"].on_login  # runs after the bridge's hook
    def staff_only(provider, user, token):
        raise LoginError("Only staff may log in here.", provider=provider)

    assert log_in(client, rogue).status_code == 400
    assert account_of(client) is None
    assert oauth_user(client) is None


def test_a_login_started_elsewhere_links_only_once_confirmed(client, rogue, second, accounts):
    log_in(client, rogue)
    second.behaviour.user = {**default_user(), "sub": "second-7"}
    assert log_in_elsewhere(client, second, "second").headers["Location"] == "/connect"
    assert len(accounts.calls) == 1  # asked nothing yet
    assert account_of(client) == 1
    assert answer_connect(client, "connect").status_code == 303
    assert accounts.calls[-1]["current"] is accounts.accounts[1]
    assert accounts.identities[(second.issuer, "second-7")] == 1
    assert account_of(client) == 1


def test_a_declined_link_logs_in_the_new_identity_alone(client, rogue, second, accounts):
    log_in(client, rogue)
    second.behaviour.user = {**default_user(), "sub": "second-7", "name": "Second"}
    log_in_elsewhere(client, second, "second")
    assert answer_connect(client, "decline").status_code == 303
    assert accounts.calls[-1]["current"] is None
    assert accounts.identities[(second.issuer, "second-7")] == 2
    assert account_of(client) == 2
    assert held_tokens(client) == {"second"}


def test_an_app_user_links_only_a_login_started_here(make_app, rogue, accounts):
    """The app's own login (a password, say) and no provider login yet."""
    app = make_app({"rogue": rogue_entry(rogue)})
    login_manager = flask_login.LoginManager(app)
    login_manager.user_loader(accounts.get)
    FlaskLoginBridge(app.extensions["test_oauth"], app, account_loader=accounts.account_for)
    own = Account(99, "Password User")
    accounts.accounts[99] = own

    @app.post("/password-login")
    def password_login() -> t.Any:
        flask_login.login_user(own)
        return "", 204

    elsewhere = app.test_client()
    elsewhere.post("/password-login")
    log_in_elsewhere(elsewhere, rogue)
    assert accounts.calls[-1]["current"] is None  # another site started it: no link
    assert (rogue.issuer, "user-123") not in {k for k, v in accounts.identities.items() if v == 99}

    accounts.identities.clear()
    here = app.test_client()
    here.post("/password-login")
    log_in_here(here, rogue)
    assert accounts.calls[-1]["current"] is own
    assert accounts.identities[(rogue.issuer, "user-123")] == 99


def test_another_persons_login_never_reaches_the_first_persons_account(client, rogue, accounts):
    log_in(client, rogue)
    rogue.behaviour.user = {**default_user(), "sub": "bob", "name": "Bob"}
    assert log_in_here(client, rogue).status_code == 302  # started here, but someone else
    assert accounts.calls[-1]["current"] is None
    assert account_of(client) == 2
    assert accounts.identities[(rogue.issuer, "bob")] == 2


def test_an_inactive_account_is_refused(client, rogue, accounts):
    log_in(client, rogue)
    accounts.accounts[1].active = False
    other = client.application.test_client()
    response = log_in(other, rogue)
    assert response.status_code == 403
    assert "This account is disabled." in response.get_data(as_text=True)
    assert account_of(other) is None


# -- logging out -------------------------------------------------------------------------


def test_logout_logs_the_account_out(client, rogue, second):
    log_in(client, rogue)
    log_in_here(client, second, "second")
    assert client.post("/logout").status_code == 303
    assert account_of(client) is None
    assert oauth_user(client) is None


def test_flask_login_logout_ends_the_extensions_login(app, client, rogue):
    log_in(client, rogue)
    sent: list[str] = []
    with logged_out.connected_to(lambda sender, **kw: sent.append(kw["provider"]), app):
        assert client.post("/app-logout").status_code == 204
    assert sent == ["rogue"]
    assert account_of(client) is None
    assert oauth_user(client) is None
    assert held_tokens(client) == set()


# -- wiring ------------------------------------------------------------------------------


def test_login_as_goes_through_the_bridge(client, accounts):
    login_as(client, "rogue", sub="seeded", name="Seeded")
    assert account_of(client) == 1
    assert accounts.accounts[1].name == "Seeded"


def test_init_app_needs_a_login_manager(make_app, rogue):
    app = make_app({"rogue": rogue_entry(rogue)})
    with pytest.raises(ConfigurationError, match="LoginManager"):
        FlaskLoginBridge(app.extensions["test_oauth"], app)


def test_the_bridge_acts_only_on_its_own_apps(rogue, accounts, tmp_path):
    oauth = OAuth2Login()
    bridge = FlaskLoginBridge(oauth)

    @bridge.account_loader
    def loader(*args: t.Any) -> t.Any:
        return accounts.account_for(*args)

    def new_app(name: str) -> Flask:
        app = Flask(name, instance_path=str(tmp_path / name))
        app.config.update(SECRET_KEY="s", OAUTH2LOGIN_PROVIDERS={"rogue": rogue_entry(rogue)})
        flask_login.LoginManager(app).user_loader(accounts.get)
        oauth.init_app(app)
        return app

    bridged, plain = new_app("bridged"), new_app("plain")
    bridge.init_app(bridged)

    assert log_in(plain.test_client(), rogue).status_code == 302
    assert accounts.calls == []
    assert log_in(bridged.test_client(), rogue).status_code == 302
    assert len(accounts.calls) == 1


def test_a_back_channel_logout_logs_the_account_out_too(app, client, rogue, accounts):
    rogue.behaviour.id_token_claims = {"sid": "op-session"}
    log_in(client, rogue)
    assert account_of(client) == 1
    seen = []
    provider = app.test_client()  # the provider's request: none of the user's cookies
    with logged_out.connected_to(lambda sender, **kw: seen.append(kw), app):
        response = provider.post(
            "/backchannel-logout/rogue",
            data={"logout_token": rogue.make_logout_token(sid="op-session")},
        )
    assert response.status_code == 200
    assert seen == [{"provider": "rogue", "reason": "backchannel"}]
    assert account_of(client) is None  # Flask-Login's user went with the session
    assert oauth_user(client) is None
