"""Writes to sources and documents, with the checks the database cannot make."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Document, Source


def _check_parent(source: Source) -> None:
    # A parent chain that loops back would make "top-level organisation" undefined.
    seen = {source.pk}
    parent = source.parent
    while parent is not None:
        if parent.pk in seen:
            raise ValidationError(
                {"parent": f"{source.parent} is already below {source.name}: that would make a loop."}
            )
        seen.add(parent.pk)
        parent = parent.parent


def _clean_aliases(aliases: list[str]) -> list[str]:
    seen, result = set(), []
    for alias in aliases:
        alias = alias.strip()
        if alias and alias.casefold() not in seen:
            seen.add(alias.casefold())
            result.append(alias)
    return result


@transaction.atomic
def source_create(**fields) -> Source:
    source = Source(**fields)
    source.aliases = _clean_aliases(source.aliases or [])
    source.full_clean()
    source.save()
    return source


@transaction.atomic
def source_update(*, source: Source, **fields) -> Source:
    for name, value in fields.items():
        setattr(source, name, value)
    source.aliases = _clean_aliases(source.aliases or [])
    source.full_clean()
    if source.pk is not None:
        _check_parent(source)
    source.save()
    return source


@transaction.atomic
def source_delete(*, source: Source) -> None:
    """Only a source nothing refers to can go; the database protects the rest."""
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


@transaction.atomic
def document_create(**fields) -> Document:
    document = Document(**fields)
    document.full_clean()
    document.save()
    return document


@transaction.atomic
def document_update(*, document: Document, **fields) -> Document:
    for name, value in fields.items():
        setattr(document, name, value)
    document.full_clean()
    document.save()
    return document
