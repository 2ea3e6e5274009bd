"""A newsroom's browser tool on another origin calls the API from a real Chromium:
anonymously, and with a token (which makes the browser ask first, a preflight)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rest_framework.authtoken.models import Token

from claims.models import ClaimStatus
from tests.factories import ClaimFactory, UserFactory

pytestmark = pytest.mark.browser


class _ToolPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>Newsroom tool</title><p>A tool on its own origin.</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def other_origin():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ToolPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


FETCH = """async ([url, token]) => {
    const headers = token ? {"Authorization": "Bearer " + token} : {};
    const response = await fetch(url, {headers});
    return {status: response.status, etag: response.headers.get("ETag"), body: await response.json()};
}"""


def test_a_tool_on_another_origin_searches_and_reads_drafts_with_its_token(
    committed_db, live_server, other_origin, chromium_page
):
    ClaimFactory(text="Turkish jets stayed at Ganja airport.", status=ClaimStatus.PUBLISHED)
    ClaimFactory(text="A draft about Ganja.", status=ClaimStatus.DRAFT)
    token = Token.objects.create(user=UserFactory(roles=["journalist"])).key
    page = chromium_page
    page.goto(other_origin)
    url = f"{live_server.url}/api/v1/claims/?search=Ganja"

    public = page.evaluate(FETCH, [url, None])
    with_token = page.evaluate(FETCH, [url, token])

    assert public["status"] == 200
    assert [c["text"] for c in public["body"]["results"]] == ["Turkish jets stayed at Ganja airport."]
    assert public["etag"]  # exposed to the tool, for its conditional requests
    assert with_token["status"] == 200
    assert len(with_token["body"]["results"]) == 2


def test_an_origin_the_deployment_did_not_allow_is_refused_by_the_browser(
    committed_db, live_server, other_origin, chromium_page, settings
):
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOWED_ORIGINS = ["https://newsroom.example.org"]
    ClaimFactory(status=ClaimStatus.PUBLISHED)
    page = chromium_page
    page.goto(other_origin)

    refused = page.evaluate(
        "async (url) => { try { await fetch(url); return 'read'; } catch (e) { return 'refused'; } }",
        f"{live_server.url}/api/v1/claims/",
    )

    assert refused == "refused"
