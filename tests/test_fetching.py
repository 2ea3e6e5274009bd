"""Importing an article by its url (ingestion/fetching.py): a real HTTP server on this
machine serves a saved page and the ways a fetch goes wrong; each is a 400 on url
saying why, never a 500. Servers on this machine are private addresses, so the tests
that fetch turn INGESTION_FETCH_ALLOW_PRIVATE on; those that check addresses leave it off."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from ingestion import fetching
from ingestion.fetching import fetch_page
from sources.models import Document

pytestmark = pytest.mark.django_db

TROOPS = "Turkish troops are in Azerbaijan for a training exercise with the Azerbaijani military."
PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Troops | The Outlet</title>'
    '<meta property="article:published_time" content="2021-06-23T10:00:00Z"></head><body>'
    "<nav>Home | World | Sport</nav><article><h1>Turkish troops in Azerbaijan</h1>"
    f"<p>{TROOPS[:-1]}, Reuters reported.</p>"
    "<p>The new drills began on Monday and have already seen the deployment of drones, Reuters said.</p>"
    "</article><footer>Subscribe to our newsletter. © 2021 The Outlet</footer></body></html>"
).encode()
PRIVATE = "an address on a private or internal network"


def answer(status: int, body: bytes = b"", content_type: str | None = "text/html; charset=utf-8", **headers):
    def respond(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        if content_type:
            handler.send_header("Content-Type", content_type)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)

    return respond


def slow(handler: BaseHTTPRequestHandler) -> None:
    time.sleep(2)
    answer(200, PAGE)(handler)


def dripping(handler: BaseHTTPRequestHandler) -> None:
    """A byte every 0.2 s: each read is quick, the whole takes 4 s."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()
    for byte in PAGE[:20]:
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(0.2)


def huge_claimed(handler: BaseHTTPRequestHandler) -> None:
    """Says 10 MB, sends a little and waits: only a fetch that believes the header answers quickly."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", "10000000")
    handler.end_headers()
    handler.wfile.write(PAGE)
    handler.wfile.flush()
    time.sleep(2)


def huge_unsized(handler: BaseHTTPRequestHandler) -> None:
    """200 KB with no Content-Length: the end is when the connection closes."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.end_headers()
    for _ in range(50):
        handler.wfile.write(b"<p>" + b"x" * 4000 + b"</p>")


ROUTES: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {
    "/article": answer(200, PAGE),
    "/moved": answer(301, Location="/article"),
    "/loop": answer(302, Location="/loop"),
    "/to-metadata": answer(302, Location="http://169.254.169.254/latest/meta-data/"),
    "/missing": answer(404, b"<h1>Not found</h1>"),
    "/report.pdf": answer(200, b"%PDF-1.7", content_type="application/pdf"),
    "/latin1": answer(200, "<p>Café crème</p>".encode("latin-1"), content_type="text/html; charset=iso-8859-1"),
    "/base64": answer(200, b"<p>Troops crossed</p>", content_type="text/html; charset=base64"),
    "/idna": answer(200, b"<p>Troops crossed</p>", content_type="text/html; charset=idna"),
    "/untyped": answer(200, b"<p>No type said</p>", content_type=None),
    "/slow": slow,
    "/dripping": dripping,
    "/huge-claimed": huge_claimed,
    "/huge-unsized": huge_unsized,
}


FETCHED: list[str] = []  # the paths asked for, in order


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        FETCHED.append(self.path)
        ROUTES.get(self.path, answer(404))(self)

    def log_message(self, *args) -> None:
        pass


class Server(ThreadingHTTPServer):
    block_on_close = False  # a slow answer the fetch gave up on need not hold up the test

    def handle_error(self, request, client_address) -> None:
        pass  # a fetch hanging up mid-answer is what these tests are about


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def fetching_on(settings):
    settings.INGESTION_FETCH_URLS = True
    return settings


@pytest.fixture
def local_fetching(fetching_on):
    fetching_on.INGESTION_FETCH_ALLOW_PRIVATE = True
    return fetching_on


def refusal(url: str) -> str:
    with pytest.raises(ValidationError) as refused:
        fetch_page(url)
    [message] = refused.value.message_dict["url"]
    return message


def imported(client, **fields):
    return client.post("/api/v1/documents/import/", fields, format="json")


def test_a_url_alone_is_fetched_and_imported(editor_client, site, local_fetching):
    FETCHED.clear()
    response = imported(editor_client, url=f"{site}/article")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["document"]["url"] == f"{site}/article"
    assert body["document"]["title"] == "Turkish troops in Azerbaijan"
    assert body["proposals"][0]["claim_text"] == TROOPS
    assert not any("Subscribe" in proposal["sentence"] for proposal in body["proposals"])
    assert imported(editor_client, url=f"{site}/article").status_code == 200  # the same address: unchanged
    assert FETCHED == ["/article"]  # and not fetched again


def test_a_page_is_decoded_by_its_charset_and_a_relative_redirect_followed(site, local_fetching):
    assert fetch_page(f"{site}/moved") == PAGE.decode()
    assert fetch_page(f"{site}/latin1") == "<p>Café crème</p>"
    # A charset that names a codec but no text encoding is read as UTF-8, not a 500.
    assert fetch_page(f"{site}/base64") == fetch_page(f"{site}/idna") == "<p>Troops crossed</p>"
    assert fetch_page(f"{site}/untyped") == "<p>No type said</p>"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", "answered 404 Not Found"),
        ("/report.pdf", "is application/pdf, not a web page"),
        ("/loop", "redirects more than 5 times"),
        ("/huge-claimed", "is larger than 5,000,000 bytes, the most this server fetches"),
    ],
)
def test_a_page_that_cannot_be_read_is_a_400_saying_why(editor_client, site, local_fetching, path, message):
    response = imported(editor_client, url=f"{site}{path}")

    assert response.status_code == 400, response.json()
    assert message in response.json()["detail"]
    assert [item["field"] for item in response.json()["errors"]] == ["url"]
    assert not Document.objects.exists()


def test_a_page_larger_than_the_limit_is_refused_without_a_content_length(site, local_fetching):
    local_fetching.INGESTION_FETCH_MAX_BYTES = 100_000

    assert "larger than 100,000 bytes" in refusal(f"{site}/huge-unsized")


@pytest.mark.parametrize("path", ["/slow", "/dripping"])
def test_the_deadline_covers_the_whole_fetch(site, local_fetching, path):
    local_fetching.INGESTION_FETCH_TIMEOUT = 1
    started = time.monotonic()

    message = refusal(f"{site}{path}")

    assert "took longer than 1 s, the most this server waits" in message
    assert time.monotonic() - started < 1.8


@pytest.mark.parametrize("url", ["ftp://example.org/article.html", "file:///etc/passwd", "gopher://example.org/"])
def test_only_http_and_https_are_fetched(fetching_on, url):
    assert refusal(url).startswith(f"Only http and https addresses are fetched, not {url}")


def test_an_address_with_credentials_is_refused(fetching_on):
    assert "may not carry a user name or password" in refusal("http://editor:secret@example.org/article")


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("localhost", "127.0.0.1"),
        ("10.1.2.3", "10.1.2.3"),
        ("169.254.169.254", "169.254.169.254"),
        ("[::1]", "::1"),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"),
        ("0.0.0.0", "0.0.0.0"),  # noqa: S104 (an address refused, not one listened on)
        ("[2002:7f00:1::1]", "2002:7f00:1::1"),  # 6to4, carrying 127.0.0.1
        ("[2002:a9fe:a9fe::]", "2002:a9fe:a9fe::"),  # 6to4, carrying 169.254.169.254
    ],
)
def test_private_and_internal_addresses_are_refused(site, fetching_on, host, address):
    port = site.rsplit(":", 1)[1]  # the live server's port: a refusal is not a closed port

    message = refusal(f"http://{host}:{port}/article")

    assert message.startswith(f"{host.strip('[]')} is at ")
    assert PRIVATE in message
    if host != "localhost":  # which of 127.0.0.1 and ::1 comes first is the resolver's choice
        assert f"is at {address}," in message


def test_a_redirect_is_checked_as_the_first_address_was(site, fetching_on, monkeypatch):
    # The local server stands in for a public site that redirects to the cloud's metadata service.
    is_public = fetching._is_public
    monkeypatch.setattr(fetching, "_is_public", lambda address: address == "127.0.0.1" or is_public(address))

    assert fetch_page(f"{site}/article") == PAGE.decode()
    assert refusal(f"{site}/to-metadata").startswith(f"169.254.169.254 is at 169.254.169.254, {PRIVATE}")


def test_fetching_is_off_unless_turned_on(editor_client, site, settings):
    settings.INGESTION_FETCH_ALLOW_PRIVATE = True

    response = imported(editor_client, url=f"{site}/article")

    assert response.status_code == 400, response.json()
    [error] = response.json()["errors"]
    assert (error["field"], error["message"]) == (
        "url",
        "Fetching pages is turned off on this server (INGESTION_FETCH_URLS); send the page itself as html.",
    )


def test_nothing_to_import_says_a_url_would_do(editor_client):
    response = imported(editor_client, title="Nothing else")

    assert response.status_code == 400
    assert "or a url alone to fetch" in response.json()["detail"]


def test_the_command_fetches_a_page(site, local_fetching):
    out = StringIO()

    call_command("import_document", fetch=f"{site}/article", stdout=out)

    assert out.getvalue().startswith("Imported document ")
    assert f"{TROOPS}  [(publisher) > Reuters]" in out.getvalue()
    assert Document.objects.get().url == f"{site}/article"
    with pytest.raises(CommandError, match=r"url: .* answered 404 Not Found"):
        call_command("import_document", fetch=f"{site}/missing", stdout=StringIO())
    with pytest.raises(CommandError, match="one of the arguments file --fetch is required"):
        call_command("import_document", stdout=StringIO())
    with pytest.raises(CommandError, match="leave out --url"):
        call_command("import_document", fetch=f"{site}/article", url="https://example.org/", stdout=StringIO())
    local_fetching.INGESTION_FETCH_URLS = False
    with pytest.raises(CommandError, match="url: Fetching pages is turned off on this server"):
        call_command("import_document", fetch=f"{site}/moved", stdout=StringIO())
