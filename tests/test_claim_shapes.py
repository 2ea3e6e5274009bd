"""The claim serializers write their answers directly (claims/api/serializers.py says
why): each must say what DRF's own fields make of the same objects, key for key and
in the same order."""

from __future__ import annotations

import datetime as dt
import json

import pytest
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
from tests.factories import ClaimFactory, DocumentFactory, TopicFactory

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
