"""The change history of claims, and claims as they stood at a moment.

A claim's history is its own events merged with those of its topics,
appearances, statements, attribution edges and their evidence (read by
``core.history``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.utils.text import Truncator

from core.history import ChangeEntry, History, Namer, describe_row, from_json, read_history
from sources.models import Document, Source

from .models import Appearance, Attribution, Claim, ClaimTopic, Evidence, Relation, Statement, Topic

# A claim's history: its own events, then those of what hangs off it.
CLAIM_PARTS = [
    (Claim, "own"),
    (ClaimTopic, "claim_id"),
    (Appearance, "claim_id"),
    (Statement, "claim_id"),
    (Attribution, "claim_id"),
    (Evidence, "claim_id"),
]


def history_for(claim: Claim) -> list[ChangeEntry]:
    """The claim's changes, oldest first, all of them; only its primary key is used."""
    return read_history(CLAIM_PARTS, claim.pk, describe=_describe)


def claim_history(claim_id: int) -> History:
    """The same, to be paged: each page is read on its own (and, read ``for_viewer``,
    named by ``ClaimNamer``)."""
    return History(CLAIM_PARTS, claim_id, describe=_describe, namer=ClaimNamer)


def _describe(model: type[models.Model], row: dict[str, Any]) -> str:
    if model is ClaimTopic:
        return f"topic {row.get('topic')}"
    if model is Appearance:
        return f"in document {row.get('document')}"
    if model is Statement:
        return f"by source {row.get('source')}"
    if model is Attribution:
        return f"statement {row.get('statement')} {row.get('relation')} statement {row.get('upstream')}"
    if model is Evidence:
        return f"evidence of hop {row.get('attribution')}"
    return describe_row(model, row)


class ClaimNamer(Namer):
    """A claim's history as an editor would say it: a hop is "Reuters citing RIA Novosti",
    a statement its source, an appearance the document it is in, a topic its name.
    Statements are named by their source, read with the page's other names (a statement
    deleted since by its last event), so a page costs the same few queries however long."""

    def references(self, model):
        # Every row of a claim's history belongs to the claim: its link says nothing.
        return [f for f in super().references(model) if not (model is not Claim and f.name == "claim")]

    def read_names(self, wanted):
        # Statements by their source, and hops (named in their evidence's entries) by
        # their two ends, in one query: live, or from their last event.
        hops = wanted.pop(Attribution, set())
        statements = wanted.pop(Statement, set())
        source_of: dict[int, int] = {}
        ends: dict[int, tuple[int, int, str]] = {}
        if statements or hops:
            with connection.cursor() as cursor:
                cursor.execute(_STATEMENT_SOURCES_SQL, {"ids": sorted(statements), "hops": sorted(hops)})
                for kind, key, first, upstream, relation in cursor.fetchall():
                    if kind == "hop":
                        ends[key] = (first, upstream, relation)
                    else:
                        source_of[key] = first
            wanted.setdefault(Source, set()).update(source_of.values())
        names = super().read_names(wanted)
        for statement_id, source_id in source_of.items():
            names[(Statement, statement_id)] = names.get((Source, source_id), f"source {source_id}")
        for hop, (statement, upstream, relation) in ends.items():
            names[(Attribution, hop)] = self.hop(
                names.get((Statement, statement)), relation, names.get((Statement, upstream))
            )
        return names

    def hop(self, downstream: str | None, relation: str | None, upstream: str | None) -> str:
        said = Relation(relation).label if relation in Relation.values else relation
        return f"{downstream or 'a statement'} {said} {upstream or 'a statement'}"

    def name(self, obj):
        if isinstance(obj, Document):
            return document_name(obj.title)
        return super().name(obj)

    def deleted_name(self, model, row):
        if model is Document:
            return document_name(row.get("title") or f"document {row.get('id')}")
        return super().deleted_name(model, row)

    def noun(self, model):
        return _NOUNS.get(model) or super().noun(model)

    def row(self, model, row):
        if model is ClaimTopic:
            return self.of_or_id(Topic, row.get("topic"), "topic")
        if model is Appearance:
            return f"in {self.of_or_id(Document, row.get('document'), 'document')}"
        if model is Statement:
            return self.of_or_id(Source, row.get("source"), "source")
        if model is Attribution:
            relation = row.get("relation")
            said = Relation(relation).label if relation in Relation.values else relation
            return (
                f"{self.of_or_id(Statement, row.get('statement'), 'statement')} {said} "
                f"{self.of_or_id(Statement, row.get('upstream'), 'statement')}"
            )
        if model is Evidence:
            words = f"“{Truncator(row['quote']).chars(80)}”" if row.get("quote") else "no words"
            document = self.of(Document, row.get("document"))
            where = f" in {document}" if document else ""
            return f"{words}{where}, for {self.of_or_id(Attribution, row.get('attribution'), 'hop')}"
        return super().row(model, row)

    def of_or_id(self, model, key, noun: str) -> str:
        return self.of(model, key) or f"{noun} {key}"


_NOUNS = {ClaimTopic: "topic", Statement: "source in the graph", Attribution: "hop", Evidence: "evidence"}


def document_name(title: str) -> str:
    return f"“{Truncator(title).chars(80)}”"


# Each statement's source, and each hop's ends and relation (and its ends' sources): live,
# or for one deleted since, from its last event.
_STATEMENT_SOURCES_SQL = """
WITH hop AS (
    SELECT id, statement_id, upstream_id, relation FROM claims_attribution WHERE id = ANY(%(hops)s)
    UNION ALL
    (SELECT DISTINCT ON (pgh_obj_id) pgh_obj_id, statement_id, upstream_id, relation FROM claims_attributionevent e
     WHERE pgh_obj_id = ANY(%(hops)s) AND NOT EXISTS (SELECT 1 FROM claims_attribution a WHERE a.id = e.pgh_obj_id)
     ORDER BY pgh_obj_id, pgh_id DESC)
),
wanted AS (
    SELECT unnest(%(ids)s::bigint[]) AS id
    UNION SELECT statement_id FROM hop
    UNION SELECT upstream_id FROM hop
)
SELECT 'hop', id, statement_id, upstream_id, relation FROM hop
UNION ALL
SELECT 'statement', id, source_id, NULL, NULL FROM claims_statement WHERE id IN (SELECT id FROM wanted)
UNION ALL
(SELECT DISTINCT ON (pgh_obj_id) 'statement', pgh_obj_id, source_id, NULL, NULL FROM claims_statementevent e
 WHERE pgh_obj_id IN (SELECT id FROM wanted)
   AND NOT EXISTS (SELECT 1 FROM claims_statement s WHERE s.id = e.pgh_obj_id)
 ORDER BY pgh_obj_id, pgh_id DESC)
"""


# --- a claim as it stood ------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimAsOf:
    """A claim as it stood at a moment, rebuilt from its events: its own fields, and
    the topics and appearances it had then."""

    claim: Claim  # not saved: the fields of its last event up to that moment
    topic_ids: list[int]
    appearances: list[tuple[int, str]]  # (document id, quote)
    as_of: datetime


_CLAIM_AS_OF_SQL = """
WITH last_claim AS (
    SELECT to_jsonb(e) AS row FROM claims_claimevent e
    WHERE pgh_obj_id = %(id)s AND pgh_created_at <= %(as_of)s ORDER BY pgh_id DESC LIMIT 1
),
topics AS (
    SELECT DISTINCT ON (pgh_obj_id) claim_id, topic_id, pgh_label FROM claims_claimtopicevent
    WHERE pgh_obj_id IN (SELECT pgh_obj_id FROM claims_claimtopicevent WHERE claim_id = %(id)s)
      AND pgh_created_at <= %(as_of)s
    ORDER BY pgh_obj_id, pgh_id DESC
),
appearances AS (
    SELECT DISTINCT ON (pgh_obj_id) pgh_obj_id, claim_id, document_id, quote, pgh_label FROM claims_appearanceevent
    WHERE pgh_obj_id IN (SELECT pgh_obj_id FROM claims_appearanceevent WHERE claim_id = %(id)s)
      AND pgh_created_at <= %(as_of)s
    ORDER BY pgh_obj_id, pgh_id DESC
)
SELECT (SELECT row FROM last_claim),
       (SELECT coalesce(json_agg(topic_id ORDER BY topic_id), '[]') FROM topics
        WHERE pgh_label <> 'delete' AND claim_id = %(id)s),
       (SELECT coalesce(json_agg(json_build_array(document_id, quote) ORDER BY pgh_obj_id), '[]') FROM appearances
        WHERE pgh_label <> 'delete' AND claim_id = %(id)s)
"""


def claim_as_of(claim_id: int, as_of: datetime) -> ClaimAsOf | None:
    """The claim as it stood at ``as_of``; None if it did not exist yet. One query."""
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_AS_OF_SQL, {"id": claim_id, "as_of": as_of})
        row, topic_ids, appearances = (from_json(v) for v in cursor.fetchone())
    if row is None:
        return None
    claim = Claim(pk=claim_id)
    for field in Claim._meta.concrete_fields:
        if field.column in row and not isinstance(field, models.GeneratedField):
            setattr(claim, field.attname, field.to_python(row[field.column]))
    return ClaimAsOf(claim=claim, topic_ids=topic_ids, appearances=[tuple(a) for a in appearances], as_of=as_of)


@dataclass(frozen=True)
class ClaimRecord:
    """The claim as it stood, for its read-only page: its own fields, and its topics and
    appearances named as ``ClaimNamer`` names them (as they are called now; a document
    deleted since by its last event)."""

    state: ClaimAsOf
    topics: list[str]
    appearances: list[tuple[str, int | None, str]]  # (the document named, its id if it still exists, quote)


def claim_record_as_of(claim_id: int, as_of: datetime, viewer) -> ClaimRecord | None:
    """For viewers cleared for confidential sources (the history's readers): documents
    are named by their titles. At most three queries."""
    state = claim_as_of(claim_id, as_of)
    if state is None:
        return None
    namer = ClaimNamer(viewer)
    namer.names = namer.read_names({Topic: set(state.topic_ids), Document: {doc for doc, _ in state.appearances}})
    return ClaimRecord(
        state=state,
        topics=sorted(namer.of(Topic, pk) or f"topic {pk} (deleted since)" for pk in state.topic_ids),
        appearances=[
            (
                namer.of(Document, doc) or f"document {doc}",
                None if (Document, doc) in namer.gone or namer.of(Document, doc) is None else doc,
                quote,
            )
            for doc, quote in state.appearances
        ],
    )
