"""Concurrency: two editors never overwrite each other, silently or otherwise.

Writes load the record with its row locked (``SELECT ... FOR NO KEY UPDATE``) and
the services save only the fields a request changes, so two PATCHes of different
fields of one record both land, whatever the order.

Optimistic checks on top: every detail response carries an ``ETag``, a hash of
the representation the client received (so a change to what the client may not
see, such as a confidential source's name, does not change it). A PATCH or
DELETE that sends it back in ``If-Match`` is refused with 412 when the record,
as that client would read it now, is no longer what they read. The admin
carries the record's version (``version_of``) in a hidden field instead.
"""

from __future__ import annotations

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException


def version_of(obj: models.Model) -> str:
    """An opaque version stamp of the record as stored: its ``updated_at`` (every save
    moves it), or for a record without one, all its stored values."""
    if hasattr(obj, "updated_at"):
        stamp = obj.updated_at.isoformat()
    else:
        stamp = repr([getattr(obj, f.attname) for f in obj._meta.concrete_fields])
    return hashlib.sha256(f"{obj.pk}:{stamp}".encode()).hexdigest()[:20]


def etag_of(data) -> str:
    """A strong ETag for a representation: the same data always gives the same tag."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder, ensure_ascii=False)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


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


def _matches(header: str, current: str) -> bool:
    """If-Match: ``*`` or a comma-separated list of ETags (weak ones compare by their tag)."""
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or current in tags


_WRITES = ("PUT", "PATCH", "DELETE")


class VersionedViewSetMixin:
    """ETag on detail responses; writes lock the row; If-Match honoured on PATCH and DELETE."""

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.request.method in _WRITES and self.detail:
            # Loaded under a row lock held until the write's transaction ends: nobody can
            # change the record between this read, the If-Match check and the save.
            queryset = queryset.select_for_update(of=("self",), no_key=True)
        return queryset

    def get_object(self):
        obj = super().get_object()
        if self.request.method not in _WRITES:
            return obj
        expected = self.request.headers.get("If-Match", "").strip()
        if expected and not _matches(expected, etag_of(self.get_serializer(obj).data)):
            raise PreconditionFailed()
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
        if self.action in ("retrieve", "partial_update") and response.status_code == 200:
            response["ETag"] = etag_of(response.data)
        return response
