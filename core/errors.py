"""One adapter from Django's ValidationError to the shapes our callers need.

The API, the admin forms, the imports and the commands all turn a service's
``ValidationError`` into messages keyed by field; this is where that happens.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from rest_framework.serializers import as_serializer_error


def messages_by_field(error: ValidationError) -> dict[str, list[str]]:
    """``{"field": ["message", ...]}``; messages about no field are under ``non_field_errors``."""
    return {key: [str(m) for m in messages] for key, messages in as_serializer_error(error).items()}


def as_validation_error(error: ValidationError, *, key: Callable[[str], str]) -> ValidationError:
    """The same error with each field renamed by ``key`` (``__all__`` for the error as a whole)."""
    if hasattr(error, "error_dict"):
        return ValidationError({key(name): messages for name, messages in error.message_dict.items()})
    return ValidationError({key("__all__"): error.messages})
