"""schema.org ClaimReview JSON-LD, out and in.

Out: ``claim_review(claim)`` builds the markup Google's fact-check guidelines
ask for. In: ``claimreview_import(content)`` reads JSON-LD (a file's text, an
HTML page's ``<script type="application/ld+json">`` blocks, or parsed JSON)
into claims, ratings, appearances and the claim's author.

Ratings (see ``RATING_LABELS``): a textual ``alternateName`` is looked up
case-insensitively first; when the label is unknown, ``ratingValue`` is scaled
from ``worstRating``..``bestRating`` (schema.org defaults 1..5) onto our 1..5.
A claim rated unproven has no number on the scale, so its ``reviewRating``
carries ``alternateName`` only; a claim not yet rated says "Not rated", which
an import reads as "no verdict" and never uses to clear a rating.

Import matching, so that a second import of the same review changes nothing:
a review whose ``url`` is one of our claim URLs updates that claim; otherwise
the claim with exactly the same text (``claimReviewed``) is reused. Documents
are matched by URL; sources by Wikidata QID, then URL, then name. A new claim
starts as a draft: someone else's verdict is not ours until an editor
publishes it. The review's own author (the fact-checker) and date are not
stored: the model has no place for another organisation's review.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils.dateparse import parse_date, parse_datetime

from claims.models import BEST_RATING, RATING_VALUES, WORST_RATING, Appearance, Claim, ClaimStatus, Rating, Statement
from claims.provenance import SourceRef, Trace
from claims.services import HopInput, appearance_record, chain_record, claim_create, claim_update
from core.access import Viewer
from core.validators import validate_language_tag
from sources.models import Document, DocumentKind, Source, SourceKind
from sources.services import document_create, source_create

SCHEMA_CONTEXT = "https://schema.org"
# Larger inputs are refused before parsing: a review page is a few kilobytes.
MAX_IMPORT_BYTES = 1024 * 1024
NOT_RATED = "Not rated"
_PEOPLE = {SourceKind.PERSON, SourceKind.ANONYMOUS}


def claim_url(claim_id: int) -> str:
    return f"{settings.FACTCHECK_PUBLIC_URL}/api/v1/claims/{claim_id}/"


def wikidata_url(qid: str) -> str:
    return f"https://www.wikidata.org/wiki/{qid}"


# --- export ----------------------------------------------------------------------


def claim_review_queryset():
    """Claims with what ``claim_review`` reads, in one extra query."""
    return Claim.objects.prefetch_related(
        Prefetch("appearances", queryset=Appearance.objects.select_related("document__publisher"))
    )


def claim_review(claim: Claim, claim_trace: Trace, viewer: Viewer) -> dict[str, Any]:
    """The ClaimReview markup of ``claim`` (fetch it with ``claim_review_queryset``) for
    ``viewer``; ``claim_trace`` is its trace, redacted for the same viewer."""
    appearances = sorted(
        claim.appearances.all(),
        key=lambda a: (a.document.published_at is None, a.document.published_at or datetime.min, a.id),
    )
    item: dict[str, Any] = {"@type": "Claim"}
    origins = claim_trace.origins
    if origins:
        # Links only for sources the reader may know; a placeholder is a name and no more.
        by_id = Source.objects.in_bulk([o.id for o in origins if not o.redacted])
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
    return "Person" if kind in _PEOPLE else "Organization"


def _origin_author(origin: SourceRef, source: Source | None) -> dict[str, Any]:
    if source is None:
        return {"@type": _party_type(origin.kind), "name": origin.name}
    return _person_or_organization(source)


def _creative_work(document: Document, viewer: Viewer) -> dict[str, Any]:
    work: dict[str, Any] = {"@type": "CreativeWork", "headline": document.title}
    if document.url:
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
        _number(rating.get(k), default, where)
        for k, default in (("ratingValue", None), ("bestRating", 5), ("worstRating", 1))
    )
    if best == worst:
        raise ValidationError({where: ["bestRating and worstRating must differ."]})
    if not min(best, worst) <= number <= max(best, worst):
        raise ValidationError({where: [f"ratingValue {number:g} is outside {worst:g}..{best:g}."]})
    position = (number - worst) / (best - worst)  # 0 at the worst end, 1 at the best
    scaled = WORST_RATING + math.floor(position * (BEST_RATING - WORST_RATING) + 0.5)
    return next(r for r, v in RATING_VALUES.items() if v == scaled)


def _number(value: Any, default: float | None, where: str) -> float:
    if value is None or value == "":
        if default is None:
            raise ValidationError({where: ["ratingValue is missing."]})
        return float(default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError({where: [f"{value!r} is not a number."]}) from None
    if not math.isfinite(number):
        raise ValidationError({where: [f"{value!r} is not a finite number."]})
    return number


# --- reading the markup ---------------------------------------------------------------


class _LdJsonScripts(HTMLParser):
    """Collects the text of every ``<script type="application/ld+json">``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            kind = (dict(attrs).get("type") or "").split(";")[0].strip().lower()
            self._inside = kind == "application/ld+json"
            if self._inside:
                self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.scripts[-1] += data


def _loads(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError({"input": [f"Malformed JSON-LD in {where}: {exc}."]}) from None


def read_markup(content: str | bytes) -> list[Any]:
    """The JSON-LD values in a JSON document or in an HTML page's script blocks."""
    if isinstance(content, bytes):
        if len(content) > MAX_IMPORT_BYTES:
            raise ValidationError({"input": [_too_big(len(content))]})
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError({"input": ["The input is not UTF-8 text."]}) from None
    if len(content.encode()) > MAX_IMPORT_BYTES:
        raise ValidationError({"input": [_too_big(len(content.encode()))]})
    text = content.lstrip("\ufeff \t\r\n")
    if text.startswith(("{", "[")):
        return [_loads(text, "the input")]
    if not text.startswith("<"):
        raise ValidationError({"input": ["Give JSON-LD or an HTML page with ClaimReview markup."]})
    parser = _LdJsonScripts()
    parser.feed(text)
    parser.close()
    if not parser.scripts:
        raise ValidationError({"input": ['The page has no <script type="application/ld+json"> markup.']})
    return [_loads(script, f"script block {i + 1}") for i, script in enumerate(parser.scripts)]


def _too_big(size: int) -> str:
    return f"The input is {size} bytes; the limit is {MAX_IMPORT_BYTES} bytes."


_SCHEMA_PREFIX = re.compile(r"^(?:https?://schema\.org/|schema:)")


def _plain(value: Any) -> Any:
    """Strip schema.org prefixes from keys and types ("schema:url", "http://schema.org/Claim")."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            key = _SCHEMA_PREFIX.sub("", key) if isinstance(key, str) else key
            if key == "@type":
                item = [_SCHEMA_PREFIX.sub("", t) if isinstance(t, str) else t for t in _as_list(item)]
            result[key] = _plain(item)
        return result
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _nodes(value: Any) -> list[dict]:
    """Top-level nodes, looking inside lists and ``@graph``."""
    nodes = []
    for item in _as_list(value):
        if isinstance(item, dict):
            if "@graph" in item:
                nodes.extend(_nodes(item["@graph"]))
            else:
                nodes.append(item)
        elif isinstance(item, list):
            nodes.extend(_nodes(item))
    return nodes


def _text(value: Any) -> str:
    """A plain string from a JSON-LD value (a string, {"@value": ...} or a list of them)."""
    for item in _as_list(value):
        if isinstance(item, dict):
            item = item.get("@value")
        if isinstance(item, (str, int, float)) and not isinstance(item, bool) and str(item).strip():
            return " ".join(str(item).split())
    return ""


def _url(value: Any, where: str) -> str:
    for item in _as_list(value):
        if isinstance(item, dict):
            item = item.get("@id") or item.get("@value")
        if isinstance(item, str) and item.strip():
            url = item.strip()
            try:
                URLValidator(schemes=["http", "https"])(url)
            except ValidationError:
                raise ValidationError({where: [f"{url!r} is not an http(s) URL."]}) from None
            return url
    return ""


def _when(value: Any, where: str) -> datetime | None:
    text = _text(value)
    if not text:
        return None
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        moment = day = None
    if moment is None and day is not None:
        moment = datetime.combine(day, time.min)
    if moment is None:
        raise ValidationError({where: [f"{text!r} is not an ISO 8601 date or date-time."]})
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- what a review says --------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """A schema.org Person or Organization: a claim's author or a publisher."""

    name: str
    kind: str
    url: str = ""
    wikidata_qid: str = ""


@dataclass(frozen=True)
class Work:
    url: str
    title: str
    published_at: datetime | None
    author: Party | None


@dataclass(frozen=True)
class Review:
    url: str
    claim_text: str
    rating: str | None  # None: no verdict
    explanation: str
    language: str
    authors: list[Party]
    appearances: list[Work]


_WIKIDATA = re.compile(r"wikidata\.org/(?:wiki|entity)/(Q[1-9][0-9]*)$")


def _party(value: Any, where: str) -> Party | None:
    if isinstance(value, str):
        name = " ".join(value.split())
        return Party(name=name[:300], kind=SourceKind.ORGANISATION) if name else None
    if not isinstance(value, dict):
        return None
    name = _text(value.get("name")) or _text(value.get("alternateName"))
    if not name:
        return None
    types = set(_as_list(value.get("@type")))
    kind = SourceKind.PERSON if "Person" in types else SourceKind.ORGANISATION
    qid = ""
    for link in _as_list(value.get("sameAs")) + _as_list(value.get("@id")) + _as_list(value.get("url")):
        link = link.get("@id") if isinstance(link, dict) else link
        if isinstance(link, str):
            match = _WIKIDATA.search(link.strip())
            if match and not qid:
                qid = match.group(1)
    url = _url(value.get("url"), f"{where}.url")
    if _WIKIDATA.search(url):
        url = ""
    return Party(name=name[:300], kind=kind, url=url, wikidata_qid=qid)


def _work(value: Any, where: str) -> Work | None:
    if isinstance(value, str):
        value = {"url": value}
    if not isinstance(value, dict):
        return None
    url = _url(value.get("url") or value.get("@id"), f"{where}.url")
    if not url:
        # Without a URL a document cannot be matched on the next import.
        raise ValidationError({f"{where}.url": ["An appearance needs a url."]})
    title = _text(value.get("headline")) or _text(value.get("name")) or url
    author = next(
        (
            p
            for p in (_party(a, f"{where}.author") for a in _as_list(value.get("author") or value.get("publisher")))
            if p
        ),
        None,
    )
    return Work(
        url=url,
        title=title[:500],
        published_at=_when(value.get("datePublished"), f"{where}.datePublished"),
        author=author,
    )


def parse_review(node: dict, *, where: str = "ClaimReview") -> Review:
    claim_text = _text(node.get("claimReviewed"))
    if not claim_text:
        raise ValidationError({"claimReviewed": [f"{where} has no claimReviewed: the claim's text is required."]})
    rating = rating_from_review(node.get("reviewRating"), where="reviewRating")
    item = node.get("itemReviewed")
    item = item[0] if isinstance(item, list) and item else item
    item = item if isinstance(item, dict) else {}
    authors = [p for p in (_party(a, "itemReviewed.author") for a in _as_list(item.get("author"))) if p]
    works: dict[str, Work] = {}
    candidates = [("itemReviewed.appearance", a) for a in _as_list(item.get("appearance"))]
    candidates += [("itemReviewed.firstAppearance", a) for a in _as_list(item.get("firstAppearance"))]
    for i, (key, value) in enumerate(candidates):
        work = _work(value, f"{key}[{i}]" if key.endswith("appearance") else key)
        if work is not None and work.url not in works:
            works[work.url] = work
    language = _text(node.get("inLanguage"))
    try:
        validate_language_tag(language)
    except ValidationError:
        language = ""
    return Review(
        url=_url(node.get("url"), "url"),
        claim_text=claim_text,
        rating=rating,
        explanation=body.strip() if isinstance(body := node.get("reviewBody"), str) else _text(body),
        language=language,
        authors=authors,
        appearances=list(works.values()),
    )


def parse_reviews(content: str | bytes | dict | list) -> list[Review]:
    """Every ClaimReview in ``content``; a JSON document must hold at least one."""
    try:
        values = [content] if isinstance(content, (dict, list)) else read_markup(content)
        nodes = _nodes(_plain(values))
    except RecursionError:
        raise ValidationError({"input": ["The JSON-LD is nested too deeply."]}) from None
    reviews = [n for n in nodes if "ClaimReview" in n.get("@type", [])]
    if not reviews:
        found = sorted({t for n in nodes for t in n.get("@type", []) if isinstance(t, str)})
        detail = f" (found @type {', '.join(found)})" if found else ""
        raise ValidationError({"@type": [f"No node with @type ClaimReview{detail}."]})
    return [parse_review(node, where=f"ClaimReview {i + 1}") for i, node in enumerate(reviews)]


# --- writing it ---------------------------------------------------------------------------------


@dataclass
class ImportResult:
    claim: Claim
    action: str  # created, updated or unchanged
    changes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"claim": self.claim.pk, "text": self.claim.text, "action": self.action, "changes": self.changes}


_OUR_CLAIM = re.compile(r"/api/v1/claims/([0-9]+)/?$")


def _our_claim(url: str) -> Claim | None:
    base = settings.FACTCHECK_PUBLIC_URL + "/"
    if not url.startswith(base):
        return None
    match = _OUR_CLAIM.search(url)
    return Claim.objects.filter(pk=int(match.group(1))).first() if match else None


@transaction.atomic
def claimreview_import(content: str | bytes | dict | list, *, user=None) -> list[ImportResult]:
    """Import every ClaimReview in ``content``, all or nothing."""
    return [_import_review(review, user=user) for review in parse_reviews(content)]


def _import_review(review: Review, *, user) -> ImportResult:
    # Two imports of the same review at once would both find no claim and both
    # create one; they take turns instead, until this transaction ends.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", ["claimreview:" + review.claim_text])
    claim = (_our_claim(review.url) if review.url else None) or (
        Claim.objects.filter(text=review.claim_text).order_by("id").first()
    )
    changes: list[str] = []
    if claim is None:
        fields: dict[str, Any] = {"status": ClaimStatus.DRAFT, "rating": review.rating or ""}
        if review.explanation:
            fields["rating_explanation"] = review.explanation
        if review.language:
            fields["language"] = review.language
        claim = _checked(_CLAIM_KEYS, claim_create, text=review.claim_text, created_by=user, **fields)
        action = "created"
    else:
        update: dict[str, Any] = {}
        if claim.text != review.claim_text:
            update["text"] = review.claim_text
        if review.rating is not None and claim.rating != review.rating:
            update["rating"] = review.rating
        if review.explanation and claim.rating_explanation != review.explanation:
            update["rating_explanation"] = review.explanation
        if update:
            claim = _checked(_CLAIM_KEYS, claim_update, claim=claim, **update)
            changes.extend(update)
        action = "unchanged"

    for party in review.authors:
        source = _source(party, "itemReviewed.author")
        if not Statement.objects.filter(claim=claim, source=source).exists():
            chain_record(claim=claim, hops=[HopInput(source=source)])
            changes.append(f"author {source.name}")
    for work in review.appearances:
        document = Document.objects.filter(url=work.url).first()
        if document is None:
            publisher = _source(work.author, "itemReviewed.appearance.author") if work.author else None
            document = _checked(
                "itemReviewed.appearance",
                document_create,
                title=work.title,
                url=work.url,
                publisher=publisher,
                published_at=work.published_at,
                kind=DocumentKind.ARTICLE,
                language=claim.language,
            )
        if not Appearance.objects.filter(claim=claim, document=document).exists():
            # ClaimReview carries no verbatim quote; the reviewed wording stands in for it.
            appearance_record(claim=claim, document=document, quote=review.claim_text)
            changes.append(f"appearance {work.url}")
    if action == "unchanged" and changes:
        action = "updated"
    return ImportResult(claim=claim, action=action, changes=changes)


def _source(party: Party, where: str) -> Source:
    source = None
    if party.wikidata_qid:
        source = Source.objects.filter(wikidata_qid=party.wikidata_qid).first()
    if source is None and party.url:
        source = Source.objects.filter(url=party.url).order_by("id").first()
    if source is None:
        source = Source.objects.filter(name__iexact=party.name).order_by("id").first()
    if source is None:
        source = _checked(
            where, source_create, name=party.name, kind=party.kind, url=party.url, wikidata_qid=party.wikidata_qid
        )
    return source


# Which part of a review a claim's field comes from, for error messages.
_CLAIM_KEYS = {"text": "claimReviewed", "rating_explanation": "reviewBody", "language": "inLanguage"}


def _checked(where: str | dict[str, str], service, **kwargs):
    """Call a service, naming the part of the review a validation error is about."""
    try:
        return service(**kwargs)
    except ValidationError as exc:

        def key(name: str) -> str:
            if isinstance(where, dict):
                return where.get(name, name)
            return where if name == "__all__" else f"{where}.{name}"

        if hasattr(exc, "error_dict"):
            raise ValidationError({key(k): v for k, v in exc.message_dict.items()}) from None
        raise ValidationError({key("__all__"): exc.messages}) from None
