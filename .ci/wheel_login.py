"""Run with the installed wheel (not the source tree): an app with the development
provider serves a whole login, /login/dev to the provider's sign-in page to the callback,
and its pages in the shipped languages (the compiled catalogs are in the wheel)."""

import logging
import re
import sys
import threading
from urllib.parse import urlsplit

import requests
from flask import Flask
from werkzeug.serving import make_server

import flask_oauth2login
from flask_oauth2login import OAuth2Login, login_required
from flask_oauth2login.devidp import DevIdentityProvider

assert "site-packages" in flask_oauth2login.__file__, flask_oauth2login.__file__

app = Flask(__name__)
app.config.update(
    SECRET_KEY="5d0f3c1a9b7e4f2a8c6d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d",
    TESTING=True,
    OAUTH2LOGIN_PROVIDERS={
        "dev": {"preset": "devidp", "client_id": "dev-client", "client_secret": "dev-secret"}
    },
)
DevIdentityProvider(app)
oauth = OAuth2Login(app)


@app.get("/")
@login_required
def home():
    return f"Hello {oauth.user.name}"


logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = make_server("127.0.0.1", 0, app, threaded=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_port}"
try:
    browser = requests.Session()
    browser.trust_env = False
    start = browser.get(url + "/login/dev", allow_redirects=False, timeout=10)
    page = browser.get(start.headers["Location"], timeout=10).text
    fields = {
        name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)
        for name in ("request_id", "csrf_token")
    }
    answer = browser.post(
        url + "/_devidp/authorize",
        data={**fields, "action": "login", "sub": "ada"},
        allow_redirects=False,
        timeout=10,
    )
    callback = urlsplit(answer.headers["Location"])
    done = browser.get(f"{url}{callback.path}?{callback.query}", timeout=10)
    assert done.status_code == 200 and done.text.startswith("Hello "), done.text
    print(f"the wheel ({flask_oauth2login.__version__}) served a login: {done.text}")
    chooser = browser.get(url + "/login", headers={"Accept-Language": "ar"}, timeout=10).text
    assert '<html lang="ar" dir="rtl">' in chooser, chooser[:300]
    assert "<h1>تسجيل الدخول</h1>" in chooser, chooser
    print("the wheel's pages speak Arabic, right to left")
finally:
    server.shutdown()
sys.exit(0)
