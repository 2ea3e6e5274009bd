"""Locks for writes that check before they write.

"Is there already a source called RIA?" then "create it" races: two requests can
both find nothing and both create one. Taking a transaction-level advisory lock
on the natural key first makes them take turns; the second then finds the
first's committed row. Locks are taken in a fixed order, so two transactions
locking several keys cannot deadlock.

Across calls, every writer takes its locks in one order: advisory locks on names
(``source-name:``), then the source hierarchy lock, then rows. A write that takes a
row lock first and then waits for an advisory lock deadlocks with one that holds
the advisory lock and wants the row.
"""

from __future__ import annotations

from django.db import connection


def lock_keys(*keys: str) -> None:
    """Hold an advisory lock on each key until the current transaction ends."""
    keys_sorted = sorted(set(keys))
    if not keys_sorted:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(h) FROM "
            "(SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(%s::text[]) AS k ORDER BY h) AS ordered",
            [keys_sorted],
        )


# The lock the trigger of sources migration 0005 takes on every change of a source's
# parent (``pg_advisory_xact_lock(hashtextextended('source-hierarchy', 0))``, the same
# hash ``lock_keys`` takes).
SOURCE_HIERARCHY = "source-hierarchy"


def lock_source_hierarchy() -> None:
    """Take turns with every change of a source's parent until the transaction ends.
    Taken before any row lock by a write that will change parents (a merge): the
    trigger would otherwise take it later, while this write holds rows that a
    concurrent change of parent, already holding it, waits for."""
    lock_keys(SOURCE_HIERARCHY)
