#!/usr/bin/env python
"""The HTTP benchmark, the app beside its floor (see corpus/bench.py):

    .venv/bin/python scripts/bench.py [--claims 100000] [--seconds 5] [--clients 2] [--json PATH]

Prints the table in Markdown and writes the figures as JSON (by default
test-artifacts/bench-<claims>.json).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=100_000, help="corpus size (default 100,000)")
    parser.add_argument("--seconds", type=float, default=5, help="load per endpoint, ours and the floor's each")
    parser.add_argument("--clients", type=int, default=2, help="concurrent clients (default 2, one per worker)")
    parser.add_argument("--json", type=Path, help="where to write the figures")
    args = parser.parse_args()

    import os

    if not os.environ.get("DATABASE_URL"):
        # As make run does: the embedded PostgreSQL, started if it is not running.
        from factcheck.embedded_db import embedded_database_url

        os.environ["DATABASE_URL"] = embedded_database_url(ROOT / ".pgdata")
    from corpus.bench import run, table

    path = args.json or ROOT / "test-artifacts" / f"bench-{args.claims}.json"
    report = run(claims=args.claims, seconds=args.seconds, clients=args.clients, json_path=path)
    m = report["machine"]
    print(
        f"\n{report['claims']:,} claims ({report['corpus']}); gunicorn, 2 sync workers; {report['clients']} clients, "
        f"{report['seconds']:g} s an endpoint each; {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB; "
        f"PostgreSQL {m['postgresql']}; Python {m['python']}; Django {m['django']}\n"
    )
    print(table(report))
    peak = max(worker["peak_mib"] for worker in report["worker_memory"])
    print(
        "\ngunicorn workers' resident memory at the end (peak): "
        + ", ".join(f"{w['rss_mib']:g} MiB ({w['peak_mib']:g})" for w in report["worker_memory"])
        + f"; the most {peak:g} MiB"
    )
    print(f"\nJSON: {path}")


if __name__ == "__main__":
    main()
