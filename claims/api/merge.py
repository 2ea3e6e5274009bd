"""Merging duplicate sources over the API: ``POST /sources/{id}/merge/`` (editors).

Served by the claims app, which owns the statements and hops a merge moves."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from claims.services import source_merge
from core.validators import MAX_ID
from sources.api.serializers import SourceSerializer, gone_message
from sources.models import Source


class MergeRequestSerializer(serializers.Serializer):
    source = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The duplicate to fold into this source; it is deleted."
    )


class SourceMergeView(GenericAPIView):
    serializer_class = MergeRequestSerializer
    queryset = Source.objects.all()

    @extend_schema(
        summary="Merge a duplicate into this source",
        description="Every statement, hop, document and member source of the duplicate moves to this source; "
        "the duplicate's name and aliases become this source's aliases; the duplicate is deleted. Every step "
        "is recorded in the history. A claim stated by both ends up with one statement (the same hop recorded "
        "through both is kept once); a hop between the two would be a source citing itself and is dropped: the "
        "report lists it.",
        request=MergeRequestSerializer,
        responses={
            200: inline_serializer(
                "SourceMergeResult",
                fields={
                    "source": SourceSerializer(),
                    "report": serializers.ListField(child=serializers.CharField()),
                    "claims": serializers.ListField(
                        child=serializers.IntegerField(), help_text="Claims whose traces changed."
                    ),
                },
            ),
            400: OpenApiResponse(
                description="No such duplicate, the source itself, or one of the two was merged or deleted "
                "by someone else meanwhile."
            ),
        },
        tags=["sources"],
    )
    def post(self, request: Request, pk: int) -> Response:
        # Either may have been merged or deleted by someone else since the client read it.
        keep = Source.objects.filter(pk=pk).first()
        if keep is None:
            raise NotFound(gone_message(pk) or NotFound.default_detail)
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        merge = Source.objects.filter(pk=body.validated_data["source"]).first()
        if merge is None:
            missing = body.validated_data["source"]
            raise serializers.ValidationError({"source": [gone_message(missing) or f"No source has id {missing}."]})
        # And meanwhile: source_merge then refuses with a ValidationError naming it.
        report = source_merge(keep=keep, merge=merge)
        return Response(
            {
                # As the merge left it (reading it again could find it merged away already).
                "source": SourceSerializer(report.kept, context=self.get_serializer_context()).data,
                "report": report.lines(),
                "claims": report.claims,
            }
        )
