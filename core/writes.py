"""Writing one record the way every service does: locked, validated, and only
the fields the caller changes.

A caller's instance may have been read long ago (an admin form, an API view);
saving it whole would write back its stale copy of every other field. Instead
the service reads the row again under a lock, applies the requested fields to
that fresh copy, validates it, saves just those fields, and copies the result
back onto the caller's instance.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def lock(obj: M, *, for_removal: bool = False) -> M:
    """The record as stored now, its row locked until the transaction ends.

    FOR NO KEY UPDATE by default: it keeps other writers out but lets rows that refer
    to this one be written meanwhile (FOR UPDATE would make their foreign-key checks
    wait, and two editors could deadlock). ``for_removal`` (a delete, a merge) takes
    FOR UPDATE instead: nothing may come to refer to a row that is about to go."""
    return type(obj)._default_manager.select_for_update(no_key=not for_removal).get(pk=obj.pk)


def save_fields(current: M, fields: dict[str, Any], *, also: tuple[str, ...] = ()) -> M:
    """Apply ``fields`` to ``current`` (a locked, fresh copy), validate it, and save
    those fields (and ``also``, plus ``updated_at`` when the model has it)."""
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean()
    names = {*fields, *also}
    if any(f.name == "updated_at" for f in current._meta.concrete_fields):
        names.add("updated_at")
    current.save(update_fields=sorted(names))
    return current


def copy_fields(target: M, source: M) -> M:
    """Copy every stored field of ``source`` onto ``target`` (the caller's instance)."""
    for field in source._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    return target
