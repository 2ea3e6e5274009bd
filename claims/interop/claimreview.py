"""schema.org ClaimReview JSON-LD: our reviews out, and ratings read in.

``claim_review(claim)`` builds the markup Google's fact-check guidelines ask
for; ``claimreview_import`` (in ``claimreview_import.py``) reads other
organisations' reviews.

Ratings (see ``RATING_LABELS``): a textual ``alternateName`` is looked up
case-insensitively first; when the label is unknown, ``ratingValue`` is scaled
from ``worstRating``..``bestRating`` (schema.org defaults 1..5) onto our 1..5.
A claim rated unproven has no number on the scale, so its ``reviewRating``
carries ``alternateName`` only; a claim not yet rated says "Not rated", which
an import reads as "no verdict".
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.urls import reverse

from claims.models import BEST_RATING, RATING_VALUES, WORST_RATING, Appearance, Claim, Rating
from claims.provenance import SourceRef, Trace
from core.access import Viewer
from sources.models import PEOPLE, Document, Source

SCHEMA_CONTEXT = "https://schema.org"
NOT_RATED = "Not rated"


def claim_url(claim_id: int) -> str:
    """The claim's address as readers reach it (``FACTCHECK_PUBLIC_URL``), whatever served this."""
    return settings.FACTCHECK_PUBLIC_URL + reverse("claim-detail", args=[claim_id])


def origin_sources(traces: list[Trace]) -> dict[int, Source]:
    """The records of the origins the traces name openly (a placeholder links nowhere)."""
    return Source.objects.in_bulk({o.id for t in traces for o in t.origins if not o.redacted})


def wikidata_url(qid: str) -> str:
    return f"https://www.wikidata.org/wiki/{qid}"


# --- export ----------------------------------------------------------------------


def claim_review_queryset():
    """Claims with what ``claim_review`` reads, in one extra query."""
    return Claim.objects.prefetch_related(
        Prefetch("appearances", queryset=Appearance.objects.select_related("document__publisher"))
    )


def claim_review(
    claim: Claim, claim_trace: Trace, viewer: Viewer, *, sources: dict[int, Source] | None = None
) -> dict[str, Any]:
    """The ClaimReview markup of ``claim`` (fetch it with ``claim_review_queryset``) for
    ``viewer``; ``claim_trace`` is its trace, redacted for the same viewer. ``sources``:
    the origins' records, when the caller read them for many claims at once."""
    appearances = sorted(
        claim.appearances.all(),
        key=lambda a: (a.document.published_at is None, a.document.published_at or datetime.min, a.id),
    )
    item: dict[str, Any] = {"@type": "Claim"}
    origins = claim_trace.origins
    if origins:
        # Links only for sources the reader may know; a placeholder is a name and no more.
        by_id = sources if sources is not None else origin_sources([claim_trace])
        authors = [_origin_author(o, by_id.get(o.id)) for o in origins]
        item["author"] = authors[0] if len(authors) == 1 else authors
    dated = [a for a in appearances if a.document.published_at is not None]
    if dated:
        item["datePublished"] = dated[0].document.published_at.isoformat()
    if appearances:
        item["appearance"] = [_creative_work(a.document, viewer) for a in appearances]
    if dated:
        item["firstAppearance"] = _creative_work(dated[0].document, viewer)

    review: dict[str, Any] = {
        "@context": SCHEMA_CONTEXT,
        "@type": "ClaimReview",
        "url": claim_url(claim.pk),
        "claimReviewed": claim.text,
        "reviewRating": _rating(claim),
        "author": _organization(),
        "inLanguage": claim.language,
        "itemReviewed": item,
    }
    if claim.published_at is not None:
        review["datePublished"] = claim.published_at.date().isoformat()
    review["dateModified"] = claim.updated_at.isoformat()
    if claim.rating_explanation:
        review["reviewBody"] = claim.rating_explanation
    return review


def _rating(claim: Claim) -> dict[str, Any]:
    if not claim.rating:
        return {"@type": "Rating", "alternateName": NOT_RATED}
    rating: dict[str, Any] = {"@type": "Rating", "alternateName": Rating(claim.rating).label}
    value = RATING_VALUES[claim.rating]
    if value is not None:
        rating.update(ratingValue=value, bestRating=BEST_RATING, worstRating=WORST_RATING)
    return rating


def _organization() -> dict[str, Any]:
    org = settings.FACTCHECK_ORGANIZATION
    return {"@type": "Organization", "name": org["name"], "url": org["url"]}


def _person_or_organization(source: Source) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": _party_type(source.kind), "name": source.name}
    if source.url:
        node["url"] = source.url
    if source.wikidata_qid:
        node["sameAs"] = wikidata_url(source.wikidata_qid)
    return node


def _party_type(kind: str) -> str:
    return "Person" if kind in PEOPLE else "Organization"


def _origin_author(origin: SourceRef, source: Source | None) -> dict[str, Any]:
    if source is None:
        return {"@type": _party_type(origin.kind), "name": origin.name}
    return _person_or_organization(source)


def _creative_work(document: Document, viewer: Viewer) -> dict[str, Any]:
    work: dict[str, Any] = {"@type": "CreativeWork", "headline": document.title_for(viewer)}
    if document.url and not document.hidden_from(viewer):
        work["url"] = document.url
    if document.published_at is not None:
        work["datePublished"] = document.published_at.isoformat()
    if document.publisher is not None:
        publisher = document.publisher
        if publisher.hidden_from(viewer):
            work["author"] = {"@type": _party_type(publisher.kind), "name": publisher.name_for(viewer)}
        else:
            work["author"] = _person_or_organization(publisher)
    return work


# --- rating labels -----------------------------------------------------------------

# Labels fact-checkers use, normalised (lower case, single spaces, no hyphens or
# trailing "!"), mapped onto our scale. None: the review gives no verdict.
RATING_LABELS: dict[str, str | None] = {
    "false": Rating.FALSE,
    "pants on fire": Rating.FALSE,
    "incorrect": Rating.FALSE,
    "fake": Rating.FALSE,
    "wrong": Rating.FALSE,
    "mostly false": Rating.MOSTLY_FALSE,
    "misleading": Rating.MOSTLY_FALSE,
    "barely true": Rating.MOSTLY_FALSE,
    "mostly incorrect": Rating.MOSTLY_FALSE,
    "half true": Rating.MIXED,
    "mixed": Rating.MIXED,
    "mixture": Rating.MIXED,
    "partly true": Rating.MIXED,
    "partly false": Rating.MIXED,
    "half false": Rating.MIXED,
    "mostly true": Rating.MOSTLY_TRUE,
    "mostly correct": Rating.MOSTLY_TRUE,
    "largely true": Rating.MOSTLY_TRUE,
    "true": Rating.TRUE,
    "correct": Rating.TRUE,
    "accurate": Rating.TRUE,
    "unproven": Rating.UNPROVEN,
    "unproved": Rating.UNPROVEN,
    "unverified": Rating.UNPROVEN,
    "unsupported": Rating.UNPROVEN,
    "no evidence": Rating.UNPROVEN,
    "not rated": None,
    "unrated": None,
    "not yet rated": None,
}


def _normalise_label(label: str) -> str:
    label = re.sub(r"[-_\s]+", " ", label.casefold()).strip()
    return label.rstrip("!.").strip()


def rating_from_review(rating: Any, *, where: str = "reviewRating") -> str | None:
    """Our rating for a schema.org Rating node; None when it gives no verdict."""
    if rating is None:
        return None
    if not isinstance(rating, dict):
        raise ValidationError({where: ["reviewRating must be an object with alternateName or ratingValue."]})
    label = rating.get("alternateName")
    if isinstance(label, list):
        label = next((x for x in label if isinstance(x, str)), None)
    if isinstance(label, str) and label.strip():
        key = _normalise_label(label)
        if key in RATING_LABELS:
            return RATING_LABELS[key]
    value = rating.get("ratingValue")
    if value is None or value == "":
        if label:
            raise ValidationError(
                {
                    where: [
                        f"Unknown rating label {label!r} and no ratingValue to scale; known labels: "
                        f"{', '.join(sorted(k for k in RATING_LABELS))}."
                    ]
                }
            )
        return None
    number, best, worst = (
        _number(rating.get(name), default, name, where)
        for name, default in (("ratingValue", None), ("bestRating", 5), ("worstRating", 1))
    )
    span = best - worst
    if span == 0:
        raise ValidationError({where: ["bestRating and worstRating must differ."]})
    if not math.isfinite(span):
        raise ValidationError({where: [f"bestRating {best:g} and worstRating {worst:g} are too far apart to scale."]})
    if not min(best, worst) <= number <= max(best, worst):
        raise ValidationError({where: [f"ratingValue {number:g} is outside {worst:g}..{best:g}."]})
    position = (number - worst) / span  # 0 at the worst end, 1 at the best
    if not math.isfinite(position):
        # Not expected once the span is finite; checked so that a float surprise is a 400.
        raise ValidationError({where: [f"ratingValue {number:g} cannot be scaled from {worst:g}..{best:g}."]})
    scaled = WORST_RATING + math.floor(position * (BEST_RATING - WORST_RATING) + 0.5)
    return next(r for r, v in RATING_VALUES.items() if v == scaled)


# A number as people write one: ASCII digits, an optional sign and decimal point.
# float() alone also reads "٣" (Arabic-Indic three), "3_0", "1e5", " inf" and "nan".
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")


def _number(value: Any, default: float | None, name: str, where: str) -> float:
    """A rating number: a JSON number (never true or false) or a string holding a plain
    decimal; finite, or refused in words rather than failing further on."""
    if value is None or value == "":
        if default is None:
            raise ValidationError({where: [f"{name} is missing."]})
        return float(default)
    shown = _shown(value)
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, str))
        or (isinstance(value, str) and not _PLAIN_DECIMAL.match(value.strip()))
    ):
        raise ValidationError(
            {where: [f"{shown} is not a number. {name} takes a JSON number or a decimal such as 4 or 3.5."]}
        )
    try:
        number = float(value)
    except OverflowError:  # an integer past what a float holds (400 digits)
        number = math.inf
    if not math.isfinite(number):
        raise ValidationError({where: [f"{name} {shown} is too large a number."]})
    return number


def _shown(value: Any) -> str:
    """A value as a message quotes it: in JSON's spelling (true, not True), at most 40 characters."""
    try:
        text = json.dumps(value, ensure_ascii=False) if isinstance(value, (bool, int, float)) else repr(value)
    except ValueError:  # an integer too long to print
        return "a number of thousands of digits"
    return text if len(text) <= 40 else f"{text[:20]}…{text[-10:]} ({len(text)} characters)"
