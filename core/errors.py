"""The API's one error shape, and the adapter from Django's ValidationError to it.

Every API error, whoever answers it (the DRF exception handler in core/exceptions.py,
the 404 and 500 handlers and ``error_response`` below, the middleware, gunicorn), is
built by ``error_body`` (``validation_error_body`` for messages by field)::

    {"detail": "a message a person can act on", "code": "machine_code",
     "errors": [{"field": "hops[1].source" or null, "message": "...", "code": "..."}]}

Input that failed validation has the code ``invalid`` and one item per message,
each with its field's path and its own code (``required``, ``max_length``, ...);
a refused publication (``confirmation_required``, ``publish_blocked``) has an item
saying what to send, then one per checklist item in the way; any other error has
one item repeating ``detail`` and ``code``.

A service's Django ``ValidationError`` becomes messages by field with their codes
(``messages_by_field``); the imports rename its fields with ``as_validation_error``.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    DisallowedHost,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from rest_framework.exceptions import ErrorDetail

# The code of input that failed validation, and of a message that came without a code.
INVALID = "invalid"
_NO_FIELD = "non_field_errors"


def error_item(field: str | None, message: Any, code: str | None = None) -> dict[str, Any]:
    """One problem: the field it is about (a path such as ``hops[1].source``; None for the
    request as a whole), a message a person can act on, and a code programs can rely on."""
    return {"field": field, "message": str(message), "code": str(code or getattr(message, "code", None) or INVALID)}


def error_body(detail: Any, code: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The body of every API error. Without ``errors``, the one item is ``detail`` itself."""
    detail = str(detail)
    return {"detail": detail, "code": code, "errors": errors or [error_item(None, detail, code)]}


def validation_error_body(errors: Any, code: str = INVALID) -> dict[str, Any]:
    """Messages by field, however nested (a serializer's ``errors``, a ValidationError's
    ``detail``), as the one shape: an item per message, each keeping its own code, and
    a ``detail`` that reads them all (``field: message; ...``)."""
    items = [
        error_item(None if field == _NO_FIELD else field, message)
        for field, messages in flatten_errors(errors).items()
        for message in messages
    ]
    if not items:
        return error_body("The input is not valid.", code)
    detail = "; ".join(f"{item['field']}: {item['message']}" if item["field"] else item["message"] for item in items)
    return error_body(detail, code, items)


def messages_by_field(error: ValidationError) -> dict[str, list[ErrorDetail]]:
    """A Django ``ValidationError`` as ``{"field": [message, ...]}`` (messages about no
    field under ``__all__``), each message keeping its code: its own, else the one the
    error was raised with (Django keeps a dict's or a list's only in ``args``), else
    ``invalid``."""
    raised_with = getattr(error, "code", None) or (error.args[1] if len(error.args) > 1 else None)

    def detail(message: ValidationError) -> ErrorDetail:
        text = message.message % message.params if message.params else message.message
        return ErrorDetail(str(text), code=message.code or raised_with or INVALID)

    if hasattr(error, "error_dict"):
        return {field: [detail(m) for m in messages] for field, messages in error.error_dict.items()}
    return {NON_FIELD_ERRORS: [detail(m) for m in error.error_list]}


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[ErrorDetail]]:
    """Nested serializer errors as flat keys (``hops[1].source``, ``aliases[0]``; messages
    about no field under ``non_field_errors``), each message keeping its code (``invalid``
    for one that came without)."""
    flat: dict[str, list[ErrorDetail]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            if str(key).isdigit():  # list items: DRF keys their errors by position
                name = f"{prefix}[{key}]"
            elif key in (_NO_FIELD, NON_FIELD_ERRORS):  # DRF's name and Django's ("__all__")
                name = prefix or _NO_FIELD
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in flatten_errors(value, name).items():
                flat.setdefault(field, []).extend(messages)
    elif isinstance(errors, list) and all(isinstance(item, str) for item in errors):
        flat[prefix or _NO_FIELD] = [_with_code(item) for item in errors]
    elif isinstance(errors, list):
        for i, item in enumerate(errors):
            if item:
                flatten = flatten_errors(item, f"{prefix}[{i}]")
                for field, messages in flatten.items():
                    flat.setdefault(field, []).extend(messages)
    else:
        flat[prefix or _NO_FIELD] = [_with_code(errors)]
    return flat


def _with_code(message: Any) -> ErrorDetail:
    if isinstance(message, ErrorDetail) and message.code:
        return message
    return ErrorDetail(str(message), code=getattr(message, "code", None) or INVALID)


def as_validation_error(error: ValidationError, *, key: Callable[[str], str]) -> ValidationError:
    """The same error with each field renamed by ``key`` (``__all__`` for the error as a whole)."""
    if hasattr(error, "error_dict"):
        return ValidationError({key(name): messages for name, messages in error.message_dict.items()})
    return ValidationError({key("__all__"): error.messages})


# --- errors outside the views: one JSON shape for the API, whatever went wrong ------------

API_PREFIX = "/api/"
# How long a client should wait before trying again after a 503.
RETRY_AFTER_SECONDS = 5
# The API's paths, and the ones a client meant for it: "/api", "//api/v1/claims/" (a doubled
# slash names nothing, and is answered as the API answers, not with a page).
_API_PATH = re.compile(r"/+api(/|$)")


def is_api(request: HttpRequest) -> bool:
    return _API_PATH.match(request.path) is not None


def error_response(request: HttpRequest, status: int, detail: str, code: str) -> HttpResponse:
    """JSON for API paths (``error_body``, as every API error), plain text elsewhere."""
    if is_api(request):
        response: HttpResponse = JsonResponse(error_body(detail, code), status=status)
    else:
        response = HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")
    if status == 503:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


# Errors that something other than our code answered without a body: the API's code
# for the status where it has one (else the status's name), and a message.
_STATUS_CODES = {
    400: INVALID,
    401: "not_authenticated",
    403: "permission_denied",
    412: "changed_since_read",
    413: "too_large",
    429: "throttled",
    500: "error",
    503: "unavailable",
}
_STATUS_DETAILS = {
    # Django's ConditionalGetMiddleware, for a GET whose If-Match names another version.
    412: "The record is not the version your If-Match (or If-Unmodified-Since) header names: "
    "it changed since you read it. GET it again.",
}


def status_error(status: int) -> tuple[str, str]:
    """A message and a code for an error status that came with nothing better."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    code = _STATUS_CODES.get(status) or phrase.lower().replace(" ", "_").replace("-", "_")
    return _STATUS_DETAILS.get(status, f"{phrase}."), code


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def in_error_shape(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """An API error answered in some other way (Django's empty 412 or 405, a view that
    built its own body) put into the one shape; every other response as it is."""
    if response.status_code < 400 or response.streaming or not is_api(request):
        return response
    body: Any = None
    if response.content:
        if not _is_json(response.get("Content-Type", "")):
            return response  # a page the client asked for (the API's HTML docs)
        try:
            body = json.loads(response.content)
        except ValueError:
            return response
        if isinstance(body, dict) and set(body) == {"detail", "code", "errors"}:
            return response
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        code = body.get("code")
        shaped = error_body(body["detail"], code if isinstance(code, str) else status_error(response.status_code)[1])
    elif isinstance(body, (dict, list)) and body:
        shaped = validation_error_body(body)  # messages by field
    else:
        shaped = error_body(*status_error(response.status_code))
    if not body:
        response["Content-Type"] = "application/json"
    response.content = json.dumps(shaped).encode()
    response["Content-Length"] = str(len(response.content))
    # An ETag computed from the old body (ConditionalGetMiddleware) would now be false.
    del response["ETag"]
    return response


def database_unavailable(exc: BaseException) -> bool:
    """The database is away (down, restarting, connection lost) or a statement ran out of time."""
    return isinstance(exc, (OperationalError, InterfaceError))


UNAVAILABLE_DETAIL = (
    "The database is unavailable or the request took too long. Nothing was changed; try again in a few seconds."
)

# What a cache that is away (down, restarting, unreachable, out of memory) raises. The cache
# holds the throttle counters and login lockouts: core.throttling refuses a request it cannot
# count with a 503 (CacheUnavailable), and a cache error nothing caught is a 503 too.
CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisError, ConnectionInterrupted)
CACHE_UNAVAILABLE_DETAIL = (
    "The service that counts requests (rate limits and login lockouts) is unavailable. "
    "Nothing was changed; try again in a few seconds."
)


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    if is_api(request):
        return error_response(request, 404, "Not found. The API's paths are listed at /api/v1/docs/.", "not_found")
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """Requests Django refuses before any view (a Host header this site does not serve, too
    many fields): the API's JSON for API paths, Django's page elsewhere."""
    if not is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return error_response(request, 413, "The request body is too large.", "too_large")
    if isinstance(exception, DisallowedHost):
        detail = "The Host header names a site this server does not serve."
    elif isinstance(exception, TooManyFieldsSent):
        detail = too_many_fields()
    elif isinstance(exception, TooManyFilesSent):
        detail = f"The request sends more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files."
    else:
        detail = "The request is malformed."
    return error_response(request, 400, detail, INVALID)


def too_many_fields() -> str:
    return f"The request has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields (query parameters, form fields)."


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """A PermissionDenied raised outside the API's views: JSON for API paths, Django's page elsewhere."""
    if is_api(request):
        return error_response(request, 403, "You do not have permission to perform this action.", "permission_denied")
    return defaults.permission_denied(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """The last resort (DEBUG off): a database that went away is a 503 to retry, not a crash."""
    exc = sys.exc_info()[1]
    if exc is not None and database_unavailable(exc):
        return error_response(request, 503, UNAVAILABLE_DETAIL, "unavailable")
    if isinstance(exc, CACHE_ERRORS):
        return error_response(request, 503, CACHE_UNAVAILABLE_DETAIL, "unavailable")
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
            del response["Content-Type"]  # no body, so no type (Django's default would say HTML)
            return response
    return page_not_found(request)
