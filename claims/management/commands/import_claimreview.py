"""Import ClaimReview JSON-LD files or HTML pages carrying ClaimReview markup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.interop.claimreview_import import MAX_IMPORT_BYTES, claimreview_import


class Command(BaseCommand):
    help = (
        "Import ClaimReview JSON-LD (a .json/.jsonld file or an HTML page with "
        '<script type="application/ld+json"> markup) into claims, ratings and appearances. '
        "Each file is imported all or nothing; importing the same review again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="FILE_OR_HTML")

    def handle(self, *args: Any, paths: list[str], **options: Any) -> None:
        failed = 0
        for name in paths:
            path = Path(name)
            try:
                if path.stat().st_size > MAX_IMPORT_BYTES:
                    raise ValidationError(f"The file is larger than the limit of {MAX_IMPORT_BYTES} bytes.")
                results = claimreview_import(path.read_bytes())
            except OSError as exc:
                failed += 1
                self.stderr.write(f"{name}: cannot read: {exc.strerror or exc}")
                continue
            except ValidationError as exc:
                failed += 1
                for message in _messages(exc):
                    self.stderr.write(f"{name}: {message}")
                continue
            for result in results:
                detail = f": {', '.join(result.changes)}" if result.changes else ""
                self.stdout.write(f"{name}: {result.action} claim {result.claim.pk} ({result.claim}){detail}")
        if failed:
            raise CommandError(f"{failed} of {len(paths)} file(s) could not be imported.")


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}: {message}" for field, messages in exc.message_dict.items() for message in messages]
    return exc.messages
