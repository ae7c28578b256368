"""Run the npm ``oidc-provider`` package as a real OpenID Connect provider for tests."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from html.parser import HTMLParser
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NoReturn
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.support.requirements import require

NODE_DIR = Path(__file__).resolve().parent.parent / "oidc_provider"
SERVER_SCRIPT = NODE_DIR / "server.mjs"
START_TIMEOUT = 20.0
INSTALL_TIMEOUT = 600.0


class OidcProviderError(RuntimeError):
    """The test OpenID provider could not be installed, started or driven."""


class LoginError(OidcProviderError):
    """The dev interaction pages did not lead to a redirect back to the client."""


def node_available() -> bool:
    """Return True when ``node`` is on PATH and the pinned packages are installed or ``npm``
    is too."""
    if shutil.which("node") is None:
        return False
    return is_installed() or shutil.which("npm") is not None


def require_node() -> None:
    """Skip the test without node and npm (or fail it, when every test is required)."""
    require(node_available(), "node (and npm, to install oidc-provider) is not available")


def oidc_provider(clients: Sequence[Mapping[str, Any]], **options: Any) -> Any:
    """A fixture for a test module: an :class:`OidcProvider` with *clients* and
    *options*, running while the module's tests run. A module declares it as
    ``provider = oidc_provider(CLIENTS)``."""

    @pytest.fixture(scope="module")
    def provider() -> Iterator[OidcProvider]:
        require_node()
        with OidcProvider(clients, **options) as running:
            yield running

    return provider


def _pinned_versions() -> dict[str, str]:
    package = json.loads((NODE_DIR / "package.json").read_text(encoding="utf-8"))
    return {str(name): str(version) for name, version in package["dependencies"].items()}


def _installed_version(name: str) -> str | None:
    manifest = NODE_DIR / "node_modules" / name / "package.json"
    try:
        return str(json.loads(manifest.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None


def is_installed() -> bool:
    """Return True when node_modules holds every pinned package (oidc-provider, axe-core)
    at its pinned version; a stale node_modules is reinstalled by :func:`ensure_installed`."""
    return all(_installed_version(name) == version for name, version in _pinned_versions().items())


@contextmanager
def _install_lock() -> Iterator[None]:
    digest = hashlib.sha256(str(NODE_DIR).encode()).hexdigest()[:16]
    lock_path = Path(tempfile.gettempdir()) / f"flask-oauth2login-oidc-provider-{digest}.lock"
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def ensure_installed() -> None:
    """Run ``npm ci`` in NODE_DIR unless the pinned packages are already installed."""
    if is_installed():
        return
    if not node_available():
        raise OidcProviderError(
            "node and npm are required to run the test OpenID provider "
            f"(install Node.js >= 20, then run `npm ci` in {NODE_DIR})"
        )
    with _install_lock():
        if is_installed():
            return
        npm = shutil.which("npm")
        assert npm is not None
        try:
            result = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund"],
                cwd=NODE_DIR,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise OidcProviderError(f"`npm ci` in {NODE_DIR} timed out") from exc
        if result.returncode != 0 or not is_installed():
            raise OidcProviderError(
                f"`npm ci` in {NODE_DIR} failed with exit code {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )


def _pump_stdout(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


class OidcProvider:
    """A running ``oidc-provider`` instance on 127.0.0.1 with a fixed set of clients."""

    def __init__(
        self,
        clients: Sequence[Mapping[str, Any]],
        access_token_ttl: int = 3600,
        refresh_token_rotation: bool = True,
        *,
        id_token_claims: bool = False,
        port: int = 0,
        require_par: bool = False,
        dpop_nonce: bool = False,
    ) -> None:
        self.clients = [dict(client) for client in clients]
        self.access_token_ttl = access_token_ttl
        self.refresh_token_rotation = refresh_token_rotation
        self.id_token_claims = id_token_claims
        self.port = port
        self.require_par = require_par
        self.dpop_nonce = dpop_nonce
        self.issuer = ""
        self.metadata_url = ""
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._last_stderr = ""

    @property
    def running(self) -> bool:
        """Return True while the node process is alive."""
        return self._process is not None and self._process.poll() is None

    def config(self) -> dict[str, Any]:
        """Return the JSON configuration handed to server.mjs."""
        return {
            "port": self.port,
            "clients": self.clients,
            "accessTokenTTL": self.access_token_ttl,
            "refreshTokenRotation": self.refresh_token_rotation,
            "idTokenClaims": self.id_token_claims,
            "requirePar": self.require_par,
            "dpopNonce": self.dpop_nonce,
        }

    def start(self) -> OidcProvider:
        """Spawn the provider and wait for its READY line."""
        if self.running:
            return self
        ensure_installed()
        node = shutil.which("node")
        if node is None:
            raise OidcProviderError("node is required to run the test OpenID provider")
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        process = subprocess.Popen(
            [node, str(SERVER_SCRIPT), json.dumps(self.config())],
            cwd=NODE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
        )
        self._process = process
        lines: queue.Queue[str | None] = queue.Queue()
        assert process.stdout is not None
        self._reader = threading.Thread(
            target=_pump_stdout, args=(process.stdout, lines), daemon=True
        )
        self._reader.start()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                line = lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                self._fail_start(f"was not ready within {START_TIMEOUT:g}s")
            if line is None:
                self._fail_start("exited before it was ready")
            if line.startswith("READY "):
                self.issuer = line.split(" ", 1)[1].strip()
                self.metadata_url = f"{self.issuer}/.well-known/openid-configuration"
                return self

    def _fail_start(self, what: str) -> NoReturn:
        self.stop()
        raise OidcProviderError(f"oidc-provider {what}; its stderr:\n{self._last_stderr}")

    def stderr_output(self) -> str:
        """Return what the node process wrote to stderr so far."""
        if self._stderr is None or self._stderr.closed:
            return self._last_stderr
        fd = self._stderr.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode("utf-8", "replace")

    def stop(self) -> None:
        """Stop the node process (closing its stdin first) and release its resources."""
        process, self._process = self._process, None
        if process is not None:
            if process.stdin is not None:
                with suppress(OSError):
                    process.stdin.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)
            self._reader = None
        if process is not None and process.stdout is not None:
            process.stdout.close()
        if self._stderr is not None and not self._stderr.closed:
            self._last_stderr = self.stderr_output()
            self._stderr.close()

    def __enter__(self) -> OidcProvider:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def url(self, path: str) -> str:
        """Return an absolute URL on the provider for ``path``."""
        return f"{self.issuer}/{path.lstrip('/')}"

    def metadata(self) -> dict[str, Any]:
        """Fetch the provider's discovery document."""
        response = requests.get(self.metadata_url, timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def stats(self) -> dict[str, Any]:
        """Return the provider's grant, revocation and userinfo counters."""
        response = requests.get(self.url("/__test/stats"), timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def fapi_stats(self) -> dict[str, int]:
        """Return the provider's PAR and DPoP counters: pushed requests
        (``par``), ``use_dpop_nonce`` challenges sent (``dpopNonceChallenges``)
        and requests that carried a DPoP proof (``dpopProofs``)."""
        response = requests.get(self.url("/__test/fapi"), timeout=10)
        response.raise_for_status()
        return {str(k): int(v) for k, v in response.json().items()}

    def reset_stats(self) -> None:
        """Zero the provider's counters."""
        response = requests.post(self.url("/__test/reset"), timeout=10)
        response.raise_for_status()


class _Form:
    def __init__(self, action: str, method: str) -> None:
        self.action = action
        self.method = method
        self.fields: dict[str, str] = {}


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self.links: list[str] = []
        self._form: _Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = _Form(attributes.get("action", ""), attributes.get("method", "get"))
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and attributes.get("name"):
            self._form.fields[attributes["name"]] = attributes.get("value", "")
        elif tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def login(
    http: requests.Session,
    authorize_url: str,
    username: str = "alice",
    consent: bool = True,
) -> str:
    """Drive the provider's dev login and consent pages; return the redirect back to the client.

    Redirects are followed only while they stay on the provider's origin; the first one
    leaving it is returned, not followed. With ``consent=False`` the consent page is
    cancelled, which yields ``error=access_denied``. The provider remembers the login and
    the consent in ``http``'s cookies, so a second call with the same session skips both
    pages (``username`` is then ignored): use a fresh session per user, or ``prompt=login``
    / ``prompt=consent`` in the authorize URL.
    """
    origin = _origin(authorize_url)
    aborted = False
    method, url = "GET", authorize_url
    data: dict[str, str] | None = None
    for _ in range(25):
        response = http.request(method, url, data=data, allow_redirects=False, timeout=10)
        location = response.headers.get("Location")
        if response.is_redirect and location:
            target = urljoin(response.url, location)
            if _origin(target) != origin:
                if not consent and not aborted:
                    raise LoginError(
                        "consent=False but the provider did not ask for consent "
                        f"(already granted in this session?); it redirected to {target}"
                    )
                return target
            method, url, data = "GET", target, None
            continue
        if response.status_code != 200:
            raise LoginError(
                f"{method} {url} answered {response.status_code}: {response.text[:1000]}"
            )
        parser = _PageParser()
        parser.feed(response.text)
        forms = [form for form in parser.forms if "prompt" in form.fields]
        if not forms:
            raise LoginError(f"no login or consent form at {url}: {response.text[:1000]}")
        form = forms[0]
        prompt = form.fields["prompt"]
        if prompt == "login":
            data = {**form.fields, "login": username, "password": "password"}
        elif prompt == "consent" and consent:
            data = dict(form.fields)
        elif prompt == "consent":
            aborts = [link for link in parser.links if link.rstrip("/").endswith("/abort")]
            if not aborts:
                raise LoginError(f"no cancel link on the consent page at {url}")
            method, url, data = "GET", urljoin(response.url, aborts[0]), None
            aborted = True
            continue
        else:
            raise LoginError(f"unexpected interaction prompt {prompt!r} at {url}")
        method, url = form.method.upper() or "POST", urljoin(response.url, form.action)
    raise LoginError(f"too many steps while logging in at {authorize_url}")
