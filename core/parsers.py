from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from rest_framework import exceptions, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

from core.text import check_storable


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


class SafeJSONParser(JSONParser):
    """JSON parser that refuses oversized bodies (413), absurdly nested input (400;
    Python's json module raises RecursionError past ~1000 levels), NaN and Infinity
    (DRF's strict JSON) and text PostgreSQL cannot store (a lone surrogate such as
    U+D800, a NUL) instead of reading them into memory or failing with a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None and limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                raise ParseError("The Content-Length header is not a number.") from None
            if length > limit:
                raise RequestTooLarge(f"The request body is {length} bytes; the limit is {limit} bytes.")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        try:
            check_storable(data)
        except ValidationError as error:
            raise exceptions.ValidationError(error.message_dict) from None
        return data
