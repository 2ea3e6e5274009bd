"""The ClaimReview feed: our published reviews as a harvester reads them, page by page,
then only what changed since its last harvest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.models import Claim, ClaimStatus
from claims.services import HopInput, chain_record, claim_update
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db
FEED = "/api/v1/claimreview/"


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.FACTCHECK_PUBLIC_URL = "https://factcheck.example.org"


def reviewed(text: str = "A claim.", rating: str = "false", **fields) -> Claim:
    claim = ClaimFactory(text=text, status=ClaimStatus.PUBLISHED, rating=rating, **fields)
    chain_record(claim=claim, document=DocumentFactory(), quote=text, hops=[HopInput(source=SourceFactory())])
    return claim


def harvest(client, url: str = FEED) -> list[dict]:
    """Every review in the feed, following next links."""
    found = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json()
        found += response.json()["results"]
        url = response.json()["next"]
    return found


def test_the_feed_lists_published_rated_claims_as_claimreview_newest_change_first(api_client):
    older = reviewed("Older.")
    newer = reviewed("Newer.", rating="mostly_true")
    ClaimFactory(status=ClaimStatus.PUBLISHED, rating="")  # not rated: no review yet
    ClaimFactory(status=ClaimStatus.DRAFT, rating="false")
    ClaimFactory(status=ClaimStatus.RETRACTED, rating="false")

    reviews = harvest(api_client)

    assert [r["claimReviewed"] for r in reviews] == ["Newer.", "Older."]
    assert reviews[0]["@type"] == "ClaimReview"
    assert reviews[0]["url"] == f"https://factcheck.example.org/api/v1/claims/{newer.pk}/"
    assert reviews[0]["reviewRating"]["alternateName"] == "Mostly true"
    assert reviews[1]["dateModified"] == older.updated_at.isoformat()
    # Each item is what the claim's own ClaimReview says to the public.
    assert reviews[1] == api_client.get(f"/api/v1/claims/{older.pk}/claimreview/").json()


def test_a_harvester_pages_through_every_review_once(api_client):
    claims = [reviewed(f"Claim {i}.") for i in range(7)]

    reviews = harvest(api_client, FEED + "?page_size=3")

    assert sorted(r["url"] for r in reviews) == sorted(
        f"https://factcheck.example.org/api/v1/claims/{c.pk}/" for c in claims
    )


def test_modified_since_gives_only_what_changed_after_the_last_harvest(api_client):
    unchanged = reviewed("Unchanged.")
    changed = reviewed("Changed later.")
    Claim.objects.filter(pk=unchanged.pk).update(updated_at=timezone.now() - timedelta(days=2))
    last_harvest = timezone.now() - timedelta(days=1)
    claim_update(claim=Claim.objects.get(pk=changed.pk), rating="true")

    reviews = harvest(api_client, FEED + "?modified_since=" + last_harvest.isoformat().replace("+00:00", "Z"))

    assert [r["claimReviewed"] for r in reviews] == ["Changed later."]
    assert reviews[0]["reviewRating"]["alternateName"] == "True"


def test_the_feed_is_the_public_view_whoever_asks(client_for, editor):
    insider = SourceFactory(name="Colonel X", kind="anonymous", confidential=True, public_description="An officer")
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED, rating="false")
    chain_record(claim=claim, document=DocumentFactory(), quote="q", hops=[HopInput(source=insider)])

    body = client_for(editor).get(FEED).content.decode()

    assert "Colonel X" not in body
    assert "An officer" in body


def test_a_page_of_the_feed_costs_the_same_queries_for_2_reviews_or_20(api_client):
    def page_queries(more):
        for _ in range(more):
            reviewed()
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get(FEED)
        assert response.status_code == 200
        return len(queries)

    assert page_queries(2) == page_queries(18)


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("modified_since=yesterday", 400, "Enter a valid date/time."),
        ("modified_since=0001-01-01T00:00:00Z", 400, "plausible"),
        ("since=2020-01-01", 400, "This list has no parameter 'since'"),
        ("cursor=bm9wZQ", 404, "Invalid cursor"),
        # A cursor made of a moment that is no moment, or one far east of UTC.
        ("cursor=cD1ub3BlJnI9MQ%3D%3D", 404, "Invalid cursor"),
    ],
)
def test_bad_feed_input_is_refused_with_a_reason(api_client, query, status, message):
    reviewed()

    response = api_client.get(f"{FEED}?{query}")

    assert response.status_code == status
    assert message in str(response.json())


def test_a_cursor_with_a_far_eastern_offset_is_read_in_utc(api_client):
    import base64
    from urllib.parse import quote, urlencode

    reviewed()
    # Encoded as the pagination encodes its own cursors.
    cursor = base64.b64encode(urlencode({"p": "2020-01-01T00:00:00+23:30", "r": "0"}).encode()).decode()

    response = api_client.get(f"{FEED}?cursor={quote(cursor)}")

    assert response.status_code == 200


def test_every_review_has_the_shape_the_schema_documents(api_client):
    import jsonschema

    from claims.api.interop_schemas import CLAIM_REVIEW, PROV_DOCUMENT

    insider = SourceFactory(name="Colonel X", kind="anonymous", confidential=True, public_description="An officer")
    ministry = SourceFactory(name="Ministry", kind="government", url="https://mod.example.org/", wikidata_qid="Q1")
    several = reviewed("Two origins.", rating="unproven")
    chain_record(claim=several, document=DocumentFactory(publisher=insider), quote="q", hops=[HopInput(source=insider)])
    chain_record(claim=several, document=None, quote="", hops=[HopInput(source=ministry)])
    reviewed("One origin.")

    reviews = harvest(api_client)

    by_text = {review["claimReviewed"]: review for review in reviews}
    assert len(by_text["Two origins."]["itemReviewed"]["author"]) == 3
    assert "Colonel X" not in str(reviews)
    for review in reviews:
        jsonschema.validate(review, CLAIM_REVIEW)
    jsonschema.validate(api_client.get(f"/api/v1/claims/{several.pk}/prov/").json(), PROV_DOCUMENT)
