"""Malformed, oversized or hostile input gets a 4xx that names the field, never a 500."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from claims.models import Attribution, Claim
from tests.errors import detail, error_body, messages
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db

BIG = 10**25  # past any bigint id


@pytest.fixture
def w(db):
    """A claim, two sources and a document for the requests to point at."""
    return {"claim": ClaimFactory(), "a": SourceFactory(name="Reuters"), "b": SourceFactory(), "doc": DocumentFactory()}


def chain(w, body):
    return "post", f"/api/v1/claims/{w['claim'].id}/chains/", body


# name: (request built from the fixture objects, the exact messages by field)
CHAIN_CASES = {
    "empty hops": (
        lambda w: chain(w, {"hops": []}),
        {"hops": ["Give at least one hop: the source that states the claim."]},
    ),
    "no hops": (lambda w: chain(w, {}), {"hops": ["This field is required."]}),
    "hops not a list": (lambda w: chain(w, {"hops": "x"}), {"hops": ['Expected a list of items but got type "str".']}),
    "too many hops": (
        lambda w: chain(w, {"hops": [{"source": w["a"].id}, {"source": w["b"].id}] * 11}),
        {"hops": ["Ensure this field has no more than 20 elements."]},
    ),
    "unknown source id": (
        lambda w: chain(w, {"hops": [{"source": w["a"].id}, {"source": 999999}]}),
        {"hops[1].source": ["No source has id 999999."]},
    ),
    "source id past bigint": (
        lambda w: chain(w, {"hops": [{"source": BIG}]}),
        {"hops[0].source": ["Ensure this value is less than or equal to 9223372036854775807."]},
    ),
    "source of the wrong type": (
        lambda w: chain(w, {"hops": [{"source": "Reuters"}]}),
        {"hops[0].source": ["A valid integer is required."]},
    ),
    "hop not an object": (
        lambda w: chain(w, {"hops": [1]}),
        {"hops[0]": ["Invalid data. Expected a dictionary, but got int."]},
    ),
    "self-citation": (
        lambda w: chain(w, {"hops": [{"source": w["a"].id}, {"source": w["a"].id}]}),
        {"hops[1].source": ["Reuters cannot cite itself."]},
    ),
    "unknown relation": (
        lambda w: chain(w, {"hops": [{"source": w["a"].id, "relation": "gossip"}, {"source": w["b"].id}]}),
        {"hops[0].relation": ['"gossip" is not a valid choice.']},
    ),
    "verified not a boolean": (
        lambda w: chain(w, {"hops": [{"source": w["a"].id, "verified": "maybe"}]}),
        {"hops[0].verified": ["Must be a valid boolean."]},
    ),
    "over-long hop quote": (
        lambda w: chain(w, {"hops": [{"source": w["a"].id, "quote": "x" * 5001}]}),
        {"hops[0].quote": ["Ensure this field has no more than 5000 characters."]},
    ),
    "unknown documents": (
        lambda w: chain(w, {"document": 999999, "hops": [{"source": w["a"].id, "document": 888888}]}),
        {"document": ["No document has id 999999."], "hops[0].document": ["No document has id 888888."]},
    ),
    "quote without a document": (
        lambda w: chain(w, {"quote": "said so", "hops": [{"source": w["a"].id}]}),
        {"quote": ["A quote needs the document it is quoted from."]},
    ),
    "NUL bytes in quotes": (
        lambda w: chain(
            w, {"document": w["doc"].id, "quote": "a\x00", "hops": [{"source": w["a"].id, "quote": "\x00"}]}
        ),
        {"quote": ["The text contains a NUL character at position 1, which cannot be stored."]},
    ),
}


@pytest.mark.parametrize("case", list(CHAIN_CASES))
def test_a_bad_chain_is_a_400_naming_the_field_and_records_nothing(case, editor_client, w):
    build, expected = CHAIN_CASES[case]
    method, url, body = build(w)

    response = getattr(editor_client, method)(url, body, format="json")

    assert messages(response) == expected
    assert not Attribution.objects.exists()
    assert not w["claim"].statements.exists()


WRITE_CASES = {
    "over-long claim text": (
        "post",
        "/api/v1/claims/",
        {"text": "x" * 2001},
        {"text": ["Ensure this field has no more than 2000 characters."]},
    ),
    "NUL byte in claim text": (
        "post",
        "/api/v1/claims/",
        {"text": "a\x00b"},
        {"text": ["The text contains a NUL character at position 1, which cannot be stored."]},
    ),
    "claim text of the wrong type": ("post", "/api/v1/claims/", {"text": ["a"]}, {"text": ["Not a valid string."]}),
    "blank claim text": ("post", "/api/v1/claims/", {"text": "   "}, {"text": ["This field may not be blank."]}),
    "wrong types on claim fields": (
        "post",
        "/api/v1/claims/",
        {"text": "ok", "status": "bogus", "rating": 5, "event_start": "last summer", "event_approximate": "maybe"},
        {
            "status": ['"bogus" is not a valid choice.'],
            "rating": ['"5" is not a valid choice.'],
            "event_start": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
            "event_approximate": ["Must be a valid boolean."],
        },
    ),
    "event ending before it starts": (
        "post",
        "/api/v1/claims/",
        {"text": "ok", "event_start": "2020-09-27", "event_end": "2020-09-01"},
        {"event_end": ["The event cannot end before it starts."]},
    ),
    "unknown topic": (
        "post",
        "/api/v1/claims/",
        {"text": "ok", "topics": ["nope"]},
        {"topics": ["Unknown topic: nope."]},
    ),
    "body not an object": (
        "post",
        "/api/v1/claims/",
        [1, 2],
        {None: ["Invalid data. Expected a dictionary, but got list."]},
    ),
    "NUL byte in a source alias": (
        "post",
        "/api/v1/sources/",
        {"name": "ok", "aliases": ["a\x00"]},
        {"aliases[0]": ["The text contains a NUL character at position 1, which cannot be stored."]},
    ),
    "lone surrogate in claim text": (
        "post",
        "/api/v1/claims/",
        {"text": "a\ud800b"},
        {"text": ["The text contains a lone surrogate (U+D800) at position 1, which cannot be stored."]},
    ),
    "too many aliases": (
        "post",
        "/api/v1/sources/",
        {"name": "ok", "aliases": [f"alias {i}" for i in range(51)]},
        {"aliases": ["Ensure this field has no more than 50 elements."]},
    ),
    "unknown parent": (
        "post",
        "/api/v1/sources/",
        {"name": "ok", "parent": 999999},
        {"parent": ['Invalid pk "999999" - object does not exist.']},
    ),
    "malformed source fields": (
        "post",
        "/api/v1/sources/",
        {"name": "ok", "country": "az", "url": "nope", "wikidata_qid": "X1", "kind": "bogus"},
        {
            "kind": ['"bogus" is not a valid choice.'],
            "country": ["Use a two-letter ISO 3166-1 country code, e.g. AZ."],
            "url": ["Enter a valid URL."],
            "wikidata_qid": ["A Wikidata QID looks like Q1234."],
        },
    ),
    "unknown publisher and a bad date": (
        "post",
        "/api/v1/documents/",
        {"title": "ok", "publisher": 999999, "published_at": "Monday"},
        {
            "publisher": ['Invalid pk "999999" - object does not exist.'],
            "published_at": [
                "Datetime has wrong format. Use one of these formats instead: "
                "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
            ],
        },
    ),
    "over-long document title": (
        "post",
        "/api/v1/documents/",
        {"title": "x" * 501},
        {"title": ["Ensure this field has no more than 500 characters."]},
    ),
}


@pytest.mark.parametrize("case", list(WRITE_CASES))
def test_a_bad_write_is_a_400_naming_the_field(case, editor_client):
    method, url, body, expected = WRITE_CASES[case]

    # As a client sends it: ASCII JSON, with \u escapes (a lone surrogate can only travel so).
    response = getattr(editor_client, method)(url, json.dumps(body), content_type="application/json")

    assert messages(response) == expected


FILTER_CASES = {
    "bad status": ("/api/v1/claims/?status=bogus", ["status"]),
    "bad rating": ("/api/v1/claims/?rating=5", ["rating"]),
    "source not a number": ("/api/v1/claims/?source=Reuters", ["source"]),
    "origin not a whole number": ("/api/v1/claims/?origin=1.5", ["origin"]),
    "document past bigint": (f"/api/v1/claims/?document={BIG}", ["document"]),
    "bad event date": ("/api/v1/claims/?event_after=last+summer", ["event_after"]),
    "bad created time": ("/api/v1/claims/?created_before=yesterday", ["created_before"]),
    "over-long search": ("/api/v1/claims/?search=" + "x" * 501, ["search"]),
    "negative parent": ("/api/v1/sources/?parent=-1", ["parent"]),
    "bad source kind": ("/api/v1/sources/?kind=bogus", ["kind"]),
    "bad publisher": ("/api/v1/documents/?publisher=x", ["publisher"]),
    "bad published time": ("/api/v1/documents/?published_after=soon", ["published_after"]),
}


@pytest.mark.parametrize("case", list(FILTER_CASES))
def test_a_bad_filter_value_is_a_400_naming_the_filter(case, editor_client):
    url, fields = FILTER_CASES[case]

    response = editor_client.get(url)

    assert list(messages(response)) == fields


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/claims/?search=%00",
        "/api/v1/claims/?topic=a%00",
        "/api/v1/sources/?search=%00",
        "/api/v1/claims/1/trace/?as_of=%00",
        "/api/v1/claims/?%00=1",
    ],
)
def test_a_nul_byte_anywhere_in_the_query_is_a_400_naming_the_parameter(url, editor_client):
    response = editor_client.get(url)

    message = detail(response, 400, "invalid")
    assert "a NUL character" in message
    assert "query parameter" in message


@pytest.mark.parametrize("as_of", ["yesterday", "2024-13-45T00:00:00", "0001-01-01T00:00:00%2B14:00"], ids=str)
def test_a_malformed_as_of_is_a_400_naming_it(as_of, editor_client, w):
    response = editor_client.get(f"/api/v1/claims/{w['claim'].id}/trace/?as_of={as_of}")

    assert list(messages(response)) == ["as_of"]


def test_a_time_zone_offset_postgresql_cannot_read_is_resolved_before_the_query(editor_client, w):
    """Python reads offsets up to 24 hours, PostgreSQL up to 15:59: the filter converts to UTC."""
    w["doc"].published_at = dt.datetime(2024, 1, 2, 12, tzinfo=dt.UTC)
    w["doc"].save()

    # 2024-01-02T00:00-21:03 is 2024-01-02T21:03 UTC: after the document was published.
    response = editor_client.get("/api/v1/documents/?published_before=2024-01-02T00:00:00-21:03")
    claims = editor_client.get("/api/v1/claims/?created_before=2024-01-02T00:00:00-21:03")

    assert response.status_code == 200
    assert [d["id"] for d in response.json()["results"]] == [w["doc"].id]
    assert claims.status_code == 200
    assert claims.json()["results"] == []


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00%2B14:00", "9999-12-31T23:00:00-14:00", "0500-01-01T00:00:00Z"], ids=str
)
@pytest.mark.parametrize("url", ["/api/v1/documents/?published_after=", "/api/v1/claims/?created_after="])
def test_a_moment_outside_the_plausible_years_is_a_400_naming_the_filter(url, moment, editor_client, w):
    response = editor_client.get(url + moment)

    ((name, (message,)),) = messages(response).items()
    assert name in url
    assert "is not a plausible date: use a year from 1000 to 8999." in message


@pytest.mark.parametrize(
    ("body", "expected", "code"),
    [
        ("{bad", 400, "parse_error"),
        ("[" * 100_000, 400, "parse_error"),  # deeper than Python recurses
        (json.dumps({"text": "x" * 9_000_000}), 413, "too_large"),  # past DATA_UPLOAD_MAX_MEMORY_SIZE (8 MiB)
        (b'{"text": "\xff"}', 400, "parse_error"),  # not UTF-8
    ],
    ids=["not JSON", "nested too deeply", "too large", "not UTF-8"],
)
def test_a_body_that_is_not_usable_json_is_refused(body, expected, code, editor_client):
    response = editor_client.post("/api/v1/claims/", body, content_type="application/json")

    error_body(response, expected, code)
    assert not Claim.objects.exists()


def test_a_body_of_another_media_type_is_a_415(editor_client):
    response = editor_client.post("/api/v1/claims/", "text=hi", content_type="text/plain")

    assert detail(response, 415, "unsupported_media_type") == 'Unsupported media type "text/plain" in request.'


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/claims/{BIG}/",
        "/api/v1/claims/abc/",
        "/api/v1/sources/999999/",
        f"/api/v1/sources/{BIG}/dependents/",
        "/api/v1/documents/abc/",
        "/api/v1/claims/?cursor=bad",
        "/api/v1/sources/?page=99999999999999999999",
        "/api/v1/documents/?page=abc",
    ],
)
def test_unknown_ids_and_pages_are_a_404(url, editor_client):
    response = editor_client.get(url)

    error_body(response, 404, "not_found")


def test_a_patch_of_an_unknown_claim_is_a_404(editor_client):
    response = editor_client.patch("/api/v1/claims/999999/", {"text": "x"}, format="json")

    assert detail(response, 404, "not_found") == "Not found."


def test_an_oversized_page_size_is_capped(editor_client):
    for _ in range(3):
        SourceFactory()

    response = editor_client.get("/api/v1/sources/?page_size=100000")

    assert response.status_code == 200
    assert response.json()["count"] == 3
