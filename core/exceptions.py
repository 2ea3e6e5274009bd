"""The API's errors: JSON, each with a message a person can act on, never a 500
for input the client got wrong, and a 503 to retry when the database is away.

Every error has the one shape ``core.errors.error_body`` builds:
``{"detail": "...", "code": "...", "errors": [{"field", "message", "code"}, ...]}``.
Input that failed validation is ``invalid``, with an item per message naming its
field by path (``hops[1].source``; null for the input as a whole) and keeping the
message's own code (``required``, ``max_length``, ...).
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
    error_body,
    messages_by_field,
    validation_error_body,
)


def _error(detail: str, code: str, status_code: int) -> Response:
    return Response(error_body(detail, code), status=status_code)


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
    # DRF's response keeps its status and headers (Retry-After, WWW-Authenticate); its body
    # becomes the one shape.
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        # Nested fields named by their path (aliases[0], hops[1].source).
        response.data = validation_error_body(exc.detail)
    elif isinstance(exc.detail, (dict, list)):
        response.data = validation_error_body(exc.detail, code=exc.default_code)
    else:
        codes = exc.get_codes()
        response.data = error_body(exc.detail, codes if isinstance(codes, str) else exc.default_code)
    return response
