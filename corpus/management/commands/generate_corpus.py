"""Fill an empty database with a synthetic corpus: ``manage.py generate_corpus --claims N [--seed S]``.

See ``corpus.generator`` for the shape. Deterministic: the same count and seed give the
same rows. Needs the role that migrates (a superuser): the rows are written with the
triggers off and their history written as the triggers would. The secondary indexes of
the tables filled are built once at the end (a stopped run's by the next run of the
command, first thing). ``-v 2`` prints the time spent in each phase.
"""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from claims.models import Claim
from corpus.generator import MAX_CLAIMS, build_deferred_indexes, generate


class Progress:
    """A progress bar on stderr: one line redrawn on a terminal, else a line each tenth."""

    WIDTH = 30

    def __init__(self, stream, *, enabled: bool) -> None:
        self.stream, self.enabled = stream, enabled
        self.tty = enabled and hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()
        self.said = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        share = done / total if total else 1.0
        rate = done / max(time.monotonic() - self.started, 1e-9)
        if self.tty:
            bar = "#" * int(share * self.WIDTH)
            self.stream.write(f"\r[{bar:<{self.WIDTH}}] {done:,}/{total:,} claims, {rate:,.0f}/s")
            if done >= total:
                self.stream.write("\n")
            self.stream.flush()
            return
        tenth = int(share * 10)
        if tenth > self.said:
            self.said = tenth
            self.stream.write(f"{share:4.0%} {done:,}/{total:,} claims, {rate:,.0f}/s\n")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "Fill an empty database with a synthetic corpus of N claims (sources, documents with bodies, "
        "appearances, attribution chains of 1 to 10 hops, ratings, statuses and history), the same for the "
        "same --seed. Needs the role that migrates. -v 2 prints the time of each phase."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--claims", type=int, required=True, help=f"How many claims (1 to {MAX_CLAIMS:,}).")
        parser.add_argument("--seed", type=int, default=0, help="Random seed (default 0).")
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, claims: int, seed: int, quiet: bool, **options) -> None:
        if not 1 <= claims <= MAX_CLAIMS:
            raise CommandError(f"--claims must be between 1 and {MAX_CLAIMS:,}, not {claims:,}.")
        talk = not quiet and options.get("verbosity", 1) > 0

        def say(line: str) -> None:
            if talk:
                sys.stderr.write(line + "\n")
                sys.stderr.flush()

        built = build_deferred_indexes(say)
        if built:
            self.stdout.write(f"{built} indexes an earlier run had dropped for its load (it was stopped) built again.")
        if Claim.objects.exists():
            raise CommandError(
                "The database already holds claims; the corpus is generated into an empty one. Start from a fresh "
                "database (createdb, then manage.py migrate) and run the command again."
            )
        progress = Progress(sys.stderr, enabled=talk)
        try:
            result = generate(claims=claims, seed=seed, progress=progress, say=say)
        except DatabaseError as exc:
            if "session_replication_role" in str(exc) or "permission denied" in str(exc):
                raise CommandError(
                    "Generating a corpus needs the role that migrates (a superuser): it writes with the "
                    f"triggers off. The database said: {exc}"
                ) from None
            raise
        if options.get("verbosity", 1) > 0:
            self.stdout.write(
                f"{result.claims:,} claims and {result.sources:,} sources generated (seed {seed}) in "
                f"{result.seconds:.1f} s: {result.claims / max(result.seconds, 1e-9):,.0f} claims a second."
            )
        if options.get("verbosity", 1) > 1:
            for phase, seconds in sorted(result.phases.items(), key=lambda item: -item[1]):
                self.stdout.write(f"  {phase:<28} {seconds:8.1f} s  {seconds / max(result.seconds, 1e-9):4.0%}")
