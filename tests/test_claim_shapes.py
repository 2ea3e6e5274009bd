"""The claim serializers write their answers directly (claims/api/serializers.py says
why): each must say what DRF's own fields make of the same objects, key for key and
in the same order."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from django.db.models import Prefetch
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from claims.api.serializers import (
    AppearanceSerializer,
    ClaimDetailSerializer,
    ClaimListSerializer,
    ClaimSerializer,
    ForeignReviewSerializer,
)
from claims.models import Appearance, Claim, ClaimStatus, ForeignReview
from claims.selectors import claim_for_reading
from core.access import EVERYTHING, PUBLIC
from sources.models import Document
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

GENERIC = serializers.ModelSerializer.to_representation
MOMENTS = [
    dt.datetime(2020, 10, 5, 12, 0, tzinfo=dt.UTC),  # no microseconds: isoformat leaves them out
    dt.datetime(2020, 10, 5, 23, 59, 59, 999_999, tzinfo=dt.UTC),
    dt.datetime(2020, 10, 6, 3, 30, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=4))),  # read back in UTC
]


def rendered(data) -> bytes:
    return JSONRenderer().render(data)


@pytest.fixture
def claims() -> list[Claim]:
    bare = ClaimFactory(status=ClaimStatus.DRAFT, text="A draft, nothing set")
    full = ClaimFactory(
        text="Helicopters were seen near Ganja — «at dawn»",
        rating="mostly_false",
        rating_explanation="Two sources, one origin.\u2028A line separator.",
        event_start=dt.date(2020, 10, 4),
        event_end=dt.date(2020, 10, 5),
        event_approximate=True,
        language="ru",
    )
    unproven = ClaimFactory(rating="unproven", event_start=dt.date(1999, 1, 1))
    full.topics.add(TopicFactory(name="B topic", slug="b"), TopicFactory(name="A topic", slug="a"))
    for claim, moment in zip((bare, full, unproven), MOMENTS, strict=True):
        Claim.objects.filter(pk=claim.pk).update(
            published_at=None if claim is bare else moment, created_at=moment, updated_at=moment
        )
        Appearance.objects.create(claim=claim, document=DocumentFactory(), quote=f"said of {claim.pk}")
    ForeignReview.objects.create(claim=full, author="Them", claim_reviewed="It", rating="false", rating_label="No")
    ForeignReview.objects.create(
        claim=full, author="Others", url="https://x.example/r", claim_reviewed="It", date_published=MOMENTS[2]
    )
    return list(Claim.objects.with_topic_slugs().order_by("id"))


def test_a_claim_reads_as_drfs_fields_make_it(claims):
    for claim in [*claims, Claim.objects.get(pk=claims[1].pk)]:  # with slugs annotated, and without
        serializer = ClaimSerializer()

        assert rendered(serializer.to_representation(claim)) == rendered(GENERIC(serializer, claim))


def test_a_list_row_adds_search_and_nothing_unasked(claims):
    for claim in claims:
        serializer = ClaimListSerializer(context={"include": set()})
        generic = GENERIC(serializer, claim)
        for unasked in ("origins", "independent_origins", "flags", "review"):
            generic.pop(unasked, None)

        assert rendered(serializer.to_representation(claim)) == rendered(generic)


def test_a_detail_reads_as_drfs_fields_make_it(claims):
    for claim in Claim.objects.with_topic_slugs().prefetch_related("appearances__document", "foreign_reviews"):
        serializer = ClaimDetailSerializer()
        generic = GENERIC(serializer, claim)
        generic["appearances"] = [GENERIC(AppearanceSerializer(), a) for a in claim.appearances.all()]
        generic["reviews_elsewhere"] = [GENERIC(ForeignReviewSerializer(), r) for r in claim.foreign_reviews.all()]

        assert rendered(serializer.to_representation(claim)) == rendered(generic)


def test_moments_are_written_in_utc_with_a_z(claims):
    full = ClaimSerializer().to_representation(claims[1])
    review = ClaimDetailSerializer().to_representation(Claim.objects.with_topic_slugs().get(pk=claims[1].pk))[
        "reviews_elsewhere"
    ]

    assert (full["created_at"], full["event_start"], full["topics"]) == (
        "2020-10-05T23:59:59.999999Z",
        "2020-10-04",
        ["a", "b"],
    )
    assert ClaimSerializer().to_representation(claims[2])["created_at"] == "2020-10-05T23:30:00.000001Z"
    assert sorted(r["date_published"] or "" for r in review) == ["", "2020-10-05T23:30:00.000001Z"]
    assert json.loads(rendered(full))["rating_explanation"].endswith("A line separator.")


# --- claims.selectors.claim_for_reading: the claim page's and the trace's one read


def prefetched(claim_id: int) -> Claim:
    appearances = Appearance.objects.select_related("document__publisher").order_by("id")
    return (
        Claim.objects.with_topic_slugs()
        .prefetch_related(Prefetch("appearances", queryset=appearances), "foreign_reviews")
        .get(pk=claim_id)
    )


@pytest.mark.parametrize("viewer", [PUBLIC, EVERYTHING], ids=["public", "editor"])
def test_the_one_read_shows_what_the_prefetching_queryset_shows(claims, viewer):
    secret = SourceFactory(confidential=True, public_description="A military source")
    Appearance.objects.create(claim=claims[1], document=DocumentFactory(publisher=secret), quote="named them")
    Appearance.objects.create(claim=claims[1], document=DocumentFactory(publisher=None), quote="no publisher")
    request = SimpleNamespace(user=None if viewer is PUBLIC else UserFactory(is_superuser=True))
    shown = []
    for claim in claims:
        read = claim_for_reading(claim.pk, viewer)
        if read is None:
            shown.append(None)
            continue
        serializer = ClaimDetailSerializer(context={"request": request})
        ours = rendered(serializer.to_representation(read))

        assert ours == rendered(serializer.to_representation(prefetched(claim.pk)))
        shown.append(json.loads(ours))

    # The draft only for those who may read drafts; the confidential document named only to them.
    assert (shown[0] is None) == (viewer is PUBLIC)
    documents = [appearance["document"]["title"] for appearance in shown[1]["appearances"]]
    assert ("A document from a military source" in documents[1]) == (viewer is PUBLIC)


def test_the_one_read_defers_what_it_does_not_read(claims, django_assert_num_queries):
    with django_assert_num_queries(1):
        claim = claim_for_reading(claims[1].pk, EVERYTHING)
        document = claim.appearances.all()[0].document
    body = Document.objects.get(pk=document.pk).body
    with django_assert_num_queries(2):  # each deferred field loads when touched
        assert (claim.created_by_id, document.body) == (None, body)


def test_no_claim_no_read(claims):
    assert claim_for_reading(max(claim.pk for claim in claims) + 1, EVERYTHING) is None


def test_the_one_read_loads_what_a_queryset_loads_with_no_query_more(claims, django_assert_num_queries):
    secret = SourceFactory(confidential=True, public_description="A military source")
    Appearance.objects.create(claim=claims[1], document=DocumentFactory(publisher=secret), quote="named them")
    expected = prefetched(claims[1].pk)

    def loaded(claim: Claim) -> list:
        rows = [(claim.pk, claim._state.db, claim.topic_slugs)]
        rows += [getattr(claim, name) for name in ("text", "status", "rating", "rating_explanation", "language")]
        rows += [getattr(claim, name) for name in ("event_start", "event_end", "event_approximate")]
        rows += [getattr(claim, name) for name in ("published_at", "created_at", "updated_at")]
        for a in claim.appearances.all():
            d, p = a.document, a.document.publisher
            rows.append((a.pk, a.quote, a.claim_id, a.document_id, a._state.db, d.pk, d.title, d.url, d.publisher_id))
            rows.append((p.pk, p.name, p.confidential, p.public_description, p._state.db, d._state.db))
        for r in claim.foreign_reviews.all():
            rows.append((r.pk, r.claim_id, r.author, r.author_url, r.url, r.rating, r.rating_label))
            rows.append((r.date_published, r.claim_reviewed, r._state.db))
        return rows

    read = claim_for_reading(claims[1].pk, EVERYTHING)
    with django_assert_num_queries(0):
        assert loaded(read) == loaded(expected)
