"""Query-string filters every app's lists share."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema_field

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
