"""Store every claim's trace summary again (``claims.models.TraceSummary``), or check them.

The services keep the summaries up to date as graphs change, in the same transaction.
This command fills them for claims whose graphs were there before the table (migration
0011 runs it), or were written around the services (a bulk load by SQL, as
``scripts/benchmark.py`` does), and checks them: ``--check`` compares each stored
summary with the trace judged now, writes nothing, and fails when any differ.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from claims import provenance
from claims.models import Claim, TraceSummary
from claims.services import SUMMARY_BATCH, trace_summaries_refresh

# Progress is said at most this often (seconds), and once at the end.
PROGRESS_EVERY = 5.0


def _batches(size: int, claims=None) -> Iterator[list[int]]:
    """Claim ids in id order, ``size`` at a time, read by key: no offset, no count."""
    claims = Claim.objects.all() if claims is None else claims
    last = 0
    while True:
        batch = list(claims.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not batch:
            return
        yield batch
        last = batch[-1]


def refresh_all(*, batch: int = SUMMARY_BATCH, say: Callable[[str], None] = lambda line: None) -> int:
    """Every claim's summary stored again, a batch per transaction (a savepoint inside the
    caller's, as in a migration). Returns how many claims."""
    started = last_said = time.monotonic()
    done = 0
    total = Claim.objects.count()
    for ids in _batches(batch):
        with transaction.atomic():
            done += trace_summaries_refresh(claim_ids=ids)
        now = time.monotonic()
        if now - last_said >= PROGRESS_EVERY:
            say(f"{done:,} of {total:,} claims ({done / max(total, 1):.0%}), {done / (now - started):,.0f} a second")
            last_said = now
    say(f"{done:,} claims' trace summaries stored in {time.monotonic() - started:.1f} s.")
    return done


def differences(*, batch: int = SUMMARY_BATCH) -> Iterator[tuple[int, dict | None, dict]]:
    """(claim id, stored, judged now) for each claim whose stored summary is not its trace's
    (stored None: no row, for a claim with a graph)."""
    for ids in _batches(batch):
        stored = {s.claim_id: s for s in TraceSummary.objects.filter(claim_id__in=ids)}
        for claim_id, summary in provenance.summaries(ids).items():
            judged = asdict(summary)
            row = stored.get(claim_id)
            if row is None:
                if judged != asdict(provenance.Summary([], 0, [], 0, True)):
                    yield claim_id, None, judged
                continue
            kept = {name: getattr(row, name) for name in judged}
            if kept != judged:
                yield claim_id, kept, judged


class Command(BaseCommand):
    help = (
        "Store every claim's trace summary (origins, independent origins, flags, chains) again, a batch at a "
        "time, with progress; or, with --check, compare them with the traces and fail when any differ."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=SUMMARY_BATCH, help="Claims a transaction.")
        parser.add_argument("--check", action="store_true", help="Write nothing; list the summaries that differ.")

    def handle(self, *args, batch: int, check: bool, **options) -> None:
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        if not check:
            refresh_all(batch=batch, say=self.stdout.write)
            return
        found = 0
        for claim_id, stored, judged in differences(batch=batch):
            found += 1
            if found <= 20:
                self.stdout.write(f"claim {claim_id}: stored {stored}, judged now {judged}")
        if found:
            raise CommandError(f"{found:,} trace summaries differ from their traces; run without --check to fix.")
        self.stdout.write("Every trace summary matches its trace.")
