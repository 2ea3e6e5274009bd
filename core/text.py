"""Text PostgreSQL cannot store, refused before it reaches the database.

A NUL character or half of a UTF-16 surrogate pair (``"\\ud800"``, which JSON can
spell) makes PostgreSQL fail the whole statement. Every way in (JSON bodies,
query strings, imported files) checks for them and answers with a 400 that says
where the character was.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError

_UNSTORABLE = re.compile("[\\x00\\ud800-\\udfff]")


def unstorable(text: str) -> str | None:
    """A description of the first character in ``text`` PostgreSQL cannot store, or None."""
    match = _UNSTORABLE.search(text)
    if match is None:
        return None
    char = match.group()
    what = "a NUL character" if char == "\x00" else f"a lone surrogate (U+{ord(char):04X})"
    return f"{what} at position {match.start()}"


def check_storable(value: Any, *, where: str = "") -> None:
    """Raise a ValidationError if any text in ``value`` (nested lists and dicts, keys
    included) could not be stored, keyed by where it is (``hops[0].quote``)."""
    if isinstance(value, str):
        problem = unstorable(value)
        if problem:
            raise ValidationError(
                {where or "non_field_errors": [f"The text contains {problem}, which cannot be stored."]}
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            check_storable(key, where=where)
            check_storable(item, where=f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_storable(item, where=f"{where}[{i}]")
