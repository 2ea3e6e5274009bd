"""Query-string filters every app's lists share."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from core.validators import MAX_ID, in_utc, validate_language_tag, validate_moment


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(filters.NumberFilter):
    """A whole, positive database id (NumberFilter alone would take 1.5 or 1e400)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class MomentField(filters.fields.IsoDateTimeField):
    """An ISO 8601 moment, checked as plausible and resolved to UTC before it reaches SQL
    (an offset PostgreSQL cannot read would otherwise be a database error)."""

    default_validators = [validate_moment]

    def to_python(self, value):
        moment = super().to_python(value)
        return None if moment is None else in_utc(moment)


class MomentFilter(filters.IsoDateTimeFilter):
    field_class = MomentField


MAX_LANGUAGES = 10


class ListWidget(forms.TextInput):
    """A parameter given several times (a=1&a=2), or once with commas (a=1,2), or both."""

    def value_from_datadict(self, data, files, name) -> list[str]:
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name) or ""]
        return [item.strip() for value in values for item in value.split(",") if item.strip()]


class LanguagesField(forms.Field):
    """BCP-47 tags, repeated (language=ru&language=tr) or comma-separated (language=ru,tr)."""

    widget = ListWidget

    def to_python(self, value) -> list[str]:
        return list(dict.fromkeys(value or []))

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        if len(value) > MAX_LANGUAGES:
            raise ValidationError(f"Give at most {MAX_LANGUAGES} languages.")
        for tag in value:
            validate_language_tag(tag)


@extend_schema_field({"type": "array", "items": {"type": "string", "example": "ru"}, "maxItems": MAX_LANGUAGES})
class LanguageFilter(filters.Filter):
    """Records in any of these languages: a tag matches itself and its regional forms
    (``pt`` matches ``pt-BR``), in any case."""

    field_class = LanguagesField

    def filter(self, queryset: QuerySet, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        match = Q()
        for tag in value:
            match |= Q(**{f"{self.field_name}__iexact": tag}) | Q(**{f"{self.field_name}__istartswith": f"{tag}-"})
        return queryset.filter(match)


class ListFilter(filters.MultipleChoiceFilter):
    """One of the choices or several: repeated (rating=false&rating=mostly_false) or
    comma-separated (rating=false,mostly_false)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", ListWidget)
        super().__init__(*args, **kwargs)


# Parameters every list takes besides its filters: pagination, and the format override.
COMMON_PARAMETERS = {"cursor", "page", "page_size", "format"}


class StrictFilterBackend(DjangoFilterBackend):
    """Filters that say no: a parameter a list does not know is a 400 naming the
    ones it does, not a silently unfiltered answer (?lang=ru, ?q=, ?query=)."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None or getattr(view, "action", None) == "list":
            known = set(filterset_class.base_filters) if filterset_class else set()
            known |= COMMON_PARAMETERS | set(getattr(view, "extra_parameters", ()))
            unknown = sorted(set(request.query_params) - known)
            if unknown:
                raise ValidationError(
                    {
                        name: [f"This list has no parameter {name!r}; it knows: {', '.join(sorted(known))}."]
                        for name in unknown[:5]
                    }
                )
        if filterset_class is not None and not set(request.query_params) & set(filterset_class.base_filters):
            return queryset  # nothing to filter by: no form to build and clean on every page
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise serializers.ValidationError(filter_errors(filterset.form))
        return filterset.qs


def filter_errors(form) -> dict[str, list[ErrorDetail]]:
    """A filter form's errors with their codes, worded as Django words them (a message is
    formatted only with its params: a value quoted in it may hold a '%', which
    django-filter's own translation would try to format, and fail on)."""
    return {
        name: [ErrorDetail(message, code=error.code or "invalid") for error in errors for message in error]
        for name, errors in form.errors.as_data().items()
    }


@extend_schema_field(
    {"oneOf": [{"type": "integer", "minimum": 1, "maximum": MAX_ID}, {"type": "string", "maxLength": 300}]}
)
class SourceRefFilter(filters.CharFilter):
    """A source by its id or by its name or an alias ("3", "RIA Novosti", "RIA")."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_length", 300)
        super().__init__(*args, **kwargs)


class _YesNoField(forms.ChoiceField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs["choices"] = [("true", "true"), ("false", "false")]
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in ("", None):
            return None
        if value not in ("true", "false"):
            raise ValidationError(f"{value!r} is neither true nor false.", code="invalid_choice")
        return value == "true"

    def valid_value(self, value) -> bool:
        return value in (True, False)


@extend_schema_field({"type": "boolean"})
class YesNoFilter(filters.Filter):
    """true or false, and nothing else: "maybe" is a 400, not an unfiltered list."""

    field_class = _YesNoField
