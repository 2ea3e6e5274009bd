"""Writes that span models or enforce the claim workflow.

Views, serializers, admin actions and management commands call these; none of
them holds business logic of its own.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field

import pghistory
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import Truncator

from core.locks import SOURCE_HIERARCHY, lock_source_hierarchy
from core.writes import Gone, copy_fields, lock, save_fields
from sources import services as source_services
from sources.models import Document, Source, name_keys

from . import provenance
from .models import Appearance, Attribution, Claim, ClaimStatus, Evidence, Relation, Statement, TraceSummary
from .provenance.flags import FLAG_CODES

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
def claim_create(*, text: str, created_by=None, topics=(), confirm: Iterable[str] = (), **fields) -> Claim:
    claim = Claim(text=text, created_by=created_by, **fields)
    if claim.status == ClaimStatus.PUBLISHED:
        # Refused: a claim has no chain before it exists (create it, record its chain, publish it).
        _check_publication(claim, confirm)
    _clean(claim)
    claim.save()
    if topics:
        claim.topics.set(topics)
    return claim


@transaction.atomic
def claim_update(*, claim: Claim, topics=None, confirm: Iterable[str] = (), **fields) -> Claim:
    """Change the given fields (and topics, if given) and nothing else, on the claim as
    stored now: another editor's concurrent change to other fields is kept.

    Publishing goes through the checklist (``claim_publish_checklist``), judged on the
    claim as this write leaves it: refused (``PublishRefused``) while an item blocks it
    or one the caller did not ``confirm`` (item codes) is found."""
    current = lock(claim)
    also: tuple[str, ...] = ()
    published_over: list[str] = []
    if "status" in fields and fields["status"] != current.status:
        _check_transition(current, fields["status"])
        if fields["status"] == ClaimStatus.PUBLISHED:
            for name, value in fields.items():
                setattr(current, name, value)
            published_over = _check_publication(current, confirm)
            if current.published_at is None:
                current.published_at = timezone.now()
                also = ("published_at",)
    with _publication_recorded(current.pk, published_over):
        save_fields(current, fields, also=also)
    if topics is not None:
        current.topics.set(topics)
        # The caller's prefetched topics are stale now.
        getattr(claim, "_prefetched_objects_cache", {}).pop("topics", None)
    return copy_fields(claim, current)


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


def claim_transition_error(claim: Claim, status: str) -> str | None:
    """Why ``claim`` cannot become ``status`` as it stands, in a refusal's words (None: it can)."""
    try:
        _check_transition(claim, status)
    except ValidationError as error:
        return " ".join(error.messages)
    return None


def claim_publish(*, claim: Claim, confirm: Iterable[str] = ()) -> Claim:
    """Publish, confirming the checklist's items named in ``confirm`` (see ``claim_update``)."""
    return claim_update(claim=claim, status=ClaimStatus.PUBLISHED, confirm=confirm)


def claim_retract(*, claim: Claim) -> Claim:
    return claim_update(claim=claim, status=ClaimStatus.RETRACTED)


# --- publishing: what is missing or risky, confirmed before it goes out ---------------------

NO_CHAIN = "no_chain"
NO_RATING = "no_rating"
NO_EXPLANATION = "no_explanation"
# What a publisher may confirm: the claim's own gaps, and every flag its trace can raise
# (so a flag added to the provenance module becomes an item here without more code).
CONFIRMABLE = (NO_RATING, NO_EXPLANATION, *FLAG_CODES)
# The codes of a refusal, as the API answers them.
PUBLISH_BLOCKED = "publish_blocked"
CONFIRMATION_REQUIRED = "confirmation_required"
# The history context of the write that publishes a claim over items records them under
# this key and the claim's id ("publish_confirmed:12": ["single_origin", ...]): a key per
# claim, since one request (a bulk action) may publish several, and a context only grows.
PUBLISH_CONFIRMED = "publish_confirmed"


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    message: str
    # True: no confirmation publishes past it; it must be fixed first.
    blocking: bool = False


def claim_publish_checklist(claim: Claim, *, claim_trace: provenance.Trace | None = None) -> list[ChecklistItem]:
    """What is missing or risky in publishing ``claim`` (its fields as given, its graph as
    stored, or ``claim_trace`` when the caller has read it): blocking items first, then those
    a publisher may confirm. The graph's risks are its trace's flags, in the provenance
    module's words, not redacted: only editors publish, and they may know every source.

    Blocking: ``no_chain`` (nobody is recorded as stating the claim: there is nothing to
    trace). To confirm: ``no_rating`` (published claims may be unrated: no verdict, no
    ClaimReview), ``no_explanation`` (a rating with no reason given) and each flag."""
    if claim_trace is None and claim.pk is not None:
        claim_trace = provenance.trace(claim.pk, chain_limit=0)
    items = []
    if claim_trace is None or not claim_trace.statements:
        how = "create the claim, record its chain, then publish it" if claim.pk is None else "record a chain"
        items.append(
            ChecklistItem(
                NO_CHAIN,
                f"No source is recorded as stating this claim, so it cannot be traced: {how} (at least who "
                "states it) before publishing.",
                blocking=True,
            )
        )
    if not claim.rating:
        items.append(ChecklistItem(NO_RATING, "The claim has no rating: it would be published without a verdict."))
    elif not (claim.rating_explanation or "").strip():
        label = claim.get_rating_display()
        items.append(ChecklistItem(NO_EXPLANATION, f"The rating ({label}) has no explanation of why."))
    if claim_trace is not None:
        items += [ChecklistItem(flag.code, flag.message) for flag in claim_trace.flags]
    return items


class PublishRefused(ValidationError):
    """Publishing refused by the checklist. ``items`` is the whole checklist, ``blocking``
    the items no confirmation passes, ``unconfirmed`` those the caller did not confirm.
    As a ValidationError: the blocking items on ``status``, the others on ``confirm``,
    each message with its item's code."""

    def __init__(self, items: list[ChecklistItem], confirmed: Iterable[str]) -> None:
        confirmed = set(confirmed)
        self.items = items
        self.blocking = [item for item in items if item.blocking]
        self.unconfirmed = [item for item in items if not item.blocking and item.code not in confirmed]
        errors = {}
        if self.blocking:
            errors["status"] = [ValidationError(item.message, code=item.code) for item in self.blocking]
        if self.unconfirmed:
            errors["confirm"] = [ValidationError(item.message, code=item.code) for item in self.unconfirmed]
        super().__init__(errors)

    @property
    def reason(self) -> str:
        return PUBLISH_BLOCKED if self.blocking else CONFIRMATION_REQUIRED


def _check_publication(claim: Claim, confirm: Iterable[str]) -> list[str]:
    """The checklist of ``claim`` (locked, with the fields being written) at this moment;
    the codes confirmed, or ``PublishRefused``. The graph holds still until the write
    commits: chains lock the claim's row, which the caller holds, and hops and their
    evidence are held here (verifying, unverifying or deleting one waits)."""
    if claim.pk is not None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM claims_attribution WHERE claim_id = %s FOR SHARE", [claim.pk])
            cursor.execute("SELECT 1 FROM claims_evidence WHERE claim_id = %s FOR SHARE", [claim.pk])
    items = claim_publish_checklist(claim)
    confirmed = set(confirm)
    if any(item.blocking or item.code not in confirmed for item in items):
        raise PublishRefused(items, confirmed)
    return [item.code for item in items]


def _publication_recorded(claim_id: int, codes: list[str]):
    """The history context of a publication over confirmed items: an auditor reads in it
    what the publisher confirmed (``PUBLISH_CONFIRMED``)."""
    if not codes:
        return nullcontext()
    return pghistory.context(**{f"{PUBLISH_CONFIRMED}:{claim_id}": codes})


@transaction.atomic
def appearance_record(*, claim: Claim, document: Document, quote: str) -> Appearance:
    """The claim appears in the document; an appearance already recorded keeps its quote."""
    appearance = Appearance.objects.filter(claim=claim, document=document).first()
    if appearance is None:
        appearance = Appearance(claim=claim, document=document, quote=quote)
        _clean(appearance)
        appearance.save()
    return appearance


@transaction.atomic
def appearance_update(*, appearance: Appearance, **fields) -> Appearance:
    """Correct an appearance (its document or quote): only the given fields, on the row as stored now."""
    current = lock(appearance)
    save_fields(current, fields)
    return copy_fields(appearance, current)


@transaction.atomic
def attribution_update(*, attribution: Attribution, **fields) -> Attribution:
    """Correct what a hop says of itself (relation, verified): only the given fields, on
    the row as stored now. Its ends are fixed: record a new chain instead. Its evidence
    is corrected on its own rows (``evidence_update``)."""
    if {"claim", "statement", "upstream"} & set(fields):
        raise ValidationError("A hop's ends are fixed; record a new chain to change them.")
    lock(Claim(pk=attribution.claim_id))  # the claim, then its rows, as chains lock them
    current = lock(attribution)
    save_fields(current, fields)
    trace_summaries_refresh(claim_ids=[current.claim_id])
    return copy_fields(attribution, current)


@transaction.atomic
def attribution_verify(*, attribution: Attribution) -> bool:
    """Mark the hop verified: its upstream statement was located and checked. True if
    this changed it (False: someone had already). The history records who did it."""
    lock(Claim(pk=attribution.claim_id))  # the claim, then its rows, as chains lock them
    current = lock(attribution)
    if current.verified:
        copy_fields(attribution, current)
        return False
    save_fields(current, {"verified": True})
    trace_summaries_refresh(claim_ids=[current.claim_id])
    copy_fields(attribution, current)
    return True


@transaction.atomic
def evidence_add(*, attribution: Attribution, document: Document | None, quote: str, relation: str) -> Evidence:
    """Add a piece of evidence to a hop (the hop's claim locked, as chains lock it)."""
    lock(Claim(pk=attribution.claim_id))
    evidence, how = _evidence_merge(
        attribution, list(attribution.evidence.all()), document=document, quote=quote, relation=relation
    )
    if how == "none":
        raise ValidationError("Give the document that asserts the hop, its words, or both.")
    if how == "same":
        raise ValidationError("The hop already has this evidence: the same document and the same words.")
    trace_summaries_refresh(claim_ids=[attribution.claim_id])
    return evidence


@transaction.atomic
def evidence_update(*, evidence: Evidence, **fields) -> Evidence:
    """Correct a piece of evidence (its document, quote or relation): only the given
    fields, on the row as stored now. Which hop it evidences is fixed."""
    if {"attribution", "claim"} & set(fields):
        raise ValidationError("Evidence stays with its hop; add it to the other hop instead.")
    lock(Claim(pk=evidence.claim_id))  # the claim, then its rows, as chains lock them
    current = lock(evidence)
    document = fields.get("document", current.document)
    quote = fields.get("quote", current.quote)
    twin = Evidence.objects.filter(attribution_id=current.attribution_id, document=document, quote=quote)
    if twin.exclude(pk=current.pk).exists():
        raise ValidationError("The hop already has this evidence: the same document and the same words.")
    save_fields(current, fields)
    trace_summaries_refresh(claim_ids=[current.claim_id])
    return copy_fields(evidence, current)


@transaction.atomic
def evidence_delete(*, evidence: Evidence) -> None:
    lock(Claim(pk=evidence.claim_id))
    evidence.delete()
    trace_summaries_refresh(claim_ids=[evidence.claim_id])


def _evidence_merge(
    edge: Attribution, existing: list[Evidence], *, document: Document | None, quote: str, relation: str
) -> tuple[Evidence | None, str]:
    """Add what a hop says of its evidence to ``existing`` (the edge's evidence, which
    this list then holds too). Returns the evidence that holds it and how:

    - ``none``: the hop gave neither a document nor a quote;
    - ``same``: the edge already had it (the same document and words);
    - ``filled``: a piece in the same words had no document, or a piece from the same
      document no words, and the relation agrees: it is completed, not repeated;
    - ``new``: a piece of its own, beside the others.
    """
    document_id = document.pk if document is not None else None
    if document is None and not quote:
        return None, "none"
    for evidence in existing:
        if evidence.document_id == document_id and evidence.quote == quote:
            return evidence, "same"
    if not quote:
        # A document that asserts the hop without its words adds nothing to its own words.
        for evidence in existing:
            if evidence.document_id == document_id:
                return evidence, "same"
    for evidence in existing:
        blank_quote = evidence.document_id == document_id and not evidence.quote
        blank_document = evidence.document_id is None and document_id is not None and evidence.quote == quote
        if evidence.relation == relation and (blank_quote or blank_document):
            # No other piece has these words from this document (checked above).
            save_fields(evidence, {"quote": quote} if blank_quote else {"document": document})
            return evidence, "filled"
    evidence = Evidence(attribution=edge, claim_id=edge.claim_id, document=document, quote=quote, relation=relation)
    # Field by field (lengths, choices); the database holds the constraints, and the
    # claim's lock keeps two chains from adding the same piece at once.
    evidence.full_clean(validate_unique=False, validate_constraints=False)
    evidence.save()
    existing.append(evidence)
    return evidence, "new"


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


@dataclass
class ChainRecorded:
    """What recording a chain did: its edges, reporting end first, and what the editor
    should know, in plain words (a hop that met one already recorded differently, a
    quote an appearance did not take)."""

    edges: list[Attribution]
    notices: list[str] = field(default_factory=list)


@transaction.atomic
def chain_record(
    *, claim: Claim, hops: list[HopInput], document: Document | None = None, quote: str = ""
) -> ChainRecorded:
    """Record one chain, ordered from the reporting end to the origin.

    Hops merge into the claim's existing statements (one per source), so chains
    through the same source converge on one node. A hop already recorded keeps its
    relation and its evidence, and takes this chain's evidence beside it: each piece
    says which document asserts the hop, in which words, worded as which relation.
    When this chain says the hop differently (another relation, other words, another
    document), the answer's ``notices`` say so. Verified only ever goes from no to yes.
    Nothing an editor entered is overwritten or dropped.
    """
    _validate_hops(hops)
    if quote and document is None:
        raise ValidationError({"quote": ["A quote needs the document it is quoted from."]})
    # A chain may make its last source an origin: in turns with changes of sources'
    # standing (parents, anonymity), before any row lock (see hold_source_standing).
    hold_source_standing()
    # The sources must still be there (a merge or a delete may have just removed one);
    # FOR KEY SHARE keeps them there until this chain is recorded. Sources before the
    # claim, in the order a merge takes its locks, so the two cannot deadlock.
    source_ids = {hop.source.pk for hop in hops}
    with connection.cursor() as cursor:  # Django's select_for_update has no KEY SHARE
        cursor.execute("SELECT id FROM sources_source WHERE id = ANY(%s) FOR KEY SHARE", [list(source_ids)])
        present = {row[0] for row in cursor.fetchall()}
    if present != source_ids:
        gone = ", ".join(hop.source.name for hop in hops if hop.source.pk not in present)
        raise ValidationError(
            {"hops": [f"{gone}: no longer a source (merged into another, or deleted); choose again."]}
        )
    # Serialise chain writes per claim so two concurrent recordings of the same
    # hop cannot both insert it.
    lock(claim)
    notices: list[str] = []

    if document is not None and quote:
        appearance = appearance_record(claim=claim, document=document, quote=quote)
        if appearance.quote != quote:
            notices.append(
                f"The claim already appears in “{_short(document.title, 60)}” as “{_short(appearance.quote)}”; "
                f"that quote is kept, and this chain's “{_short(quote)}” is not recorded as a second appearance."
            )

    statements = [Statement.objects.get_or_create(claim=claim, source=hop.source)[0] for hop in hops]
    edges = []
    for i, hop in enumerate(hops[:-1]):
        edge, created = Attribution.objects.get_or_create(
            statement=statements[i],
            upstream=statements[i + 1],
            defaults={"claim": claim, "relation": hop.relation, "verified": hop.verified},
        )
        existing = [] if created else list(edge.evidence.select_related("document"))
        before = list(existing)
        evidence_document = hop.document or document
        _, how = _evidence_merge(edge, existing, document=evidence_document, quote=hop.quote, relation=hop.relation)
        if not created:
            if hop.verified and not edge.verified:
                save_fields(edge, {"verified": True})
            notice = _merge_notice(hop, hops[i + 1], edge, before, evidence_document, how)
            if notice:
                notices.append(notice)
        edges.append(edge)
    trace_summaries_refresh(claim_ids=[claim.pk])
    return ChainRecorded(edges=edges, notices=notices)


def _short(text: str, chars: int = 80) -> str:
    return Truncator(text).chars(chars)


def _merge_notice(
    hop: HopInput,
    upstream: HopInput,
    edge: Attribution,
    before: list[Evidence],
    document: Document | None,
    how: str,
) -> str:
    """What an editor should know when a hop merged into one already recorded: whether
    this chain words it differently, and what became of its evidence. "" when it agrees."""
    hop_name = f"{hop.source.name} → {upstream.source.name}"
    recorded, saying = Relation(edge.relation).label, Relation(hop.relation).label
    if hop.relation != edge.relation:
        kept = {
            "new": "both kept as evidence.",
            "filled": "both kept as evidence.",
            "same": "that evidence was already recorded, so the hop stays as it was.",
            "none": "it gives no document or quote for it, so the hop stays as it was.",
        }[how]
        return f"{hop_name} was already recorded as ‘{recorded}’; this chain says ‘{saying}’: {kept}"
    if how != "new":
        return ""
    quotes = [e.quote for e in before if e.quote]
    if hop.quote and quotes and hop.quote not in quotes:
        return (
            f"{hop_name} was already recorded with the words “{_short(quotes[0])}”; this chain quotes "
            f"“{_short(hop.quote)}”: both kept as evidence."
        )
    documents = [e.document for e in before if e.document is not None]
    if document is not None and documents:
        return (
            f"{hop_name} was already recorded from “{_short(documents[0].title, 60)}”; this chain gives "
            f"“{_short(document.title, 60)}”: both kept as evidence."
        )
    return ""


def ends_left_unconnected(edge: Attribution) -> list[Statement]:
    """The statements at ``edge``'s ends that it is the only link of: without it a source
    that cited nobody would read as an origin. The claim's last statement is not among
    them (its reporting end stays when both would go): without one it has no trace."""
    ends = [edge.upstream_id, edge.statement_id]
    others = Attribution.objects.exclude(pk=edge.pk)
    linked = set(others.filter(statement_id__in=ends).values_list("statement_id", flat=True))
    linked |= set(others.filter(upstream_id__in=ends).values_list("upstream_id", flat=True))
    unconnected = [s for s in ends if s not in linked]
    if unconnected and not Statement.objects.filter(claim_id=edge.claim_id).exclude(pk__in=unconnected).exists():
        unconnected.pop()
    return list(Statement.objects.select_related("source").filter(pk__in=unconnected).order_by("pk"))


@transaction.atomic
def attribution_delete(
    *, attribution: Attribution, remove_unconnected: bool | Collection[int] = False
) -> list[Statement]:
    """Remove one edge and its evidence. Its ends stay as statements unless
    ``remove_unconnected`` (undoing a mistaken hop): True removes those it leaves with no
    link (``ends_left_unconnected``), a collection of statement ids those of them it
    names (what the editor confirmed). Returns the statements removed with it."""
    hold_source_standing()  # its downstream end may become an origin
    lock(Claim(pk=attribution.claim_id))
    edge = lock(attribution, for_removal=True)
    removed = []
    if remove_unconnected:
        removed = ends_left_unconnected(edge)
        if remove_unconnected is not True:
            removed = [statement for statement in removed if statement.pk in remove_unconnected]
    edge.delete()
    Statement.objects.filter(pk__in=[statement.pk for statement in removed]).delete()
    trace_summaries_refresh(claim_ids=[edge.claim_id])
    return removed


@transaction.atomic
def statement_delete(*, statement: Statement) -> None:
    """Remove a statement no hop uses (a hop's end is removed with the hop first)."""
    hold_source_standing()
    lock(Claim(pk=statement.claim_id))
    if Attribution.objects.filter(Q(statement_id=statement.pk) | Q(upstream_id=statement.pk)).exists():
        raise ValidationError(f"{statement} is part of a chain: remove its hops first.")
    Statement.objects.filter(pk=statement.pk).delete()
    trace_summaries_refresh(claim_ids=[statement.claim_id])


# --- merging ------------------------------------------------------------------------


@dataclass
class MergeReport:
    """What a merge did, for the editor (and, with the history, for auditors)."""

    kept: Source
    merged_name: str
    merged_id: int
    statements_moved: int = 0
    statements_joined: int = 0  # the claim already had a statement by the kept source
    edges_moved: int = 0
    edges_joined: int = 0  # the same hop was recorded through both sources
    edges_dropped: list[str] = field(default_factory=list)  # hops between the two sources
    documents_moved: int = 0
    children_moved: int = 0
    links_dropped: list[str] = field(default_factory=list)  # parent links that would have made a loop
    claims: list[int] = field(default_factory=list)  # whose traces changed
    made_confidential: bool = False  # the duplicate was confidential, so the kept source is now too

    def lines(self) -> list[str]:
        lines = [
            f"{self.merged_name} (source {self.merged_id}) merged into {self.kept.name} (source {self.kept.pk}); "
            f"its name is kept as an alias.",
            f"{self.statements_moved} statements moved, {self.statements_joined} joined to an existing one; "
            f"{self.edges_moved} hops moved, {self.edges_joined} joined to the same hop already recorded.",
            f"{self.documents_moved} documents and {self.children_moved} member sources moved.",
            f"{len(self.claims)} claims' traces changed.",
        ]
        lines += [f"Dropped a hop between the two (a source cannot cite itself): {e}" for e in self.edges_dropped]
        lines += [f"Dropped a parent link that would make a loop: {link}" for link in self.links_dropped]
        if self.made_confidential:
            lines.append(f"{self.kept.name} is now confidential: the duplicate was, and its names are now aliases.")
        return lines


@transaction.atomic
def source_merge(*, keep: Source, merge: Source) -> MergeReport:
    """Fold ``merge`` into ``keep``: every statement, hop, document and member source
    moves to ``keep``, ``merge``'s name and aliases become ``keep``'s aliases, and
    ``merge`` is deleted. Each step is an ordinary write, so the history records it.

    A claim stated by both sources ends up with one statement: the hops of the
    merged statement move to the kept one, and a hop recorded through both is kept
    once, with the evidence of both. A hop *between* the two
    would become a source citing itself; it is dropped and reported. So is a parent
    link that would become a loop (the two sit in one chain of parents).

    Refused with ``Gone`` (a ValidationError) when either source was merged or
    deleted by someone else meanwhile.
    """
    if keep.pk == merge.pk:
        raise ValidationError({"source": "A source cannot be merged into itself."})
    # Advisory locks first, rows after, as every writer takes them (core.locks): an
    # import holds a name, then wants its source's row; a change of parent holds the
    # hierarchy lock, then its foreign-key check wants the parent's row.
    _lock_names_of(keep, merge)
    lock_source_hierarchy()
    locked = _lock_pair(keep, merge)
    keep, merge = locked[keep.pk], locked[merge.pk]
    report = MergeReport(kept=keep, merged_name=merge.name, merged_id=merge.pk)
    _statements_merge(keep=keep, merge=merge, report=report)
    report.documents_moved = Document.objects.filter(publisher=merge).update(publisher=keep, updated_at=timezone.now())
    # Locked, so a member deleted or moved elsewhere meanwhile is skipped, not a failure.
    children = Source.objects.select_for_update(no_key=True).filter(parent=merge).exclude(pk=keep.pk).order_by("pk")
    above_keep = _self_and_ancestors(keep.pk)
    for child in children:
        if child.pk in above_keep:
            # The kept source is below this member of the duplicate: under keep, it would close a loop.
            source_services.source_update(source=child, parent=None)
            report.links_dropped.append(
                f"{child.name} (source {child.pk}) belonged to {merge.name}, but {keep.name} is below it: "
                f"it now belongs to no source."
            )
            continue
        source_services.source_update(source=child, parent=keep)
        report.children_moved += 1
    aliases = [
        a for a in dict.fromkeys([*keep.aliases, merge.name, *merge.aliases]) if a.casefold() != keep.name.casefold()
    ]
    # The kept source keeps its parent; without one (or when that was the duplicate)
    # it takes the duplicate's, which would otherwise be lost, unless that parent is
    # the kept source itself or below it.
    new_parent = keep.parent if keep.parent_id not in (None, merge.pk) else merge.parent
    if new_parent is not None and keep.pk in _self_and_ancestors(new_parent.pk):
        if new_parent.pk != keep.pk:
            report.links_dropped.append(
                f"{keep.name} does not take {merge.name}'s parent {new_parent.name} (source {new_parent.pk}): "
                f"it is below {keep.name}."
            )
        new_parent = None
    if keep.parent_id == merge.pk:
        Source.objects.filter(pk=keep.pk).update(parent=None)
    # A confidential duplicate's names become the kept source's aliases: the kept
    # source must then be confidential too, or the merge would reveal who it was.
    secrecy = {}
    if merge.confidential and not keep.confidential:
        secrecy = {"confidential": True, "public_description": keep.public_description or merge.public_description}
        report.made_confidential = True
    merge.delete()
    source_services.source_update(source=keep, aliases=aliases, parent=new_parent, confirm_distinct=True, **secrecy)
    # The claims whose graphs changed. Members that moved to another organisation were
    # announced by source_update (source_standing_changed); a kept source that takes the
    # duplicate's place at the head of its organisation leaves everyone grouped as before.
    trace_summaries_refresh(claim_ids=report.claims)
    return report


def _lock_names_of(*sources: Source) -> None:
    """Lock the names and aliases of the sources (the kept one takes them all), as the
    caller read them and as stored now. Read again once they are held, until no rename
    slipped in between: all before any row lock."""
    held: set[str] = set()
    while True:
        stored = Source.objects.filter(pk__in=[s.pk for s in sources]).only("name", "aliases")
        keys = {key for s in [*sources, *stored] for key in name_keys(s.name, s.aliases or [])} - held
        if not keys:
            return
        source_services._lock_names(sorted(keys))  # the keys source_update's clash check locks
        held |= keys


def _lock_pair(keep: Source, merge: Source) -> dict[int, Source]:
    """Both rows, locked in id order (two merges of the same pair cannot deadlock); the
    duplicate for removal, so that no chain comes to cite it while it is emptied."""
    locked = {}
    for source in sorted([keep, merge], key=lambda s: s.pk):
        try:
            locked[source.pk] = lock(source, for_removal=source.pk == merge.pk, gone="merged or deleted")
        except Gone as error:
            # The duplicate is the request's "source"; the kept one is the request itself.
            raise (ValidationError({"source": error}) if source.pk == merge.pk else error) from None
    return locked


def _self_and_ancestors(source_id: int) -> set[int]:
    """The source and every source above it (one query up the parent chain, which the
    hierarchy lock keeps still)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE up(id, parent_id) AS ("
            " SELECT id, parent_id FROM sources_source WHERE id = %s"
            " UNION SELECT s.id, s.parent_id FROM sources_source s JOIN up ON s.id = up.parent_id"
            ") SELECT id FROM up",
            [source_id],
        )
        return {row[0] for row in cursor.fetchall()}


def _statements_merge(*, keep: Source, merge: Source, report: MergeReport) -> None:
    statements = list(Statement.objects.filter(source=merge).order_by("claim_id"))
    # The claims whose graphs change, locked in id order as chain_record locks them.
    claim_ids = sorted({s.claim_id for s in statements})
    list(
        Claim.objects.select_for_update(no_key=True)
        .filter(pk__in=claim_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    report.claims = claim_ids
    kept = {s.claim_id: s for s in Statement.objects.filter(source=keep, claim_id__in=claim_ids)}
    for statement in statements:
        target = kept.get(statement.claim_id)
        if target is None:
            statement.source = keep
            statement.save(update_fields=["source"])
            report.statements_moved += 1
            continue
        # Both sources state this claim: the merged statement's hops move to the kept one.
        for edge in Attribution.objects.filter(Q(statement=statement) | Q(upstream=statement)).order_by("id"):
            downstream = target if edge.statement_id == statement.pk else edge.statement
            upstream = target if edge.upstream_id == statement.pk else edge.upstream
            if downstream.pk == upstream.pk:
                report.edges_dropped.append(
                    f"claim {edge.claim_id}: {keep.name} {edge.get_relation_display()} {merge.name}"
                )
                edge.delete()
                continue
            same = Attribution.objects.filter(statement=downstream, upstream=upstream).first()
            if same is None:
                edge.statement, edge.upstream = downstream, upstream
                edge.save(update_fields=["statement", "upstream"])
                report.edges_moved += 1
            else:
                _fill_blanks(same, edge)
                edge.delete()
                report.edges_joined += 1
        statement.delete()
        report.statements_joined += 1


def _fill_blanks(edge: Attribution, other: Attribution) -> None:
    """The same hop recorded twice: keep one, with what the other adds (its evidence
    moves over, a piece the kept hop already has is dropped as a repeat)."""
    if other.verified and not edge.verified:
        edge.verified = True
        edge.save(update_fields=["verified"])
    held = {(e.document_id, e.quote) for e in edge.evidence.all()}
    for evidence in other.evidence.order_by("id"):
        if (evidence.document_id, evidence.quote) in held:
            evidence.delete()
            continue
        evidence.attribution = edge
        evidence.save(update_fields=["attribution"])
        held.add((evidence.document_id, evidence.quote))


# --- trace summaries: what the lists show of each claim's trace, kept with its graph ----------

# Claims whose summaries are computed together: one read of their graphs, one write.
SUMMARY_BATCH = 500
_SUMMARY_FIELDS = [f.name for f in TraceSummary._meta.concrete_fields if not f.primary_key]


def trace_summaries_refresh(*, claim_ids: Iterable[int]) -> int:
    """Store again the summaries (``TraceSummary``) of these claims' traces, judged by
    ``claims.provenance`` on their graphs as they stand, in the caller's transaction: a
    batch of claims at a time, three queries a batch (their rows locked, their graphs
    read, their summaries written). Returns how many claims.

    Every service that changes a graph calls it (a change of a source's standing reaches
    it through ``sources.services.source_standing_changed``). The claims' rows are locked
    first, in id order as chains lock them, and then their graphs read: a summary is
    judged after any other change to the same graph has committed, so two changes at once
    cannot leave the first one's summary. The claims' history is not written: locking a
    row is no change to it."""
    ids = sorted(set(claim_ids))
    for start in range(0, len(ids), SUMMARY_BATCH):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM claims_claim WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",
                [ids[start : start + SUMMARY_BATCH]],
            )
            batch = [row[0] for row in cursor.fetchall()]
        rows = [TraceSummary(claim_id=c, **asdict(summary)) for c, summary in provenance.summaries(batch).items()]
        TraceSummary.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["claim"], update_fields=_SUMMARY_FIELDS
        )
    return len(ids)


def hold_source_standing() -> None:
    """Take turns with changes of sources' standing (a parent, anonymity: they take the
    source hierarchy lock, ``sources.services.source_update_locks``) while this write may
    make a source an origin of a claim: shared, so writers of graphs never wait for each
    other. Such a change refreshes the claims its sources originate, and could not see
    this claim among them before this write commits, nor this write its change; one after
    the other, the later sees the earlier. Before any row lock, as core.locks orders them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(hashtextextended(%s, 0))", [SOURCE_HIERARCHY])


def _originated_by(source_ids: Iterable[int]) -> list[int]:
    return list(Claim.objects.originating_at(*source_ids).values_list("pk", flat=True))


def source_standing_refresh(sender, *, source_ids: list[int], **kwargs) -> None:
    """Receiver of ``sources.services.source_standing_changed`` (connected in claims.apps):
    a source's parent or anonymity counts only where it is an origin, so the claims these
    sources originate get their summaries again."""
    trace_summaries_refresh(claim_ids=_originated_by(source_ids))


# --- sending claims back to review ----------------------------------------------------------

# Claims sent back by one call: each is a status change of its own (locked, checked, in the
# history), so a source relied on by thousands is sent back a batch at a time.
SEND_BACK_BATCH = 500
# The history context of a sending back names the source it was for.
SENT_BACK_FOR = "sent_back_for_source"


@dataclass
class SentBack:
    claims: list[Claim]  # sent back to review, newest first
    remaining: bool  # published claims relying on the source are left: send again


@transaction.atomic
def claims_send_back(*, relying_on: Source, limit: int = SEND_BACK_BATCH) -> SentBack:
    """Send the published claims that rely on ``relying_on`` (anywhere in a chain) back to
    review, when the source is no longer trusted: each through ``claim_update`` (its lock,
    the workflow's rule, its own entry in the history, saying who), at most ``limit`` of
    them, newest first. The history context records which source they were sent back for.
    A claim no longer published by the time it is locked is left as it is."""
    relying = Claim.objects.citing(relying_on.pk).published()
    newest = list(relying.order_by("-pk").values_list("pk", flat=True)[:limit])
    # Locked in id order, as chains and merges lock claims.
    locked = Claim.objects.select_for_update(no_key=True).filter(pk__in=newest).order_by("pk")
    sent = []
    with pghistory.context(**{SENT_BACK_FOR: relying_on.pk}):
        for claim in locked:
            if claim.status == ClaimStatus.PUBLISHED:  # not retracted or sent back meanwhile
                sent.append(claim_update(claim=claim, status=ClaimStatus.IN_REVIEW))
    return SentBack(claims=sent[::-1], remaining=relying.exists())
