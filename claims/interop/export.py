"""Claims with their traces as flat records: one JSON object or one CSV row each."""

from __future__ import annotations

from typing import Any

from claims.models import Claim
from claims.provenance import Trace, trace

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
    "chains",
]

# Only what a record needs; the text search vector stays in the database.
CLAIM_FIELDS = ["id", "text", "status", "rating", "language", "published_at"]


def claim_record(claim: Claim, claim_trace: Trace | None = None) -> dict[str, Any]:
    """The claim and its trace as plain data (one JSON Lines line). Pass the trace
    when it was computed with others (``provenance.traces``); else it is traced here."""
    return {
        "id": claim.pk,
        "url": claim_url(claim.pk),
        "text": claim.text,
        "status": claim.status,
        "rating": claim.rating,
        "rating_value": claim.rating_value,
        "language": claim.language,
        "published_at": claim.published_at.isoformat() if claim.published_at else None,
        "trace": (claim_trace or trace(claim)).as_dict(),
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
        render_chains(graph["chains"]),
    ]


def render_chains(chains: list[list[dict]]) -> str:
    """``"A → B → C | D → C"``: each chain from the reporting end to the origin; a
    chain that runs into a loop ends with the repeated source and "(loop)"."""
    rendered = []
    for chain in chains:
        names = " → ".join(hop["source"]["name"] for hop in chain)
        rendered.append(names + " (loop)" if chain and chain[-1]["closes_loop"] else names)
    return " | ".join(rendered)
