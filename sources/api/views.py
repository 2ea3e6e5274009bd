"""Sources and documents over the API; what relies on a source."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from claims import provenance
from claims.api.serializers import DependentSerializer
from claims.filters import DependentFilter
from claims.models import Claim
from core.concurrency import VersionedViewSetMixin
from core.pagination import DefaultPagination
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
class SourceViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
    serializer_class = SourceSerializer
    filterset_class = SourceFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Source] | QuerySet[Claim]:
        if self.action == "dependents":
            # What the action lists (and filters); the source itself is looked up there.
            return Claim.objects.only("id", "text", "status", "rating").order_by("-id")
        return Source.objects.order_by("name", "id")

    def perform_destroy(self, instance: Source) -> None:
        services.source_delete(source=instance)

    def destroy(self, request: Request, *args, **kwargs) -> Response:
        try:
            return super().destroy(request, *args, **kwargs)
        except DjangoValidationError as exc:
            # Not bad input: the source is fine, it is just still in use.
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)

    @extend_schema(
        summary="Claims that rely on this source",
        description="Claims whose chains pass through or originate at the source, with its role in each "
        "and its distance from the nearest reporting end.",
        responses=DependentSerializer(many=True),
    )
    @action(
        detail=True,
        serializer_class=DependentSerializer,
        filterset_class=DependentFilter,
        pagination_class=DefaultPagination,
    )
    def dependents(self, request: Request, pk: str | None = None) -> Response:
        source = get_object_or_404(Source.objects.only("id"), pk=pk)
        claims = self.get_queryset().readable_by(request.user).with_role_of(source.pk)
        page = self.paginate_queryset(self.filter_queryset(claims))
        # Distances are walked on the page's graphs only: linear in what is returned.
        distances = provenance.distances_to([claim.pk for claim in page], source.pk)
        for claim in page:
            claim.distance = distances[claim.pk]
        return self.get_paginated_response(DependentSerializer(page, many=True).data)


class DocumentViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
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
