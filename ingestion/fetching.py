"""Fetching an article's page by its address, for an import given a url alone.

Off unless INGESTION_FETCH_URLS: once on, this server makes requests an editor aims,
so each address (every redirect's too) must be http(s) on the public internet. The
connection goes to the very address that was checked (a second lookup could answer a
private one: DNS rebinding), and one deadline and a size limit bound what a fetch costs.
"""

from __future__ import annotations

import codecs
import http.client
import io
import ipaddress
import socket
import ssl
import time
from functools import partial
from typing import NoReturn
from urllib.parse import SplitResult, quote, urljoin, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

MAX_REDIRECTS = 5
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
READABLE_TYPES = {"text/html", "application/xhtml+xml", "text/plain"}
CHUNK_BYTES = 64 * 1024
SEND_AS_HTML = "send the page itself as html"


def fetch_page(url: str) -> str:
    """The page at ``url`` as text, redirects followed; a ValidationError on ``url``
    saying why not."""
    if not settings.INGESTION_FETCH_URLS:
        _refuse(f"Fetching pages is turned off on this server (INGESTION_FETCH_URLS); {SEND_AS_HTML}.")
    deadline = time.monotonic() + settings.INGESTION_FETCH_TIMEOUT
    for _ in range(MAX_REDIRECTS + 1):
        parts = _checked(url)
        connection = _connection(parts, _public_addresses(parts), deadline)
        try:
            response = _response(connection, parts, url)
            if response.status not in REDIRECT_STATUSES:
                return _text(response, url)
            location = response.getheader("Location")
            if not location:
                _refuse(f"{url} answered {response.status} (a redirect) without saying where to; {SEND_AS_HTML}.")
            url = urljoin(url, location.strip())
        finally:
            connection.close()
    _refuse(f"{url} redirects more than {MAX_REDIRECTS} times; {SEND_AS_HTML}.")


def _refuse(message: str) -> NoReturn:
    raise ValidationError({"url": [message]})


def _checked(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is no number raises here)
    except ValueError:
        _refuse(f"{url} is not an address that can be fetched.")
    if parts.scheme not in ("http", "https"):
        _refuse(f"Only http and https addresses are fetched, not {url}; {SEND_AS_HTML}.")
    if parts.username is not None or parts.password is not None:
        _refuse("Fetched addresses may not carry a user name or password; leave them out of the url.")
    if not parts.hostname:
        _refuse(f"{url} names no host.")
    return parts


def _public_addresses(parts: SplitResult) -> list[str]:
    """The host's addresses, all of them public: one private among them is enough to refuse,
    since which one a connection would get is the DNS's choice."""
    try:
        found = socket.getaddrinfo(parts.hostname, parts.port or 0, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        _refuse(f"{parts.hostname} cannot be found (no such host); check the url.")
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not settings.INGESTION_FETCH_ALLOW_PRIVATE:
        for address in addresses:
            if not _is_public(address):
                _refuse(
                    f"{parts.hostname} is at {address}, an address on a private or internal network; only pages "
                    f"on the public internet are fetched ({SEND_AS_HTML})."
                )
    return addresses


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip.ipv4_mapped:  # ::ffff:127.0.0.1 reaches 127.0.0.1
        ip = ip.ipv4_mapped
    internal = ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
    if ip.version == 6 and (ip.sixtofour or ip.teredo):
        # 2002:7f00:1::1 carries 127.0.0.1: judged by the IPv4 address within.
        inner = ip.sixtofour or ip.teredo[1]
        return _is_public(str(inner)) and not (internal or ip.is_reserved or ip.is_unspecified)
    return ip.is_global and not (internal or ip.is_reserved or ip.is_unspecified)


def _time_left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    return left


class _DeadlineReader(io.RawIOBase):
    """The socket's bytes, each receive given only the time left, so a server sending a
    byte at a time cannot stretch the deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock, self.deadline = sock, deadline
        # A socket file, as http.client reads through: it keeps the socket open once the
        # connection is closed (as it is at once when the server will close it).
        self.stream = sock.makefile("rb", buffering=0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.sock.settimeout(_time_left(self.deadline))
        return self.stream.readinto(buffer)

    def close(self) -> None:
        self.stream.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args, deadline: float, **kwargs) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp.close()
        self.fp = io.BufferedReader(_DeadlineReader(sock, deadline))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the addresses checked, never to what the host name resolves to now;
    the Host header still names the host."""

    def __init__(self, host: str, port: int, addresses: list[str], deadline: float) -> None:
        super().__init__(host, port)
        self.addresses, self.deadline = addresses, deadline
        self.response_class = partial(_DeadlineResponse, deadline=deadline)

    def connect(self) -> None:
        for address in self.addresses:
            try:
                self.sock = socket.create_connection((address, self.port), _time_left(self.deadline))
                return
            except OSError as error:  # past the deadline, the next address's time left says so
                refused = error
        raise refused


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        super().connect()
        # The certificate must be the host's, whatever address it was reached at; the
        # handshake gets the time left, not the connect's.
        self.sock.settimeout(_time_left(self.deadline))
        self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=self.host)


def _connection(parts: SplitResult, addresses: list[str], deadline: float) -> _PinnedHTTPConnection:
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    # The port always given: http.client would read the end of an IPv6 host as one.
    return kind(parts.hostname, parts.port or kind.default_port, addresses, deadline)


def _response(connection: _PinnedHTTPConnection, parts: SplitResult, url: str) -> http.client.HTTPResponse:
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = {"User-Agent": "factcheck (article import)", "Accept": "text/html, application/xhtml+xml, text/plain"}
    try:
        connection.request("GET", quote(target, safe="/?&=%:@!$'()*+,;~"), headers=headers)
        return connection.getresponse()
    except (OSError, http.client.HTTPException) as error:
        _refuse_failed(error, url)


def _text(response: http.client.HTTPResponse, url: str) -> str:
    if not 200 <= response.status < 300:
        _refuse(f"{url} answered {response.status} {response.reason}; check the url, or {SEND_AS_HTML}.")
    kind = response.headers.get_content_type()
    if response.getheader("Content-Type") and kind not in READABLE_TYPES:
        _refuse(f"{url} is {kind}, not a web page (text/html, application/xhtml+xml or text/plain).")
    limit = settings.INGESTION_FETCH_MAX_BYTES
    too_large = f"The page at {url} is larger than {limit:,} bytes, the most this server fetches; {SEND_AS_HTML}."
    if response.length is not None and response.length > limit:
        _refuse(too_large)
    body, size = [], 0
    try:
        while chunk := response.read(CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                _refuse(too_large)
            body.append(chunk)
    except (OSError, http.client.HTTPException) as error:
        _refuse_failed(error, url)
    if not size:
        _refuse(f"{url} answered with an empty page.")
    try:
        return b"".join(body).decode(_charset(response), errors="replace")
    except UnicodeError:  # a codec that refuses even with errors="replace"
        return b"".join(body).decode("utf-8", errors="replace")


def _charset(response: http.client.HTTPResponse) -> str:
    """The header's charset if it is a text encoding ("base64" and "idna" are codecs
    too, which cannot decode a page), else UTF-8."""
    charset = response.headers.get_content_charset()
    try:
        codec = codecs.lookup(charset) if charset else None
    except LookupError:
        codec = None
    return codec.name if codec is not None and codec._is_text_encoding and codec.name != "idna" else "utf-8"


def _refuse_failed(error: OSError | http.client.HTTPException, url: str) -> NoReturn:
    if isinstance(error, TimeoutError):
        _refuse(
            f"{url} took longer than {settings.INGESTION_FETCH_TIMEOUT} s, the most this server waits; {SEND_AS_HTML}."
        )
    if isinstance(error, ssl.SSLCertVerificationError):
        _refuse(f"{url} has no valid certificate for its host ({error.verify_message}); {SEND_AS_HTML}.")
    _refuse(f"{url} could not be fetched ({error.__class__.__name__}: {error}); {SEND_AS_HTML}.")
