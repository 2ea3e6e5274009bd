"""The attribution graph: trace, origins, independence, cycles.

One home for the graph logic; the API, the admin and the exports all call it.

- ``load``: reads claims' graphs (as they stand, or as they stood at a moment);
- ``graph``: judges a graph (chains counted and listed up to a limit, origins,
  independence, loops), in time linear in its size;
- ``flags``: words what was found, in messages that are true of the graph;
- ``redaction``: the trace as a given viewer may see it.

Callers outside this package use ``trace_for`` / ``traces_for``, which always
redact for the viewer, so no renderer can forget to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connections, router

from core.access import Viewer

from .graph import (
    CHAIN_LIMIT,
    MAX_CHAIN_LIMIT,
    DocumentRef,
    Edge,
    EvidenceItem,
    Flag,
    Hop,
    SourceRef,
    Trace,
    build,
    distance_in,
    role_in,
)
from .load import BARE_GRAPHS_SQL, bare_graphs, trace, traces
from .redaction import redact, redact_source

__all__ = [
    "CHAIN_LIMIT",
    "MAX_CHAIN_LIMIT",
    "DocumentRef",
    "Edge",
    "EvidenceItem",
    "Flag",
    "Hop",
    "SourceRef",
    "Summary",
    "Trace",
    "distances_to",
    "positions_of",
    "redact",
    "redact_source",
    "summaries",
    "summary_of",
    "summary_of_graph",
    "trace",
    "trace_for",
    "traces",
    "traces_for",
]


def trace_for(claim_id: int, viewer: Viewer, *, as_of: datetime | None = None, chain_limit: int = CHAIN_LIMIT) -> Trace:
    return redact(trace(claim_id, as_of=as_of, chain_limit=chain_limit), viewer)


def traces_for(
    claim_ids: list[int], viewer: Viewer, *, as_of: datetime | None = None, chain_limit: int = CHAIN_LIMIT
) -> dict[int, Trace]:
    return {
        claim_id: redact(t, viewer) for claim_id, t in traces(claim_ids, as_of=as_of, chain_limit=chain_limit).items()
    }


def distances_to(claim_ids: list[int], source_id: int) -> dict[int, int | None]:
    """For each claim, hops from its nearest reporting end down to the source's statement."""
    return {claim_id: distance for claim_id, (_, distance) in positions_of(claim_ids, source_id).items()}


def positions_of(claim_ids: list[int], source_id: int) -> dict[int, tuple[str | None, int | None]]:
    """For each claim, the source's role in its graph and its distance from the nearest
    reporting end (``role_in``, ``distance_in``). Read from the bare graphs, one query:
    a whole trace a claim (evidence, documents, names, flags) was most of a page of a
    source's dependents."""
    from claims.models import Statement

    with connections[router.db_for_read(Statement)].cursor() as cursor:
        cursor.execute(BARE_GRAPHS_SQL, {"claims": list(claim_ids)})
        graphs = bare_graphs(claim_ids, cursor.fetchall())
    return {
        claim_id: (role_in(statements, edges, source_id), distance_in(statements, edges, source_id))
        for claim_id, (statements, edges) in graphs.items()
    }


@dataclass(frozen=True)
class Summary:
    """What lists show of a trace (``claims.models.TraceSummary`` stores it): ids and
    codes, judged on the graph unredacted. Who may see which name is decided when a
    list is shown; independence counts the real sources either way."""

    origin_ids: list[int]  # every origin source, anonymous ones too, by id
    independent_origins: int
    flags: list[str]  # codes, in the order the trace raises them
    chains: int
    chains_exact: bool


def summary_of(trace: Trace) -> Summary:
    return Summary(
        origin_ids=sorted({trace.statements[s] for s in trace.origin_statement_ids}),
        independent_origins=trace.independent_origins,
        flags=trace.flag_codes,
        chains=trace.chains_total,
        chains_exact=trace.chains_total_exact,
    )


def summaries(claim_ids: Iterable[int]) -> dict[int, Summary]:
    """The summaries of many claims' traces as they stand, their graphs read in one query."""
    return {claim_id: summary_of(t) for claim_id, t in traces(list(claim_ids), chain_limit=0).items()}


def summary_of_graph(
    claim_id: int, *, statements: dict[int, int], sources: dict[int, SourceRef], edges: Iterable[Edge]
) -> Summary:
    """The summary of a graph held in memory (statement id -> source id; every source
    involved, with its top-level organisation; edges with their evidence), judged as
    ``summaries`` judges the graph read from the database: for a writer that has the
    graph at hand (the synthetic corpus) and need not read it back."""
    return summary_of(build(claim_id, statements=statements, sources=sources, edges=edges, chain_limit=0))
