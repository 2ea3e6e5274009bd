"""GET /api/v1/: where everything is, for a client that starts from the top."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

# Name in the answer: (URL name, what it is).
ENDPOINTS = {
    "claims": ("claim-list", "Claims: search, filters, CSV; each claim's trace, ClaimReview and PROV."),
    "sources": ("source-list", "Sources: who says what; a confidential one as its public description."),
    "documents": ("document-list", "Documents claims appear in (roles only)."),
    "topics": ("topic-list", "Topics to filter claims by."),
    "token": ("token", "POST a username and password for an API token."),
    "schema": ("schema", "This API's OpenAPI 3 schema."),
    "docs": ("docs", "The schema as a page to read and try."),
}


class ApiRootView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The API's endpoints",
        description="Each endpoint's address and what it is for.",
        responses=inline_serializer(
            "ApiRoot",
            {
                name: inline_serializer(
                    f"ApiRoot{name.title()}", {"url": serializers.URLField(), "description": serializers.CharField()}
                )
                for name in ENDPOINTS
            },
        ),
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                name: {"url": reverse(url_name, request=request), "description": description}
                for name, (url_name, description) in ENDPOINTS.items()
            }
        )
