"""Claims with their traces as flat records: one JSON object or one CSV row each."""

from __future__ import annotations

from typing import Any

from claims.models import Claim
from claims.provenance import Trace

from .claimreview import claim_url

CSV_COLUMNS = [
    "id",
    "url",
    "text",
    "status",
    "rating",
    "rating_value",
    "language",
    "published_at",
    "origins",
    "independent_origins",
    "flags",
    "chains_total",
    "chains",
]

# Only what a record needs; the text search vector stays in the database.
CLAIM_FIELDS = ["id", "text", "status", "rating", "language", "published_at"]


def claim_record(claim: Claim, claim_trace: Trace) -> dict[str, Any]:
    """The claim and its trace as plain data (one JSON Lines line). The trace comes
    redacted for the export's reader (``provenance.traces_for``)."""
    return {
        "id": claim.pk,
        "url": claim_url(claim.pk),
        "text": claim.text,
        "status": claim.status,
        "rating": claim.rating,
        "rating_value": claim.rating_value,
        "language": claim.language,
        "published_at": claim.published_at.isoformat() if claim.published_at else None,
        "trace": claim_trace.as_dict(),
    }


def csv_row(record: dict[str, Any]) -> list[Any]:
    """One CSV row: the trace flattened into names, codes and rendered chains."""
    graph = record["trace"]
    return [
        record["id"],
        record["url"],
        record["text"],
        record["status"],
        record["rating"],
        "" if record["rating_value"] is None else record["rating_value"],
        record["language"],
        record["published_at"] or "",
        "; ".join(origin["name"] for origin in graph["origins"]),
        graph["independent_origins"],
        " ".join(graph["flags"]),
        graph["chains_total"],
        render_chains(graph["chains"], total=graph["chains_total"]),
    ]


def render_chains(chains: list[list[dict]], *, total: int | None = None) -> str:
    """``"A → B → C | D → C"``: each listed chain from the reporting end to the origin;
    a chain that runs into a loop ends with the repeated source and "(loop)"; chains
    not listed are counted at the end ("| … and 12 more")."""
    rendered = []
    for chain in chains:
        names = " → ".join(hop["source"]["name"] for hop in chain)
        rendered.append(names + " (loop)" if chain and chain[-1]["closes_loop"] else names)
    if total is not None and total > len(chains):
        rendered.append(f"… and {total - len(chains):,} more")
    return " | ".join(rendered)
