"""Writes that span models or enforce the claim workflow.

Views, serializers, admin actions and management commands call these; none of
them holds business logic of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from sources.models import Document, Source

from .models import Appearance, Attribution, Claim, ClaimStatus, Relation, Statement

MAX_HOPS = 20


@dataclass(frozen=True)
class HopInput:
    source: Source
    # How this source got the claim from the next hop; the origin (last hop) has
    # no next hop, so its relation is not used.
    relation: str = Relation.ACCORDING_TO
    quote: str = ""
    document: Document | None = None  # where this hop is asserted; defaults to the chain's document
    verified: bool = False


def _clean(obj) -> None:
    obj.full_clean()


@transaction.atomic
def claim_create(*, text: str, created_by=None, topics=(), **fields) -> Claim:
    claim = Claim(text=text, created_by=created_by, **fields)
    if claim.status == ClaimStatus.PUBLISHED:
        claim.published_at = timezone.now()
    _clean(claim)
    claim.save()
    if topics:
        claim.topics.set(topics)
    return claim


@transaction.atomic
def claim_update(*, claim: Claim, topics=None, **fields) -> Claim:
    if "status" in fields and fields["status"] != claim.status:
        _check_transition(claim, fields["status"])
        if fields["status"] == ClaimStatus.PUBLISHED and claim.published_at is None:
            claim.published_at = timezone.now()
    for name, value in fields.items():
        setattr(claim, name, value)
    _clean(claim)
    claim.save()
    if topics is not None:
        claim.topics.set(topics)
    return claim


# Which status may follow which. Retracted is final except for a return to review.
_TRANSITIONS = {
    ClaimStatus.DRAFT: {ClaimStatus.IN_REVIEW, ClaimStatus.PUBLISHED, ClaimStatus.RETRACTED},
    ClaimStatus.IN_REVIEW: {ClaimStatus.DRAFT, ClaimStatus.PUBLISHED, ClaimStatus.RETRACTED},
    ClaimStatus.PUBLISHED: {ClaimStatus.IN_REVIEW, ClaimStatus.RETRACTED},
    ClaimStatus.RETRACTED: {ClaimStatus.IN_REVIEW},
}


def _check_transition(claim: Claim, new_status: str) -> None:
    if new_status not in _TRANSITIONS[ClaimStatus(claim.status)]:
        old, new = claim.get_status_display().lower(), ClaimStatus(new_status).label.lower()
        raise ValidationError({"status": f"A {old} claim cannot become {new}."})


def claim_publish(*, claim: Claim) -> Claim:
    return claim_update(claim=claim, status=ClaimStatus.PUBLISHED)


def claim_retract(*, claim: Claim) -> Claim:
    return claim_update(claim=claim, status=ClaimStatus.RETRACTED)


@transaction.atomic
def appearance_record(*, claim: Claim, document: Document, quote: str) -> Appearance:
    """The claim appears in the document; an appearance already recorded keeps its quote."""
    appearance = Appearance.objects.filter(claim=claim, document=document).first()
    if appearance is None:
        appearance = Appearance(claim=claim, document=document, quote=quote)
        _clean(appearance)
        appearance.save()
    return appearance


def _validate_hops(hops: list[HopInput]) -> None:
    errors: dict[str, list[str]] = {}
    if not hops:
        raise ValidationError({"hops": ["Give at least one hop: the source that states the claim."]})
    if len(hops) > MAX_HOPS:
        raise ValidationError({"hops": [f"A chain has at most {MAX_HOPS} hops; this one has {len(hops)}."]})
    for i, hop in enumerate(hops):
        if hop.relation and hop.relation not in Relation.values:
            errors[f"hops[{i}].relation"] = [f"Unknown relation {hop.relation!r}; use one of {Relation.values}."]
        if i + 1 < len(hops) and hops[i + 1].source.pk == hop.source.pk:
            errors[f"hops[{i + 1}].source"] = [f"{hop.source.name} cannot cite itself."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def chain_record(
    *, claim: Claim, hops: list[HopInput], document: Document | None = None, quote: str = ""
) -> list[Attribution]:
    """Record one chain, ordered from the reporting end to the origin.

    Hops merge into the claim's existing statements (one per source), so chains
    through the same source converge on one node. An edge already recorded keeps
    what it had; a blank document or quote is filled in, and verified only ever
    goes from no to yes, so nothing an editor entered is overwritten.
    """
    _validate_hops(hops)
    if quote and document is None:
        raise ValidationError({"quote": ["A quote needs the document it is quoted from."]})
    # Serialise chain writes per claim so two concurrent recordings of the same
    # hop cannot both insert it.
    Claim.objects.select_for_update().filter(pk=claim.pk).first()

    if document is not None and quote:
        appearance_record(claim=claim, document=document, quote=quote)

    statements = [Statement.objects.get_or_create(claim=claim, source=hop.source)[0] for hop in hops]
    edges = []
    for i, hop in enumerate(hops[:-1]):
        evidence_document = hop.document or document
        edge, created = Attribution.objects.get_or_create(
            statement=statements[i],
            upstream=statements[i + 1],
            defaults={
                "claim": claim,
                "relation": hop.relation,
                "document": evidence_document,
                "quote": hop.quote,
                "verified": hop.verified,
            },
        )
        if not created:
            changed = False
            if edge.document is None and evidence_document is not None:
                edge.document, changed = evidence_document, True
            if not edge.quote and hop.quote:
                edge.quote, changed = hop.quote, True
            if hop.verified and not edge.verified:
                edge.verified, changed = True, True
            if changed:
                _clean(edge)
                edge.save()
        edges.append(edge)
    return edges


@transaction.atomic
def attribution_delete(*, attribution: Attribution) -> None:
    """Remove one edge; statements it leaves unconnected stay (they are still said)."""
    attribution.delete()
