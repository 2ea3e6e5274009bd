"""One adapter from Django's ValidationError to the shapes our callers need.

The API, the admin forms, the imports and the commands all turn a service's
``ValidationError`` into messages keyed by field; this is where that happens.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework.serializers import as_serializer_error


def messages_by_field(error: ValidationError) -> dict[str, list[str]]:
    """``{"field": ["message", ...]}``; messages about no field are under ``non_field_errors``."""
    return {key: [str(m) for m in messages] for key, messages in as_serializer_error(error).items()}


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as flat keys (``hops[1].source``, ``aliases[0]``): every
    validation error the API answers is ``{"field": ["message", ...]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            if str(key).isdigit():  # list items: DRF keys their errors by position
                name = f"{prefix}[{key}]"
            elif key in ("non_field_errors", NON_FIELD_ERRORS):  # DRF's name and Django's ("__all__")
                name = prefix or "non_field_errors"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_errors(value, name))
    elif isinstance(errors, list) and all(isinstance(item, str) for item in errors):
        flat[prefix or "non_field_errors"] = [str(item) for item in errors]
    elif isinstance(errors, list):
        for i, item in enumerate(errors):
            if item:
                flat.update(flatten_errors(item, f"{prefix}[{i}]"))
    else:
        flat[prefix or "non_field_errors"] = [str(errors)]
    return flat


def as_validation_error(error: ValidationError, *, key: Callable[[str], str]) -> ValidationError:
    """The same error with each field renamed by ``key`` (``__all__`` for the error as a whole)."""
    if hasattr(error, "error_dict"):
        return ValidationError({key(name): messages for name, messages in error.message_dict.items()})
    return ValidationError({key("__all__"): error.messages})


# --- errors outside the views: one JSON shape for the API, whatever went wrong ------------

API_PREFIX = "/api/"
# How long a client should wait before trying again after a 503.
RETRY_AFTER_SECONDS = 5


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def error_response(request: HttpRequest, status: int, detail: str, code: str) -> HttpResponse:
    """JSON for API paths (``{"detail", "code"}``, as every API error), plain text elsewhere."""
    if is_api(request):
        response: HttpResponse = JsonResponse({"detail": detail, "code": code}, status=status)
    else:
        response = HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def database_unavailable(exc: BaseException) -> bool:
    """The database is away (down, restarting, connection lost) or a statement ran out of time."""
    return isinstance(exc, (OperationalError, InterfaceError))


UNAVAILABLE_DETAIL = (
    "The database is unavailable or the request took too long. Nothing was changed; try again in a few seconds."
)


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    if is_api(request):
        return error_response(request, 404, "Not found. The API's paths are listed at /api/v1/docs/.", "not_found")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """The last resort (DEBUG off): a database that went away is a 503 to retry, not a crash."""
    exc = sys.exc_info()[1]
    if exc is not None and database_unavailable(exc):
        return error_response(request, 503, UNAVAILABLE_DETAIL, "unavailable")
    if is_api(request):
        return error_response(request, 500, "Something went wrong on our side; it has been logged.", "error")
    return defaults.server_error(request)


@csrf_exempt  # it changes nothing: a POST to an unknown path is a 404, not a CSRF failure page
def api_not_found(request: HttpRequest) -> HttpResponse:
    """Every path under /api/ that names nothing. A path that only lacks its trailing
    slash is sent on to it (308 keeps the method and body)."""
    if not request.path.endswith("/"):
        with_slash = request.path + "/"
        try:
            match = resolve(with_slash)
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            query = request.META.get("QUERY_STRING", "")
            response = HttpResponse(status=308)
            response["Location"] = with_slash + (f"?{query}" if query else "")
            return response
    return page_not_found(request)
