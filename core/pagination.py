from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination

from core.validators import parse_id


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

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None and parse_id(cursor.position) is None:
            raise NotFound(self.invalid_cursor_message)
        return cursor
