from __future__ import annotations

from django.core.validators import MaxLengthValidator
from django.db import models
from rest_framework import serializers


class BoundedTextField(models.TextField):
    """A TextField whose ``max_length`` is enforced by ``full_clean()`` and API
    serializers, not only by admin widgets (plain TextField ignores it there)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))


class BoundedListField(serializers.ListField):
    """A list whose ``max_length`` is checked before its items are read: DRF checks it
    after validating every item, so a list of a million names would be read first."""

    def to_internal_value(self, data):
        if isinstance(data, list) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)
