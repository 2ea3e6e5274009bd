"""Claims over the API: search and filters, recording chains, tracing them."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from claims import provenance
from claims.filters import ClaimFilter
from claims.models import Appearance, Claim
from claims.services import chain_record
from core.concurrency import VersionedViewSetMixin
from core.pagination import KeysetPagination

from .serializers import (
    ChainSerializer,
    ClaimDetailSerializer,
    ClaimSerializer,
    TraceQuerySerializer,
    TraceSerializer,
    flatten_errors,
)

# Actions that show a claim with its appearances.
_DETAIL_ACTIONS = {"retrieve", "trace"}


class ClaimViewSet(VersionedViewSetMixin, viewsets.ModelViewSet):
    """Claims are never deleted: retract one by PATCHing its status."""

    # Anonymous clients and users without a role read published claims (see get_queryset).
    public_read = True
    filterset_class = ClaimFilter
    # A million claims: the cursor needs no count and stays stable while claims are added.
    pagination_class = KeysetPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Claim]:
        return self._claims(detail=self.action in _DETAIL_ACTIONS)

    def _claims(self, *, detail: bool) -> QuerySet[Claim]:
        # The stored search vectors are for the database to match, not for clients.
        claims = Claim.objects.defer("search_vector").prefetch_related("topics").order_by("-id")
        if detail:
            appearances = Appearance.objects.defer("search_vector", "document__body").select_related("document")
            claims = claims.prefetch_related(Prefetch("appearances", queryset=appearances.order_by("id")))
        return claims.readable_by(self.request.user)

    def get_serializer_class(self) -> type[ClaimSerializer]:
        return ClaimSerializer if self.action == "list" else ClaimDetailSerializer

    def perform_create(self, serializer: ClaimSerializer) -> None:
        serializer.save(created_by=self.request.user)

    def perform_update(self, serializer: ClaimSerializer) -> None:
        serializer.save()
        # Answer with what was saved, read with the same prefetches as a GET.
        serializer.instance = self._claims(detail=True).get(pk=serializer.instance.pk)

    def _trace_body(self, claim: Claim, as_of: datetime | None = None) -> dict:
        claim_data = ClaimDetailSerializer(claim, context=self.get_serializer_context()).data
        return {"claim": claim_data, **provenance.trace(claim, as_of=as_of).as_dict()}

    @extend_schema(
        summary="Trace a claim to its origins",
        parameters=[TraceQuerySerializer],
        responses=TraceSerializer,
    )
    @action(detail=True, filter_backends=[], pagination_class=None)
    def trace(self, request: Request, pk: str | None = None) -> Response:
        params = TraceQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        claim = self.get_object()
        return Response(self._trace_body(claim, params.validated_data.get("as_of")))

    @extend_schema(
        summary="Record one chain of attribution",
        description="Hops run from the reporting end to the origin; they merge into the claim's existing "
        "statements, so chains through the same source converge. Answers with the new trace.",
        request=ChainSerializer,
        responses={201: TraceSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def chains(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        chain = ChainSerializer(data=request.data)
        if not chain.is_valid():
            raise serializers.ValidationError(flatten_errors(chain.errors))
        chain_record(claim=claim, **chain.validated_data)
        # Read again: recording may have added an appearance.
        claim = self._claims(detail=True).get(pk=claim.pk)
        return Response(self._trace_body(claim), status=status.HTTP_201_CREATED)
