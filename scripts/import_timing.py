#!/usr/bin/env python
"""How long importing an article takes against a generated corpus (issue 10's target:
a 1,500-word article under 1 s at 1,000,000 claims):

    .venv/bin/python scripts/import_timing.py [--claims 1000000] [--runs 3]

Uses the benchmark's database ``factcheck_bench_<claims>`` (``make bench`` builds it) on
the server of DATABASE_URL; the article is the annotated cases of ingestion/cases joined
until it has 1,500 words, a third of its sentences recorded as claims first (so that
matching finds them). Each run is rolled back: the database is left as it was.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL to the server holding the benchmark's database.")
    from corpus.bench import database_url, environment

    os.environ.update(environment(database_url(args.claims)))
    import django

    django.setup()
    import yaml
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from claims.models import Claim
    from ingestion.extraction import propose
    from ingestion.services import document_import

    call_command("migrate", "--no-input", verbosity=0)
    bodies = [
        yaml.safe_load(path.read_text())["body"] for path in sorted((ROOT / "ingestion" / "cases").glob("*.yaml"))
    ]
    # The cases in order, as many as make 1,500 words.
    article = ""
    for body in bodies:
        if len(article.split()) >= 1500:
            break
        article += "\n\n" + body
    # A third of its sentences are claims recorded already, so that matching finds some.
    recorded = [proposed.claim_text for proposed in propose(article)[::3]]
    print(f"{len(article.split()):,} words against {args.claims:,} claims, {len(recorded)} of them its own")
    for run in range(args.runs):
        try:
            with transaction.atomic():
                Claim.objects.bulk_create([Claim(text=text, language="en") for text in recorded])
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    imported = document_import(text=f"{article}\n\nRun {run} of the import timing.")
                    took = time.perf_counter() - started
                matched = sum(bool(proposal.matches) for proposal in imported.proposals)
                print(
                    f"run {run}: {took * 1000:,.0f} ms, {len(imported.proposals)} proposals ({matched} with matches), "
                    f"{len(queries)} queries"
                )
                raise Rollback
        except Rollback:
            pass


if __name__ == "__main__":
    main()
