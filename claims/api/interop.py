"""ClaimReview and PROV for one claim, the feed of our reviews; ClaimReview import for editors."""

from __future__ import annotations

import json

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from claims import provenance
from claims.filters import ClaimReviewFeedFilter
from claims.interop.claimreview import claim_review, claim_review_queryset, origin_sources
from claims.interop.claimreview_import import MAX_IMPORT_BYTES, claimreview_import
from claims.interop.prov import claim_prov
from claims.models import Claim
from core.access import PUBLIC, viewer_for
from core.pagination import ModifiedPagination
from core.parsers import SafeJSONParser
from core.permissions import RolePermission

from .interop_schemas import CLAIM_REVIEW, PROV_DOCUMENT


class JSONLDRenderer(JSONRenderer):
    media_type = "application/ld+json"


class ProvJSONRenderer(JSONRenderer):
    # PROV-JSON has no registered media type of its own; the W3C note serves it as JSON.
    media_type = "application/json"


class ClaimReviewView(APIView):
    permission_classes = [RolePermission]
    public_read = True
    renderer_classes = [JSONLDRenderer, JSONRenderer]

    @extend_schema(
        summary="The claim as schema.org ClaimReview JSON-LD",
        description="Our review of the claim in the markup search engines and fact-check aggregators read: "
        "the verdict on the rating scale, the explanation, the claim's origins as its authors and the documents "
        "it appeared in (confidential sources as their placeholders for readers without clearance).",
        responses={200: OpenApiResponse(CLAIM_REVIEW, description="ClaimReview JSON-LD")},
        tags=["claims"],
    )
    def get(self, request: Request, id: int) -> Response:
        viewer = viewer_for(request.user)
        claim = get_object_or_404(claim_review_queryset().visible_to(viewer), pk=id)
        return Response(claim_review(claim, provenance.trace_for(claim.pk, viewer, chain_limit=0), viewer))


class ClaimReviewFeedView(ListAPIView):
    """Our published reviews as a harvester reads them: every published, rated claim as
    ClaimReview JSON-LD, the most recently changed first. The feed is the public's view
    whoever asks, so a harvest never carries a confidential source's name."""

    permission_classes = [RolePermission]
    public_read = True
    filterset_class = ClaimReviewFeedFilter
    pagination_class = ModifiedPagination

    def get_queryset(self):
        return claim_review_queryset().published().exclude(rating="").defer("search_vector")

    @extend_schema(
        summary="Our published reviews, as a ClaimReview feed",
        description="Each published, rated claim as schema.org ClaimReview JSON-LD (as /claims/{id}/claimreview/ "
        "gives it to the public), the most recently changed first, 50 a page (page_size up to 200). A harvester "
        "follows next until it is null, then later asks again with modified_since set to when it started.",
        # A list view: the schema pages the items as it pages every list.
        responses={200: OpenApiResponse(CLAIM_REVIEW, description="A page of ClaimReviews")},
        tags=["claims"],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        claims = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        traces = provenance.traces_for([c.pk for c in claims], PUBLIC, chain_limit=0)
        sources = origin_sources(list(traces.values()))
        return self.get_paginated_response([claim_review(c, traces[c.pk], PUBLIC, sources=sources) for c in claims])


class ClaimProvView(APIView):
    permission_classes = [RolePermission]
    public_read = True
    renderer_classes = [ProvJSONRenderer]

    @extend_schema(
        summary="The claim's attribution graph as W3C PROV-JSON",
        description="Sources as agents, each statement of the claim as an entity attributed to its source, "
        "each hop as a derivation with its relation, quote, document and whether it was verified: readable by "
        "any PROV tool (the W3C reference library reads it in our tests).",
        responses={200: OpenApiResponse(PROV_DOCUMENT, description="PROV-JSON document")},
        tags=["claims"],
    )
    def get(self, request: Request, id: int) -> Response:
        viewer = viewer_for(request.user)
        claim = get_object_or_404(Claim.objects.only("id", "text").visible_to(viewer), pk=id)
        graph = provenance.trace_for(claim.pk, viewer, chain_limit=0)
        return Response(json.loads(claim_prov(claim, graph).serialize(format="json")))


_ImportResult = inline_serializer(
    "ClaimReviewImportResult",
    fields={
        "results": serializers.ListField(
            child=inline_serializer(
                "ClaimReviewImportedClaim",
                fields={
                    "claim": serializers.IntegerField(),
                    "text": serializers.CharField(),
                    "review": serializers.IntegerField(
                        allow_null=True, help_text="The other organisation's review as recorded; null for our own."
                    ),
                    "action": serializers.ChoiceField(choices=["created", "updated", "unchanged"]),
                    "changes": serializers.ListField(child=serializers.CharField()),
                },
            )
        )
    },
)


class ClaimReviewImportView(APIView):
    """Import ClaimReview JSON-LD: the JSON body, or an uploaded ``file`` holding
    JSON-LD or an HTML page with ``<script type="application/ld+json">`` markup."""

    permission_classes = [RolePermission]
    parser_classes = [SafeJSONParser, MultiPartParser]

    @extend_schema(
        summary="Import ClaimReview JSON-LD (editors)",
        request={
            "application/json": OpenApiTypes.OBJECT,
            "multipart/form-data": inline_serializer("ClaimReviewUpload", fields={"file": serializers.FileField()}),
        },
        responses={
            200: OpenApiResponse(_ImportResult, description="Every review matched a claim already here."),
            201: OpenApiResponse(_ImportResult, description="At least one claim was created."),
            400: OpenApiResponse(
                description="Malformed JSON-LD, no ClaimReview, no claimReviewed, a rating that cannot be mapped, "
                "or input over the size limit; messages name the field."
            ),
        },
        tags=["claims"],
    )
    def post(self, request: Request) -> Response:
        # Checked before the body is read, so an oversized upload is never parsed.
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > MAX_IMPORT_BYTES:
            raise ValidationError({"input": [f"The request is {length} bytes; the limit is {MAX_IMPORT_BYTES} bytes."]})
        if request.content_type.startswith("multipart/"):
            upload = request.FILES.get("file")
            if upload is None:
                raise ValidationError({"file": ["Upload the JSON-LD or HTML page in the 'file' field."]})
            if upload.size > MAX_IMPORT_BYTES:
                raise ValidationError({"file": [f"The file is {upload.size} bytes; the limit is {MAX_IMPORT_BYTES}."]})
            content = upload.read()
        else:
            content = request.data
            if not isinstance(content, (dict, list)):
                raise ValidationError({"input": ["Send a JSON-LD object (or a list of them) as the body."]})
        results = claimreview_import(content, user=request.user)
        created = any(r.action == "created" for r in results)
        return Response(
            {"results": [r.as_dict() for r in results]},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
