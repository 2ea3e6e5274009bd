"""Writes to sources and documents, with the checks the database alone cannot make.

Races are closed where they would open: a name or a URL is locked before it is
looked up (``core.locks``), and a parent that would close a loop is refused by a
trigger that takes turns with every other change of parents (migration 0005).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.dispatch import Signal

from core.locks import lock_keys, lock_source_hierarchy
from core.writes import copy_fields, hold_reference, lock, save_fields

from .models import Document, Source, SourceKind, name_keys


def _clean_aliases(aliases: list[str]) -> list[str]:
    seen, result = set(), []
    for alias in aliases:
        alias = alias.strip()
        if alias and alias.casefold() not in seen:
            seen.add(alias.casefold())
            result.append(alias)
    return result


# --- duplicates -------------------------------------------------------------------------


def describe(source: Source) -> str:
    """A source in a few words, to tell it apart from a namesake."""
    details = [str(SourceKind(source.kind).label).lower() if source.kind in SourceKind.values else source.kind]
    if source.country:
        details.append(source.country)
    if source.aliases:
        details.append("also known as " + ", ".join(source.aliases))
    return f"{source.name} (source {source.pk}: {'; '.join(details)})"


def _lock_names(keys: list[str]) -> None:
    # Held to the end of the transaction: a concurrent source with one of these
    # names waits, then sees this one.
    lock_keys(*(f"source-name:{key}" for key in keys))


def _clashes(source: Source) -> list[Source]:
    """Other sources going by one of its names. The caller holds the locks of those names
    (taken before any row lock): a concurrent source with one of them waits, then sees this one."""
    keys = name_keys(source.name, source.aliases or [])
    return list(Source.objects.filter(name_keys__overlap=keys).exclude(pk=source.pk).order_by("id")[:5])


def _refuse_clashes(source: Source, clashes: list[Source]) -> None:
    """Another source already goes by one of these names: counted apart, the two would
    inflate "independent origins". Refused until the editor confirms they differ."""
    own = set(name_keys(source.name, source.aliases or []))
    lines = []
    for other in clashes:
        shared = [n for n in [other.name, *other.aliases] if name_keys(n, []) and name_keys(n, [])[0] in own]
        lines.append(f"“{shared[0] if shared else other.name}” is already {describe(other)}.")
    raise ValidationError(
        {
            "name": [
                *lines,
                "If this is the same source, use that one (or merge them); if it is a different source, "
                "confirm that it is distinct.",
            ]
        },
        code="duplicate_name",
    )


# --- who needs to know ------------------------------------------------------------------

# Sent by ``source_update``, in its transaction, when sources' standing in the traces they
# originate changed: whom they belong to (a parent changed at or above them: origins of
# one organisation count as one) or whether they are anonymous (anonymous origins count as
# unknown). ``source_ids``: every source concerned, the members of a source that moved
# included. The claims app keeps a summary of each claim's trace and subscribes
# (claims.apps); sources sit below claims and cannot call it. A receiver that fails fails
# the change. Writers that would make a source an origin meanwhile take turns with it
# through the source hierarchy lock, which a change of standing takes (core.locks).
source_standing_changed = Signal()


def source_and_members(source_id: int) -> list[int]:
    """The source and every source below it (one query down the parent links, which the
    hierarchy lock the caller holds keeps still; the database refuses loops)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE down(id) AS ("
            " SELECT %s::bigint UNION SELECT s.id FROM sources_source s JOIN down ON s.parent_id = down.id"
            ") SELECT id FROM down ORDER BY id",
            [source_id],
        )
        return [row[0] for row in cursor.fetchall()]


# --- sources ----------------------------------------------------------------------------

# How a source a write refers to can be gone by the time it is written: another editor
# merged it into another source, or deleted it.
GONE = "merged or deleted"


@transaction.atomic
def source_create(*, confirm_distinct: bool = False, **fields) -> Source:
    """A new source. Refused when its name or an alias is already another source's,
    unless ``confirm_distinct`` says they are different sources."""
    source = Source(**fields)
    source.aliases = _clean_aliases(source.aliases or [])
    # Its names first, then its parent held (a merge or a delete may have just removed it:
    # the refusal names the field), in the order every writer locks (core.locks).
    _lock_names(name_keys(source.name, source.aliases))
    hold_reference("parent", source.parent, gone=GONE)
    source.full_clean()
    clashes = _clashes(source)
    if clashes and not confirm_distinct:
        _refuse_clashes(source, clashes)
    source.save()
    return source


def source_update_locks(source_id: int, fields: Mapping[str, Any]) -> None:
    """The advisory locks a change of ``fields`` to a source takes before its row lock, in
    the order every writer takes them (core.locks): the names it has and will have, in one
    call, then the source hierarchy when a parent or kind is given. ``source_update`` takes them
    itself; a caller that locks the row before calling it (the admin's save, the API's
    PATCH) takes them first. ``fields`` may be unchecked input: what is not a name is
    left out (and refused later by validation)."""
    if "name" in fields or "aliases" in fields:
        name, aliases = fields.get("name"), fields.get("aliases")
        new = set(
            name_keys(
                name if isinstance(name, str) else "",
                [a for a in aliases if isinstance(a, str)] if isinstance(aliases, list) else [],
            )
        )
        held: set[str] = set()
        while True:
            # The stored names are read before they are locked: read again once they are
            # held, until no rename slipped in between.
            stored = Source.objects.filter(pk=source_id).values_list("name", "aliases").first()
            keys = new | set(name_keys(stored[0], stored[1] or []) if stored else ())
            if keys <= held:
                break
            _lock_names(sorted(keys))  # those already held again, so the new ones in one call
            held |= keys
    if "parent" in fields or "kind" in fields:
        # A kind, too: becoming anonymous or named changes a source's standing as an
        # origin, in turns with writers of graphs, as a parent does (source_standing_changed).
        lock_source_hierarchy()


@transaction.atomic
def source_update(*, source: Source, confirm_distinct: bool = False, **fields) -> Source:
    """Change the given fields and nothing else, on the source as stored now. A new
    name or alias is checked for clashes as on creation."""
    source_update_locks(source.pk, fields)
    current = lock(source)
    standing = (current.parent_id, current.kind == SourceKind.ANONYMOUS)
    if "aliases" in fields:
        fields["aliases"] = _clean_aliases(fields["aliases"] or [])
    if fields.get("parent") is not None and fields["parent"].pk != current.parent_id:
        hold_reference("parent", fields["parent"], gone=GONE)
    renamed = any(name in fields and fields[name] != getattr(current, name) for name in ("name", "aliases"))
    for name, value in fields.items():
        setattr(current, name, value)
    if renamed:
        clashes = _clashes(current)
        if clashes and not confirm_distinct:
            _refuse_clashes(current, clashes)
    try:
        with transaction.atomic():
            save_fields(current, fields)
    except IntegrityError as error:
        if _constraint(error) != "source_parent_no_loop":
            raise
        raise ValidationError(
            {"parent": f"{current.parent} is already below {current.name}: that would make a loop."}
        ) from None
    moved = current.parent_id != standing[0]
    if moved or (current.kind == SourceKind.ANONYMOUS) != standing[1]:
        concerned = source_and_members(current.pk) if moved else [current.pk]
        source_standing_changed.send(sender=Source, source_ids=concerned)
    return copy_fields(source, current)


def _constraint(error: IntegrityError) -> str | None:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def _url_key(url: str) -> str:
    """A URL as compared for locking: scheme, "www.", case of the host and a trailing
    slash aside. Looser than the lookup (an exact URL), so two imports that would find
    each other's source by URL always take turns."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").removeprefix("www.")
    except ValueError:
        return url.casefold()
    return host + parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")


def source_lock_keys(*, name: str, url: str = "", wikidata_qid: str = "") -> list[str]:
    """The advisory locks ``source_find_or_create`` takes: for a caller that takes every
    lock its transaction needs in one ``lock_keys`` call (locks are ordered only within
    a call, so locks taken call by call can deadlock with another transaction's)."""
    keys = [f"source-name:{key}" for key in name_keys(name, [])]
    if wikidata_qid:
        keys.append(f"source-qid:{wikidata_qid}")
    if url:
        keys.append(f"source-url:{_url_key(url)}")
    return keys


@transaction.atomic
def source_find_or_create(
    *, name: str, kind: str = SourceKind.ORGANISATION, url: str = "", wikidata_qid: str = ""
) -> Source:
    """The source an import names: found by Wikidata QID, then URL, then its name or an
    alias; created when none matches. Locked by name, QID and URL, whatever it is found
    by, so twenty imports naming the same new source (by any of them) create it once."""
    keys = name_keys(name, [])
    lock_keys(*source_lock_keys(name=name, url=url, wikidata_qid=wikidata_qid))
    candidates = [
        Q(wikidata_qid=wikidata_qid) if wikidata_qid else None,
        Q(url=url) if url else None,
        Q(name_keys__overlap=keys) if keys else None,
    ]
    for match in filter(None, candidates):
        found = Source.objects.filter(match).order_by("id").first()
        if found is not None:
            return found
    return source_create(name=name, kind=kind, url=url, wikidata_qid=wikidata_qid)


@transaction.atomic
def source_delete(*, source: Source) -> None:
    """Only a source nothing refers to can go. Locked first, so that no chain, document
    or member source can come to refer to it between this check and the delete."""
    source = lock(source, for_removal=True)
    used = []
    if source.statements.exists():
        used.append("attribution chains")
    if source.documents.exists():
        used.append("documents as their publisher")
    if source.children.exists():
        used.append("other sources as their parent")
    if used:
        raise ValidationError(f"{source.name} is used by {', '.join(used)}; it cannot be deleted.")
    source.delete()


# --- documents ------------------------------------------------------------------------


def document_lock_key(url: str) -> str:
    """The advisory lock a document's URL is claimed under (see ``source_lock_keys``)."""
    return f"document-url:{url}"


def _claim_url(document: Document) -> None:
    """Two requests creating the same URL take turns; the second is then told which
    document already has it (not a bare database conflict)."""
    if not document.url:
        return
    lock_keys(document_lock_key(document.url))
    other = Document.objects.filter(url=document.url).exclude(pk=document.pk).only("id", "title").first()
    if other is not None:
        raise ValidationError(
            {"url": f"Document {other.pk} (“{other.title}”) already has this address; use that one."},
            code="unique",
        )


def document_update_locks(fields: Mapping[str, Any]) -> None:
    """The advisory lock a change of ``fields`` to a document takes before its row lock
    (see ``source_update_locks``): its new address's."""
    if isinstance(fields.get("url"), str) and fields["url"]:
        lock_keys(document_lock_key(fields["url"]))


@transaction.atomic
def document_create(**fields) -> Document:
    document = Document(**fields)
    _claim_url(document)
    # After its own lock, the publisher held: gone meanwhile, the refusal names the field.
    hold_reference("publisher", document.publisher, gone=GONE)
    document.full_clean()
    document.save()
    return document


@transaction.atomic
def document_update(*, document: Document, **fields) -> Document:
    """Change the given fields and nothing else, on the document as stored now."""
    document_update_locks(fields)
    current = lock(document)
    if fields.get("publisher") is not None and fields["publisher"].pk != current.publisher_id:
        hold_reference("publisher", fields["publisher"], gone=GONE)
    if "url" in fields and fields["url"] != current.url:
        current.url = fields["url"]
        _claim_url(current)
    save_fields(current, fields, also=("content_hash",) if "body" in fields else ())
    return copy_fields(document, current)
