from rest_framework.pagination import CursorPagination, PageNumberPagination


class DefaultPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


class KeysetPagination(CursorPagination):
    """For the big lists: no full-table count, stable under inserts."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200
