"""Query-string filters every app's lists share."""

from __future__ import annotations

import django_filters as filters
from django import forms
from drf_spectacular.utils import extend_schema_field

from core.validators import MAX_ID, in_utc, validate_moment


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
