"""HTTP as clients expect it: CORS for browser tools, conditional GETs, gzip, Bearer
tokens, rate-limit headers, an API root."""

from __future__ import annotations

import gzip
import json

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from claims.services import HopInput, chain_record
from tests.errors import detail
from tests.factories import ClaimFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

ORIGIN = "https://tools.newsroom.example"


@pytest.fixture
def claim():
    claim = ClaimFactory(status="published", text="Turkish jets stayed at Ganja airport.")
    chain_record(claim=claim, hops=[HopInput(source=SourceFactory(name="Reuters"))])
    return claim


def test_a_browser_tool_on_another_origin_may_call_the_api(claim):
    client = Client()
    preflight = client.options(
        "/api/v1/claims/",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, if-none-match",
    )
    answer = client.get("/api/v1/claims/", HTTP_ORIGIN=ORIGIN)

    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert {"authorization", "if-none-match"} <= set(preflight["Access-Control-Allow-Headers"].split(", "))
    assert answer["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in answer["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in answer  # never with the reader's cookies
    assert "Access-Control-Allow-Origin" not in client.get("/admin/login/", HTTP_ORIGIN=ORIGIN)


def test_cors_origins_come_from_the_environment(claim, settings):
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]

    assert Client().get("/api/v1/claims/", HTTP_ORIGIN=ORIGIN)["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Origin" not in Client().get("/api/v1/claims/", HTTP_ORIGIN="https://evil.example")


@pytest.mark.parametrize("path", ["/api/v1/claims/{id}/", "/api/v1/claims/", "/api/v1/claims/{id}/trace/"])
def test_a_client_that_has_the_answer_gets_a_304(path, claim):
    client = Client()
    url = path.format(id=claim.id)
    first = client.get(url)

    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    claim.text = "Turkish jets left Ganja airport."
    claim.save()
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_answers_are_compressed_for_clients_that_accept_gzip(claim):
    for i in range(30):
        ClaimFactory(status="published", text=f"Claim number {i} about the drills in Azerbaijan.")
    plain = Client().get("/api/v1/claims/")

    packed = Client().get("/api/v1/claims/", HTTP_ACCEPT_ENCODING="gzip")

    assert packed["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(packed.content)) == plain.json()
    assert len(packed.content) < len(plain.content) / 3


def test_a_bearer_token_works_like_a_token(claim):
    editor = UserFactory(roles=["editor"], is_staff=True)
    key = Token.objects.create(user=editor).key

    assert Client().get("/api/v1/documents/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert Client().get("/api/v1/documents/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert detail(Client().get("/api/v1/documents/", HTTP_AUTHORIZATION="Bearer nope"), 401) == "Invalid token."
    unknown_scheme = Client().get("/api/v1/documents/", HTTP_AUTHORIZATION=f"Basic {key}")
    assert detail(unknown_scheme, 401, "not_authenticated") == "Authentication credentials were not provided."


def test_answers_vary_by_caller_and_say_what_is_left_of_the_rate_limit(claim, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "5/day"}}
    client = Client(REMOTE_ADDR="203.0.113.9")

    first, second = client.get("/api/v1/claims/"), client.get("/api/v1/claims/")

    assert "Authorization" in first["Vary"]
    assert first["RateLimit-Limit"] == "5"
    assert (int(first["RateLimit-Remaining"]), int(second["RateLimit-Remaining"])) == (4, 3)
    assert 0 < int(first["RateLimit-Reset"]) <= 86_400


def test_the_api_root_lists_the_endpoints(claim):
    root = Client().get("/api/v1/").json()

    assert {"claims", "sources", "documents", "topics", "schema", "docs"} <= set(root)
    assert Client().get(root["claims"]["url"]).status_code == 200
    assert Client().get(root["schema"]["url"]).status_code == 200
