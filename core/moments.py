"""Every moment reaches PostgreSQL in UTC.

Python accepts time zone offsets up to 24 hours, PostgreSQL only up to 15:59, and
psycopg sends a moment with the offset it came with. A filter, an admin lookup or an
import carrying ``-21:03`` would otherwise be a database error (a 500 in the admin).
Resolving the offset where values are turned into SQL covers every path at once.
"""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
from psycopg.types.datetime import DatetimeDumper


class UtcDatetimeDumper(DatetimeDumper):
    def dump(self, obj: datetime):
        try:
            obj = obj.astimezone(UTC)
        except OverflowError:  # year 1 east of UTC: its own offset is all there is to send
            pass
        return super().dump(obj)


def register() -> None:
    # The global map: Django copies it into each connection's adapters when it connects.
    psycopg.adapters.register_dumper(datetime, UtcDatetimeDumper)
