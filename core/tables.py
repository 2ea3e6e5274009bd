"""Lists as tables: every list answers ``text/csv`` as well as JSON (``Accept:
text/csv`` or ``?format=csv``), with the same filters, streamed row by row.

A CSV holds every record the filters select, not one page, or, when they select
more than ``TABLE_MAX_ROWS``, it is refused with a 400 saying so (a table is
complete or not given: a cut one would lose rows silently). Rows are read in
chunks of ``CHUNK`` and serialised by the list's own serializer (so a confidential
source is as masked in a spreadsheet as in JSON), then flattened: nested objects
become dotted columns (``search.score``), lists become one cell joined by "; ".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.http import StreamingHttpResponse
from rest_framework.exceptions import APIException
from rest_framework.renderers import BaseRenderer, JSONRenderer

CHUNK = 500
# A spreadsheet opens a formula it finds at the start of a cell: text that starts
# like one is prefixed with an apostrophe (OWASP's advice on CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class TooManyRows(APIException):
    status_code = 400
    default_code = "too_many_rows"


class CSVRenderer(BaseRenderer):
    """Lets content negotiation choose CSV; the rows themselves are streamed by
    ``TableMixin`` (an error answer falls back to JSON)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data, "application/json", renderer_context)


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, str]:
    cells: dict[str, str] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            cells.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            cells[name] = "; ".join(_cell(item) for item in value)
        else:
            cells[name] = _cell(value)
    return cells


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return str(value.get("name", value.get("id", "")))
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def csv_lines(records: Iterable[dict[str, Any]], columns: list[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for record in records:
        writer.writerow(flatten(record))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


class TableMixin:
    """For list views: CSV next to JSON. ``table_columns`` names the columns (flattened
    names); ``table_rows(queryset)`` may add what a page would add (``include``)."""

    table_columns: list[str] = []

    def list(self, request, *args, **kwargs):
        if self.wants_table():
            return self.table_response(self.filter_queryset(self.get_queryset()))
        return super().list(request, *args, **kwargs)

    def get_renderers(self):
        renderers = super().get_renderers()
        if self._is_list():
            renderers.append(CSVRenderer())
        return renderers

    def _is_list(self) -> bool:
        return getattr(self, "action", "list") == "list" and getattr(self.request, "method", "GET") in ("GET", "HEAD")

    def wants_table(self) -> bool:
        renderer = getattr(self.request, "accepted_renderer", None)
        return isinstance(renderer, CSVRenderer)

    def table_response(self, queryset, columns: list[str] | None = None) -> StreamingHttpResponse:
        limit = settings.TABLE_MAX_ROWS
        if queryset[limit : limit + 1].exists():
            raise TooManyRows(
                f"This selection holds more than {limit:,} records, too many for one table: "
                "narrow it with the list's filters (dates, status, language) and ask for each part."
            )

        def records() -> Iterator[dict[str, Any]]:
            chunk = []
            for item in queryset.iterator(chunk_size=CHUNK):
                chunk.append(item)
                if len(chunk) == CHUNK:
                    yield from self.table_rows(chunk)
                    chunk = []
            if chunk:
                yield from self.table_rows(chunk)

        if not columns:
            fields = self.get_serializer().fields
            columns = self.table_columns or [name for name, field in fields.items() if not field.write_only]
        response = StreamingHttpResponse(csv_lines(records(), columns), content_type="text/csv; charset=utf-8")
        name = self.request.path.strip("/").split("/")[-1] or "export"
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response

    def table_rows(self, items: list) -> list[dict[str, Any]]:
        return self.get_serializer(items, many=True).data

    def finalize_response(self, request, response, *args, **kwargs):
        # An error is JSON whatever was asked for: a person must be able to read why.
        if response.status_code >= 400 and isinstance(getattr(request, "accepted_renderer", None), CSVRenderer):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)
