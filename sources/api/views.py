"""Sources and documents over the API; what relies on a source."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from core.access import viewer_for
from core.concurrency import VersionedViewSetMixin
from core.errors import error_body
from core.history import History
from core.history_api import HistoryView, history_schema
from core.tables import TableMixin
from core.validators import parse_id
from sources import services
from sources.filters import DocumentFilter, SourceFilter
from sources.models import Document, Source

from .serializers import DocumentDetailSerializer, DocumentSerializer, SourceSerializer


@extend_schema_view(
    destroy=extend_schema(
        responses={
            204: OpenApiResponse(description="Deleted."),
            409: OpenApiResponse(description="Still used by chains, documents or other sources."),
        }
    )
)
class SourceViewSet(TableMixin, VersionedViewSetMixin, viewsets.ModelViewSet):
    # Who said what is public knowledge: anyone reads sources (a confidential one as its
    # placeholder, see core.access), so that source=3 in a filter can be looked up.
    public_read = True
    serializer_class = SourceSerializer
    filterset_class = SourceFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Source]:
        viewer = viewer_for(self.request.user)
        return Source.objects.visible_to(viewer).shown_to(viewer)

    def update(self, request: Request, *args, **kwargs) -> Response:
        # get_object locks the row (core.concurrency); the advisory locks the change will
        # take come first, in the order every writer takes them (core.locks), so a merge of
        # this source takes turns with it instead of deadlocking.
        with transaction.atomic():
            pk = parse_id(self.kwargs.get("pk"))
            if pk is not None and isinstance(request.data, Mapping):
                services.source_update_locks(pk, request.data)
            return super().update(request, *args, **kwargs)

    def perform_destroy(self, instance: Source) -> None:
        services.source_delete(source=instance)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        try:
            return super().destroy(request, *args, **kwargs)
        except DjangoValidationError as exc:
            # Not bad input: the source is fine, it is just still in use.
            return Response(error_body(" ".join(exc.messages), "in_use"), status=status.HTTP_409_CONFLICT)


class DocumentViewSet(TableMixin, VersionedViewSetMixin, viewsets.ModelViewSet):
    filterset_class = DocumentFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Document]:
        documents = Document.objects.select_related("publisher").order_by(
            F("published_at").desc(nulls_last=True), "-id"
        )
        if self.action == "list":
            # Bodies run to half a megabyte; lists leave them out.
            documents = documents.defer("body")
        return documents

    def get_serializer_class(self) -> type[DocumentSerializer]:
        return DocumentSerializer if self.action == "list" else DocumentDetailSerializer


class SourceHistoryView(HistoryView):
    queryset = Source.objects.all()

    @history_schema("Change history of a source: who changed what and when, with a field-level diff.")
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)

    def history_entries(self, pk: int) -> History:
        return History([(Source, "own")], pk)


class DocumentHistoryView(HistoryView):
    queryset = Document.objects.all()

    @history_schema("Change history of a document: who changed what and when, with a field-level diff.")
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)

    def history_entries(self, pk: int) -> History:
        return History([(Document, "own")], pk)
