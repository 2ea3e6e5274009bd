"""Write claims with their traces as JSON Lines or CSV, streaming, a chunk of claims at a time."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandParser

from claims.interop.export import CLAIM_FIELDS, CSV_COLUMNS, claim_record, csv_row
from claims.models import Claim, ClaimStatus
from claims.provenance import traces_for
from core.access import EVERYTHING, PUBLIC

CHUNK_SIZE = 500


def _chunks(items: Iterable[Claim], size: int) -> Iterator[list[Claim]]:
    chunk: list[Claim] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Raw:
    """Writes through a command's stdout wrapper without its added line endings."""

    def __init__(self, wrapper) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, ending="")


class Command(BaseCommand):
    help = (
        "Write claims (published ones by default) with their attribution traces as JSON Lines or CSV. "
        "Streams: memory use does not grow with the number of claims. Progress goes to stderr."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")
        parser.add_argument(
            "--status", choices=ClaimStatus.values, default=ClaimStatus.PUBLISHED, help="Claims in this status."
        )
        parser.add_argument(
            "--include-confidential",
            action="store_true",
            help="Name confidential sources and show the evidence of their hops. Without it the export is "
            "what the public may see: confidential sources appear as placeholders.",
        )

    def handle(
        self, *args: Any, format: str, output: str | None, status: str, include_confidential: bool, **options: Any
    ) -> None:
        self.viewer = EVERYTHING if include_confidential else PUBLIC
        claims = Claim.objects.filter(status=status).only(*CLAIM_FIELDS).order_by("id")
        total = claims.count()
        if output:
            with open(output, "w", encoding="utf-8", newline="") as stream:
                written = self._write(claims, total, format, stream)
        else:
            try:
                written = self._write(claims, total, format, _Raw(self.stdout))
            except BrokenPipeError:
                # The reader went away (``export | head``): stop quietly, as Unix tools
                # do; pointing stdout at devnull keeps the flush at exit from failing.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return
        self._progress(written, total, done=True)

    def _write(self, claims, total: int, format: str, stream: IO[str] | _Raw) -> int:
        writer = csv.writer(stream) if format == "csv" else None
        if writer is not None:
            writer.writerow(CSV_COLUMNS)
        step = max(1, min(1000, total // 20))
        written = 0
        # A server-side cursor: claims arrive in chunks, each chunk is traced in one
        # query and written before the next is read, so nothing accumulates.
        for chunk in _chunks(claims.iterator(chunk_size=CHUNK_SIZE), CHUNK_SIZE):
            chunk_traces = traces_for([claim.pk for claim in chunk], self.viewer)
            for claim in chunk:
                record = claim_record(claim, chunk_traces[claim.pk])
                if writer is not None:
                    writer.writerow(csv_row(record))
                else:
                    stream.write(json.dumps(record, ensure_ascii=False) + "\n")
                written += 1
                if written % step == 0 and written < total:
                    self._progress(written, total)
        return written

    def _progress(self, written: int, total: int, *, done: bool = False) -> None:
        if self.stderr.isatty():
            width = 30
            filled = width * written // total if total else width
            bar = "#" * filled + "-" * (width - filled)
            self.stderr.write(f"\r[{bar}] {written}/{total} claims", ending="\n" if done else "")
            self.stderr.flush()
        else:
            self.stderr.write(f"exported {written}/{total} claims")
