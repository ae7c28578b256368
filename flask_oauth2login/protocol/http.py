"""The transport to a provider: one deadline, a size cap, no redirects.

Every request this client sends to a provider (discovery, key sets, the
token endpoint, UserInfo, revocation, ...) goes through a
:class:`Transport`. One deadline covers the whole exchange (connect,
status line, headers and body): a process-wide watchdog thread
(:mod:`~flask_oauth2login.protocol.deadline`) shuts the exchange's sockets
down when it passes, so a provider that trickles its
answer a byte at a time cannot hold a worker. Redirects are never followed,
``~/.netrc`` is never read, and at most :data:`MAX_ANSWER_BYTES` are read
(before and after undoing the content codings of :rfc:`9110#section-8.4`,
which this module does itself, under the cap). Network failures and
unacceptable answers become :class:`~flask_oauth2login.errors.ProviderError`
subclasses whose messages name no secret.
"""

from __future__ import annotations

import os
import socket
import ssl
import sys
import time
import typing as t
import zlib
from urllib.parse import urlsplit

import requests
import urllib3

from ..errors import InvalidProviderResponse, ProviderUnavailable
from .deadline import DeadlineAdapter, Exchange, deadline

#: The largest answer read from a provider, before and after decompression.
MAX_ANSWER_BYTES = 1024 * 1024
#: Content codings this client undoes (and asks for), and the ``wbits`` of each.
CONTENT_CODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": 0}
#: The most content codings one answer may stack (``gzip, gzip``), as urllib3 allows.
MAX_CONTENT_CODINGS = 5
_CHUNK = 16384


#: Whether the proxies the environment gives a URL depend on the environment
#: variables alone (not on a system setting, as on macOS and Windows).
_PROXIES_FROM_VARIABLES = os.supports_bytes_environ and sys.platform != "darwin"
#: The proxies of each (URL, proxy variables) seen, a few at most.
_PROXIES: dict[tuple[str, tuple[tuple[bytes, bytes], ...]], dict[str, str]] = {}
_PROXIES_KEPT = 64


def environ_proxies(url: str) -> dict[str, str]:
    """The proxies the environment gives *url* (``*_proxy`` and ``NO_PROXY``,
    any case), as :func:`requests.utils.get_environ_proxies` finds them.

    That reads the whole environment twice; here it is asked once per URL and
    set of proxy variables, so a change of the variables is still seen at once.
    """
    if not _PROXIES_FROM_VARIABLES:
        return requests.utils.get_environ_proxies(url)
    key = (url, _proxy_variables())
    found = _PROXIES.get(key)
    if found is None:
        if len(_PROXIES) >= _PROXIES_KEPT:
            _PROXIES.clear()
        found = _PROXIES[key] = requests.utils.get_environ_proxies(url)
    return dict(found)


def _proxy_variables() -> tuple[tuple[bytes, bytes], ...]:
    """The environment variables proxies depend on: every ``*_proxy`` (any
    case; ``NO_PROXY`` too), and ``REQUEST_METHOD`` (under CGI,
    ``HTTP_PROXY`` is a request header and ignored)."""
    environ = os.environb
    return tuple(
        (name, environ.get(name, b""))
        for name in environ
        if name[-6:].lower() == b"_proxy" or name == b"REQUEST_METHOD"
    )


class Transport:
    """Sends one provider's requests, each within one deadline.

    :param provider: the provider's name, for error messages.
    :param timeout: the seconds one exchange may take, from connecting to
        the answer's last byte.
    :param user_agent: the ``User-Agent`` to send, if the provider wants one.
    """

    def __init__(self, provider: str, *, timeout: float, user_agent: str | None = None) -> None:
        #: The provider's name, for error messages.
        self.provider = provider
        #: The seconds one exchange may take.
        self.timeout = timeout
        #: A pooled session for calls to the provider; keeps connections alive.
        self.session = requests.Session()
        # Proxies (with NO_PROXY) and the CA bundle come from the environment
        # as requests would take them; ~/.netrc credentials never do.
        self.session.trust_env = False
        self.session.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        self.session.headers["Accept"] = "application/json"
        # Only the codings decoded here, under the size cap (not brotli or
        # zstd, which requests asks for when their packages are installed).
        self.session.headers["Accept-Encoding"] = "gzip, deflate"
        self.session.mount("https://", DeadlineAdapter())
        self.session.mount("http://", DeadlineAdapter())
        if user_agent is not None:
            self.session.headers["User-Agent"] = user_agent

    def send(self, method: str, url: str, *, what: str, **kwargs: t.Any) -> requests.Response:
        """Send a request; the whole answer must arrive within the timeout.

        ``timeout`` alone bounds each socket operation, so a provider sending
        its headers or body a byte at a time could hold a worker for ever;
        here one deadline covers connect, status line, headers and body (see
        :class:`~flask_oauth2login.protocol.deadline.Exchange`), and the body is refused past
        :data:`MAX_ANSWER_BYTES`, before and after decompression.

        :param what: what is asked, for error messages (``"token endpoint"``).
        :param kwargs: passed to :meth:`requests.Session.request`.
        :raises ProviderUnavailable: if the provider cannot be reached, does
            not answer in time, or fails (HTTP 5xx).
        :raises InvalidProviderResponse: if it answers with a redirect, or an
            answer too large or with an unknown content coding.
        """
        exchange = Exchange(time.monotonic() + self.timeout)
        try:
            with deadline(exchange):
                response = self.session.request(
                    method,
                    url,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                    proxies=environ_proxies(url),
                    **kwargs,
                )
                try:
                    response._content = _read_body(response, exchange.deadline, what, self.provider)
                    response._content_consumed = True  # the connection may be reused
                finally:
                    response.close()
            if exchange.expired:  # the answer may have been cut short
                raise requests.Timeout()
        except (requests.RequestException, InvalidProviderResponse) as exc:
            timed_out = isinstance(exc, requests.Timeout) or exchange.expired
            if isinstance(exc, InvalidProviderResponse) and not timed_out:
                raise
            cause = (
                f"no answer within {seconds(self.timeout)} (OAUTH2LOGIN_HTTP_TIMEOUT)"
                if timed_out
                else failure_cause(exc)
            )
            raise ProviderUnavailable(
                f"The provider's {what} did not answer within {seconds(self.timeout)}."
                if timed_out
                else f"The provider's {what} could not be reached.",
                provider=self.provider,
                detail=f"{method} {shown_url(url)}: {where(url)}: {cause}.",
            ) from None
        # What went out (credentials, code, verifier) stays out of exceptions.
        response.request = None  # type: ignore[assignment]
        if response.is_redirect or 300 <= response.status_code < 400:
            raise InvalidProviderResponse(
                f"The provider's {what} answered with a redirect; this client follows none.",
                provider=self.provider,
            )
        if response.status_code >= 500:
            raise ProviderUnavailable(
                f"The provider's {what} failed (HTTP {response.status_code}).",
                provider=self.provider,
                response=response,
            )
        return response

    def json_answer(self, response: requests.Response, what: str) -> t.Any:
        """The JSON document *response* (an answer of :meth:`send`) carries.

        :raises InvalidProviderResponse: if the answer is not HTTP 200 or
            not JSON.
        """
        self._check_ok(response, what)
        body = parse_json(response)
        if body is None:
            raise InvalidProviderResponse(
                f"The provider's {what} answer is not JSON.", provider=self.provider
            )
        return body

    def json_object(self, response: requests.Response, what: str) -> dict[str, t.Any]:
        """The JSON object *response* (an answer of :meth:`send`) carries.

        :raises InvalidProviderResponse: if the answer is not HTTP 200 or
            not a JSON object.
        """
        self._check_ok(response, what)
        body = parse_json(response)
        if not isinstance(body, dict):
            raise InvalidProviderResponse(
                f"The provider's {what} answer is not a JSON object.", provider=self.provider
            )
        return body

    def _check_ok(self, response: requests.Response, what: str) -> None:
        if response.status_code != 200:
            raise InvalidProviderResponse(
                f"The provider's {what} answer was HTTP {response.status_code}.",
                provider=self.provider,
                response=response,
            )


def seconds(value: float) -> str:
    """*value* in seconds, in words: ``1 second``, ``0.5 seconds``, ``10 seconds``."""
    return f"{value:g} second" + ("" if value == 1 else "s")


def where(url: str) -> str:
    """The host and port *url* connects to (``idp.example:443``)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    host = parts.hostname or "?"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def shown_url(url: str) -> str:
    """*url* without its query and fragment (which may carry values no log
    should hold) or credentials."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{netloc}{parts.path}"


def failure_cause(exc: BaseException) -> str:
    """Why a request could not reach its server, in words an operator can act
    on: refused, a DNS failure, a TLS failure, a timeout, or the exception's name."""
    chain = list(_chain(exc))
    if any(isinstance(e, requests.Timeout | socket.timeout | TimeoutError) for e in chain):
        return "no answer in time"
    for error in chain:
        if isinstance(error, ssl.SSLCertVerificationError):
            return f"TLS certificate not accepted ({error.verify_message or 'not trusted'})"
        if isinstance(error, ssl.SSLError):
            reason = getattr(error, "reason", None) or type(error).__name__
            return (
                f"TLS handshake failed ({reason}; is it an https URL to a server that "
                "speaks plain http?)"
            )
    for error in chain:
        if isinstance(error, socket.gaierror) or type(error).__name__ == "NameResolutionError":
            return "the host name could not be resolved (DNS lookup failed)"
        if isinstance(error, ConnectionRefusedError):
            return "connection refused (nothing listens on that port)"
        if isinstance(error, ConnectionResetError):
            return "the connection was reset by the server"
    if any(isinstance(e, requests.exceptions.SSLError) for e in chain):
        return "TLS handshake failed"
    return f"connection failed ({type(exc).__name__})"


def _chain(exc: BaseException) -> t.Iterator[BaseException]:
    """*exc*, its causes and contexts, and the reasons urllib3 wraps."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        error = todo.pop(0)
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        todo += [error.__cause__, error.__context__]
        todo += [
            e for e in (getattr(error, "reason", None), *error.args) if isinstance(e, BaseException)
        ]


def parse_json(response: requests.Response) -> t.Any:
    """The JSON body of *response*, or ``None`` when it is not JSON (or is
    nested too deeply to parse)."""
    try:
        return response.json()
    except (ValueError, RecursionError):
        return None


# -- reading an answer under the size cap ----------------------------------


def _read_body(response: requests.Response, deadline: float, what: str, provider: str) -> bytes:
    """Read a streamed answer and undo its content codings, giving up at
    *deadline* or past the size cap.

    The raw bytes are read as they are (``decode_content=False``) and
    decompressed here, under the cap, whatever urllib3 would do. ``read1``
    returns whatever has arrived, so a provider that trickles its answer is
    noticed between two of its bytes, not after the last one.
    """
    decoder = _Decoder(response.headers.get("Content-Encoding", ""), what, provider)
    raw = response.raw
    read = getattr(raw, "read1", raw.read)
    received = 0
    body = bytearray()
    try:
        while chunk := read(_CHUNK, decode_content=False):
            received += len(chunk)
            if received > MAX_ANSWER_BYTES:
                raise decoder.too_large()
            body += decoder.feed(chunk)
            if time.monotonic() > deadline:
                raise requests.Timeout()
        body += decoder.flush()
    except (requests.RequestException, InvalidProviderResponse):
        raise
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise requests.ConnectionError(type(exc).__name__) from None
    return bytes(body)


class _Decoder:
    """Undoes an answer's ``Content-Encoding``, one chunk at a time, never
    producing more than :data:`MAX_ANSWER_BYTES` (plus one byte) at any
    layer: a compression bomb is refused after about a megabyte of work."""

    def __init__(self, header: str, what: str, provider: str) -> None:
        self.what = what
        self.provider = provider
        codings = [c.strip().lower() for c in header.split(",")]
        codings = [c for c in codings if c and c != "identity"]
        unknown = [c for c in codings if c not in CONTENT_CODINGS]
        if unknown or len(codings) > MAX_CONTENT_CODINGS:
            shown = repr(unknown[0][:32]) if unknown else f"{len(codings)} stacked codings"
            raise InvalidProviderResponse(
                f"The provider's {what} answer uses a content coding this client does not "
                f"decode ({shown}).",
                provider=provider,
            )
        # Codings are listed in the order applied: undo the last one first.
        self._layers = [_Layer(CONTENT_CODINGS[c]) for c in reversed(codings)]

    def feed(self, data: bytes) -> bytes:
        """Decode the next *data*; the bytes of the answer it gives."""
        for layer in self._layers:
            data = self._run(layer.feed, data)
        return data

    def flush(self) -> bytes:
        """The answer's last bytes, once all was fed."""
        data = b""
        for layer in self._layers:
            data = self._run(layer.feed, data) + self._run(layer.flush)
        return data

    def _run(self, step: t.Callable[..., bytes], *args: bytes) -> bytes:
        try:
            return step(*args)
        except _TooLarge:
            raise self.too_large() from None
        except zlib.error:
            raise InvalidProviderResponse(
                f"The provider's {self.what} answer is not correctly compressed.",
                provider=self.provider,
            ) from None

    def too_large(self) -> InvalidProviderResponse:
        """The error refusing an answer past the cap."""
        return InvalidProviderResponse(
            f"The provider's {self.what} answer is too large.", provider=self.provider
        )


class _TooLarge(Exception):
    """A layer of content coding decoded to more than the cap."""


class _Layer:
    """One content coding, undone incrementally with a cap on its output.

    ``deflate`` is tried as zlib data first, then as raw deflate (as some
    servers send it); gzip answers may have several members.
    """

    def __init__(self, wbits: int) -> None:
        self._wbits = wbits or zlib.MAX_WBITS
        self._raw_fallback = wbits == 0
        self._head: bytes | None = b"" if self._raw_fallback else None
        self._decompress = zlib.decompressobj(self._wbits)
        self._produced = 0

    def feed(self, data: bytes) -> bytes:
        if self._head is not None:  # deflate, nothing decoded yet: keep the input
            self._head += data
        try:
            return self._feed(data)
        except zlib.error:
            if self._head is None or self._produced:
                raise
            head, self._head = self._head, None
            self._decompress = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._feed(head)

    def _feed(self, data: bytes) -> bytes:
        out = bytearray()
        while data:
            if self._decompress.eof:  # another gzip member, or trailing bytes
                if self._wbits <= zlib.MAX_WBITS:
                    break  # deflate: what follows the stream is ignored
                self._decompress = zlib.decompressobj(self._wbits)
            room = MAX_ANSWER_BYTES + 1 - self._produced
            piece = self._decompress.decompress(data, min(room, _CHUNK))
            self._produced += len(piece)
            if self._produced > MAX_ANSWER_BYTES:
                raise _TooLarge()
            out += piece
            data = self._decompress.unused_data or self._decompress.unconsumed_tail
        if out:
            self._head = None
        return bytes(out)

    def flush(self) -> bytes:
        rest = self._decompress.flush()
        self._produced += len(rest)
        if self._produced > MAX_ANSWER_BYTES:
            raise _TooLarge()
        return rest
