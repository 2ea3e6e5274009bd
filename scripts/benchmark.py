#!/usr/bin/env python
"""Speed and memory of the main endpoints on a synthetic database.

    .venv/bin/python scripts/benchmark.py [--claims 100000] [--runs 30]
    .venv/bin/python scripts/benchmark.py --seeds
    .venv/bin/python scripts/benchmark.py --lattice
    .venv/bin/python scripts/benchmark.py --writes

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

With --lattice it measures traces whose chains cannot be listed (database
``factcheck_bench_lattice``): lattices of 40 layers, 2 wide (2^41 chains) and 3
wide, 100 layers, and one with a loop, long paths and combs, and graphs of
thousands of hops with loops everywhere, traced in-process and over HTTP under
gunicorn (2 workers), beside the floor: the same graph read by one raw SQL
query.

With --writes it measures what a write costs per row as its transaction grows
(database ``factcheck_bench_writes``): claims and their statements written in one
transaction, 1,000 to 50,000 of them, with the history's triggers as installed and
with pghistory's own context lookup put back for comparison (each run rolled back).
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
LATTICE_DB = "factcheck_bench_lattice"
WRITES_DB = "factcheck_bench_writes"
WRITE_SIZES = (1_000, 10_000, 50_000)
LATTICES = [  # (label, layers, width, with a loop)
    ("lattice 40 x 2", 40, 2, False),
    ("lattice 40 x 3", 40, 3, False),
    ("lattice 100 x 2", 100, 2, False),
    ("lattice 40 x 2, looped", 40, 2, True),
]
# Long shapes (statements in a row, then origins fanning out), to show the cost stays linear.
COMBS = [  # (label, statements in a row, origins at the end, with a loop)
    ("path of 2,000, looped", 2000, 1, True),
    ("comb 400 + 200 origins", 400, 200, False),
]


def comb_citing_the_top(n: int) -> list[tuple[int, int]]:
    """A row of n statements; each also cites a tooth that cites the first again (loops
    everywhere, one origin at the end): quadratic for iterative dominators."""
    edges = [(i, i + 1) for i in range(n - 1)] + [(i, n + i) for i in range(n - 1)] + [(n + i, 0) for i in range(n - 1)]
    return [*edges, (n - 1, 2 * n)]


def ring_with_exits(n: int) -> list[tuple[int, int]]:
    """A ring of n statements reported from outside, each also citing one origin."""
    return [(n + 1, 0), *((i, (i + 1) % n) for i in range(n)), *((i, n) for i in range(n))]


# Graphs of thousands of hops with loops, given as edges between numbered sources.
LOOPED = [  # (label, edges)
    ("comb of 1,000 with loops", comb_citing_the_top(1000)),
    ("ring of 3,000 with exits", ring_with_exits(3000)),
]


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
                                        reliability, confidential, public_description, name_keys,
                                        created_at, updated_at)
            SELECT 'Bench source ' || g,
                   CASE WHEN g <= 50 THEN 'news_agency' WHEN g <= 1050 THEN 'government' ELSE 'outlet' END,
                   '', ARRAY['alias ' || g], '', '', '', '', false, '',
                   -- sources.models.name_keys() of these names: letters and digits, lower case
                   ARRAY['benchsource' || g, 'alias' || g], now(), now()
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
                        INSERT INTO claims_attribution (claim_id, statement_id, upstream_id, relation,
                        verified, created_at)
                        SELECT ch.claim_id, s1.id, s2.id, 'citing', pos %% 3 = 0, now()
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
                        INSERT INTO claims_evidence (attribution_id, claim_id, document_id, quote, relation, created_at)
                        SELECT a.id, a.claim_id, %(doc_base)s + 1 + (a.claim_id %% %(documents)s),
                               'as the agency reported', a.relation, now()
                        FROM claims_attribution a
                        WHERE a.claim_id BETWEEN %(first)s AND %(last)s
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
    # The lists read each claim's trace summary, which the services keep and raw SQL does not.
    from django.core.management import call_command

    call_command("refresh_trace_summaries")
    with connection.cursor() as cursor:
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


def build_lattices() -> list[tuple[str, int]]:
    """The lattice claims, built through the services once and reused: each layer's
    sources all cite each source of the next layer."""
    from claims.models import Claim
    from claims.services import HopInput, chain_record
    from sources.services import source_create

    result = []
    for label, layers, width, looped in LATTICES:
        claim = Claim.objects.filter(text=f"Benchmark {label}.").first()
        if claim is None:
            claim = Claim.objects.create(text=f"Benchmark {label}.", status="published")
            nodes = [
                [source_create(name=f"{label} node {layer}.{w}", confirm_distinct=True) for w in range(width)]
                for layer in range(layers + 1)
            ]
            for layer in range(layers):
                for a in nodes[layer]:
                    for b in nodes[layer + 1]:
                        chain_record(claim=claim, hops=[HopInput(source=a, relation="citing"), HopInput(source=b)])
            if looped:
                chain_record(
                    claim=claim, hops=[HopInput(source=nodes[-1][0], relation="citing"), HopInput(source=nodes[0][1])]
                )
        result.append((label, claim.pk))
    for label, length, fan, looped in COMBS:
        claim = Claim.objects.filter(text=f"Benchmark {label}.").first()
        if claim is None:
            claim = Claim.objects.create(text=f"Benchmark {label}.", status="published")
            row = [source_create(name=f"{label} node {i}", confirm_distinct=True) for i in range(length)]
            ends = [source_create(name=f"{label} origin {i}", confirm_distinct=True) for i in range(fan)]
            # Recorded as long chains, 20 hops at a time (the most one chain may have).
            for i in range(0, length - 1, 19):
                part = row[i : i + 20]
                chain_record(
                    claim=claim,
                    hops=[*(HopInput(source=s, relation="citing") for s in part[:-1]), HopInput(source=part[-1])],
                )
            for end in ends:
                chain_record(claim=claim, hops=[HopInput(source=row[-1], relation="citing"), HopInput(source=end)])
            if looped:
                chain_record(claim=claim, hops=[HopInput(source=row[-1], relation="citing"), HopInput(source=row[-2])])
        result.append((label, claim.pk))
    for label, edges in LOOPED:
        claim = Claim.objects.filter(text=f"Benchmark {label}.").first()
        if claim is None:
            claim = Claim.objects.create(text=f"Benchmark {label}.", status="published")
            count = 1 + max(max(edge) for edge in edges)
            nodes = [source_create(name=f"{label} node {i}", confirm_distinct=True) for i in range(count)]
            for a, b in edges:
                chain_record(
                    claim=claim, hops=[HopInput(source=nodes[a], relation="citing"), HopInput(source=nodes[b])]
                )
        result.append((label, claim.pk))
    return result


_FLOOR_SQL = """
SELECT json_build_object(
    'nodes', (SELECT json_agg(json_build_array(s.id, s.source_id, src.name)) FROM claims_statement s
              JOIN sources_source src ON src.id = s.source_id WHERE s.claim_id = %(id)s),
    'edges', (SELECT json_agg(json_build_array(e.id, e.statement_id, e.upstream_id, e.relation, e.verified))
              FROM claims_attribution e WHERE e.claim_id = %(id)s),
    'evidence', (SELECT json_agg(json_build_array(v.attribution_id, v.document_id, v.quote, v.relation))
                 FROM claims_evidence v WHERE v.claim_id = %(id)s))::text
"""


def floor_ms(claim_id: int, runs: int) -> float:
    """The same graph as one JSON document straight from SQL: the least any trace can cost."""
    from django.db import connection

    timings = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(_FLOOR_SQL, {"id": claim_id})
            cursor.fetchone()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def over_http(claims: list[tuple[str, int]], runs: int) -> dict[str, tuple[float, float, int]]:
    """p50 and p95 of each trace over HTTP, anonymously, under gunicorn with 2 workers; and its size."""
    import subprocess
    import urllib.request

    port = 8765 + os.getpid() % 1000
    env = {
        **os.environ,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-" + "x" * 50,
        "THROTTLE_ANON": "1000000/minute",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "factcheck/gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/api/v1/claims/?page_size=1", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        results = {}
        for label, claim_id in claims:
            url = f"{base}/api/v1/claims/{claim_id}/trace/"
            size = len(urllib.request.urlopen(url).read())  # noqa: S310
            timings = []
            for _ in range(runs):
                started = time.perf_counter()
                urllib.request.urlopen(url).read()  # noqa: S310
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            results[label] = (statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)], size)
        return results
    finally:
        server.terminate()
        server.wait(15)


def lattice_report(client, runs: int) -> None:
    claims = build_lattices()
    print(f"\nlattices; {runs} runs each; times in ms (trace: default chain_limit 50)")
    columns = ["queries", "p50", "p95", "http p50", "http p95", "KiB", "floor"]
    print(f"{'trace of':26} {'chains':>16} " + " ".join(f"{c:>9}" for c in columns))
    http = over_http(claims, runs)
    for label, claim_id in claims:
        row = measure(client, label, f"/api/v1/claims/{claim_id}/trace/", runs)
        total = client.get(f"/api/v1/claims/{claim_id}/trace/").json()
        chains = f"{total['chains_total']:,}{'' if total['chains_total_exact'] else '+'}"
        p50, p95, size = http[label]
        values = [row["queries"], row["p50_ms"], row["p95_ms"], p50, p95, size / 1024, floor_ms(claim_id, runs)]
        print(f"{label:26} {chains:>16} " + " ".join(f"{v:>9.1f}" for v in values), flush=True)


def writes_report() -> None:
    """Microseconds per claim (a claim and its statement, each with its history event)
    written in one transaction of n claims: flat when nothing grows with the
    transaction, rising when something does."""
    from contextlib import nullcontext

    import pghistory
    from django.db import connection, transaction
    from pghistory.models import Context

    from claims.models import Claim, Statement
    from sources.models import Source

    def per_claim(rows: int, *, pghistorys_lookup: bool, context: bool) -> float:
        with transaction.atomic():
            if pghistorys_lookup:
                Context.install_pgh_attach_context_func()  # rolled back with the rest
            source = Source.objects.create(name=f"Writes {time.time_ns()}", kind="news_agency")
            started = time.perf_counter()
            with pghistory.context(command="benchmark") if context else nullcontext():
                made = Claim.objects.bulk_create([Claim(text=f"Claim {i}.") for i in range(rows)], batch_size=1000)
                Statement.objects.bulk_create([Statement(claim=c, source=source) for c in made], batch_size=1000)
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred checks, inside the timing
            elapsed = time.perf_counter() - started
            transaction.set_rollback(True)
        return elapsed / rows * 1e6

    print("\nµs per claim written (claim + statement, with history), one transaction of n claims")
    print(f"{'context lookup':24} {'context':>8} " + " ".join(f"{n:>9,}" for n in WRITE_SIZES) + "   growth")
    for pghistorys_lookup in (False, True):
        for context in (False, True):
            row = [per_claim(n, pghistorys_lookup=pghistorys_lookup, context=context) for n in WRITE_SIZES]
            label = "pghistory's (before)" if pghistorys_lookup else "ours (installed)"
            print(
                f"{label:24} {'set' if context else 'none':>8} "
                + " ".join(f"{value:>9.0f}" for value in row)
                + f"   {row[-1] / row[0]:.2f}x",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seeds", action="store_true", help="measure the seed article instead")
    parser.add_argument("--lattice", action="store_true", help="measure traces of lattice-shaped graphs instead")
    parser.add_argument("--writes", action="store_true", help="measure a write's cost per row as its transaction grows")
    args = parser.parse_args()

    database = SEEDS_DB if args.seeds else LATTICE_DB if args.lattice else WRITES_DB if args.writes else BENCH_DB
    os.environ["DATABASE_URL"] = bench_database_url(database)
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
    setup_test_environment()
    user, _ = User.objects.get_or_create(username="bench", defaults={"is_superuser": True, "is_staff": True})
    client = Client()
    client.force_login(user)
    if args.lattice:
        lattice_report(client, args.runs)
        return
    if args.writes:
        writes_report()
        return
    if args.seeds:
        call_command("load_seeds", verbosity=0)
        endpoints = seed_endpoints()
        what = "the seed article"
    else:
        populate(args.claims)
        endpoints = synthetic_endpoints()
        what = f"{args.claims} claims"

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
