from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# BCP-47 in the shape people actually use: language, optional script, region, variants.
_BCP47 = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-([a-zA-Z]{2}|[0-9]{3}))?(-[a-zA-Z0-9]{5,8})*$")


def validate_language_tag(value: str) -> None:
    if not _BCP47.match(value or ""):
        raise ValidationError(f"{value!r} is not a BCP-47 language tag such as 'en', 'az' or 'pt-BR'.")
