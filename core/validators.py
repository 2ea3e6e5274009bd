from __future__ import annotations

import re
from datetime import UTC, datetime

from django.core.exceptions import ValidationError

# BCP-47 in the shape people actually use: language, optional script, region, variants.
_BCP47 = re.compile(r"[a-zA-Z]{2,3}(-[a-zA-Z]{4})?(-([a-zA-Z]{2}|[0-9]{3}))?(-[a-zA-Z0-9]{5,8})*")


def validate_language_tag(value: str) -> None:
    if not _BCP47.fullmatch(value or ""):
        raise ValidationError(f"{value!r} is not a BCP-47 language tag such as 'en', 'az' or 'pt-BR'.")


# The largest value a bigint id column holds; a bigger number is bad input, not a 500.
MAX_ID = 2**63 - 1
_ID = re.compile(r"[0-9]{1,19}")


def parse_id(value) -> int | None:
    """A database id from a URL or a form: ASCII digits only (``int()`` would also take
    "²" or "١٢"), in the bigint range. None when it is not one."""
    text = str(value)
    if not _ID.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


# Moments a record may carry. PostgreSQL stores years 4713 BC to 294276 AD, Python
# reads 1 to 9999 only, and a time zone can push year 1 or 9999 over either edge:
# such a value, once stored, breaks every page that reads it back.
EARLIEST = datetime(1000, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def validate_moment(value: datetime | None) -> None:
    if value is not None and not (EARLIEST <= value < LATEST):
        raise ValidationError(f"{value.isoformat()} is not a plausible date: use a year from 1000 to 8999.")


def in_utc(value: datetime) -> datetime:
    """A moment from outside (a query, an import, a seed file) as the database can take it.

    Python accepts offsets up to 24 hours and PostgreSQL only up to 15:59, so an offset is
    resolved here, once; a moment without one is read as UTC rather than guessed.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # year 1 east of UTC, or 9999 west of it
        raise ValidationError(f"{value.isoformat()} is not a plausible date: use a year from 1000 to 8999.") from None


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def is_identifier(name: str) -> bool:
    """A plain SQL identifier (a role's name, say): safe to quote into a statement."""
    return bool(_IDENTIFIER.fullmatch(name))
