"""Importing a document, and deciding its proposals. Writes go through the sources'
and claims' services; nothing here publishes anything."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from claims.models import Claim
from claims.search import similar_claims
from claims.services import HopInput, appearance_record, chain_record, claim_create
from core.access import EVERYTHING
from core.locks import lock_keys
from core.writes import lock
from sources.models import Document, Source
from sources.services import document_create

from .extraction import propose
from .fetching import fetch_page
from .models import Proposal, ProposalStatus
from .registry import Known, SourceRegistry, resolve_chain

MAX_HTML = 5_000_000  # characters of a saved page
MAX_MATCHES = 5
# Sentences an import proposes claims for, at most: each costs a search for its matches
# (a long article has a hundred; 5,000 would hold the request for many seconds).
MAX_SENTENCES = 400


@dataclass
class Imported:
    document: Document
    proposals: list[Proposal]
    created: bool


def article_from_html(html: str) -> dict:
    """The article in a saved page, without its boilerplate: body, title, author, date
    (trafilatura). A ValidationError when it holds no article."""
    import trafilatura  # imported here: the extractor loads a great deal, and only imports need it

    if len(html) > MAX_HTML:
        raise ValidationError({"html": [f"The page is larger than {MAX_HTML:,} characters."]})
    extracted = trafilatura.extract(html, output_format="json", with_metadata=True, include_comments=False)
    found = json.loads(extracted) if extracted else {}
    text = (found.get("text") or "").strip()
    if len(text.split()) < 5:  # a menu, a cookie notice: not an article
        raise ValidationError({"html": ["No article text was found in this page."]})
    title = (found.get("title") or "").strip()
    lines = text.split("\n")
    if title and lines and lines[0].strip() == title:
        lines = lines[1:]  # the headline, repeated as the body's first line
    # One paragraph a line in trafilatura's text; the reader takes blank-line paragraphs.
    body = "\n\n".join(line.strip() for line in lines if line.strip())
    return {"body": body, "title": title, "author": found.get("author") or "", "date": found.get("date") or ""}


def document_import(
    *,
    text: str = "",
    html: str = "",
    title: str = "",
    url: str = "",
    publisher: Source | None = None,
    published_at: datetime | None = None,
    language: str = "en",
) -> Imported:
    """The document with its proposals. Importing the same article again (the same
    address, or the same body from the same publisher) changes nothing and gives the
    document and proposals made the first time. A url alone is fetched, where this server
    allows it (ingestion/fetching.py), unless imported before. The page is fetched and
    read before the transaction begins: a slow site holds no connection in one."""
    if not text and not html and url:
        existing = _already_imported(url)
        if existing is not None:
            return _as_imported(existing)
        html = fetch_page(url)
    if bool(text) == bool(html):
        raise ValidationError(
            {"text": ["Send the article as text or as html (a saved page), one of the two; or a url alone to fetch."]}
        )
    if html:
        article = article_from_html(html)
        text, title = article["body"], title or article["title"]
        if published_at is None and article["date"]:
            published_at = _day(article["date"])
    body = "\n".join(line.rstrip() for line in text.strip().splitlines())
    title = title.strip() or body.split("\n", 1)[0][:200]
    with transaction.atomic():
        # Two imports of one article take turns: the second finds the first's document.
        keys = [f"document-body:{Document.hash_body(body)}:{getattr(publisher, 'pk', '')}"]
        lock_keys(*keys, *([f"document-url:{url}"] if url else []))
        existing = _already_imported(url, body, publisher)
        if existing is not None:
            return _as_imported(existing)
        document = document_create(
            title=title, url=url, publisher=publisher, published_at=published_at, language=language, body=body
        )
        return Imported(document, _proposals(document), created=True)


def _as_imported(document: Document) -> Imported:
    return Imported(document, list(document.proposals.order_by("position")), created=False)


def _day(text: str) -> datetime | None:
    try:
        return timezone.make_aware(datetime.fromisoformat(text[:10]))
    except ValueError:
        return None


def _already_imported(url: str, body: str = "", publisher: Source | None = None) -> Document | None:
    documents = Document.objects.defer("body")
    if url:
        found = documents.filter(url=url).first()
        if found is not None or not body:
            return found
    return documents.filter(content_hash=Document.hash_body(body), publisher=publisher).order_by("id").first()


def _proposals(document: Document) -> list[Proposal]:
    published = document.published_at.date() if document.published_at else None
    proposed_all = propose(document.body, published)
    if len(proposed_all) > MAX_SENTENCES:
        raise ValidationError(
            {"text": [f"The article has {len(proposed_all):,} sentences; import at most {MAX_SENTENCES:,} at a time."]}
        )
    registry, recent = SourceRegistry(), []
    publisher = document.publisher
    own = Known(publisher.pk, publisher.name, tuple(publisher.aliases)) if publisher else None
    rows = []
    for position, proposed in enumerate(proposed_all):
        hops = [
            {
                "source": known.key if known else None,
                "mention": hop.mention,
                "relation": hop.relation,
                "quote": hop.quote,
            }
            for hop, known in resolve_chain(proposed, registry, recent, own)
        ]
        event = proposed.event
        rows.append(
            Proposal(
                document=document,
                position=position,
                sentence=proposed.sentence,
                quote=proposed.quote,
                claim_text=proposed.claim_text,
                hops=hops,
                cues=list(proposed.cues),
                event_start=event.start if event else None,
                event_end=event.end if event and event.end != event.start else None,
                event_approximate=event.approximate if event else False,
            )
        )
    # Existing claims that may say the same, best first: for every sentence at once.
    similar = similar_claims(
        [row.claim_text for row in rows], EVERYTHING, language=document.language, limit=MAX_MATCHES
    )
    for row, found in zip(rows, similar, strict=True):
        row.matches = [{"claim": claim_id, "score": score} for claim_id, score in found.matches]
    return Proposal.objects.bulk_create(rows)


@transaction.atomic
def proposal_accept(*, proposal: Proposal, user, claim_text: str = "", hops: list[dict] | None = None, claim=None):
    """The proposal as a claim (a new one, or ``claim``), with its appearance in the
    document and its chain, in one transaction. Edits given replace the proposal's."""
    proposal = _pending(proposal)
    chosen = hops if hops is not None else proposal.hops
    unknown = [i for i, hop in enumerate(chosen) if not hop.get("source")]
    if unknown:
        mentions = ", ".join(f"hop {i} ({chosen[i].get('mention') or 'the publisher'})" for i in unknown)
        raise ValidationError(
            {"hops": [f"Give a source for {mentions}: the registry knows none by these words (create it first)."]}
        )
    sources = Source.objects.in_bulk([hop["source"] for hop in chosen])
    gone = [str(hop["source"]) for hop in chosen if hop["source"] not in sources]
    if gone:
        raise ValidationError({"hops": [f"No source has the id {', '.join(gone)}."]})
    document = proposal.document
    if claim is None:
        fields = {"event_start": proposal.event_start, "event_end": proposal.event_end}
        claim = claim_create(
            text=claim_text or proposal.claim_text,
            created_by=user,
            language=document.language,
            event_approximate=proposal.event_approximate,
            **{key: value for key, value in fields.items() if value is not None},
        )
    appearance_record(claim=claim, document=document, quote=proposal.quote)
    chain_record(
        claim=claim,
        hops=[
            HopInput(
                source=sources[hop["source"]],
                relation=hop.get("relation") or "according_to",
                quote=hop.get("quote") or "",
            )
            for hop in chosen
        ],
        document=document,
    )
    _decide(proposal, ProposalStatus.ACCEPTED, user, claim=claim)
    return claim


@transaction.atomic
def proposal_reject(*, proposal: Proposal, user) -> Proposal:
    proposal = _pending(proposal)
    _decide(proposal, ProposalStatus.REJECTED, user)
    return proposal


def _pending(proposal: Proposal) -> Proposal:
    """The proposal as stored now, locked; refused when someone decided it already."""
    current = lock(proposal)
    if current.status != ProposalStatus.PENDING:
        raise ValidationError(f"This proposal was {current.status} already; nothing was changed.", code="decided")
    return current


def _decide(proposal: Proposal, status: str, user, claim: Claim | None = None) -> None:
    proposal.status, proposal.claim, proposal.decided_at = status, claim, timezone.now()
    proposal.decided_by = user if getattr(user, "pk", None) else None
    proposal.save(update_fields=["status", "claim", "decided_by", "decided_at"])
