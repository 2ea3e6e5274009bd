"""Change history: recorded by database triggers, read back as entries with diffs.

Every change to a tracked table is copied by triggers (django-pghistory) into an
append-only event table, with the context of the change (user, URL,
admin/API/command) when the application set one, so bulk updates and raw SQL
are recorded too. ``read_history`` reads those tables back as ``ChangeEntry``
items, each with a field-level diff against the previous event of the same
row, in one query however many events there are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pghistory
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models.signals import post_migrate
from django.utils.functional import cached_property


def track_history(model: type[models.Model] | None = None, *, derived: tuple[str, ...] = ()):
    """Record every insert, update and delete of ``model`` in an append-only event table.
    ``derived`` fields (computed from others) are left out of the copy, like generated columns."""

    def track(model: type[models.Model]) -> type[models.Model]:
        # Fresh trackers per model: pghistory binds each tracker to one model.
        generated = [f.name for f in model._meta.concrete_fields if isinstance(f, models.GeneratedField)]
        return pghistory.track(
            pghistory.InsertEvent(),
            pghistory.UpdateEvent(),
            pghistory.DeleteEvent(),
            exclude=[*generated, *derived] or None,
            append_only=True,
        )(model)

    return track(model) if model is not None else track


# Set on every save, so it says nothing a change's own time does not.
_BOOKKEEPING = frozenset({"updated_at"})

ACTIONS = ("insert", "update", "delete")

# The ``actor`` filter's value for changes no user is known to have made.
NOBODY = "none"


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
    # Read with a ``Namer``: the row named as an editor would say it ("Reuters citing RIA
    # Novosti"), and the records the diff's references point to, named ([before, after]).
    label: str = ""
    named: dict[str, list[str | None]] = field(default_factory=dict)


Describe = Callable[[type[models.Model], dict[str, Any]], str]
Parts = list[tuple[type[models.Model], str]]


def _event_model(model: type[models.Model]) -> type[models.Model]:
    for rel in model._meta.related_objects:
        related = rel.related_model
        if getattr(related, "pgh_tracked_model", None) is model:
            return related
    raise LookupError(f"{model._meta.label} is not tracked.")


def is_tracked(model: type[models.Model]) -> bool:
    try:
        _event_model(model)
    except LookupError:
        return False
    return True


def _select(rank: int, model: type[models.Model], link: str, *, field_name: str | None = None) -> str:
    """The object's events in one event table, each with the id of the row's event before
    it (a window over ids: the rows themselves are read only for the page shown) and, for
    the field filter, that field's value in both."""
    table = _event_model(model)._meta.db_table
    # A row's whole history is read, not only the events that name this claim,
    # so a row moved from one claim to another diffs against its real past.
    where = _rows_of(model, link)
    window = "OVER (PARTITION BY pgh_obj_id ORDER BY pgh_id)"
    value = "NULL::jsonb"
    if field_name is not None and model in history_fields([(model, link)]).get(field_name, ()):
        value = f'to_jsonb(e."{model._meta.get_field(field_name).column}")'
    return f"""
        SELECT {rank} AS part, pgh_id, pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id,
               lag(pgh_id) {window} AS previous_id, {value} AS value, lag({value}) {window} AS previous_value
        FROM "{table}" e WHERE {where}"""


def _row_json(parts: Parts, id_column: str) -> str:
    """A page row's event (by ``id_column``, a pgh_id) as JSON, from its part's table."""
    cases = " ".join(
        f'WHEN {rank} THEN (SELECT to_jsonb(e) FROM "{_event_model(model)._meta.db_table}" e '
        f"WHERE e.pgh_id = page.{id_column})"
        for rank, (model, _link) in enumerate(parts)
    )
    return f"CASE page.part {cases} END"


def history_fields(parts: Parts) -> dict[str, list[type[models.Model]]]:
    """The fields a history can be filtered by (``field=``), each with the models that have it,
    in the parts' order: every concrete field but the key, the link to the object and
    bookkeeping."""
    fields: dict[str, list[type[models.Model]]] = {}
    for model, link in parts:
        for f in model._meta.concrete_fields:
            if f.primary_key or f.column == link or f.name in _BOOKKEEPING or isinstance(f, models.GeneratedField):
                continue
            fields.setdefault(f.name, []).append(model)
    return fields


def _filters(parts: Parts, actor: str | None, field_name: str | None) -> tuple[str, dict[str, Any]]:
    """The WHERE (on ``ev`` and the context ``c``) for the person and field filters. Only
    column names the models declare reach the SQL; the values go as parameters."""
    conditions, params = ["TRUE"], {}
    if actor == NOBODY:
        conditions.append("(c.metadata->>'user') IS NULL")
    elif actor is not None:
        conditions.append("(c.metadata->>'user') = %(actor)s")
        params["actor"] = str(actor)
    if field_name is not None:
        # An insert or a delete lists every field; an update the fields it changed.
        owners = history_fields(parts).get(field_name, ())
        ranks = [str(rank) for rank, (model, _link) in enumerate(parts) if model in owners] or ["-1"]
        conditions.append(
            f"ev.part IN ({', '.join(ranks)}) AND (ev.pgh_label IN ('insert', 'delete') OR ev.previous_id IS NULL "
            "OR ev.value IS DISTINCT FROM ev.previous_value)"
        )
    return " AND ".join(conditions), params


def _tables() -> tuple[str, str, str, str]:
    user = get_user_model()
    return (
        user._meta.db_table,
        user._meta.pk.column,
        user._meta.get_field(user.USERNAME_FIELD).column,
        apps.get_model("pghistory", "Context")._meta.db_table,
    )


# The user a change's context names (an id, as the middleware and commands record it).
_USER_JOIN = """LEFT JOIN "{context_table}" c ON c.id = ev.pgh_context_id
        LEFT JOIN "{user_table}" u ON u."{user_pk}" = CASE
            WHEN c.metadata->>'user' ~ '^[0-9]{{1,18}}$' THEN (c.metadata->>'user')::bigint END"""


def read_history(
    parts: Parts,
    pk: int,
    *,
    describe: Describe | None = None,
    offset: int = 0,
    limit: int | None = None,
    newest_first: bool = False,
    actor: str | None = None,
    field: str | None = None,
    namer: Namer | None = None,
) -> list[ChangeEntry]:
    """The changes of the object ``pk``, oldest first (or ``newest_first``), from ``offset``,
    at most ``limit``; only those made by ``actor`` (a user id, or NOBODY) and those that
    changed ``field``, when given. ``parts`` lists the tracked models to read, each with
    ``"own"`` (the object's own rows) or the column that links a row to the object
    (``"claim_id"``). ``describe`` names a row in summaries from its event alone; a
    ``namer`` names rows and the records they refer to instead, in a few more queries
    for the whole page."""
    describe = describe or describe_row
    user_table, user_pk, username, context_table = _tables()
    events = " UNION ALL ".join(
        _select(rank, model, link, field_name=field) for rank, (model, link) in enumerate(parts)
    )
    where, params = _filters(parts, actor, field)
    # Events of one transaction share a time (NOW()); within it, a claim comes
    # before its topics, appearances, statements and edges, each in the order written.
    order = "{t}.pgh_created_at, {t}.part, {t}.pgh_id"
    if newest_first:
        order = "{t}.pgh_created_at DESC, {t}.part DESC, {t}.pgh_id DESC"
    join = _USER_JOIN.format(context_table=context_table, user_table=user_table, user_pk=user_pk)
    # The page is cut from the events' keys; only its rows (and the row before each) are read whole.
    sql = f"""
        WITH ev AS ({events}),
        page AS (
            SELECT ev.part, ev.pgh_id, ev.pgh_created_at, ev.pgh_label, ev.pgh_obj_id, ev.previous_id,
                   c.metadata, u."{username}" AS actor
            FROM ev
            {join}
            WHERE {where}
            ORDER BY {order.format(t="ev")}
            LIMIT %(limit)s OFFSET %(offset)s
        )
        SELECT page.part, page.pgh_id, page.pgh_created_at, page.pgh_label, page.pgh_obj_id,
               {_row_json(parts, "pgh_id")}, {_row_json(parts, "previous_id")}, page.metadata, page.actor
        FROM page
        ORDER BY {order.format(t="page")}"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"id": pk, "limit": limit, "offset": offset, **params})
        rows = cursor.fetchall()

    columns = [{f.column: f.name for f in model._meta.concrete_fields} for model, _ in parts]
    events_read = []
    for part, pgh_id, at, label, obj_id, data, previous, metadata, actor_name in rows:
        fields = columns[part]
        data, previous = from_json(data), from_json(previous)
        after = _fields(data, fields)
        before = _fields(previous, fields) if previous is not None else None
        events_read.append((parts[part][0], pgh_id, at, label, obj_id, after, before, metadata, actor_name))
    if namer is not None:
        namer.prepare([(model, after, before) for model, _, _, _, _, after, before, _, _ in events_read])

    entries = []
    for model, pgh_id, at, label, obj_id, after, before, metadata, actor_name in events_read:
        metadata = from_json(metadata) or {}
        action = label if label in ACTIONS else "update"
        diff = _diff(action, before, after)
        named = namer.values(model, diff) if namer is not None else {}
        row_label = namer.row(model, after) if namer is not None else describe(model, after)
        entries.append(
            ChangeEntry(
                at=at,
                actor=actor_name,
                actor_id=metadata.get("user"),
                app=metadata.get("app"),
                url=metadata.get("url") or metadata.get("command"),
                model=model._meta.model_name,
                object_id=obj_id,
                action=action,
                diff=diff,
                summary=_summary(model, obj_id, action, diff, named, row_label),
                event_id=pgh_id,
                label=row_label if namer is not None else "",
                named=named,
            )
        )
    return entries


def from_json(value: Any) -> Any:
    """A JSON value from the database: psycopg decodes json columns, but not json built as text."""
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


def _rows_of(model: type[models.Model], link: str) -> str:
    """The WHERE that picks the object's events in one event table (see ``_select``)."""
    table = _event_model(model)._meta.db_table
    if link == "own":
        return "pgh_obj_id = %(id)s"
    return f'pgh_obj_id IN (SELECT pgh_obj_id FROM "{table}" WHERE "{link}" = %(id)s)'


def count_history(parts: Parts, pk: int, *, actor: str | None = None, field: str | None = None) -> int:
    """How many changes ``read_history`` would list, counted in the database."""
    if actor is None and field is None:
        counts = " UNION ALL ".join(
            f'SELECT count(*) AS n FROM "{_event_model(model)._meta.db_table}" WHERE {_rows_of(model, link)}'
            for model, link in parts
        )
        sql, params = f"SELECT sum(n) FROM ({counts}) AS parts", {}
    else:
        # Filtered: the same events, the same conditions (the previous row only when a field is asked).
        events = " UNION ALL ".join(
            _select(rank, model, link, field_name=field) for rank, (model, link) in enumerate(parts)
        )
        user_table, user_pk, _, context_table = _tables()
        where, params = _filters(parts, actor, field)
        join = _USER_JOIN.format(context_table=context_table, user_table=user_table, user_pk=user_pk)
        sql = f"WITH ev AS ({events}) SELECT count(*) FROM ev {join} WHERE {where}"
    with connection.cursor() as cursor:
        cursor.execute(sql, {"id": pk, **params})
        return int(cursor.fetchone()[0] or 0)


def history_actors(parts: Parts, pk: int) -> list[tuple[str, str]]:
    """Who changed the object: (the ``actor`` filter's value, a name), by name, NOBODY last.
    One query; a user deleted since is named by id."""
    user_table, user_pk, username, context_table = _tables()
    events = " UNION ALL ".join(_select(rank, model, link) for rank, (model, link) in enumerate(parts))
    join = _USER_JOIN.format(context_table=context_table, user_table=user_table, user_pk=user_pk)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH ev AS ({events})
            SELECT DISTINCT c.metadata->>'user', u."{username}" FROM ev {join}""",
            {"id": pk},
        )
        rows = cursor.fetchall()
    people = sorted((str(name or f"user {key}"), key) for key, name in rows if key is not None)
    nobody = [(NOBODY, "nobody known (scripts, the shell)")] if any(key is None for key, _ in rows) else []
    return [(key, name) for name, key in people] + nobody


class History(Sequence):
    """An object's changes as a sequence that pages are cut from in the database: a page
    costs what it shows, not the whole history (Django's and DRF's paginators slice it).

    ``newest_first``, ``actor`` and ``field`` are as ``read_history`` takes them. Read
    ``for_viewer`` a viewer cleared to know who confidential sources are, each page names
    what it refers to (``namer``, a ``Namer`` class) in a few queries of its own."""

    def __init__(
        self,
        parts: Parts,
        pk: int,
        *,
        describe: Describe | None = None,
        namer: type[Namer] | None = None,
        newest_first: bool = False,
        actor: str | None = None,
        field: str | None = None,
    ) -> None:
        self.parts, self.pk, self.describe = parts, pk, describe
        self.namer_class = namer or Namer
        self.newest_first, self.actor, self.field = newest_first, actor, field
        self.viewer = None

    def _copy(self, **changes) -> History:
        copy = History(
            self.parts,
            self.pk,
            describe=self.describe,
            namer=self.namer_class,
            newest_first=self.newest_first,
            actor=self.actor,
            field=self.field,
        )
        copy.viewer = self.viewer
        for name, value in changes.items():
            setattr(copy, name, value)
        return copy

    def for_viewer(self, viewer) -> History:
        """Named for ``viewer`` (``core.access.Viewer``); one not cleared for confidential
        sources gets ids, as without a viewer."""
        return self._copy(viewer=viewer)

    def newest(self) -> History:
        return self._copy(newest_first=True)

    def filtered(self, *, actor: str | None = None, field: str | None = None) -> History:
        """Only the changes ``actor`` made, and those that changed ``field`` (see ``fields``)."""
        if field is not None and field not in self.fields():
            raise ValueError(f"No field {field!r} in this history.")
        return self._copy(actor=actor, field=field)

    def fields(self) -> dict[str, list[type[models.Model]]]:
        return history_fields(self.parts)

    def actors(self) -> list[tuple[str, str]]:
        return history_actors(self.parts, self.pk)

    def _read(self, offset: int = 0, limit: int | None = None) -> list[ChangeEntry]:
        cleared = self.viewer is not None and self.viewer.sees_confidential
        return read_history(
            self.parts,
            self.pk,
            describe=self.describe,
            offset=offset,
            limit=limit,
            newest_first=self.newest_first,
            actor=self.actor,
            field=self.field,
            namer=self.namer_class(self.viewer) if cleared else None,
        )

    @cached_property
    def _count(self) -> int:
        return count_history(self.parts, self.pk, actor=self.actor, field=self.field)

    def __len__(self) -> int:
        return self._count

    def count(self, value: object = None) -> int:  # the paginators ask for count()
        return self._count

    def __iter__(self):
        return iter(self._read())

    def __getitem__(self, index):
        if isinstance(index, int) and index < 0:
            index += len(self)
        if isinstance(index, slice):
            start, stop, _ = index.indices(len(self))
            return self._read(offset=start, limit=max(0, stop - start))
        page = self._read(offset=index, limit=1)
        if not page:
            raise IndexError(index)
        return page[0]


def short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_row(model: type[models.Model], row: dict[str, Any]) -> str:
    """A few words naming a row from its event alone (no further queries)."""
    for key in ("name", "title", "text"):
        if row.get(key):
            return short(row[key])
    return ", ".join(f"{k} {v}" for k, v in row.items() if k != "id")


def _summary(
    model: type[models.Model],
    obj_id: int,
    action: str,
    diff: dict[str, list[Any]],
    named: dict[str, list[str | None]],
    label: str,
) -> str:
    what = f"{model._meta.verbose_name} {obj_id}"
    if action == "insert":
        return f"Created {what}: {label}"
    if action == "delete":
        return f"Deleted {what}: {label}"
    if not diff:
        return f"Saved {what} without changing a field"
    if len(diff) == 1:
        (name, (old, new)), *_ = diff.items()
        old_name, new_name = named.get(name, (None, None))
        old_text = old_name if old_name is not None else short(old)
        new_text = new_name if new_name is not None else short(new)
        return f"Changed {name} of {what} from {old_text} to {new_text}"
    return f"Changed {', '.join(diff)} of {what}"


def row_as_of(model: type[models.Model], pk: int, moment: datetime) -> dict[str, Any] | None:
    """The object's own row as it stood at ``moment`` (field name -> value, as its event
    holds it), or None if it did not exist then. "As it stood": the last event written
    (by pgh_id) of those whose transaction began by then, unless that was its deletion.
    One query."""
    table = _event_model(model)._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT pgh_label, to_jsonb(e) FROM "{table}" e WHERE pgh_obj_id = %s AND pgh_created_at <= %s '
            "ORDER BY pgh_id DESC LIMIT 1",
            [pk, moment],
        )
        found = cursor.fetchone()
    if found is None or found[0] == "delete":
        return None
    return _fields(from_json(found[1]), {f.column: f.name for f in model._meta.concrete_fields})


# --- names: what a page of history refers to, as an editor would say it --------------------


class Namer:
    """Names the rows a page of history shows and the records their fields refer to.

    ``prepare`` sees every event of the page before anything is named and reads the
    names it needs: one query per kind of record referred to (one more when some were
    deleted since), however many entries the page has. Records are named as they are
    now (a source renamed since goes by its new name; its own history says what it was
    called); one deleted since by its last event, marked "(deleted)". Subclasses name
    what a model cannot say about itself (a hop by its two sources).

    For viewers cleared to know who confidential sources are: ``History`` gives a
    viewer who is not cleared no namer at all.
    """

    def __init__(self, viewer=None) -> None:
        self.viewer = viewer
        self.names: dict[tuple[type[models.Model], Any], str] = {}
        self.gone: set[tuple[type[models.Model], Any]] = set()  # named from their last event

    # What links a row to the object whose history is read needs no name (it is the object).
    def references(self, model: type[models.Model]) -> list[models.ForeignKey]:
        return [f for f in model._meta.concrete_fields if f.many_to_one and f.related_model is not None]

    def prepare(self, events: list[tuple[type[models.Model], dict[str, Any], dict[str, Any] | None]]) -> None:
        wanted: dict[type[models.Model], set[Any]] = {}
        for model, after, before in events:
            for f in self.references(model):
                for row in (after, before):
                    if row is not None and row.get(f.name) is not None:
                        wanted.setdefault(f.related_model, set()).add(row[f.name])
        self.names = self.read_names(wanted)

    def read_names(self, wanted: dict[type[models.Model], set[Any]]) -> dict[tuple[type[models.Model], Any], str]:
        names: dict[tuple[type[models.Model], Any], str] = {}
        for related, keys in wanted.items():
            records = related._default_manager.filter(pk__in=keys)
            naming = self.naming_field(related)
            if naming is not None:
                records = records.only(naming)  # not a document's body
            for obj in records:
                names[(related, obj.pk)] = self.name(obj)
            missing = {k for k in keys if (related, k) not in names}
            if missing and is_tracked(related):
                fields = {f.attname: f.name for f in related._meta.concrete_fields}
                last = (
                    _event_model(related)
                    .objects.filter(pgh_obj_id__in=missing)
                    .order_by("pgh_obj_id", "-pgh_id")
                    .distinct("pgh_obj_id")
                )
                for event in last:
                    row = {name: getattr(event, attname, None) for attname, name in fields.items()}
                    names[(related, event.pgh_obj_id)] = f"{self.deleted_name(related, row)} (deleted)"
                    self.gone.add((related, event.pgh_obj_id))
        return names

    def naming_field(self, model: type[models.Model]) -> str | None:
        """The field a record is named by, the only one read: its name, title, text or
        username; None to read the whole row and name it by its ``str()``."""
        names = {f.name for f in model._meta.concrete_fields}
        username = getattr(model, "USERNAME_FIELD", None)
        return next((key for key in ("name", "title", "text", username) if key and key in names), None)

    def name(self, obj: models.Model) -> str:
        """A record that exists, by its naming field (or its ``str()``: override for models
        whose ``str()`` reads another record)."""
        naming = self.naming_field(type(obj))
        return str(getattr(obj, naming) if naming else obj)

    def deleted_name(self, model: type[models.Model], row: dict[str, Any]) -> str:
        for key in ("name", "title", "text", "username"):
            if row.get(key):
                return str(row[key])
        return f"{model._meta.verbose_name} {row.get('id')}"

    def of(self, model: type[models.Model], key: Any) -> str | None:
        """The name of the record ``key`` of ``model``; None if it was never read."""
        return None if key is None else self.names.get((model, key))

    def noun(self, model: type[models.Model]) -> str:
        """What a row of ``model`` is called on the history page."""
        return str(model._meta.verbose_name)

    def row(self, model: type[models.Model], row: dict[str, Any]) -> str:
        """A row of the history, named (by default as ``describe_row``)."""
        return describe_row(model, row)

    def values(self, model: type[models.Model], diff: dict[str, list[Any]]) -> dict[str, list[str | None]]:
        """The diff's references, named: field -> [before, after]."""
        named = {}
        for f in self.references(model):
            if f.name in diff:
                before, after = diff[f.name]
                named[f.name] = [self.of(f.related_model, before), self.of(f.related_model, after)]
        return named


# --- protection: nobody rewrites the history ------------------------------------------------
#
# Event tables refuse UPDATE and DELETE (pghistory's append-only triggers). Added
# here: the context table (who made a change) may only grow, never be rewritten
# or deleted; and TRUNCATE, which skips row triggers, is refused on every
# tracked table, event table and the context table, unless the session says
# ``SET LOCAL factcheck.allow_truncate = 'on'`` (``manage.py flush`` does, on
# purpose). A database role that owns nothing cannot TRUNCATE, ALTER or disable
# triggers at all (``manage.py grant_app_role``); these triggers guard against
# the owner's own mistakes.

TRUNCATE_GUARD = "history_no_truncate"

# The context trigger as migration 0007 made it (0009 replaces it; its reverse puts this back).
_CONTEXT_ONLY_GROWS_0007 = """
CREATE FUNCTION pgh_context_only_grows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the change history''s context (who made a change) cannot be deleted'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- pghistory adds to a context within a request; what it already says stays.
    IF NEW.id <> OLD.id OR NEW.created_at <> OLD.created_at OR NOT (OLD.metadata <@ NEW.metadata) THEN
        RAISE EXCEPTION 'the change history''s context (who made a change) cannot be rewritten'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
"""

PROTECT_CONTEXT_SQL = (
    _CONTEXT_ONLY_GROWS_0007
    + """CREATE TRIGGER pgh_context_only_grows BEFORE UPDATE OR DELETE ON pghistory_context
    FOR EACH ROW EXECUTE FUNCTION pgh_context_only_grows();

CREATE FUNCTION history_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('factcheck.allow_truncate', true), '') <> 'on' THEN
        RAISE EXCEPTION 'TRUNCATE of % is refused: it would erase records and their history without a trace',
            TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END $$;
"""
)

UNPROTECT_CONTEXT_SQL = """
DROP TRIGGER pgh_context_only_grows ON pghistory_context;
DROP FUNCTION pgh_context_only_grows();
"""


def truncate_guard_sql(table: str) -> str:
    return (
        f'CREATE TRIGGER {TRUNCATE_GUARD} BEFORE TRUNCATE ON "{table}" '
        f"FOR EACH STATEMENT EXECUTE FUNCTION history_no_truncate();"
    )


def drop_truncate_guard_sql(table: str) -> str:
    return f'DROP TRIGGER {TRUNCATE_GUARD} ON "{table}";'


# --- a change's context is settled by the transaction that made it ---------------------------
#
# pghistory gives each ``pghistory.context()`` (a request, a command) an id, and the
# first tracked write of every transaction in it upserts the context row with the
# metadata gathered so far: a nested ``pghistory.context(key=...)`` adds keys to the
# same row. So a context row legitimately grows, but only while the transaction that
# inserted it is still open. Once that transaction has committed, the row is what
# the history says about who made those changes: no later transaction may add to it
# (the app's role could otherwise add ``user`` and ``url`` to a command's context and
# make its changes read as an editor's). And the keys that say who made a change,
# where and how (those the history pages, the admin and ``load_seeds --update`` read)
# are set when the row is created, never added or changed afterwards, even within
# that transaction.
#
# "The transaction that inserted it": the row's xmin is that transaction's id, or one
# of its subtransactions' (Django's savepoints). pg_xact_status() says "in progress"
# for those, and for no committed transaction; a row another open transaction
# inserted is not visible. xmin is a 32-bit id, widened to the 64-bit one
# pg_xact_status() takes from ours: our subtransactions' ids are never behind our
# top-level one. The row's created_at (NOW() at the insert: its transaction's start)
# must be this transaction's start too, which also leaves out rows old enough for
# their 32-bit id to have come round again.

CONTEXT_KEYS_SET_ONCE = ("user", "url", "app", "command", "os_user", "seed_load")

_CONTEXT_SETTLED_BODY = """
DECLARE
    key text;
    made_by xid;
    ours bigint := pg_catalog.pg_current_xact_id()::text::bigint;
    ahead bigint;
    status text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the change history''s context (who made a change) cannot be deleted'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.id <> OLD.id OR NEW.created_at <> OLD.created_at OR NOT (OLD.metadata <@ NEW.metadata) THEN
        RAISE EXCEPTION 'the change history''s context (who made a change) cannot be rewritten'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    FOREACH key IN ARRAY ARRAY[KEYS]::text[] LOOP
        IF (NEW.metadata -> key) IS DISTINCT FROM (OLD.metadata -> key) THEN
            RAISE EXCEPTION 'the change history''s context says "%" when it is created: it cannot be added '
                'or changed afterwards', key USING ERRCODE = 'insufficient_privilege';
        END IF;
    END LOOP;
    IF OLD.created_at = pg_catalog.now() THEN
        EXECUTE pg_catalog.format('SELECT xmin FROM %s WHERE id = $1', TG_RELID::pg_catalog.regclass)
            INTO made_by USING OLD.id;
        ahead := (made_by::text::bigint - ours % 4294967296 + 4294967296) % 4294967296;
        IF ahead < 2147483648 THEN
            BEGIN
                status := pg_catalog.pg_xact_status((ours + ahead)::text::xid8);
            EXCEPTION WHEN OTHERS THEN  -- "in the future": not an id of ours
                status := NULL;
            END;
        END IF;
    END IF;
    IF status IS DISTINCT FROM 'in progress' THEN
        RAISE EXCEPTION 'the change history''s context (who made a change) can only grow in the transaction '
            'that recorded it, not afterwards' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
""".replace("KEYS", ", ".join(f"'{key}'" for key in CONTEXT_KEYS_SET_ONCE))

CONTEXT_SETTLED_SQL = (
    "CREATE OR REPLACE FUNCTION pgh_context_only_grows() RETURNS trigger LANGUAGE plpgsql AS $$"
    + _CONTEXT_SETTLED_BODY
    + "$$;"
)

# The reverse: migration 0007's function again.
CONTEXT_UNSETTLED_SQL = _CONTEXT_ONLY_GROWS_0007.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


# --- only the owner skips a trigger ----------------------------------------------------------
#
# Every trigger django-pgtrigger installs (pghistory's history triggers, the append-only
# guards on event tables, the guard that refuses to delete a claim) first asks
# ``"public"._pgtrigger_should_ignore(TG_NAME)`` whether to skip itself, and pgtrigger's
# version says yes when the setting ``pgtrigger.ignore`` names the trigger: a setting
# any role may SET. The app's role could thereby change a record without its history
# event, or delete a claim. Two locks, so that only the owner (the role that migrates,
# or a superuser) may skip a trigger:
#
# 1. ``_pgtrigger_should_ignore`` is replaced by one that skips a trigger only for a
#    role with the privileges of the function's owner, and refuses the statement for
#    anyone else (it also reads the setting without pgtrigger's exception block, a
#    subtransaction per row and trigger). Every pgtrigger trigger, present and future,
#    goes through it. But pgtrigger re-creates its own version each time it installs a
#    trigger (a migration's AddTrigger, ``manage.py pgtrigger install``): CREATE OR
#    REPLACE keeps a function's owner and grants, not its body, and pgtrigger's
#    PGTRIGGER_SCHEMA setting only moves the function. So ours is put back at the end
#    of every ``migrate`` (``keep_skipping_to_the_owner``, on post_migrate) and by
#    ``grant_app_role`` (run after every migration), which checks it.
# 2. Meanwhile, and whatever pgtrigger does, a statement trigger of our own on every
#    table with pgtrigger triggers refuses a write by a role that does not own the
#    table while ``pgtrigger.ignore`` names anything. pgtrigger never touches it (it
#    prunes only triggers named pgtrigger_*). A new table with pgtrigger triggers
#    needs it too (tests/test_history_protection.py checks).

IGNORE_FUNCTION = '"public"._pgtrigger_should_ignore'
SKIP_GUARD = "history_no_skipping"

_OWNER_ONLY_IGNORE_BODY = """
    DECLARE
        ignored TEXT[] := NULLIF(pg_catalog.current_setting('pgtrigger.ignore', true), '');
    BEGIN
        -- factcheck: only the owner skips a trigger (core/history.py).
        IF ignored IS NULL OR NOT (trigger_name = ANY(ignored)) THEN
            RETURN FALSE;
        END IF;
        IF pg_catalog.pg_has_role(CURRENT_USER, (
                SELECT p.proowner FROM pg_catalog.pg_proc p
                WHERE p.oid = 'public._pgtrigger_should_ignore(pg_catalog.name)'::pg_catalog.regprocedure
            ), 'USAGE') THEN
            RETURN TRUE;
        END IF;
        RAISE EXCEPTION 'only the owner (the role that migrates) may skip the trigger % (pgtrigger.ignore)',
            trigger_name USING ERRCODE = 'insufficient_privilege';
    END;
"""

OWNER_ONLY_IGNORE_SQL = (
    f"CREATE OR REPLACE FUNCTION {IGNORE_FUNCTION}(trigger_name NAME) RETURNS BOOLEAN AS $$"
    + _OWNER_ONLY_IGNORE_BODY
    + "$$ LANGUAGE plpgsql;"
)

# pgtrigger's own (its installation template, v1), for the migration's reverse.
PGTRIGGER_IGNORE_SQL = f"""
CREATE OR REPLACE FUNCTION {IGNORE_FUNCTION}(trigger_name NAME) RETURNS BOOLEAN AS $$
    DECLARE
        _pgtrigger_ignore TEXT[];
        _result BOOLEAN;
    BEGIN
        BEGIN
            SELECT INTO _pgtrigger_ignore CURRENT_SETTING('pgtrigger.ignore');
            EXCEPTION WHEN OTHERS THEN
        END;
        IF _pgtrigger_ignore IS NOT NULL THEN
            SELECT trigger_name = ANY(_pgtrigger_ignore) INTO _result;
            RETURN _result;
        ELSE
            RETURN FALSE;
        END IF;
    END;
$$ LANGUAGE plpgsql;
"""

SKIP_GUARD_FUNCTION_SQL = f"""
CREATE FUNCTION {SKIP_GUARD}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_catalog.current_setting('pgtrigger.ignore', true) NOT IN ('', '{{}}')
        AND NOT pg_catalog.pg_has_role(CURRENT_USER, (
            SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = TG_RELID
        ), 'USAGE') THEN
        RAISE EXCEPTION '% on % refused: only its owner may skip its triggers (pgtrigger.ignore)',
            TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END $$;
"""


def skip_guard_sql(table: str) -> str:
    return (
        f'CREATE TRIGGER {SKIP_GUARD} BEFORE INSERT OR UPDATE OR DELETE ON "{table}" '
        f"FOR EACH STATEMENT EXECUTE FUNCTION {SKIP_GUARD}();"
    )


def drop_skip_guard_sql(table: str) -> str:
    return f'DROP TRIGGER {SKIP_GUARD} ON "{table}";'


def skipping_is_the_owners(using: str = DEFAULT_DB_ALIAS) -> bool | None:
    """Whether ``_pgtrigger_should_ignore`` is ours (owner only); None where the database
    has none or predates it (migration claims 0009 not applied)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT p.prosrc FROM pg_catalog.pg_proc p WHERE p.oid = to_regprocedure(%s) "
            "AND to_regprocedure(%s) IS NOT NULL",
            [f"{IGNORE_FUNCTION}(name)", f"{SKIP_GUARD}()"],
        )
        row = cursor.fetchone()
    return None if row is None else row[0] == _OWNER_ONLY_IGNORE_BODY


def keep_skipping_to_the_owner(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Put our ``_pgtrigger_should_ignore`` back if pgtrigger has re-created its own.
    True if it had to."""
    if skipping_is_the_owners(using) is not False:
        return False
    with connections[using].cursor() as cursor:
        cursor.execute(OWNER_ONLY_IGNORE_SQL)
    return True


# --- writes that stay linear -----------------------------------------------------------------
#
# Every history trigger asks ``_pgh_attach_context()`` for the change's context.
# pghistory's version reads the settings inside an exception block: a subtransaction
# per row and trigger, which aborts whenever no context is set (commands, seeds, raw
# SQL). Each abort scans the transaction's queue of deferred foreign-key checks, so
# a transaction writing n rows did work growing with n squared. Ours reads the settings
# with ``missing_ok`` instead (an empty value is what a setting left by an earlier
# transaction reads as), and is put back at the end of every ``migrate`` should
# pghistory install its own again (``keep_context_lookup_linear``).

_ATTACH_CONTEXT_BODY = """
DECLARE
    -- factcheck: no exception block, so no subtransaction per row (core/history.py).
    _pgh_context_id uuid := NULLIF(pg_catalog.current_setting('pghistory.context_id', true), '')::uuid;
    _pgh_context_metadata jsonb := NULLIF(pg_catalog.current_setting('pghistory.context_metadata', true), '')::jsonb;
BEGIN
    IF _pgh_context_id IS NULL OR _pgh_context_metadata IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO pghistory_context (id, metadata, created_at, updated_at)
        VALUES (_pgh_context_id, _pgh_context_metadata, NOW(), NOW())
        ON CONFLICT (id) DO UPDATE
            SET metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at
            WHERE pghistory_context.metadata != EXCLUDED.metadata;
    RETURN _pgh_context_id;
END;
"""

ATTACH_CONTEXT_SQL = (
    "CREATE OR REPLACE FUNCTION _pgh_attach_context() RETURNS pghistory_context.id%TYPE "
    f"LANGUAGE plpgsql AS $${_ATTACH_CONTEXT_BODY}$$;"
)


def context_lookup_is_linear(using: str = DEFAULT_DB_ALIAS) -> bool | None:
    """Whether ``_pgh_attach_context`` is ours; None where the database has none."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_catalog.pg_proc WHERE oid = to_regprocedure('_pgh_attach_context()')")
        row = cursor.fetchone()
    return None if row is None else row[0] == _ATTACH_CONTEXT_BODY


def keep_context_lookup_linear(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Put our ``_pgh_attach_context`` back if pghistory has installed its own. True if it had to."""
    if context_lookup_is_linear(using) is not False:
        return False
    with connections[using].cursor() as cursor:
        cursor.execute(ATTACH_CONTEXT_SQL)
    return True


def _after_migrate(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    # Sent once per app after every migrate (and flush); once is enough.
    if getattr(sender, "name", None) == "pgtrigger" and connections[using].vendor == "postgresql":
        keep_skipping_to_the_owner(using)
        keep_context_lookup_linear(using)


post_migrate.connect(_after_migrate, dispatch_uid="core.history.keep_skipping_to_the_owner")
