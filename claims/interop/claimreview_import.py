"""Other organisations' ClaimReviews, read in.

``claimreview_import(content)`` reads JSON-LD (a file's text, an HTML page's
``<script type="application/ld+json">`` blocks, or parsed JSON). Each review
becomes a ``ForeignReview``: a record of its own, linked to our claim and shown
beside it. An import never changes one of our claims; an editor does that.

- The claim reviewed is ours when the review's ``url`` is one of our claim URLs
  or its text (``claimReviewed``) is exactly one of our claims'. Otherwise a new
  *draft* claim is created, unrated (their verdict is theirs until an editor
  rates and publishes ours), with the review's authors and appearances.
- Our own review coming back (our claim URL, our organisation as author) is not
  a foreign review: it changes nothing when the claim exists, and restores it
  as a draft, with its rating, when it does not.
- A second import of the same review changes nothing; a revised one updates its
  ``ForeignReview`` (found by the review's URL and its author), which stays linked
  to the claim it was linked to: only an editor moves a review to another claim.
  The same URL under another author is refused: a review's address is its
  publisher's, and two publishers claiming one is for an editor to look into.

Everything an import writes goes through the services and their validation,
so a date no reader can handle, text PostgreSQL cannot store or a rating that
is not a number is refused with a message that names where it was, not stored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, time
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.dateparse import parse_date, parse_datetime

from claims.models import Appearance, Claim, ClaimStatus, ForeignReview, Statement
from claims.services import HopInput, appearance_record, chain_record, claim_create
from core.errors import as_validation_error
from core.locks import lock_keys
from core.text import check_storable
from core.validators import in_utc, validate_language_tag
from sources.models import Document, DocumentKind, Source, SourceKind, name_key
from sources.services import document_create, document_lock_key, source_find_or_create, source_lock_keys

from .claimreview import rating_from_review

# Larger inputs are refused before parsing: a review page is a few kilobytes.
MAX_IMPORT_BYTES = 1024 * 1024


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
        value = json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:  # malformed, or an integer of thousands of digits
        raise ValidationError({"input": [f"Malformed JSON-LD in {where}: {exc}."]}) from None
    check_storable(value, where="input")
    return value


def _no_constant(name: str):
    raise ValidationError({"input": [f"{name} is not a number JSON allows."]})


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
    try:
        return in_utc(moment)
    except ValidationError as error:
        raise ValidationError({where: error.messages}) from None


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
    rating_label: str  # the verdict in the reviewer's words
    explanation: str
    language: str
    authors: list[Party]  # who made the claim
    appearances: list[Work]
    reviewer: Party | None = None  # who reviewed it
    date_published: datetime | None = None


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
    reviewers = [p for p in (_party(a, "author") for a in _as_list(node.get("author"))) if p]
    rating_node = node.get("reviewRating")
    label = _text(rating_node.get("alternateName")) if isinstance(rating_node, dict) else ""
    return Review(
        url=_url(node.get("url"), "url"),
        claim_text=claim_text,
        rating=rating,
        rating_label=label,
        explanation=body.strip() if isinstance(body := node.get("reviewBody"), str) else _text(body),
        language=language,
        authors=authors,
        appearances=list(works.values()),
        reviewer=reviewers[0] if reviewers else None,
        date_published=_when(node.get("datePublished"), "datePublished"),
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
    review: ForeignReview | None  # None: our own review
    action: str  # created, updated or unchanged
    changes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim.pk,
            "text": self.claim.text,
            "review": self.review.pk if self.review else None,
            "action": self.action,
            "changes": self.changes,
        }


_OUR_CLAIM = re.compile(r"/api/v1/claims/([0-9]{1,18})/?$")


def _our_claim_id(url: str) -> int | None:
    base = settings.FACTCHECK_PUBLIC_URL + "/"
    match = _OUR_CLAIM.search(url) if url.startswith(base) else None
    return int(match.group(1)) if match else None


def _is_ours(review: Review) -> bool:
    ours = settings.FACTCHECK_ORGANIZATION["name"].casefold()
    return _our_claim_id(review.url) is not None and (
        review.reviewer is None or review.reviewer.name.casefold() == ours
    )


@transaction.atomic
def claimreview_import(content: str | bytes | dict | list, *, user=None) -> list[ImportResult]:
    """Import every ClaimReview in ``content``, all or nothing."""
    reviews = parse_reviews(content)
    # Two imports of the same review (or naming the same new source or document) at
    # once would both find nothing and both create; they take turns instead, until
    # this transaction ends. Every lock the import needs is taken here, in one call
    # (so in one order) and before any row: taken review by review, [A, B] and [B, A]
    # imported at once would each hold one and wait for the other.
    lock_keys(*(key for review in reviews for key in _lock_keys(review)))
    return [_import_review(review, user=user) for review in reviews]


def _lock_keys(review: Review) -> list[str]:
    """The advisory locks importing ``review`` takes: its own, and those of every source
    and document it may find or create (``source_find_or_create``, ``document_create``)."""
    keys = [f"claimreview-text:{review.claim_text}", f"claimreview-url:{review.url}"]
    parties = [*review.authors, *(work.author for work in review.appearances if work.author)]
    for party in parties:
        keys += source_lock_keys(name=party.name, url=party.url, wikidata_qid=party.wikidata_qid)
    keys += [document_lock_key(work.url) for work in review.appearances]
    return keys


def _import_review(review: Review, *, user) -> ImportResult:
    if _is_ours(review):
        return _import_our_own(review, user=user)
    existing = _existing_record(review)
    if existing is not None:
        # A revised review stays with the claim it was linked to, even when its
        # claimReviewed now reads like another claim: only an editor moves it.
        claim = existing.claim
    else:
        our_id = _our_claim_id(review.url)
        claim = Claim.objects.filter(pk=our_id).first() if our_id is not None else None
        claim = claim or Claim.objects.filter(text=review.claim_text).order_by("id").first()
    changes: list[str] = []
    created = claim is None
    if created:
        claim = _new_draft(review, user=user, rated=False)
        changes += _add_authors_and_appearances(claim, review)
    record, review_action = _record(review, claim, existing, user=user)
    changes += [f"review {name}" for name in review_action[1]]
    action = "created" if created or review_action[0] == "created" else review_action[0]
    return ImportResult(claim=claim, review=record, action=action, changes=changes)


def _import_our_own(review: Review, *, user) -> ImportResult:
    claim = Claim.objects.filter(pk=_our_claim_id(review.url)).first()
    if claim is not None:
        differ = [name for name, theirs, ours in _compared(review, claim) if theirs != ours]
        return ImportResult(claim=claim, review=None, action="unchanged", changes=[f"kept ours: {n}" for n in differ])
    claim = Claim.objects.filter(text=review.claim_text).order_by("id").first()
    if claim is not None:
        return ImportResult(claim=claim, review=None, action="unchanged")
    # Our own review of a claim this database does not hold: restored as a draft.
    claim = _new_draft(review, user=user, rated=True)
    changes = _add_authors_and_appearances(claim, review)
    return ImportResult(claim=claim, review=None, action="created", changes=changes)


def _compared(review: Review, claim: Claim) -> list[tuple[str, Any, Any]]:
    return [
        ("text", review.claim_text, claim.text),
        ("rating", review.rating if review.rating is not None else claim.rating, claim.rating),
        ("rating_explanation", review.explanation or claim.rating_explanation, claim.rating_explanation),
    ]


def _new_draft(review: Review, *, user, rated: bool) -> Claim:
    fields: dict[str, Any] = {"status": ClaimStatus.DRAFT}
    if rated:
        fields["rating"] = review.rating or ""
        if review.explanation:
            fields["rating_explanation"] = review.explanation
    if review.language:
        fields["language"] = review.language
    return _checked(_CLAIM_KEYS, claim_create, text=review.claim_text, created_by=user, **fields)


def _add_authors_and_appearances(claim: Claim, review: Review) -> list[str]:
    """On a claim the import itself created: who said it, and where it appeared."""
    changes = []
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
    return changes


def _reviewer(review: Review) -> str:
    return review.reviewer.name if review.reviewer else ""


def _existing_record(review: Review) -> ForeignReview | None:
    """The record an earlier import made of this review, found by its URL and author;
    a review without a URL is found by its claim, in ``_record``."""
    if not review.url:
        return None
    existing = ForeignReview.objects.select_for_update().filter(url=review.url).first()
    # Case and accents aside: a publisher's name as it spells it in another export.
    if existing is not None and name_key(existing.author) != name_key(_reviewer(review)):
        by = f"by {existing.author}" if existing.author else "without an author"
        raise ValidationError(
            {
                "author": [
                    f"The review at {review.url} was imported {by} (review {existing.pk}, of claim "
                    f"{existing.claim_id}); this one says it is by {_reviewer(review) or 'nobody'}. A review's "
                    "address belongs to one publisher: check where this markup comes from."
                ]
            }
        )
    return existing


def _record(
    review: Review, claim: Claim, existing: ForeignReview | None, *, user
) -> tuple[ForeignReview, tuple[str, list[str]]]:
    """Their review as a record of its own: created, or updated when it was revised."""
    values = {
        "claim": claim,
        "author": _reviewer(review),
        "author_url": review.reviewer.url if review.reviewer else "",
        "claim_reviewed": review.claim_text,
        "rating": review.rating or "",
        "rating_label": review.rating_label[:200],
        "review_body": review.explanation,
        "date_published": review.date_published,
        "language": review.language,
        "appearances": [work.url for work in review.appearances][:100],
    }
    if not review.url:
        existing = (
            ForeignReview.objects.select_for_update()
            .filter(url="", claim=claim, author=values["author"], claim_reviewed=review.claim_text)
            .first()
        )
    if existing is None:
        record = ForeignReview(url=review.url, imported_by=user, **values)
        _checked("ClaimReview", _save_checked, record=record)
        return record, ("created", [])
    changed = [name for name, value in values.items() if _stored(existing, name) != _stored_value(value)]
    if not changed:
        return existing, ("unchanged", [])
    for name in changed:
        setattr(existing, name, values[name])
    _checked("ClaimReview", _save_checked, record=existing)
    return existing, ("updated", changed)


def _stored(record: ForeignReview, name: str):
    return record.claim_id if name == "claim" else getattr(record, name)


def _stored_value(value):
    return value.pk if isinstance(value, Claim) else value


def _save_checked(*, record: ForeignReview) -> ForeignReview:
    record.full_clean()
    record.save()
    return record


def _source(party: Party, where: str) -> Source:
    return _checked(
        where,
        source_find_or_create,
        name=party.name,
        kind=party.kind,
        url=party.url,
        wikidata_qid=party.wikidata_qid,
    )


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

        raise as_validation_error(exc, key=key) from None
