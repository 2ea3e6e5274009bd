#!/usr/bin/env python
"""Speed and memory of the main endpoints on a synthetic database.

    .venv/bin/python scripts/benchmark.py [--claims 100000] [--runs 30]
    .venv/bin/python scripts/benchmark.py --seeds

Builds (once, and reuses) the database ``factcheck_bench`` on the server of
DATABASE_URL (or on the embedded server when it is unset), with the given
number of claims, a quarter as many sources, a fifth as many documents, a
three-hop chain per claim (publisher, one of 50 agencies, one of 1,000
origins) and a ten-hop chain on every hundredth claim. Then times each
endpoint in-process with Django's test client (no network in the figures)
and counts its queries, and measures the memory of a streaming export.

With --seeds it measures the seed article instead (database
``factcheck_bench_seeds``): the troops claim's trace and history, what relies
on RIA Novosti, and the search for Ganja.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "factcheck_bench"
SEEDS_DB = "factcheck_bench_seeds"


def bench_database_url(name: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        from factcheck.embedded_db import embedded_database_url

        url = embedded_database_url(ROOT / ".pgdata")
    parts = urlsplit(url)
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE {name}")
    return urlunsplit(parts._replace(path="/" + name))


def populate(claims: int) -> None:
    from django.db import connection, transaction

    sources = max(claims // 4, 2000)
    documents = max(claims // 5, 100)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_claim")
        have = cursor.fetchone()[0]
        if have >= claims:
            print(f"database {BENCH_DB} already holds {have} claims")
            return
        if have:
            sys.exit(f"{BENCH_DB} holds {have} claims, fewer than asked; drop it and run again")
        started = time.perf_counter()
        print(f"building {claims} claims, {sources} sources, {documents} documents ...", flush=True)
        cursor.execute(
            """
            INSERT INTO sources_source (name, kind, description, aliases, country, url, wikidata_qid,
                                        reliability, created_at, updated_at)
            SELECT 'Bench source ' || g,
                   CASE WHEN g <= 50 THEN 'news_agency' WHEN g <= 1050 THEN 'government' ELSE 'outlet' END,
                   '', ARRAY['alias ' || g], '', '', '', '', now(), now()
            FROM generate_series(1, %s) g
            """,
            [sources],
        )
        cursor.execute(
            """
            INSERT INTO sources_document (title, kind, url, language, body, content_hash, archive_url,
                                          created_at, updated_at, published_at)
            SELECT 'Bench document ' || g, 'article', 'https://bench.example.org/' || g, 'en', '', '', '',
                   now(), now(), timestamp '2021-01-01' + g * interval '1 minute'
            FROM generate_series(1, %s) g
            """,
            [documents],
        )
        cursor.execute("SELECT min(id) FROM sources_source")
        base = cursor.fetchone()[0] - 1
        cursor.execute("SELECT min(id) FROM sources_document")
        doc_base = cursor.fetchone()[0] - 1
        batch = 20_000
        for lo in range(1, claims + 1, batch):
            hi = min(lo + batch - 1, claims)
            cursor.execute(
                """
                INSERT INTO claims_claim (text, status, rating, rating_explanation, event_start,
                    event_approximate, language, published_at, created_at, updated_at)
                SELECT 'Bench claim ' || g || ': ' ||
                       (ARRAY['troops','drones','tanks','warplanes','helicopters','commandos','exercises'])[1 + g %% 7]
                       || ' seen near ' || (ARRAY['Ganja','Baku','Shusha','Ankara','Izmir'])[1 + g %% 5],
                       CASE WHEN g %% 10 = 0 THEN 'draft' ELSE 'published' END,
                       (ARRAY['false','mostly_false','mixed','mostly_true','true'])[1 + g %% 5], '',
                       date '2019-01-01' + (g %% 1500), false, 'en', now(), now(), now()
                FROM generate_series(%(lo)s, %(hi)s) g
                """,
                {"lo": lo, "hi": hi},
            )
            cursor.execute("SELECT max(id) FROM claims_claim")
            last_id = cursor.fetchone()[0]
            params = {
                "base": base,
                "sources": sources,
                "first": last_id - (hi - lo),
                "last": last_id,
                "doc_base": doc_base,
                "documents": documents,
            }
            with transaction.atomic():
                cursor.execute(
                    """
                        CREATE TEMP TABLE bench_chains ON COMMIT DROP AS
                        SELECT c.id AS claim_id,
                        CASE WHEN c.id %% 100 = 0 THEN
                        ARRAY[x.pub, x.agency]
                        || ARRAY(SELECT %(base)s + 51 + ((c.id + k * 97) %% 1000) FROM generate_series(1, 8) k)
                        || ARRAY[x.origin]
                        ELSE ARRAY[x.pub, x.agency, x.origin] END AS srcs
                        FROM claims_claim c,
                        LATERAL (SELECT %(base)s + 1051 + (c.id %% (%(sources)s - 1050)) AS pub,
                        %(base)s + 1 + (c.id %% 50) AS agency,
                        %(base)s + 51 + (c.id %% 1000) AS origin) x
                        WHERE c.id BETWEEN %(first)s AND %(last)s
                    """,
                    params,
                )
                cursor.execute(
                    """
                        INSERT INTO claims_statement (claim_id, source_id, created_at)
                        SELECT claim_id, sid, now() FROM bench_chains, unnest(srcs) sid
                    """,
                    params,
                )
                cursor.execute(
                    """
                        INSERT INTO claims_attribution (claim_id, statement_id, upstream_id, relation, quote,
                        verified, created_at)
                        SELECT ch.claim_id, s1.id, s2.id, 'citing', '', pos %% 3 = 0, now()
                        FROM bench_chains ch
                        CROSS JOIN LATERAL generate_subscripts(ch.srcs, 1) pos
                        JOIN claims_statement s1 ON s1.claim_id = ch.claim_id AND s1.source_id = ch.srcs[pos]
                        JOIN claims_statement s2 ON s2.claim_id = ch.claim_id AND s2.source_id = ch.srcs[pos + 1]
                        WHERE pos < cardinality(ch.srcs)
                    """,
                    params,
                )
                cursor.execute(
                    """
                        INSERT INTO claims_appearance (claim_id, document_id, quote, created_at)
                        SELECT c.id, %(doc_base)s + 1 + (c.id %% %(documents)s), c.text, now()
                        FROM claims_claim c
                        WHERE c.id BETWEEN %(first)s AND %(last)s
                    """,
                    params,
                )
            print(f"  claims {hi}/{claims} ({time.perf_counter() - started:.0f}s)", flush=True)
        cursor.execute("ANALYZE")
        print(f"built in {time.perf_counter() - started:.0f}s", flush=True)


def measure(client, label: str, url: str, runs: int) -> dict:
    from django.db import connection

    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "endpoint": label,
        "url": url,
        "queries": queries,
        "p50_ms": statistics.median(timings),
        "p95_ms": timings[max(0, int(len(timings) * 0.95) - 1)],
    }


def synthetic_endpoints() -> list[tuple[str, str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT min(id), max(id) FROM claims_claim")
        first, last = cursor.fetchone()
        cursor.execute("SELECT id FROM claims_claim WHERE id % 100 = 0 ORDER BY id DESC LIMIT 1")
        deep = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM sources_source WHERE name = 'Bench source 7'")
        agency = cursor.fetchone()[0]
        cursor.execute("SELECT id FROM sources_source WHERE name = 'Bench source 507'")
        origin = cursor.fetchone()[0]
    middle = (first + last) // 2 + 1
    if middle % 100 == 0:
        middle += 1
    return [
        ("claims list", "/api/v1/claims/"),
        ("claims list, filtered", "/api/v1/claims/?status=published&rating=false"),
        ("claims full-text search", "/api/v1/claims/?search=Ganja%20drones"),
        ("claims by source in chain", f"/api/v1/claims/?source={agency}"),
        ("claims by origin", f"/api/v1/claims/?origin={origin}"),
        ("sources search", "/api/v1/sources/?search=alias%20123"),
        ("claim detail", f"/api/v1/claims/{middle}/"),
        ("trace, 3 hops", f"/api/v1/claims/{middle}/trace/"),
        ("trace, 10 hops", f"/api/v1/claims/{deep}/trace/"),
        ("trace as_of", f"/api/v1/claims/{middle}/trace/?as_of=2100-01-01T00:00:00Z"),
        ("dependents of an agency", f"/api/v1/sources/{agency}/dependents/"),
        ("claim history", f"/api/v1/claims/{middle}/history/"),
        ("claimreview", f"/api/v1/claims/{middle}/claimreview/"),
        ("prov", f"/api/v1/claims/{middle}/prov/"),
    ]


def seed_endpoints() -> list[tuple[str, str]]:
    from claims.models import Claim
    from sources.models import Source

    troops = Claim.objects.get(text__startswith="Turkish troops are in Azerbaijan").pk
    ria = Source.objects.get(name="RIA Novosti").pk
    return [
        ("claims list", "/api/v1/claims/"),
        ("search Ganja", "/api/v1/claims/?search=Ganja"),
        ("troops claim detail", f"/api/v1/claims/{troops}/"),
        ("troops claim trace", f"/api/v1/claims/{troops}/trace/"),
        ("troops claim history", f"/api/v1/claims/{troops}/history/"),
        ("dependents of RIA Novosti", f"/api/v1/sources/{ria}/dependents/"),
        ("sources search RIA", "/api/v1/sources/?search=RIA"),
        ("troops claimreview", f"/api/v1/claims/{troops}/claimreview/"),
        ("troops prov", f"/api/v1/claims/{troops}/prov/"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seeds", action="store_true", help="measure the seed article instead")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = bench_database_url(SEEDS_DB if args.seeds else BENCH_DB)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings.local")
    os.environ.setdefault("THROTTLE_USER", "1000000/minute")
    os.environ.setdefault("STATEMENT_TIMEOUT_MS", "0")  # building the data takes longer than a request may
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    call_command("migrate", verbosity=0)
    if args.seeds:
        call_command("load_seeds", verbosity=0)
        endpoints = seed_endpoints()
        what = "the seed article"
    else:
        populate(args.claims)
        endpoints = synthetic_endpoints()
        what = f"{args.claims} claims"
    setup_test_environment()
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_superuser": True, "is_staff": True})
    client = Client()
    client.force_login(user)

    print(f"\n{what}; {args.runs} runs each, in-process (Django test client, logged in), times in ms")
    print(f"{'endpoint':32} {'queries':>7} {'p50':>8} {'p95':>8}")
    for label, url in endpoints:
        row = measure(client, label, url, args.runs)
        print(f"{row['endpoint']:32} {row['queries']:>7} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f}", flush=True)
    if args.seeds:
        return

    # Memory of the streaming export of every published claim, in a process of its own
    # so that its peak RSS is the export's alone.
    import subprocess
    import tempfile

    from claims.models import Claim

    published = Claim.objects.published().count()
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as output:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "export", "--format", "jsonl", "--output", output.name],
            check=True,
            stderr=subprocess.DEVNULL,
            env={**os.environ},
        )
        elapsed = time.perf_counter() - started
        size = Path(output.name).stat().st_size
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"\nexport jsonl: {published} claims in {elapsed:.1f}s ({published / elapsed:.0f} claims/s), "
        f"{size / 2**20:.0f} MiB written, peak RSS of the export process {rss:.0f} MiB"
    )


if __name__ == "__main__":
    main()
