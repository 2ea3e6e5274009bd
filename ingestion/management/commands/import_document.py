"""``manage.py import_document (FILE | --fetch URL) [--url U] [--title T] [--publisher ID]
[--published-at ISO] [--language L]``: import an article (a saved page ``.html``/``.htm``,
else text; or the page at URL, fetched where INGESTION_FETCH_URLS allows it) and list its
proposals; importing it again changes nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ingestion.services import document_import
from sources.models import Source


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        article = parser.add_mutually_exclusive_group(required=True)
        article.add_argument("file", nargs="?", type=Path)
        article.add_argument("--fetch", metavar="URL", help="fetch the page at URL (it becomes the document's url)")
        parser.add_argument("--url", default="")
        parser.add_argument("--title", default="")
        parser.add_argument("--publisher", type=int, help="the publishing source's id")
        parser.add_argument("--published-at", help="when it was published (ISO 8601)")
        parser.add_argument("--language", default="en")

    def handle(
        self, *args, file: Path | None, fetch: str | None, publisher: int | None, published_at: str | None, **options
    ) -> None:
        if fetch and options["url"]:
            raise CommandError("--fetch URL is the document's url already; leave out --url.")
        article = {}
        if file is not None:
            try:
                content = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"Cannot read {file}: {error}") from None
            article = {"html" if file.suffix.lower() in (".html", ".htm") else "text": content}
        source = None
        if publisher is not None:
            source = Source.objects.filter(pk=publisher).first()
            if source is None:
                raise CommandError(f"No source has the id {publisher}.")
        moment = None
        if published_at:
            try:
                moment = datetime.fromisoformat(published_at)
            except ValueError:
                raise CommandError(f"--published-at: {published_at!r} is not an ISO 8601 date or time.") from None
            moment = moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        try:
            imported = document_import(
                **article,
                url=fetch or options["url"],
                title=options["title"],
                publisher=source,
                published_at=moment,
                language=options["language"],
            )
        except ValidationError as error:
            raise CommandError(_said(error)) from None
        document = imported.document
        said = "Imported" if imported.created else "Already imported, unchanged:"
        self.stdout.write(f"{said} document {document.pk} ({document.title}), {len(imported.proposals)} proposals.")
        for proposal in imported.proposals:
            chain = " > ".join(hop["mention"] or "(publisher)" for hop in proposal.hops)
            self.stdout.write(f"  {proposal.pk}: {proposal.claim_text}  [{chain}]")


def _said(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return " ".join(error.messages)
