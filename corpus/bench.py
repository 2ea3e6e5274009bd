"""The HTTP benchmark (``make bench``; ``scripts/bench.py --claims N --seconds S``).

One run:

1. builds the synthetic corpus of N claims in its own database ``factcheck_bench_<N>``
   on the server of DATABASE_URL (the embedded one when unset), or reuses it when it
   holds N claims (``generate_corpus``, then VACUUM ANALYZE);
2. counts each endpoint's queries in-process (Django's test client, one request);
3. serves the app under gunicorn with the production settings (2 workers, throttles
   raised) and the floor (``corpus.floor``: raw psycopg and orjson) under the same
   gunicorn configuration on another port;
4. compares the floor's answer with ours byte for byte, for each endpoint it serves;
5. drives each endpoint over HTTP for S seconds with C concurrent clients, ours and
   then the floor, and reports queries per request, p50 and p95, requests per second
   and the ratio of our p50 to the floor's, as a Markdown table and as JSON.

Public endpoints are read anonymously; dependents, history and the chain write with
a superuser's token; the admin with the superuser's session.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # the Host header sent to both servers, so their links are the same
SECRET_KEY = "benchmark-only-" + "k3y" * 20
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
USERNAME = "bench"


# --- the corpus (before Django is set up) ---------------------------------------------------


def database_url(claims: int) -> str:
    """The benchmark database's URL, created empty if missing."""
    import psycopg

    url = os.environ["DATABASE_URL"]  # scripts/bench.py starts the embedded server when it is unset
    name = f"factcheck_bench_{claims}"
    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def environment(url: str) -> dict[str, str]:
    """The production settings' environment, for this process and the servers."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "factcheck.settings.production",
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": f"{HOST},localhost,testserver",
        "FACTCHECK_PUBLIC_URL": f"http://{HOST}",
        "REDIS_URL": REDIS_URL,
        # Plain HTTP on the loopback: no redirect to HTTPS.
        "SECURE_SSL_REDIRECT": "0",
        "DEBUG": "0",
        # The load must not be throttled (nor the token's address locked out).
        "THROTTLE_ANON": "100000000/minute",
        "THROTTLE_USER": "100000000/minute",
        "LOGIN_FAILURES_PER_ADDRESS": "1000000",
        "WEB_CONCURRENCY": "2",
        "CONN_MAX_AGE": "600",
    }


def build_corpus(claims: int, env: dict[str, str]) -> str:
    """Migrate; generate the corpus unless the database holds it already. Says which."""
    import psycopg

    def manage(*args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)

    manage("migrate", "--no-input", "-v", "0")
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        (have,) = conn.execute("SELECT count(*) FROM claims_claim").fetchone()
        if have == claims:
            return f"reused ({have:,} claims)"
        if have:
            sys.exit(f"the benchmark database holds {have:,} claims, not {claims:,}: drop it and run again")
        started = time.monotonic()
        manage("generate_corpus", "--claims", str(claims))
        conn.execute("VACUUM ANALYZE")
        return f"built in {time.monotonic() - started:.0f} s"


# --- what is measured ------------------------------------------------------------------------


@dataclass
class Endpoint:
    label: str
    path: str  # with its query
    auth: str = ""  # "", "token" or "session"
    floor: bool = False
    body: Callable[[int], dict] | None = None  # a POST, the i-th request's body
    expect: int = 200
    result: dict = field(default_factory=dict)


def endpoints() -> list[Endpoint]:
    """The benchmark's endpoints on this corpus (Django set up)."""
    from django.db import connection

    from claims.models import Claim, ClaimStatus
    from corpus.floor import cursor_token
    from corpus.generator import DEEP_EVERY, HISTORY_EVERY, LATTICE_EVERY

    def one(sql: str, params=()) -> list:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()

    first, last = one("SELECT min(id), max(id) FROM claims_claim")
    middle = (first + last) // 2

    def claim(n: int) -> int:  # the generator's n-th claim
        return first + n - 1

    # A published claim with one chain of three hops (two edges in a row), from the middle.
    (three,) = one(
        """SELECT c.id FROM claims_claim c WHERE c.id >= %s AND c.status = 'published'
             AND (SELECT count(*) FROM claims_statement s WHERE s.claim_id = c.id) = 3
             AND (SELECT count(*) FROM claims_attribution a WHERE a.claim_id = c.id) = 2
             AND EXISTS (SELECT 1 FROM claims_attribution a JOIN claims_attribution b ON b.statement_id = a.upstream_id
                         WHERE a.claim_id = c.id)
           ORDER BY c.id LIMIT 1""",
        [middle],
    )
    ten = claim((middle - first) // DEEP_EVERY * DEEP_EVERY)  # published, a chain of 10 hops
    # The published lattice with the most layers (40 at 100,000 claims: claim 5,003).
    lattices = [claim(n) for n in range(3, last - first + 2, LATTICE_EVERY)]
    lattice, statements = one(
        """SELECT c.id, count(*) FROM claims_claim c JOIN claims_statement s ON s.claim_id = c.id
           WHERE c.id = ANY(%s) AND c.status = 'published' GROUP BY c.id ORDER BY 2 DESC, 1 LIMIT 1""",
        [lattices],
    )
    history = claim((middle - first) // HISTORY_EVERY * HISTORY_EVERY + 1)  # 50 entries
    (agency,) = one(
        """SELECT s.source_id FROM claims_statement s JOIN sources_source x ON x.id = s.source_id
           WHERE x.kind = 'news_agency' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"""
    )
    # A word only one source's name holds: found through the sources named.
    (rare,) = one(
        """SELECT word FROM ts_stat('SELECT to_tsvector(''simple'', name) FROM sources_source WHERE NOT confidential')
           WHERE word ~ '^[[:alpha:]]{6,}$' ORDER BY ndoc, word LIMIT 1"""
    )
    # A deep page: the cursor of the published claim 100 from the oldest.
    (deep,) = one("SELECT id FROM claims_claim WHERE status = 'published' ORDER BY id LIMIT 1 OFFSET 100")
    # Drafts to record chains on, and sources for their hops (a new statement each time).
    drafts = [row[0] for row in Claim.objects.filter(status=ClaimStatus.DRAFT).order_by("-id").values_list("id")[:2000]]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM sources_source WHERE id <> %s ORDER BY id", [agency])
        sources = [row[0] for row in cursor.fetchall()]

    def chain(i: int) -> dict:
        j = (i * 7919) % len(sources)
        a, b = sources[j], sources[(j + 1 + i % 97) % len(sources)]
        return {"hops": [{"source": a, "relation": "citing"}, {"source": agency}, {"source": b}]}

    endpoints = [
        Endpoint("claims list, first page", "/api/v1/claims/", floor=True),
        Endpoint("claims list, a deep page", f"/api/v1/claims/?cursor={cursor_token(deep)}", floor=True),
        Endpoint("claim detail", f"/api/v1/claims/{three}/", floor=True),
        Endpoint("trace, 3 hops", f"/api/v1/claims/{three}/trace/", floor=True),
        Endpoint("trace, 10 hops", f"/api/v1/claims/{ten}/trace/", floor=True),
        Endpoint(f"trace, lattice of {(statements - 1) // 2} layers", f"/api/v1/claims/{lattice}/trace/", floor=True),
        Endpoint("search, a common word", "/api/v1/claims/?search=Ganja"),
        Endpoint(f"search, a rare word ({rare})", f"/api/v1/claims/?search={rare}"),
        Endpoint("search, three words", "/api/v1/claims/?search=helicopters%20near%20Ganja"),
        Endpoint("dependents of the busiest agency", f"/api/v1/sources/{agency}/dependents/", "token", floor=True),
        Endpoint("history, 50 changes", f"/api/v1/claims/{history}/history/", "token"),
        Endpoint("ClaimReview", f"/api/v1/claims/{ten}/claimreview/"),
        Endpoint("PROV", f"/api/v1/claims/{ten}/prov/"),
        Endpoint("admin claims", "/admin/claims/claim/", "session"),
        Endpoint("admin claims, by source", f"/admin/claims/claim/?source={agency}", "session"),
        Endpoint("admin claims, searched", "/admin/claims/claim/?q=Ganja", "session"),
    ]
    endpoints.append(
        Endpoint(
            "chain write (3 hops, history on)",
            "",
            "token",
            body=lambda i: {"path": f"/api/v1/claims/{drafts[i % len(drafts)]}/chains/", **chain(i)},
            expect=201,
        )
    )
    # Has this been checked? The text of a claim near the middle, reworded a little.
    (recorded,) = one("SELECT text FROM claims_claim WHERE id = %s", [middle])
    asked = urlencode({"text": recorded.rstrip(".") + " again?"})
    endpoints.append(Endpoint("has this been checked (similar)", f"/api/v1/claims/similar/?{asked}"))
    # An article of 1,500 words and more (the annotated cases in order), a new one each
    # time: each request's ends with words of its own (a second import of one article is a 200).
    cases = sorted((ROOT / "ingestion" / "cases").glob("*.yaml"))
    article = ""
    for path in cases:  # as many as make 1,500 words
        if len(article.split()) >= 1500:
            break
        article += "\n\n" + yaml.safe_load(path.read_text())["body"]
    endpoints.append(
        Endpoint(
            f"article import ({len(article.split()):,} words)",
            "",
            "token",
            body=lambda i: {"path": "/api/v1/documents/import/", "text": f"{article}\n\nImport {uuid.uuid4()} ended."},
            expect=201,
        )
    )
    return endpoints


def credentials() -> tuple[str, str]:
    """A superuser's token and session key (made once, kept with the corpus)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.authtoken.models import Token

    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = User.objects.create_superuser(USERNAME, password=None)
    token, _ = Token.objects.get_or_create(user=user)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return token.key, session.session_key


def count_queries(points: list[Endpoint], token: str) -> None:
    """Each endpoint's queries, one request in-process (a chain write writes once more)."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    anonymous, with_token, admin = Client(), Client(HTTP_AUTHORIZATION=f"Token {token}"), Client()
    admin.force_login(User.objects.get(username=USERNAME))
    for point in points:
        client = {"": anonymous, "token": with_token, "session": admin}[point.auth]
        with CaptureQueriesContext(connection) as queries:
            if point.body:
                body = point.body(10**6)
                response = client.post(body.pop("path"), body, content_type="application/json")
            else:
                response = client.get(point.path)
        assert response.status_code == point.expect, (point.label, response.status_code, response.content[:300])
        point.result["queries"] = len(queries)


# --- over HTTP ---------------------------------------------------------------------------------


class Server:
    """gunicorn with the app's configuration, serving ``app`` (the app itself when None)."""

    def __init__(self, env: dict[str, str], port: int, app: str | None, log: Path) -> None:
        self.port, self.log = port, open(log, "w")
        command = [sys.executable, "-m", "gunicorn", "-c", "factcheck/gunicorn.conf.py"]
        self.process = subprocess.Popen(
            [*command, *([app] if app else [])],
            cwd=ROOT,
            env={**env, "BIND": f"127.0.0.1:{port}"},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                get(port, "/api/v1/claims/")
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"gunicorn did not start: see {log}") from None
                time.sleep(0.3)

    def worker_memory(self) -> list[dict]:
        """Each worker's resident memory now and at its peak, in MiB (Linux's /proc)."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        workers = []
        for child in children:
            status = dict(
                line.split(":", 1) for line in Path(f"/proc/{child}/status").read_text().splitlines() if ":" in line
            )
            kib = {key: int(status[key].split()[0]) for key in ("VmRSS", "VmHWM")}
            workers.append({"rss_mib": round(kib["VmRSS"] / 1024, 1), "peak_mib": round(kib["VmHWM"] / 1024, 1)})
        return workers

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Host": HOST, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def drive(port: int, point: Endpoint, headers: dict[str, str], seconds: float, clients: int) -> dict:
    """``clients`` threads, each requesting as soon as its last answer came, for ``seconds``."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    counter = iter(range(10**9))
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while time.perf_counter() < deadline:
                if point.body:
                    with lock:
                        i = next(counter)
                    body = point.body(i)
                    path, payload = body.pop("path"), json.dumps(body).encode()
                    sent = {**headers, "Content-Type": "application/json"}
                    method = "POST"
                else:
                    path, payload, sent, method = point.path, None, headers, "GET"
                t0 = time.perf_counter()
                conn.request(method, path, body=payload, headers={"Host": HOST, **sent})
                response = conn.getresponse()
                response.read()
                latencies[k].append((time.perf_counter() - t0) * 1000)
                if response.status != point.expect:
                    failures.append(f"{response.status}")
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()  # gunicorn's sync workers close after each answer; reconnect
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    timings = sorted(t for per in latencies for t in per)
    if failures:
        raise RuntimeError(f"{point.label}: {len(failures)} answers were not {point.expect} ({failures[:5]})")
    return {
        "requests": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 2),
        "rps": round(len(timings) / elapsed, 1),
    }


def machine(env: dict[str, str]) -> dict:
    import django
    import psycopg

    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor(),
    )
    memory = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        (postgres,) = conn.execute("SHOW server_version").fetchone()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(memory / 2**20),
        "postgresql": postgres.split()[0],
        "python": platform.python_version(),
        "django": django.get_version(),
        "os": platform.platform(terse=True),
    }


def table(report: dict) -> str:
    head = (
        "| endpoint | queries | p50 ms | p95 ms | req/s | floor p50 ms | floor p95 ms | floor req/s "
        "| p50 / floor | floor's bytes |"
    )
    lines = [head, "|" + "---|" * 10]
    for row in report["endpoints"]:
        floor = row.get("floor")

        def cell(key: str, row=row) -> str:
            return f"{row['ours'][key]:,}" if key == "rps" else f"{row['ours'][key]:.1f}"

        ours = [cell("p50_ms"), cell("p95_ms"), f"{row['ours']['rps']:,.0f}"]
        if floor:
            theirs = [f"{floor['p50_ms']:.1f}", f"{floor['p95_ms']:.1f}", f"{floor['rps']:,.0f}"]
            ratio = f"{row['ours']['p50_ms'] / floor['p50_ms']:.1f}x"
            same = "equal" if row["byte_equal"] else "**differ**"
        else:
            theirs, ratio, same = ["", "", ""], "", "no floor"
        lines.append(f"| {row['label']} | {row['queries']} | " + " | ".join([*ours, *theirs, ratio, same]) + " |")
    return "\n".join(lines)


def run(*, claims: int, seconds: float, clients: int, json_path: Path | None) -> dict:
    url = database_url(claims)
    env = environment(url)
    os.environ.update(env)
    corpus = build_corpus(claims, env)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's requests need "testserver" allowed, nothing else
    points = endpoints()
    token, session = credentials()
    count_queries(points, token)
    headers = {"": {}, "token": {"Authorization": f"Token {token}"}, "session": {"Cookie": f"sessionid={session}"}}

    logs = ROOT / "test-artifacts"
    logs.mkdir(exist_ok=True)
    ours_port, floor_port = free_port(), free_port()
    ours = Server(env, ours_port, None, logs / "bench-app.log")
    try:
        floor = Server(env, floor_port, "corpus.floor:application", logs / "bench-floor.log")
    except Exception:
        ours.stop()
        raise
    rows = []
    try:
        for point in points:
            sent = headers[point.auth]
            row = {"label": point.label, "path": point.path, "auth": point.auth, "queries": point.result["queries"]}
            if point.floor:
                status, body = get(ours_port, point.path, sent)
                floor_status, floor_body = get(floor_port, point.path, sent)
                assert status == floor_status == 200, (point.label, status, floor_status)
                row["bytes"] = len(body)
                row["byte_equal"] = body == floor_body
            # Warm both (the floor prepares its statements on the fifth use).
            for port in (ours_port, floor_port) if point.floor else (ours_port,):
                drive(port, point, sent, min(1.0, seconds / 5), clients)
            row["ours"] = drive(ours_port, point, sent, seconds, clients)
            if point.floor:
                row["floor"] = drive(floor_port, point, sent, seconds, clients)
            rows.append(row)
            print(f"  {point.label}: {row['ours']}" + (f", floor {row['floor']}" if point.floor else ""), flush=True)
        # After every endpoint has been served: what a worker grew to.
        memory = ours.worker_memory()
    finally:
        ours.stop()
        floor.stop()
    report = {
        "claims": claims,
        "corpus": corpus,
        "seconds": seconds,
        "clients": clients,
        "workers": 2,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(env),
        "worker_memory": memory,
        "endpoints": rows,
    }
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report, indent=2) + "\n")
    return report
