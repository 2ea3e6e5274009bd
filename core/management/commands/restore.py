"""Restore a backup made by ``manage.py backup`` into an empty database.

    createdb factcheck_restored
    DATABASE_URL=postgres://owner@host/factcheck_restored manage.py restore /backups/factcheck.dump
    DATABASE_URL=postgres://owner@host/factcheck_restored manage.py migrate   # if the code is newer

Only an empty database is accepted: restoring over records would lose them, so there
is no option to force it. The restore runs in one transaction: it completes, or
leaves the database as empty as it found it.

The history is restored as it was, not re-recorded: pg_restore loads the data before
it creates the triggers (they are in the archive's post-data section), so loading
rows writes no history events of its own.
"""

from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from core import backups

# Relations in the user's schemas that do not belong to an extension: any means the
# database holds something a restore could collide with or overwrite.
_OUR_RELATIONS_SQL = """
SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'e')
ORDER BY c.relkind <> 'r', 1
"""


class Command(BaseCommand):
    help = (
        "Restore a backup made by manage.py backup into the configured database, which must be empty "
        "(create it with createdb). The role restoring needs to be able to create the pg_trgm extension: "
        "a superuser, or (pg_trgm being a trusted extension) a role with CREATE on the database, ideally "
        "its owner. pg_restore must be as new as the server and as the pg_dump that wrote the file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A backup written by manage.py backup.")

    def handle(self, *args, file: str, verbosity: int, **options) -> None:
        path = Path(file).expanduser().absolute()
        if not path.is_file():
            raise CommandError(f"There is no backup at {path}.")
        archive = backups.read_archive(path)
        major, server = backups.server_version(DEFAULT_DB_ALIAS)
        need = max(major, archive.dumped_by)
        pg_restore = backups.choose(
            "pg_restore",
            need,
            f"the server is PostgreSQL {server}, the backup was written by pg_dump {archive.dumped_by}",
        )
        name = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
        self._refuse_unless_empty(name)

        if verbosity >= 2:
            self.stderr.write(f"Restoring {path} into {name} with {pg_restore.path} ({pg_restore.version})")
        conninfo, env = backups.client_args(DEFAULT_DB_ALIAS)
        flags = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", f"--dbname={conninfo}"]
        result = backups.run(pg_restore, [*flags, *(["--verbose"] if verbosity >= 3 else []), str(path)], env)
        if verbosity >= 3:
            self.stderr.write(result.stderr, ending="")
        if result.returncode != 0:
            what = f"pg_restore failed; {name} was left as it was (empty)"
            if archive.dumped_by > major:
                # What pg_dump writes loads into its own version or newer, not older.
                what += f" (a backup written by pg_dump {archive.dumped_by} may not load into PostgreSQL {major})"
            raise backups.failure(what, result)

        counts = self._counts()
        self.stdout.write(
            f"Restored {path} (from PostgreSQL {archive.dumped_from}) into {name}: {archive.tables} tables, "
            f"{counts['claims']} claims, {counts['sources']} sources, {counts['events']} history events."
        )

    def _refuse_unless_empty(self, name: str) -> None:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(_OUR_RELATIONS_SQL)
            found = [row[0] for row in cursor.fetchall()]
        if found:
            shown = ", ".join(found[:3]) + (", ..." if len(found) > 3 else "")
            raise CommandError(
                f"The database {name} is not empty ({len(found)} tables and other relations: {shown}). "
                "Restore only into an empty database (createdb a new one): restoring over data would lose it."
            )

    def _counts(self) -> dict[str, int]:
        # Models are looked up by name: this command lives in core, below the apps it counts.
        claim, source = apps.get_model("claims", "Claim"), apps.get_model("sources", "Source")
        events = [m for m in apps.get_models() if getattr(m, "pgh_tracked_model", None) is not None]
        return {
            "claims": claim.objects.count(),
            "sources": source.objects.count(),
            "events": sum(m.objects.count() for m in events),
        }
