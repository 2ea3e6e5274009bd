"""Change history over the API, for auditors: the entry shape and the view every
``/{resource}/{id}/history/`` endpoint is built on."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from core.access import viewer_for
from core.history import ACTIONS, History
from core.pagination import DefaultPagination
from core.permissions import HistoryPermission


class ChangeEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField(read_only=True, help_text="When the change was made (its transaction's start).")
    actor = serializers.CharField(
        read_only=True, allow_null=True, help_text="Username of who made it; null when no user was known."
    )
    app = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text='Where it came from: "admin", "api" or "command"; null for raw SQL or the shell.',
    )
    url = serializers.CharField(
        read_only=True, allow_null=True, help_text="The request path, or the management command's name."
    )
    model = serializers.CharField(
        read_only=True,
        help_text='What changed: "claim", "claimtopic", "appearance", "statement", "attribution", "source" '
        'or "document".',
    )
    object_id = serializers.IntegerField(read_only=True)
    action = serializers.ChoiceField(choices=ACTIONS, read_only=True)
    diff = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(), min_length=2, max_length=2),
        read_only=True,
        help_text="Field name to [before, after]. An insert lists every field with before null, a delete every "
        "field with after null, an update only the fields it changed.",
    )
    summary = serializers.CharField(read_only=True)


class HistoryView(GenericAPIView):
    """Lists ``history_entries(pk)``; subclasses set ``queryset`` and say how to read them."""

    permission_classes = [HistoryPermission]
    serializer_class = ChangeEntrySerializer
    pagination_class = DefaultPagination

    def get(self, request: Request, pk: int) -> Response:
        queryset = self.get_queryset()
        # Named for the reader (auditors are cleared to know who confidential sources are).
        entries = self.history_entries(pk).for_viewer(viewer_for(request.user))
        # A deleted source or document keeps its history; an id that never existed has none.
        if not entries and not queryset.filter(pk=pk).exists():
            raise Http404
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def history_entries(self, pk: int) -> History:
        raise NotImplementedError


_ORDER = (
    "Entries run oldest first, so pages stay stable while new changes are appended to the last page. "
    "Readable by auditors only."
)


def history_schema(description: str):
    return extend_schema(
        summary=description.split(":")[0],
        description=f"{description} {_ORDER}",
        responses=ChangeEntrySerializer(many=True),
        tags=["history"],
    )
