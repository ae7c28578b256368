"""The development identity provider on a loopback port: :class:`DevIdPServer`.

It serves :mod:`flask_oauth2login.devidp` on 127.0.0.1 in a thread, for
tests that go through the whole login (the app's login route, the
provider's sign-in page and the callback) as a browser would.
"""

from __future__ import annotations

import re
import threading
import typing as t
from urllib.parse import urlsplit

import requests
from flask import Flask, url_for
from flask.testing import FlaskClient

from ..errors import ConfigurationError
from ..protocol import redaction

if t.TYPE_CHECKING:  # pragma: no cover
    from werkzeug.serving import BaseWSGIServer
    from werkzeug.test import TestResponse

_FORM_FIELD = r'name="{}" value="([^"]+)"'


class DevIdPServer:
    """The built-in development identity provider, served on 127.0.0.1.

    Use it as a context manager (or the ``devidp`` fixture), point a
    provider entry at it with :meth:`provider_entry`, and run whole logins
    with :meth:`login`. Its default client is ``dev-client`` and accepts
    any loopback redirect URI, such as the test client's
    ``http://localhost/callback/...``.

    :param users: the users offered on its sign-in page (dicts with ``sub``,
        ``name``, ``email``, ...); defaults to the provider's own.
    :param config: ``OAUTH2LOGIN_DEVIDP_*`` configuration values.
    """

    #: The client registered by default.
    client_id = "dev-client"
    #: Its secret, the provider's documented default.
    client_secret = "dev-secret"

    def __init__(
        self,
        *,
        users: t.Iterable[t.Mapping[str, t.Any]] | None = None,
        **config: t.Any,
    ) -> None:
        # Imported here: the provider signs with this package's key.
        from ..devidp import DevIdentityProvider

        app = Flask("flask_oauth2login.devidp")
        app.config["TESTING"] = True
        app.config.update(config)
        DevIdentityProvider(app, url_prefix="", users=users)
        #: The provider's Flask app.
        self.app = app
        #: Its base URL, which is also its issuer; set by :meth:`start`.
        self.url = ""
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def issuer(self) -> str:
        """The provider's issuer identifier."""
        return self.url

    @property
    def metadata_url(self) -> str:
        """Its OpenID Connect discovery document."""
        return self.url + "/.well-known/openid-configuration"

    def start(self) -> DevIdPServer:
        """Serve on a free port of 127.0.0.1, in a daemon thread."""
        from werkzeug.serving import make_server

        if self._server is not None:
            raise ConfigurationError("The development identity provider is already running.")
        redaction.install()  # no code or token in the access log
        server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_port}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="oauth2login-devidp",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> DevIdPServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def provider_entry(self, **overrides: t.Any) -> dict[str, t.Any]:
        """An ``OAUTH2LOGIN_PROVIDERS`` entry for this provider (by discovery)."""
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "server_metadata_url": self.metadata_url,
            **overrides,
        }

    def login(
        self,
        client: FlaskClient,
        provider: str = "devidp",
        *,
        sub: str | None = None,
        name: str | None = None,
        email: str | None = None,
        email_verified: bool = True,
        next: str | None = None,
        deny: bool = False,
    ) -> TestResponse:
        """Log *client* in through the whole flow, as a browser would.

        ``GET /login/<provider>``, the provider's sign-in page (picking the
        user *sub*, by default ``ada``; or typing in a new user when *name*
        or *email* is given; or denying when *deny*), and the callback.

        :returns: the app's answer to the callback (a redirect to *next* when
            the login worked).
        :raises AssertionError: if a step does not answer as it should.
        """
        app = t.cast(Flask, client.application)
        with app.test_request_context():
            args: dict[str, t.Any] = {"next": next} if next is not None else {}
            start = url_for("oauth2login.login", provider=provider, **args)
        answer = client.get(start)
        location = answer.headers.get("Location", "")
        if answer.status_code != 302 or not location.startswith(self.url + "/"):
            raise AssertionError(
                f"GET {start} answered {answer.status_code} "
                f"{location or answer.get_data(as_text=True)[:300]!r}, not a redirect to "
                f"{self.url}; is the provider entry devidp.provider_entry()?"
            )
        with requests.Session() as http:
            http.trust_env = False
            page = http.get(location, timeout=10)
            if page.status_code != 200:
                raise AssertionError(f"The sign-in page answered {page.status_code}: {page.text}")
            form = {field: _form_value(page.text, field) for field in ("request_id", "csrf_token")}
            if deny:
                form["action"] = "deny"
            elif sub is None and (name or email):
                form.update(action="new", name=name or "", email=email or "")
                if email_verified:
                    form["email_verified"] = "on"
            else:
                form.update(action="login", sub=sub or "ada")
            decided = http.post(
                location.split("?", 1)[0], data=form, allow_redirects=False, timeout=10
            )
        callback = decided.headers.get("Location")
        if decided.status_code != 303 or not callback:
            raise AssertionError(f"The sign-in form answered {decided.status_code}: {decided.text}")
        parts = urlsplit(callback)
        return client.get(
            f"{parts.path}?{parts.query}", base_url=f"{parts.scheme}://{parts.netloc}"
        )


def _form_value(html: str, field: str) -> str:
    found = re.search(_FORM_FIELD.format(field), html)
    if found is None:
        raise AssertionError(f"The sign-in page has no {field!r} field.")
    return found.group(1)
