"""Reads of claims that the busiest endpoints make, shaped for their serializers.

``claim_for_reading`` is what a claim's page and its trace read: the claim, its topics,
its appearances with their documents and publishers, and other organisations' reviews,
in one prepared statement (``core.prepared``). Through the ORM that was three queries
whose compiling cost more than their running: most of a claim's read at a million
claims. The result is the same model instances a prefetching queryset gives
(``ClaimViewSet._claims(detail=True)``), with the same fields and in the same order;
a field it does not read is deferred, so touching one queries instead of being wrong.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import router
from django.db.models import Model

from core.access import Viewer
from core.prepared import fetchone_prepared
from sources.models import Document, Source

from .models import TOPIC_SLUGS_SQL, Appearance, Claim, ClaimStatus, ForeignReview

_CLAIM_FIELDS = [
    "id",
    "text",
    "status",
    "rating",
    "rating_explanation",
    "event_start",
    "event_end",
    "event_approximate",
    "language",
    "published_at",
    "created_at",
    "updated_at",
]

# Orders as the models and ``Claim.objects.with_topic_slugs`` do.
_SQL = f"""
SELECT {", ".join(f"claims_claim.{name}" for name in _CLAIM_FIELDS)},
       {TOPIC_SLUGS_SQL},
       (SELECT coalesce(json_agg(json_build_array(a.id, a.quote, d.id, d.title, d.url, p.id, p.name,
                                                  p.confidential, p.public_description) ORDER BY a.id), '[]')
          FROM claims_appearance a JOIN sources_document d ON d.id = a.document_id
          LEFT JOIN sources_source p ON p.id = d.publisher_id
         WHERE a.claim_id = claims_claim.id),
       (SELECT coalesce(json_agg(json_build_array(r.id, r.author, r.author_url, r.url, r.rating, r.rating_label,
                                                  r.date_published, r.claim_reviewed)
                                 ORDER BY r.date_published DESC, r.id DESC), '[]')
          FROM claims_foreignreview r WHERE r.claim_id = claims_claim.id)
  FROM claims_claim
 WHERE claims_claim.id = %(claim)s AND (claims_claim.status = %(published)s OR %(every_status)s)
"""


def claim_for_reading(claim_id: int, viewer: Viewer) -> Claim | None:
    """The claim as its page shows it, or None if there is none ``viewer`` may read."""
    alias = router.db_for_read(Claim)
    row = fetchone_prepared(
        _SQL,
        {"claim": claim_id, "published": ClaimStatus.PUBLISHED, "every_status": viewer.reads_unpublished},
        using=alias,
    )
    if row is None:
        return None
    n = len(_CLAIM_FIELDS)
    claim = _instance(Claim, alias, dict(zip(_CLAIM_FIELDS, row[:n], strict=True)))
    slugs, appearances, reviews = row[n:]
    claim.topic_slugs = slugs
    claim._prefetched_objects_cache = {
        "appearances": [_appearance(claim, alias, *values) for values in appearances],
        "foreign_reviews": [_review(claim, alias, *values) for values in reviews],
    }
    return claim


def _instance(model: type[Model], alias: str, values: dict[str, Any]) -> Any:
    """A model instance as a queryset would load it with only these fields (``from_db``
    takes them in the model's order; the others are deferred). Its foreign keys are
    set with the related instances, after."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(alias, names, [values[name] for name in names])


def _appearance(claim, alias, pk, quote, document_id, title, url, publisher_id, name, confidential, description):
    document = _instance(Document, alias, {"id": document_id, "title": title, "url": url})
    document.publisher = None
    if publisher_id is not None:
        document.publisher = _instance(
            Source,
            alias,
            {"id": publisher_id, "name": name, "confidential": confidential, "public_description": description},
        )
    appearance = _instance(Appearance, alias, {"id": pk, "quote": quote})
    appearance.claim, appearance.document = claim, document
    return appearance


def _review(claim, alias, pk, author, author_url, url, rating, label, published, claim_reviewed):
    review = _instance(
        ForeignReview,
        alias,
        {
            "id": pk,
            "url": url,
            "author": author,
            "author_url": author_url,
            "claim_reviewed": claim_reviewed,
            "rating": rating,
            "rating_label": label,
            # json_agg writes a timestamptz in ISO 8601, with its offset.
            "date_published": datetime.fromisoformat(published) if published else None,
        },
    )
    review.claim = claim
    return review
