"""Article import over the API (editors write; role holders read):

POST /documents/import/              an article as text, a saved page or a url to fetch: the document and its proposals
GET  /documents/{id}/proposals/      the document's proposals, in the order of its sentences
POST /proposals/{id}/accept/         the proposal as a claim with its appearance and chain (optional edits)
POST /proposals/{id}/reject/
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from claims.api.serializers import ClaimDetailSerializer, TraceSerializer
from claims.models import Claim, Relation
from claims.provenance import trace_for
from claims.selectors import claim_for_reading
from core.access import viewer_for
from core.fields import BoundedListField
from core.pagination import DefaultPagination
from core.permissions import ClearedReadPermission
from core.validators import MAX_ID
from sources.api.serializers import DocumentSerializer, SourceReference
from sources.models import Document, Source

from .models import Proposal
from .services import document_import, proposal_accept, proposal_reject

MAX_TEXT = 500_000  # characters: Document.body's bound


class ImportSerializer(serializers.Serializer):
    text = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False, help_text="The article as text."
    )
    html = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5_000_000,
        trim_whitespace=False,
        help_text="The article as a saved web page; its body, title and date are extracted, its boilerplate left.",
    )
    url = serializers.URLField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text="The article's address. Given alone (no text or html), the server fetches the page where it "
        "allows that (INGESTION_FETCH_URLS): public http(s) addresses only, within a deadline and a size.",
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=500)
    publisher = SourceReference(queryset=Source.objects.all(), required=False, allow_null=True)
    published_at = serializers.DateTimeField(required=False, allow_null=True)
    language = serializers.CharField(required=False, max_length=35, default="en")


class ProposalHopSerializer(serializers.Serializer):
    source = serializers.IntegerField(
        allow_null=True, min_value=1, max_value=MAX_ID, help_text="The registry's source; null: none known."
    )
    mention = serializers.CharField(allow_blank=True, max_length=1000, help_text="The words of the text naming it.")
    relation = serializers.ChoiceField(choices=Relation.choices, allow_null=True, required=False)
    quote = serializers.CharField(allow_blank=True, max_length=5000, required=False, default="")


class MatchSerializer(serializers.Serializer):
    claim = serializers.IntegerField()
    score = serializers.IntegerField()


class ProposalSerializer(serializers.ModelSerializer):
    hops = ProposalHopSerializer(
        many=True, help_text="From the document's publisher (the reporting end) to the origin."
    )
    matches = MatchSerializer(many=True, help_text="Existing claims that may say the same, best first.")

    class Meta:
        model = Proposal
        fields = [
            "id",
            "status",
            "sentence",
            "quote",
            "claim_text",
            "hops",
            "event_start",
            "event_end",
            "event_approximate",
            "matches",
            "claim",
        ]
        read_only_fields = fields


class ImportedSerializer(serializers.Serializer):
    document = DocumentSerializer()
    proposals = ProposalSerializer(many=True)


class AcceptSerializer(serializers.Serializer):
    claim_text = serializers.CharField(required=False, max_length=2000, help_text="The claim, reworded.")
    hops = BoundedListField(
        child=ProposalHopSerializer(), required=False, min_length=1, max_length=20, help_text="The chain, corrected."
    )
    claim = serializers.PrimaryKeyRelatedField(
        queryset=Claim.objects.all(), required=False, help_text="Attach to this existing claim instead."
    )

    def validate(self, attrs: dict) -> dict:
        if attrs.get("claim") is not None and attrs.get("claim_text"):
            raise serializers.ValidationError({"claim_text": ["Give claim_text or claim (an existing one), not both."]})
        return attrs


class DocumentImportView(GenericAPIView):
    serializer_class = ImportSerializer

    @extend_schema(
        summary="Import an article (editors)",
        description="The article as text or as a saved web page, with optional url, title, publisher (a source "
        "id), published_at and language; or a url alone, which the server fetches where it allows that "
        "(INGESTION_FETCH_URLS; a 400 on url says why not). Answers 201 with the document and a proposal per "
        "sentence: the claim, its chain from the publisher to the origin with each source resolved against the "
        "registry (or null), its date, and existing claims that may say the same. Importing the same article "
        "again changes nothing: 200 with the same document and proposals. Nothing is published.",
        responses={201: ImportedSerializer, 200: ImportedSerializer},
        tags=["documents"],
    )
    def post(self, request: Request) -> Response:
        given = ImportSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        imported = document_import(**given.validated_data)
        data = ImportedSerializer({"document": imported.document, "proposals": imported.proposals}).data
        return Response(data, status=status.HTTP_201_CREATED if imported.created else status.HTTP_200_OK)


class DocumentProposalsView(ListAPIView):
    # A proposal holds a source's id beside the text's words for it: those of a
    # confidential source would name it, so proposals are for who may know them.
    permission_classes = [ClearedReadPermission]
    serializer_class = ProposalSerializer
    pagination_class = DefaultPagination
    filterset_class = None

    def get_queryset(self) -> QuerySet[Proposal]:
        if getattr(self, "swagger_fake_view", False):  # the schema's generator, with no document
            return Proposal.objects.none()
        return Proposal.objects.filter(document_id=self.kwargs["pk"]).order_by("position")

    @extend_schema(
        summary="A document's proposals (editors and auditors)",
        description="In the order of the document's sentences. For editors and auditors only: a proposal puts a "
        "source's id beside the text's words for it, which would name a confidential source.",
        tags=["documents"],
    )
    def get(self, request: Request, pk: int) -> Response:
        get_object_or_404(Document.objects.only("id"), pk=pk)
        return super().get(request, pk=pk)


class ProposalAcceptView(GenericAPIView):
    serializer_class = AcceptSerializer

    @extend_schema(
        summary="Accept a proposal (editors)",
        description="Creates the claim (or attaches to `claim`), its appearance in the document and its chain, in "
        "one transaction, through the same services as the rest of the API; answers with the claim's trace. "
        "Every hop needs a source: give `hops` with ids where the registry knew none. A proposal already "
        "decided is a 400.",
        request=AcceptSerializer,
        responses={201: TraceSerializer},
        tags=["documents"],
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = get_object_or_404(Proposal, pk=pk)
        given = AcceptSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        claim = proposal_accept(proposal=proposal, user=request.user, **given.validated_data)
        viewer = viewer_for(request.user)
        # Read again as a claim's page reads it: the appearance and chain are new.
        claim_data = ClaimDetailSerializer(claim_for_reading(claim.pk, viewer), context={"request": request}).data
        return Response(TraceSerializer((claim_data, trace_for(claim.pk, viewer))).data, status=status.HTTP_201_CREATED)


class ProposalRejectView(GenericAPIView):
    serializer_class = None

    @extend_schema(
        summary="Reject a proposal (editors)", request=None, responses={200: ProposalSerializer}, tags=["documents"]
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = proposal_reject(proposal=get_object_or_404(Proposal, pk=pk), user=request.user)
        return Response(ProposalSerializer(proposal).data)


urlpatterns = [
    path("documents/import/", DocumentImportView.as_view(), name="document-import"),
    path("documents/<int:pk>/proposals/", DocumentProposalsView.as_view(), name="document-proposals"),
    path("proposals/<int:pk>/accept/", ProposalAcceptView.as_view(), name="proposal-accept"),
    path("proposals/<int:pk>/reject/", ProposalRejectView.as_view(), name="proposal-reject"),
]
