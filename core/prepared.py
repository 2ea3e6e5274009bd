"""Queries the database plans once per connection: for a read whose planning costs more
than running it (the trace's graph query plans in ~5 ms and runs in ~2 ms on a claim's
graph), a named prepared statement (psycopg binds the parameters on the server and
prepares the statement on its first run), kept for the life of the connection.

Everything else stays as Django runs it: client-side binding, no prepared statements
(which keeps it working behind a transaction-mode pooler; see docs/SCALING.md). The
query goes through Django's cursor wrapper, so it is logged and counted like any other.
"""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.base import ServerBindingCursor


class _PreparedCursor(ServerBindingCursor):
    def execute(self, query, params=None, **kwargs):
        return super().execute(query, params, prepare=True)


def fetchone_prepared(sql: str, params: dict[str, Any], using: str = DEFAULT_DB_ALIAS) -> tuple:
    """The first row of ``sql`` run as a prepared statement on ``using``'s connection."""
    connection = connections[using]
    if connection.execute_wrappers:
        # A wrapper may add to the statement (pghistory puts its context's set_config
        # before each one in a write's request), and two commands cannot be prepared:
        # run it as any other query.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's preparing off (None); any number turns it on for the
        # cursors that bind on the server, which are this module's only: Django's own
        # cursors bind on the client and never prepare. So high that only ours do.
        raw.prepare_threshold = 2**31 - 1
    cursor = _PreparedCursor(raw)
    wrapped = connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)
    with wrapped:
        wrapped.execute(sql, params)
        return wrapped.fetchone()
