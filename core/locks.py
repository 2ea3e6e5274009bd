"""Locks for writes that check before they write.

"Is there already a source called RIA?" then "create it" races: two requests can
both find nothing and both create one. Taking a transaction-level advisory lock
on the natural key first makes them take turns; the second then finds the
first's committed row. Locks are taken in a fixed order, so two transactions
locking several keys cannot deadlock.
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
