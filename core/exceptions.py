"""The API's errors: JSON, each with a message a person can act on, never a 500
for input the client got wrong, and a 503 to retry when the database is away.

Shapes: ``{"detail": "...", "code": "..."}`` for an error about the request as a
whole; ``{"field": ["message", ...]}`` for input that failed validation.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import (
    RETRY_AFTER_SECONDS,
    UNAVAILABLE_DETAIL,
    database_unavailable,
    flatten_errors,
    messages_by_field,
)


def _error(detail: str, code: str, status_code: int) -> Response:
    return Response({"detail": detail, "code": code}, status=status_code)


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(messages_by_field(exc))
    elif isinstance(exc, (ProtectedError, RestrictedError)):
        return _error("Other records still refer to this one, so it cannot be deleted.", "in_use", 409)
    elif isinstance(exc, IntegrityError):
        return _error("This would break a rule of the database (a duplicate or a broken reference).", "conflict", 409)
    elif isinstance(exc, RequestDataTooBig):
        return _error("The request body is too large.", "too_large", status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    elif isinstance(exc, DataError):
        return _error("A value is out of range or malformed.", "invalid", status.HTTP_400_BAD_REQUEST)
    elif database_unavailable(exc):
        response = _error(UNAVAILABLE_DETAIL, "unavailable", status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        # Messages by field, nested fields named by their path (aliases[0], hops[1].source).
        response.data = flatten_errors(response.data)
        return response
    if response is not None and isinstance(exc, exceptions.APIException) and isinstance(response.data, dict):
        codes = exc.get_codes()
        if "detail" in response.data and isinstance(codes, str):
            response.data["code"] = codes
    return response
