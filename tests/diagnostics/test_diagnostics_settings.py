"""``flask oauth2login check`` names the ``OAUTH2LOGIN_*`` keys no setting reads,
with the setting each one probably meant (from the settings tables)."""

from __future__ import annotations

import secrets
import typing as t

import pytest
from flask import Flask

from flask_oauth2login import OAuth2Login, diagnostics
from flask_oauth2login.config.settings import APP_SETTINGS

CORP = {
    "client_id": "id",
    "client_secret": "s",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}


def make(tmp_path: t.Any, **config: t.Any) -> Flask:
    """An app whose *config* is set after ``init_app`` (which refuses unknown keys)."""
    app = Flask("cfg", instance_path=str(tmp_path))
    app.config.update(SECRET_KEY=secrets.token_hex(32), OAUTH2LOGIN_PROVIDERS={"corp": CORP})
    OAuth2Login(app)
    app.config.update(config)
    return app


def check(app: Flask) -> list[str]:
    report = diagnostics.Report()
    diagnostics.check_settings(app, report)
    assert {(f.level, f.topic) for f in report.findings} <= {(diagnostics.ERROR, "configuration")}
    return [f.message for f in report.findings]


def test_every_key_a_setting_reads_passes(tmp_path):
    app = make(
        tmp_path,
        OAUTH2LOGIN_REDIRECT_URL="/home",
        OAUTH2LOGIN_CORP_CLIENT_SECRET="s",
        OAUTH2LOGIN_DEVIDP_ISSUER="http://localhost:5000",  # the development provider's
    )
    assert check(app) == []


def test_a_misspelled_key_is_named_with_the_setting_it_probably_meant(tmp_path):
    app = make(
        tmp_path,
        OAUTH2LOGIN_REDIRECT_ULR="/home",
        OAUTH2LOGIN_CORP_CLIENT_SECRT="s",
        OAUTH2LOGIN_NOTHING_LIKE_IT=1,
        oauth2login_http_timeout=5,
    )
    doc = APP_SETTINGS["REDIRECT_URL"].doc
    assert check(app) == [
        "OAUTH2LOGIN_CORP_CLIENT_SECRT is no setting of flask-oauth2login. "
        "Did you mean OAUTH2LOGIN_CORP_CLIENT_SECRET (`client_secret` of provider 'corp', when "
        "its entry has none)?",
        "OAUTH2LOGIN_NOTHING_LIKE_IT is no setting of flask-oauth2login.",
        f"OAUTH2LOGIN_REDIRECT_ULR is no setting of flask-oauth2login. "
        f"Did you mean OAUTH2LOGIN_REDIRECT_URL ({doc})?",
        "oauth2login_http_timeout is no setting of flask-oauth2login. "
        f"Did you mean OAUTH2LOGIN_HTTP_TIMEOUT ({APP_SETTINGS['HTTP_TIMEOUT'].doc})?",
    ]


def test_the_whole_check_reports_unknown_keys_first(tmp_path):
    app = make(tmp_path, OAUTH2LOGIN_LOGIN_TIMOUT=60)
    report = diagnostics.check_app(app, processes=1, network=False)
    assert next(iter(report.topics())) == "configuration"
    assert [f.message for f in report.errors if f.topic == "configuration"] == check(app)


@pytest.mark.parametrize(
    ("base", "problem"),
    [
        ("layuot.html", "is not found"),
        ("broken.html", "does not load (TemplateSyntaxError: "),
        ("layout.html", None),
        ("oauth2login/base.html", None),
    ],
)
def test_a_base_template_that_does_not_load_fails(tmp_path, base, problem):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "broken.html").write_text("{% block content %}")
    (tmp_path / "templates" / "layout.html").write_text(
        "{% block title %}{% endblock %}{% block head %}{% endblock %}"
        "{% block content %}{% endblock %}"
    )
    app = Flask("cfg", instance_path=str(tmp_path), root_path=str(tmp_path))
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),
        OAUTH2LOGIN_PROVIDERS={"corp": CORP},
        OAUTH2LOGIN_BASE_TEMPLATE=base,
    )
    OAuth2Login(app)
    found = check(app)
    if problem is None:
        assert found == []
    else:
        (failure,) = found
        assert failure.startswith(f"OAUTH2LOGIN_BASE_TEMPLATE {base!r} {problem}")
        assert "blocks title, head and content" in failure
