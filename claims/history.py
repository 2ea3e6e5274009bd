"""The change history of claims, and claims as they stood at a moment.

A claim's history is its own events merged with those of its topics,
appearances, statements and attribution edges (read by ``core.history``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models

from core.history import ChangeEntry, History, describe_row, from_json, read_history

from .models import Appearance, Attribution, Claim, ClaimTopic, Statement

# A claim's history: its own events, then those of what hangs off it.
CLAIM_PARTS = [
    (Claim, "own"),
    (ClaimTopic, "claim_id"),
    (Appearance, "claim_id"),
    (Statement, "claim_id"),
    (Attribution, "claim_id"),
]


def history_for(claim: Claim) -> list[ChangeEntry]:
    """The claim's changes, oldest first, all of them; only its primary key is used."""
    return read_history(CLAIM_PARTS, claim.pk, describe=_describe)


def claim_history(claim_id: int) -> History:
    """The same, to be paged: each page is read on its own."""
    return History(CLAIM_PARTS, claim_id, describe=_describe)


def _describe(model: type[models.Model], row: dict[str, Any]) -> str:
    if model is ClaimTopic:
        return f"topic {row.get('topic')}"
    if model is Appearance:
        return f"in document {row.get('document')}"
    if model is Statement:
        return f"by source {row.get('source')}"
    if model is Attribution:
        return f"statement {row.get('statement')} {row.get('relation')} statement {row.get('upstream')}"
    return describe_row(model, row)


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
