from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property


class EstimatedCountPaginator(Paginator):
    """Admin paginator for big tables: an unfiltered list is counted from the
    planner's row estimate instead of a COUNT(*) that reads the whole table.
    Small tables, and every filtered list, are counted exactly. One query either way."""

    estimate_from = 100_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or queryset.query.where:
            return super().count
        connection = connections[queryset.db]
        table = queryset.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT CASE WHEN reltuples >= %s THEN reltuples::bigint "
                f"ELSE (SELECT count(*) FROM {connection.ops.quote_name(table)}) END "
                f"FROM pg_class WHERE oid = %s::regclass",
                [self.estimate_from, table],
            )
            return cursor.fetchone()[0]
