"""``manage.py evaluate_extraction [CASE.yaml ...]``: how well the extractor reads the
annotated articles (``ingestion/cases``, or the files given), per article and overall,
against the targets; with ``--show``, each proposal beside what was annotated."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ingestion.evaluation import CASES, TARGETS, evaluate, load, proposals_of

HEADER = "| article | style | chains exact | hop precision | hop recall | sources resolved | junk proposals |"


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("cases", nargs="*", type=Path, help="annotated articles (default: ingestion/cases/*.yaml)")
        parser.add_argument("--show", action="store_true", help="list each proposal with its resolved chain")

    def handle(self, *args, cases: list[Path], show: bool, **options) -> None:
        paths = cases or sorted(CASES.glob("*.yaml"))
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise CommandError(f"No such case: {', '.join(missing)}")
        if not paths:
            raise CommandError(f"No cases in {CASES}.")
        scores, total = evaluate(paths)
        self.stdout.write(HEADER)
        self.stdout.write("|---|---|---|---|---|---|---|")
        for score in [*scores, total]:
            self.stdout.write(
                f"| {score.name} | {score.style} | {score.chains_found}/{score.chains} ({score.chain_recall:.0%}) "
                f"| {score.hop_precision:.0%} | {score.hop_recall:.0%} "
                f"| {score.mentions_resolved}/{score.mentions} ({score.resolution:.0%}) | {score.junk} |"
            )
        missed = [
            name
            for name, (value, target) in {
                "chain recall": (total.chain_recall, TARGETS["chain_recall"]),
                "hop precision": (total.hop_precision, TARGETS["hop_precision"]),
                "source resolution": (total.resolution, TARGETS["resolution"]),
            }.items()
            if value < target
        ]
        if total.junk:
            missed.append("junk proposals")
        self.stdout.write("")
        self.stdout.write("Targets met." if not missed else f"Targets missed: {', '.join(missed)}.")
        if show:
            for path in paths:
                self.stdout.write(f"\n{path.stem}")
                for proposal, chain in proposals_of(load(path)):
                    self.stdout.write(f"  {' > '.join(chain)}  |  {proposal.claim_text}")
