"""Give the role the app runs as exactly what it needs, and no more.

    DATABASE_URL=postgres://owner@host/db manage.py migrate
    DATABASE_URL=postgres://owner@host/db manage.py grant_app_role factcheck_app
    DATABASE_URL=postgres://factcheck_app@host/db gunicorn ...

Run it as the role that owns the tables (the one that migrates), after every
migration. The app's role may read and write records, append to the history
and add to a change's context while its transaction lasts; it owns nothing, so it
cannot ALTER a table, disable a trigger or TRUNCATE, and it may not UPDATE or DELETE
history events, nor skip a trigger with ``pgtrigger.ignore`` (see core.history).

It may not create anything either: a temporary table named like an event table
would take the history triggers' writes in its session (they name their tables
without a schema), and one in ``public`` could stand in for ours. So TEMPORARY on
the database and CREATE on ``public`` are taken from PUBLIC (every role), not only
from the app's role: grant them back by name to any other role that needs them.
The command checks each of these before it says the role is ready.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from core.history import keep_skipping_to_the_owner, skipping_is_the_owners
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
            # pgtrigger puts its own back whenever it installs a trigger (see core.history).
            if keep_skipping_to_the_owner():
                self.stdout.write("Put back the trigger guard pgtrigger had replaced: only the owner skips triggers.")
            self.verify(cursor, role, database)
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
            f"GRANT CONNECT ON DATABASE {database} TO {role}",
            # Nothing of its own: no temporary tables, nothing in public (see above).
            f"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC, {role}",
            f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role}",
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

    def verify(self, cursor, role: str, database: str) -> None:
        """Refuse to call the role ready while it could get round the history."""
        cursor.execute(
            "SELECT has_database_privilege(%(role)s, %(db)s, 'TEMPORARY'), "
            "has_database_privilege(%(role)s, %(db)s, 'CREATE'), has_schema_privilege(%(role)s, 'public', 'CREATE')",
            {"role": role, "db": database},
        )
        temporary, create, create_public = cursor.fetchone()
        problems = [
            *(["it may create temporary tables"] if temporary else []),
            *(["it may create schemas"] if create else []),
            *(["it may create objects in the schema public"] if create_public else []),
            *(
                ["any role may skip a trigger: the migrations are not all applied (manage.py migrate)"]
                if skipping_is_the_owners() is not True
                else []
            ),
        ]
        if problems:
            raise CommandError(
                f"{role} could change records without their history: {'; '.join(problems)}. "
                "Run this command as the owner of the database (the role that migrates); a privilege "
                "held through another role of which it is a member must be revoked there."
            )
