from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from claims.models import Claim
from claims.services import HopInput, chain_record
from tests.conftest import iso
from tests.errors import detail, messages
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, TopicFactory

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.data
    return [item["id"] for item in response.json()["results"]]


def test_an_editor_creates_a_claim_and_becomes_its_author(editor_client, editor):
    TopicFactory(name="Military", slug="military")

    response = editor_client.post(
        "/api/v1/claims/",
        {
            "text": "F-16s remained at Ganja International Airport after TurAz Eagle.",
            "rating": "mostly_true",
            "rating_explanation": "Satellite images show them in October.",
            "topics": ["military"],
            "event_start": "2020-08-10",
            "event_end": "2020-09-27",
            "event_approximate": True,
            "language": "en",
        },
        format="json",
    )

    assert response.status_code == 201, response.data
    claim = Claim.objects.get()
    assert claim.created_by == editor
    assert response.json() == {
        "id": claim.id,
        "text": "F-16s remained at Ganja International Airport after TurAz Eagle.",
        "status": "draft",
        "rating": "mostly_true",
        "rating_value": 4,
        "rating_explanation": "Satellite images show them in October.",
        "topics": ["military"],
        "event_start": "2020-08-10",
        "event_end": "2020-09-27",
        "event_approximate": True,
        "language": "en",
        "published_at": None,
        "created_at": iso(claim.created_at),
        "updated_at": iso(claim.updated_at),
        "appearances": [],
        "reviews_elsewhere": [],
    }


def test_a_claim_cannot_be_created_published(editor_client):
    # Nobody is recorded as stating a claim before it exists: the checklist blocks it
    # (tests/test_api_publish.py). Its publication time is stamped when it is published.
    response = editor_client.post("/api/v1/claims/", {"text": "Shusha lies in Karabakh.", "status": "published"})

    assert response.status_code == 400, response.data
    assert response.json()["code"] == "publish_blocked"
    assert not Claim.objects.exists()


def test_the_claim_detail_shows_where_the_claim_appears(journalist_client):
    claim = ClaimFactory(rating="false")
    claim.topics.add(TopicFactory(slug="karabakh"), TopicFactory(slug="azerbaijan"))
    first, second = DocumentFactory(title="First"), DocumentFactory(title="Second")
    claim.appearances.create(document=first, quote="first quote")
    claim.appearances.create(document=second, quote="second quote")

    body = journalist_client.get(f"/api/v1/claims/{claim.id}/").json()

    assert body["rating_value"] == 1
    assert sorted(body["topics"]) == ["azerbaijan", "karabakh"]
    assert body["appearances"] == [
        {"document": {"id": first.id, "title": "First", "url": first.url}, "quote": "first quote"},
        {"document": {"id": second.id, "title": "Second", "url": second.url}, "quote": "second quote"},
    ]


def test_patching_the_status_publishes_then_retracts_a_claim(editor_client):
    claim = ClaimFactory(status="draft")
    chain_record(claim=claim, hops=[HopInput(source=SourceFactory())])

    published = editor_client.patch(
        f"/api/v1/claims/{claim.id}/", {"status": "published", "confirm": ["no_rating", "single_origin"]}, format="json"
    )
    claim.refresh_from_db()
    retracted = editor_client.patch(f"/api/v1/claims/{claim.id}/", {"status": "retracted"}, format="json")

    assert published.status_code == 200, published.data
    assert published.json()["published_at"] == iso(claim.published_at)
    assert retracted.status_code == 200, retracted.data
    assert retracted.json()["status"] == "retracted"
    assert Claim.objects.get().status == "retracted"


def test_a_forbidden_status_transition_is_a_400_on_status(editor_client):
    claim = ClaimFactory(status="retracted")

    response = editor_client.patch(f"/api/v1/claims/{claim.id}/", {"status": "published"}, format="json")

    assert messages(response) == {"status": ["A retracted claim cannot become published."]}


def test_patching_topics_replaces_them(editor_client):
    claim = ClaimFactory()
    claim.topics.add(TopicFactory(slug="old"))
    TopicFactory(slug="new")

    response = editor_client.patch(f"/api/v1/claims/{claim.id}/", {"topics": ["new"]}, format="json")

    assert response.status_code == 200, response.data
    assert response.json()["topics"] == ["new"]
    assert list(claim.topics.values_list("slug", flat=True)) == ["new"]


def test_claims_cannot_be_deleted_over_the_api(editor_client):
    claim = ClaimFactory()

    response = editor_client.delete(f"/api/v1/claims/{claim.id}/")

    assert detail(response, 405, "method_not_allowed") == 'Method "DELETE" not allowed.'
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_the_claims_list_is_newest_first_and_pages_by_cursor(journalist_client):
    claims = [ClaimFactory() for _ in range(5)]

    first = journalist_client.get("/api/v1/claims/", {"page_size": 2}).json()
    second = journalist_client.get(first["next"]).json()
    third = journalist_client.get(second["next"]).json()

    assert set(first) == {"next", "previous", "results"}
    assert [c["id"] for c in first["results"] + second["results"] + third["results"]] == [
        c.id for c in reversed(claims)
    ]
    assert third["next"] is None
    assert first["previous"] is None
    assert "appearances" not in first["results"][0]


def test_search_finds_a_claim_by_its_text(journalist_client):
    f16 = ClaimFactory(text="F-16s remained at Ganja International Airport after TurAz Eagle.")
    ClaimFactory(text="Turkish troops are in Azerbaijan for a joint training exercise.")

    assert ids(journalist_client.get("/api/v1/claims/", {"search": "Ganja"})) == [f16.id]
    # Stemmed: "remain" finds "remained".
    assert ids(journalist_client.get("/api/v1/claims/", {"search": "remain airport"})) == [f16.id]


def test_search_finds_a_claim_by_the_quote_of_its_appearance(journalist_client):
    claim = ClaimFactory(text="Turkish F-16 jets stayed in Azerbaijan during the war.")
    claim.appearances.create(document=DocumentFactory(), quote="F-16s remained at Ganja International Airport")
    other = ClaimFactory(text="Ganja was shelled.")

    assert ids(journalist_client.get("/api/v1/claims/", {"search": "Ganja"})) == [other.id, claim.id]
    assert ids(journalist_client.get("/api/v1/claims/", {"search": '"international airport"'})) == [claim.id]
    assert ids(journalist_client.get("/api/v1/claims/", {"search": "Ganja -shelled"})) == [claim.id]


def test_filters_on_status_and_rating(journalist_client):
    draft = ClaimFactory(status="draft", rating="false")
    published_false = ClaimFactory(status="published", rating="false")
    ClaimFactory(status="published", rating="true")

    assert ids(journalist_client.get("/api/v1/claims/", {"status": "draft"})) == [draft.id]
    assert ids(journalist_client.get("/api/v1/claims/", {"rating": "false"})) == [published_false.id, draft.id]
    assert ids(journalist_client.get("/api/v1/claims/", {"rating": "false", "status": "published"})) == [
        published_false.id
    ]


def test_source_filter_finds_claims_with_the_source_anywhere_in_a_chain_and_origin_only_at_the_end(
    journalist_client, seed_like_chain
):
    troops = seed_like_chain["claim"]
    ria_origin = ClaimFactory()
    chain_record(
        claim=ria_origin, hops=[HopInput(source=seed_like_chain["reuters"]), HopInput(source=seed_like_chain["ria"])]
    )
    ClaimFactory()
    ria = seed_like_chain["ria"].id

    assert ids(journalist_client.get("/api/v1/claims/", {"source": ria})) == [ria_origin.id, troops.id]
    assert ids(journalist_client.get("/api/v1/claims/", {"origin": ria})) == [ria_origin.id]
    assert ids(journalist_client.get("/api/v1/claims/", {"origin": seed_like_chain["ministry"].id})) == [troops.id]
    assert ids(journalist_client.get("/api/v1/claims/", {"source": SourceFactory().id})) == []


def test_document_filter_finds_claims_appearing_in_it(journalist_client):
    document = DocumentFactory()
    inside = ClaimFactory()
    inside.appearances.create(document=document, quote="quote")
    ClaimFactory().appearances.create(document=DocumentFactory(), quote="quote")

    assert ids(journalist_client.get("/api/v1/claims/", {"document": document.id})) == [inside.id]


def test_topic_filter_takes_an_id_or_a_slug_and_lists_a_claim_once(journalist_client):
    military, karabakh = TopicFactory(slug="military"), TopicFactory(slug="karabakh")
    both = ClaimFactory()
    both.topics.add(military, karabakh)
    only_military = ClaimFactory()
    only_military.topics.add(military)
    ClaimFactory()

    assert ids(journalist_client.get("/api/v1/claims/", {"topic": "military"})) == [only_military.id, both.id]
    assert ids(journalist_client.get("/api/v1/claims/", {"topic": str(karabakh.id)})) == [both.id]
    assert ids(journalist_client.get("/api/v1/claims/", {"topic": "unknown"})) == []


def test_event_date_filters_select_events_overlapping_the_range(journalist_client):
    day = ClaimFactory(event_start=dt.date(2020, 9, 27))
    summer = ClaimFactory(event_start=dt.date(2020, 6, 1), event_end=dt.date(2020, 8, 31))
    ClaimFactory()  # undated

    assert ids(journalist_client.get("/api/v1/claims/", {"event_after": "2020-08-15"})) == [summer.id, day.id]
    assert ids(journalist_client.get("/api/v1/claims/", {"event_after": "2020-09-01"})) == [day.id]
    assert ids(journalist_client.get("/api/v1/claims/", {"event_before": "2020-07-01"})) == [summer.id]
    assert ids(
        journalist_client.get("/api/v1/claims/", {"event_after": "2020-09-01", "event_before": "2020-09-30"})
    ) == [day.id]


def test_created_and_published_date_filters(journalist_client):
    old, new = ClaimFactory(), ClaimFactory()
    long_ago = timezone.now() - dt.timedelta(days=30)
    Claim.objects.filter(pk=old.pk).update(created_at=long_ago, published_at=long_ago)
    Claim.objects.filter(pk=new.pk).update(published_at=timezone.now())
    cutoff = (timezone.now() - dt.timedelta(days=1)).isoformat()

    assert ids(journalist_client.get("/api/v1/claims/", {"created_after": cutoff})) == [new.id]
    assert ids(journalist_client.get("/api/v1/claims/", {"created_before": cutoff})) == [old.id]
    assert ids(journalist_client.get("/api/v1/claims/", {"published_after": cutoff})) == [new.id]
    assert ids(journalist_client.get("/api/v1/claims/", {"published_before": cutoff})) == [old.id]


def test_the_claims_list_is_a_fixed_number_of_queries(journalist_client, django_assert_num_queries):
    topics = [TopicFactory() for _ in range(3)]
    for _ in range(6):
        ClaimFactory().topics.add(*topics)

    # roles, the page with its topics
    with django_assert_num_queries(2):
        response = journalist_client.get("/api/v1/claims/")

    assert len(response.json()["results"]) == 6


def test_a_filtered_search_is_still_a_fixed_number_of_queries(journalist_client, django_assert_num_queries):
    source = SourceFactory()
    for i in range(4):
        claim = ClaimFactory(text=f"Ganja airport claim {i}")
        claim.topics.add(TopicFactory())
        chain_record(claim=claim, hops=[HopInput(source=source)])

    # The claims with their topics, the check that the words are not all too common to search
    # for, and the newest claim's id (where the search's recent claims begin).
    with django_assert_num_queries(4):
        response = journalist_client.get("/api/v1/claims/", {"search": "Ganja", "source": source.id})

    assert len(response.json()["results"]) == 4


def test_the_claim_detail_is_a_fixed_number_of_queries(journalist_client, django_assert_num_queries):
    claim = ClaimFactory()
    claim.topics.add(TopicFactory(), TopicFactory())
    for _ in range(3):
        claim.appearances.create(document=DocumentFactory(), quote="quote")

    # roles; the claim with its topics, appearances with their documents and reviews elsewhere
    with django_assert_num_queries(2):
        response = journalist_client.get(f"/api/v1/claims/{claim.id}/")

    assert len(response.json()["appearances"]) == 3
