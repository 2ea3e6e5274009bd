"""Give the role the app runs as exactly what it needs, and no more.

    DATABASE_URL=postgres://owner@host/db manage.py migrate
    DATABASE_URL=postgres://owner@host/db manage.py grant_app_role factcheck_app
    DATABASE_URL=postgres://factcheck_app@host/db gunicorn ...

Run it as the role that owns the tables (the one that migrates), after every
migration. The app's role may read and write records, append to the history
and add to a change's context; it owns nothing, so it cannot ALTER a table,
disable a trigger or TRUNCATE, and it may not UPDATE or DELETE history events.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from core.validators import is_identifier


class Command(BaseCommand):
    help = "Grant a login role the least privileges the app needs (run as the owner, after migrating)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="The role the app connects as (it must exist; see --create).")
        parser.add_argument("--create", action="store_true", help="Create the role (LOGIN, owning nothing).")
        parser.add_argument("--password", default="", help="With --create: its password.")

    def handle(self, *args, role: str, create: bool, password: str, **options) -> None:
        if not is_identifier(role):
            raise CommandError(f"{role!r} is not a plain role name (letters, digits and underscores).")
        quote = connection.ops.quote_name
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database()")
            owner, database = cursor.fetchone()
            if role == owner:
                raise CommandError("The app's role must not be the owner that migrates; name another role.")
            if create:
                cursor.execute(
                    f"CREATE ROLE {quote(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD %s",
                    [password or None],
                )
            for statement in self.statements(role, database):
                cursor.execute(statement)
        self.stdout.write(f"{role} may now use {database}; it owns nothing and cannot rewrite the history.")

    def statements(self, role: str, database: str) -> list[str]:
        quote = connection.ops.quote_name
        role, database = quote(role), quote(database)
        tables = connection.introspection.table_names()
        events = {m._meta.db_table for m in apps.get_models() if getattr(m, "pgh_tracked_model", None) is not None}
        history = events | {"pghistory_context"}
        records = [t for t in tables if t not in history and t != "django_migrations"]
        listed = lambda names: ", ".join(quote(n) for n in sorted(names))  # noqa: E731
        return [
            f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {role}",
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {listed(records)} TO {role}",
            # History: read and append. The context row may grow (its trigger refuses the rest).
            f"GRANT SELECT, INSERT ON {listed(history)} TO {role}",
            f"GRANT UPDATE ON pghistory_context TO {role}",
            f"GRANT SELECT ON django_migrations TO {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
            f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}",
        ]
