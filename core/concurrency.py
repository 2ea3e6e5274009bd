"""Optimistic concurrency: two editors never overwrite each other silently.

A record's *version* is its ``updated_at`` (every save moves it). The API sends
it as an ETag on every detail response; a PATCH or DELETE that sends it back in
``If-Match`` is refused with 412 if the record changed in between. The admin
carries it in a hidden field and refuses a save over someone else's change.
"""

from __future__ import annotations

import hashlib

from django.db import models, transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException


def version_of(obj: models.Model) -> str:
    """An opaque version stamp of the record as stored."""
    return hashlib.sha256(f"{obj.pk}:{obj.updated_at.isoformat()}".encode()).hexdigest()[:20]


def stored_version(obj: models.Model) -> str:
    """The version in the database, with the row locked until the transaction ends,
    so that nobody can change it between this check and the save."""
    current = type(obj)._default_manager.select_for_update().only("pk", "updated_at").get(pk=obj.pk)
    return version_of(current)


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "This record was changed by someone else since you read it. "
        "GET it again, re-apply your change and send the new ETag in If-Match."
    )
    default_code = "changed_since_read"


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag of the version you read. If the record changed since, the answer is 412 "
    "and nothing is written.",
)


class VersionedViewSetMixin:
    """ETag on detail responses; If-Match honoured on PATCH and DELETE."""

    def get_object(self):
        obj = super().get_object()
        if self.request.method in ("PUT", "PATCH", "DELETE"):
            expected = self.request.headers.get("If-Match", "").strip()
            if expected and expected != "*" and expected.strip('"') != stored_version(obj):
                raise PreconditionFailed()
        # The services save this very instance, so after a PATCH it holds the new version.
        self._detail_object = obj
        return obj

    def update(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().update(request, *args, **kwargs)

    @extend_schema(parameters=[IF_MATCH])
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(parameters=[IF_MATCH])
    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            return super().destroy(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        obj = getattr(self, "_detail_object", None)
        if obj is not None and self.action in ("retrieve", "partial_update") and response.status_code == 200:
            response["ETag"] = f'"{version_of(obj)}"'
        return response
