from __future__ import annotations

from django.core.validators import MaxLengthValidator
from django.db import models


class BoundedTextField(models.TextField):
    """A TextField whose ``max_length`` is enforced by ``full_clean()`` and API
    serializers, not only by admin widgets (plain TextField ignores it there)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))
