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

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils.text import capfirst

M = TypeVar("M", bound=models.Model)


class Gone(ValidationError):
    """The record was removed by another transaction after the caller read it: a clear
    refusal (400 in the API, a message in the admin), not a DoesNotExist and a 500."""

    def __init__(self, obj: models.Model, *, how: str = "deleted") -> None:
        name = capfirst(type(obj)._meta.verbose_name)
        super().__init__(f"{name} {obj.pk} no longer exists: it was {how} meanwhile.", code="gone")


def lock(obj: M, *, for_removal: bool = False, gone: str = "deleted") -> M:
    """The record as stored now, its row locked until the transaction ends; ``Gone``
    (saying it was ``gone``: "deleted", "merged or deleted") when it no longer exists.

    FOR NO KEY UPDATE by default: it keeps other writers out but lets rows that refer
    to this one be written meanwhile (FOR UPDATE would make their foreign-key checks
    wait, and two editors could deadlock). ``for_removal`` (a delete, a merge) takes
    FOR UPDATE instead: nothing may come to refer to a row that is about to go."""
    current = type(obj)._default_manager.select_for_update(no_key=not for_removal).filter(pk=obj.pk).first()
    if current is None:
        raise Gone(obj, how=gone)
    return current


def hold(obj: models.Model, *, gone: str = "deleted") -> None:
    """Keep a row that a write is about to refer to from going until the transaction
    ends (FOR KEY SHARE, what the foreign-key check itself takes at commit); ``Gone``
    when it went meanwhile. Checked now, the refusal can name the field, where the
    deferred foreign-key check would only fail at commit with a bare IntegrityError."""
    table, pk = obj._meta.db_table, obj._meta.pk.column
    with connection.cursor() as cursor:  # Django's select_for_update has no KEY SHARE
        cursor.execute(
            f"SELECT 1 FROM {connection.ops.quote_name(table)} WHERE {connection.ops.quote_name(pk)} = %s "
            "FOR KEY SHARE",
            [obj.pk],
        )
        if cursor.fetchone() is None:
            raise Gone(obj, how=gone)


def hold_reference(field: str, obj: models.Model | None, *, gone: str = "deleted") -> None:
    """``hold`` the record a write is about to refer to through ``field`` (nothing when
    None); when it is gone, the refusal is about that field."""
    if obj is None:
        return
    try:
        hold(obj, gone=gone)
    except Gone as error:
        raise ValidationError({field: error}) from None


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
