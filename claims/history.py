"""Who changed what and when: the change history of claims, sources and documents.

Database triggers (django-pghistory, see ``sources.models.track_history``) copy
every inserted, updated and deleted row into an append-only event table, with
the context of the change (user, URL, admin/API/command) when the application
set one. This module reads those tables back as a list of ``ChangeEntry``, each
with a field-level diff computed against the previous event of the same row.

A claim's history is its own events merged with those of its topics,
appearances, statements and attribution edges. Every history is read in one query, however
many events there are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, models

from sources.models import Document, Source

from .models import Appearance, Attribution, Claim, ClaimTopic, Statement

# Set on every save, so it says nothing a change's own time does not.
_BOOKKEEPING = frozenset({"updated_at"})

ACTIONS = ("insert", "update", "delete")


@dataclass(frozen=True)
class ChangeEntry:
    at: datetime
    actor: str | None  # username; None for changes made outside a request or command with a user
    actor_id: int | None
    app: str | None  # "admin", "api", "command"; None for raw SQL or the shell
    url: str | None  # the request path, or the management command's name
    model: str  # "claim", "claimtopic", "appearance", "statement", "attribution", "source", "document"
    object_id: int
    action: str  # "insert", "update" or "delete"
    diff: dict[str, list[Any]]  # field -> [before, after]
    summary: str
    event_id: int  # pgh_id in the model's event table


def history_for(obj: Claim | Source | Document) -> list[ChangeEntry]:
    """The object's changes, oldest first. Only the primary key of ``obj`` is
    used, so the history of a deleted source or document can still be read."""
    if isinstance(obj, Claim):
        parts = [
            (Claim, "own"),
            (ClaimTopic, "claim_id"),
            (Appearance, "claim_id"),
            (Statement, "claim_id"),
            (Attribution, "claim_id"),
        ]
    elif isinstance(obj, (Source, Document)):
        parts = [(type(obj), "own")]
    else:
        raise TypeError(f"No change history for {type(obj).__name__}.")
    return _read(parts, obj.pk)


def _event_model(model: type[models.Model]) -> type[models.Model]:
    for rel in model._meta.related_objects:
        related = rel.related_model
        if getattr(related, "pgh_tracked_model", None) is model:
            return related
    raise LookupError(f"{model._meta.label} is not tracked.")


def _select(rank: int, model: type[models.Model], link: str) -> str:
    table = _event_model(model)._meta.db_table
    # A row's whole history is read, not only the events that name this claim,
    # so a row moved from one claim to another diffs against its real past.
    if link == "own":
        where = "pgh_obj_id = %(id)s"
    else:
        where = f'pgh_obj_id IN (SELECT pgh_obj_id FROM "{table}" WHERE "{link}" = %(id)s)'
    return f"""
        SELECT {rank} AS part, pgh_id, pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id,
               to_jsonb(e) AS data,
               lag(to_jsonb(e)) OVER (PARTITION BY pgh_obj_id ORDER BY pgh_id) AS previous
        FROM "{table}" e WHERE {where}"""


def _read(parts: list[tuple[type[models.Model], str]], pk: int) -> list[ChangeEntry]:
    user = get_user_model()
    user_table = user._meta.db_table
    user_pk = user._meta.pk.column
    username = user._meta.get_field(user.USERNAME_FIELD).column
    context_table = apps.get_model("pghistory", "Context")._meta.db_table
    events = " UNION ALL ".join(_select(rank, model, link) for rank, (model, link) in enumerate(parts))
    # Events of one transaction share a time (NOW()); within it, a claim comes
    # before its topics, appearances, statements and edges, each in the order written.
    sql = f"""
        WITH ev AS ({events})
        SELECT ev.part, ev.pgh_id, ev.pgh_created_at, ev.pgh_label, ev.pgh_obj_id,
               ev.data, ev.previous, c.metadata, u."{username}"
        FROM ev
        LEFT JOIN "{context_table}" c ON c.id = ev.pgh_context_id
        LEFT JOIN "{user_table}" u ON u."{user_pk}" = CASE
            WHEN c.metadata->>'user' ~ '^[0-9]{{1,18}}$' THEN (c.metadata->>'user')::bigint END
        ORDER BY ev.pgh_created_at, ev.part, ev.pgh_id"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"id": pk})
        rows = cursor.fetchall()

    columns = [{f.column: f.name for f in model._meta.concrete_fields} for model, _ in parts]
    entries = []
    for part, pgh_id, at, label, obj_id, data, previous, metadata, actor in rows:
        model = parts[part][0]
        fields = columns[part]
        data, previous, metadata = _json(data), _json(previous), _json(metadata) or {}
        after = _fields(data, fields)
        before = _fields(previous, fields) if previous is not None else None
        action = label if label in ACTIONS else "update"
        diff = _diff(action, before, after)
        name = model._meta.model_name
        entries.append(
            ChangeEntry(
                at=at,
                actor=actor,
                actor_id=metadata.get("user"),
                app=metadata.get("app"),
                url=metadata.get("url") or metadata.get("command"),
                model=name,
                object_id=obj_id,
                action=action,
                diff=diff,
                summary=_summary(model, obj_id, action, diff, after),
                event_id=pgh_id,
            )
        )
    return entries


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _fields(row: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    """Event columns (``document_id``) to model field names (``document``), in the model's order."""
    return {name: row[column] for column, name in fields.items() if column in row}


def _diff(action: str, before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
    # A delete event holds the row as it was just before the delete.
    if action == "delete":
        return {k: [v, None] for k, v in after.items() if k not in _BOOKKEEPING}
    if action == "insert" or before is None:
        return {k: [None, v] for k, v in after.items() if k not in _BOOKKEEPING}
    return {k: [before.get(k), v] for k, v in after.items() if k not in _BOOKKEEPING and before.get(k) != v}


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(model: type[models.Model], row: dict[str, Any]) -> str:
    """A few words naming the row, from the event alone (no further queries)."""
    if model is Claim:
        return _short(row.get("text"))
    if model is Source:
        return _short(row.get("name"))
    if model is Document:
        return _short(row.get("title"))
    if model is ClaimTopic:
        return f"topic {row.get('topic')}"
    if model is Appearance:
        return f"in document {row.get('document')}"
    if model is Statement:
        return f"by source {row.get('source')}"
    if model is Attribution:
        return f"statement {row.get('statement')} {row.get('relation')} statement {row.get('upstream')}"
    return ", ".join(f"{k} {v}" for k, v in row.items() if k != "id")


def _summary(model: type[models.Model], obj_id: int, action: str, diff: dict[str, list[Any]], row: dict) -> str:
    what = f"{model._meta.verbose_name} {obj_id}"
    if action == "insert":
        return f"Created {what}: {_describe(model, row)}"
    if action == "delete":
        return f"Deleted {what}: {_describe(model, row)}"
    if not diff:
        return f"Saved {what} without changing a field"
    if len(diff) == 1:
        (field, (old, new)), *_ = diff.items()
        return f"Changed {field} of {what} from {_short(old)} to {_short(new)}"
    return f"Changed {', '.join(diff)} of {what}"


# --- a claim as it stood ------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimAsOf:
    """A claim as it stood at a moment, rebuilt from its events: its own fields, and
    the topics and appearances it had then."""

    claim: Claim  # not saved: the fields of its last event up to that moment
    topic_ids: list[int]
    appearances: list[tuple[int, str]]  # (document id, quote)


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
        row, topic_ids, appearances = (_json(v) for v in cursor.fetchone())
    if row is None:
        return None
    claim = Claim(pk=claim_id)
    for field in Claim._meta.concrete_fields:
        if field.column in row and not isinstance(field, models.GeneratedField):
            setattr(claim, field.attname, field.to_python(row[field.column]))
    return ClaimAsOf(claim=claim, topic_ids=topic_ids, appearances=[tuple(a) for a in appearances])
