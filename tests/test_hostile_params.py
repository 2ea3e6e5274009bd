"""Hostile query strings, addresses and lists: a 4xx that says why, never a 500,
never HTML, never one record at many addresses."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import ClaimStatus
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, TopicFactory

pytestmark = pytest.mark.django_db

# Every filter of every list, each given values that a formatting step would choke on.
LISTS = {
    "/api/v1/claims/": [
        "search", "language", "status", "rating", "rated", "max_age_days", "source", "origin", "document",
        "topic", "event_after", "event_before", "created_after", "created_before", "published_after",
        "published_before", "include", "cursor", "page_size",
    ],
    "/api/v1/sources/": ["search", "kind", "country", "parent", "reliability", "confidential", "page", "page_size"],
    "/api/v1/documents/": ["search", "publisher", "language", "published_after", "published_before", "page"],
    "/api/v1/claimreview/": ["modified_since", "language", "cursor"],
    "/api/v1/topics/": ["page"],
}  # fmt: skip
FORMATTING = ["%", "%s", "%(x)s", "%d%%", "{0}", "a%25b"]


@pytest.mark.parametrize("value", FORMATTING)
@pytest.mark.parametrize("as_table", [False, True])
def test_values_that_look_like_format_strings_are_refused_or_matched_never_a_500(value, as_table, editor_client):
    source = SourceFactory()
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    for path, names in [*LISTS.items(), (f"/api/v1/sources/{source.pk}/dependents/", ["status", "rating"])]:
        for name in names:
            query = {name: value, **({"format": "csv"} if as_table else {})}
            response = editor_client.get(path, query)
            # The feed is JSON-LD only: as a table it is a 406.
            allowed = (200, 400, 404, 406) if as_table and "claimreview" in path else (200, 400, 404)
            assert response.status_code in allowed, (path, name, response.status_code)
            if response.status_code != 200:
                assert response["Content-Type"] == "application/json", (path, name)
    assert claim.pk


@pytest.mark.parametrize("typed", ["%D9%A3", "%EF%BC%91", "1_0", "%2B1", "%201", "01x", "1.0"])
def test_a_record_answers_at_its_own_address_only(typed, editor_client):
    claim = ClaimFactory(pk=1)
    ClaimFactory(pk=10)
    DocumentFactory(pk=1)
    SourceFactory(pk=1)
    TopicFactory(pk=1)

    for resource in ("claims", "documents", "sources", "topics"):
        response = editor_client.get(f"/api/v1/{resource}/{typed}/")
        assert response.status_code == 404, (resource, typed)
        assert response["Content-Type"] == "application/json"
    assert editor_client.patch(f"/api/v1/claims/{typed}/", {"text": "Changed."}, format="json").status_code == 404
    claim.refresh_from_db()
    assert claim.text != "Changed."
    assert editor_client.get("/api/v1/claims/1/").status_code == 200


def test_a_huge_topic_list_is_refused_before_it_is_read(editor_client):
    topics = [f"t{i}" for i in range(100_000)]

    with CaptureQueriesContext(connection) as queries:
        response = editor_client.post("/api/v1/claims/", {"text": "A claim.", "topics": topics}, format="json")

    assert response.status_code == 400
    assert "no more than 50" in str(response.json())
    assert len(response.content) < 2_000
    assert not [q for q in queries if "claims_topic" in q["sql"]]


def test_unknown_topics_are_named_a_few_at_a_time(editor_client):
    response = editor_client.post(
        "/api/v1/claims/", {"text": "A claim.", "topics": [f"t{i}" for i in range(8)]}, format="json"
    )

    assert response.status_code == 400
    assert "Unknown topic: t0, t1, t2, t3, t4 and 3 more." in str(response.json())


@pytest.mark.parametrize(
    ("path", "query", "headers"),
    [
        ("/api/v1/claims/", "format=xml", {}),
        ("/api/v1/claims/", "format=api", {}),
        ("/api/v1/claims/", "", {"HTTP_ACCEPT": "text/html"}),
        ("/api/v1/claims/{id}/", "format=csv", {}),
        ("/api/v1/claims/{id}/trace/", "format=csv", {}),
        ("/api/v1/topics/", "format=yaml", {}),
    ],
)
def test_a_format_the_address_does_not_give_is_a_406_in_json(path, query, headers, api_client):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)

    response = api_client.get(f"{path.format(id=claim.pk)}?{query}", **headers)

    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert "ask for one of:" in response.json()["detail"] or "Could not satisfy" in response.json()["detail"]


def test_a_browser_gets_json(api_client):
    ClaimFactory(status=ClaimStatus.PUBLISHED)

    response = api_client.get("/api/v1/claims/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
