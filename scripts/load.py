#!/usr/bin/env python
"""A busy newsroom against a running server, for a bounded time, then a check that
nothing acknowledged was lost.

    scripts/load.py --url http://127.0.0.1:8000 --editor-token T1 --auditor-token T2 \\
        [--seconds 20] [--editors 3] [--readers 4] [--claims 6]

Editors write while journalists (and anonymous readers) read:

- each editor owns one field of the same few claims (the wording, the rating
  explanation, the event's date), so every PATCH races the others on the same
  rows; every 5th write records a chain instead;
- readers list, search and trace.

Afterwards every claim must hold, in each field, the last value its editor was
told (200) was saved; its history must have one change per acknowledged write;
and each recorded chain must be in its trace. The summary is one JSON line;
the exit status is 1 if anything was lost or a request failed unexpectedly.

With ``--expect-outage`` (a database restart during the run), 503 answers are
expected: they must carry Retry-After, and nothing they refused may appear.
Standard library only, so it runs against any deployment.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, timedelta

# One field per editor, each write a value never written before, so that every
# acknowledged write must show as a change in the history.
FIELDS = ["text", "rating_explanation", "event_start"]


@dataclass
class Tally:
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    unavailable: int = 0
    unavailable_without_retry_after: int = 0
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, seconds: float, what: str, headers) -> None:
        with self.lock:
            self.requests += 1
            self.latencies.append(seconds)
            if status == 503:
                self.unavailable += 1
                if not headers.get("Retry-After"):
                    self.unavailable_without_retry_after += 1


class Client:
    def __init__(self, base: str, token: str | None, tally: Tally) -> None:
        self.base, self.token, self.tally = base.rstrip("/"), token, tally

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict | None]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310 - operator's URL
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Token {self.token}")
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, raw, headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, headers = error.code, error.read(), error.headers
        except OSError as error:  # connection refused or reset: the server is away
            self.tally.record(599, time.perf_counter() - started, f"{method} {path}", {})
            return 599, {"detail": str(error)}
        self.tally.record(status, time.perf_counter() - started, f"{method} {path}", headers)
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, {"detail": raw[:200].decode(errors="replace"), "not_json": True}


def value_for(name: str, editor: int, n: int):
    if name == "event_start":
        return (date(1900, 1, 1) + timedelta(days=n)).isoformat()
    return f"Editor {editor}, write {n}: {'troops' if name == 'text' else 'because'} {random.random():.6f}."


def publish_new_claim(editor: Client, i: int, source_id: int) -> int:
    """A claim the public can read: created, stated by ``source_id``, and published over
    what its checklist finds (the refusal names each item to confirm)."""
    status, claim = editor.call("POST", "/api/v1/claims/", {"text": f"Load claim {i}."})
    if status == 201:
        status, _ = editor.call("POST", f"/api/v1/claims/{claim['id']}/chains/", {"hops": [{"source": source_id}]})
    if status == 201:
        url = f"/api/v1/claims/{claim['id']}/"
        status, body = editor.call("PATCH", url, {"status": "published"})
        if status == 400 and body.get("code") == "confirmation_required":
            confirm = [item["code"] for item in body["errors"][1:]]
            status, body = editor.call("PATCH", url, {"status": "published", "confirm": confirm})
    if status not in (200, 201):
        raise SystemExit(f"could not publish a claim: {status} {claim}")
    return claim["id"]


def run(args: argparse.Namespace) -> dict:
    tally = Tally()
    editor = Client(args.url, args.editor_token, tally)
    auditor = Client(args.url, args.auditor_token, tally)
    anonymous = Client(args.url, None, tally)

    status, source = editor.call(
        "POST", "/api/v1/sources/", {"name": f"Load agency {time.time_ns()}", "confirm_distinct": True}
    )
    if status != 201:
        raise SystemExit(f"could not create a source: {status} {source}")
    claims = [publish_new_claim(editor, i, source["id"]) for i in range(args.claims)]

    stop = time.monotonic() + args.seconds
    # (claim, field) -> last acknowledged value, and how many writes were acknowledged
    acknowledged: dict[tuple[int, str], object] = {}
    writes: dict[tuple[int, str], int] = {}
    chains: list[tuple[int, int]] = []  # (claim, source) recorded as an origin
    refused_values: set[str] = set()
    lock = threading.Lock()

    def editor_loop(number: int) -> None:
        name = FIELDS[number]
        n = 0
        while time.monotonic() < stop:
            claim = random.choice(claims)
            n += 1
            if n % 5 == 0:
                status, body = editor.call(
                    "POST",
                    f"/api/v1/claims/{claim}/chains/",
                    {"hops": [{"source": source["id"], "relation": "citing"}, {"source": origin}]},
                )
                if status == 201:
                    with lock:
                        chains.append((claim, origin))
                elif status not in (503, 599):
                    tally.errors.append(f"chain: {status} {body}")
                continue
            value = value_for(name, number, n)
            status, body = editor.call("PATCH", f"/api/v1/claims/{claim}/", {name: value})
            if status == 200:
                with lock:
                    acknowledged[(claim, name)] = value
                    writes[(claim, name)] = writes.get((claim, name), 0) + 1
            elif status in (503, 599) and args.expect_outage:
                refused_values.add(str(value))
            else:
                tally.errors.append(f"PATCH {name}: {status} {body}")

    def reader_loop(number: int) -> None:
        client = anonymous if number % 2 else editor
        paths = ["/api/v1/claims/?page_size=20", "/api/v1/claims/?search=troops"]
        while time.monotonic() < stop:
            path = random.choice([*paths, f"/api/v1/claims/{random.choice(claims)}/trace/"])
            status, body = client.call("GET", path)
            if status != 200 and not (args.expect_outage and status in (503, 599)):
                tally.errors.append(f"GET {path}: {status} {body}")

    # Each chain cites a fresh origin, so every recorded chain can be found again.
    status, origin_source = editor.call(
        "POST", "/api/v1/sources/", {"name": f"Load origin {time.time_ns()}", "confirm_distinct": True}
    )
    origin = origin_source["id"]

    threads = [threading.Thread(target=editor_loop, args=(i,)) for i in range(args.editors)]
    threads += [threading.Thread(target=reader_loop, args=(i,)) for i in range(args.readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # The server may still be coming back after an outage: wait for it.
    deadline = time.monotonic() + 30
    while anonymous.call("GET", "/api/v1/claims/?page_size=1")[0] != 200 and time.monotonic() < deadline:
        time.sleep(0.5)

    lost, history_mismatch = [], []
    for claim in claims:
        status, current = editor.call("GET", f"/api/v1/claims/{claim}/")
        if status != 200:
            tally.errors.append(f"final read of claim {claim}: {status}")
            continue
        for name in FIELDS:
            if (claim, name) in acknowledged and current[name] != acknowledged[(claim, name)]:
                lost.append(
                    f"claim {claim} {name}: has {current[name]!r}, last acknowledged {acknowledged[(claim, name)]!r}"
                )
            if str(current[name]) in refused_values:
                lost.append(f"claim {claim} {name}: holds a value whose write was refused")
        changes = count_changes(auditor, claim, tally)
        for name in FIELDS:
            if changes.get(name, 0) != writes.get((claim, name), 0):
                acknowledged_count, recorded = writes.get((claim, name), 0), changes.get(name, 0)
                history_mismatch.append(f"claim {claim} {name}: {acknowledged_count} acknowledged, {recorded} recorded")
    for claim, source_id in set(chains):
        status, trace = anonymous.call("GET", f"/api/v1/claims/{claim}/trace/?chain_limit=0")
        if status != 200 or source_id not in {node["source"]["id"] for node in trace["nodes"]}:
            lost.append(f"chain to source {source_id} on claim {claim} is not in its trace")

    latencies = sorted(tally.latencies) or [0.0]
    return {
        "seconds": args.seconds,
        "requests": tally.requests,
        "requests_per_second": round(tally.requests / args.seconds, 1),
        "acknowledged_writes": sum(writes.values()),
        "chains": len(chains),
        "errors": len(tally.errors),
        "unavailable_503": tally.unavailable,
        "unavailable_without_retry_after": tally.unavailable_without_retry_after,
        "lost_writes": len(lost),
        "history_mismatches": len(history_mismatch),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "details": (tally.errors + lost + history_mismatch)[:20],
    }


def count_changes(auditor: Client, claim: int, tally: Tally) -> dict[str, int]:
    """Per field, how many updates of the claim its history holds (every page of it)."""
    counts: dict[str, int] = {}
    page = f"/api/v1/claims/{claim}/history/?page_size=200"
    while page:
        status, body = auditor.call("GET", page)
        if status != 200:
            tally.errors.append(f"history of claim {claim}: {status}")
            break
        for entry in body["results"]:
            if entry["model"] == "claim" and entry["action"] == "update":
                for name in entry["diff"]:
                    counts[name] = counts.get(name, 0) + 1
        page = body["next"] and body["next"][body["next"].index("/api/") :]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--editor-token", required=True)
    parser.add_argument("--auditor-token", required=True, help="To read the history afterwards.")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--editors", type=int, default=len(FIELDS), choices=range(1, len(FIELDS) + 1))
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--claims", type=int, default=6)
    parser.add_argument("--expect-outage", action="store_true", help="503s are expected (the database restarts).")
    args = parser.parse_args()
    summary = run(args)
    print(json.dumps(summary))
    failed = summary["errors"] or summary["lost_writes"] or summary["history_mismatches"]
    failed = failed or summary["unavailable_without_retry_after"]
    if not args.expect_outage:
        failed = failed or summary["unavailable_503"]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
