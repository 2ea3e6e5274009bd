from __future__ import annotations

from datetime import datetime

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination

from core.validators import in_utc, parse_id


class DefaultPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class KeysetPagination(CursorPagination):
    """For the big lists: no full-table count, stable under inserts. Ordered by id,
    so a cursor's position is an id: a tampered one is refused, not queried."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = "Invalid cursor: use the next and previous links of a page as they are."

    # A ranked search orders by its integer score first (see claims.search).
    score = "search_score"

    def get_ordering(self, request, queryset, view):
        if self.score in queryset.query.annotations:
            return (f"-{self.score}", "-id")
        return (self.ordering,)

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        # A position is an id, or a score (0 and up): anything else was not made here.
        position = cursor.position if cursor is not None else None
        if position is not None and parse_id(position) is None and position != "0":
            raise NotFound(self.invalid_cursor_message)
        return cursor


class ModifiedPagination(CursorPagination):
    """For feeds: newest change first; a cursor's position is a moment, so a tampered
    one is refused, not queried."""

    ordering = ("-updated_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = KeysetPagination.invalid_cursor_message

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        position = cursor.position if cursor is not None else None
        if position is None:
            return cursor
        try:
            moment = datetime.fromisoformat(position)
        except ValueError:
            raise NotFound(self.invalid_cursor_message) from None
        if moment.tzinfo is None:
            raise NotFound(self.invalid_cursor_message)
        # In UTC: PostgreSQL refuses offsets past 15:59, which ISO 8601 allows.
        return cursor._replace(position=in_utc(moment).isoformat())
