"""Load the seed data: ``manage.py load_seeds [--dir seeds] [--update]``."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.seeding import SeedError, load_seed_dir


class Command(BaseCommand):
    help = (
        "Load every seeds/*.yaml (a document, its sources, claims and attribution chains) through the services. "
        "Idempotent: rows already there are found again and left alone when nothing differs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dir",
            type=Path,
            default=Path(settings.BASE_DIR) / "seeds",
            help="Folder of seed files (default: the checkout's seeds/).",
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="Apply the files' values to sources, topics and documents that differ from them, and to claims "
            "that only the seeds wrote: a claim an editor changed since is left alone, and so are a published "
            "claim's verdict and a rating the file would blank. Each change is reported. Chains are only ever "
            "added to.",
        )

    def handle(self, *args, dir: Path, update: bool, **options) -> None:
        try:
            report = load_seed_dir(dir, update=update)
        except SeedError as exc:
            raise CommandError(f"Seed data not loaded (nothing was written):\n{exc}") from None
        self.stdout.write(f"Loaded {', '.join(report.files)} from {dir}")
        for line in report.lines():
            self.stdout.write(f"  {line}")
        for note in report.notes:
            self.stdout.write(self.style.WARNING(f"  {note}"))
        if report.notes and not update:
            self.stdout.write("  Run with --update to apply the seed values to rows kept as edited (see --help).")
