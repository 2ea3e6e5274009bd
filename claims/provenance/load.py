"""Reading claims' graphs from the database: as they stand, or as they stood.

One query, however many claims: statements, edges, their evidence (with its
documents) and every source involved, each with its top-level organisation. Its cost is linear
in the size of the graphs; the judging is done by ``graph.build``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import router

from core.history import from_json
from core.prepared import fetchone_prepared

from .graph import CHAIN_LIMIT, DocumentRef, Edge, EvidenceItem, SourceRef, Trace, build

# The graph as it stands now.
_LIVE_GRAPH = """
    stmt AS (SELECT id, claim_id, source_id FROM claims_statement WHERE claim_id = ANY(%(claims)s)),
    edge AS (
        SELECT id, claim_id, statement_id, upstream_id, relation, verified
        FROM claims_attribution WHERE claim_id = ANY(%(claims)s)
    ),
    evid AS (
        SELECT id, attribution_id, document_id, quote, relation
        FROM claims_evidence WHERE claim_id = ANY(%(claims)s)
    ),
    gone AS (
        SELECT NULL::bigint AS id, NULL::text AS name, NULL::text AS kind, NULL::boolean AS confidential,
               NULL::text AS public_description
        WHERE false
    )"""

# The graph as it stood at %(as_of)s, rebuilt from the append-only history: the
# last event of each row up to that moment, unless that event was its deletion or
# moved the row to another claim. "Last" is by pgh_id, the order the events were
# written in: pgh_created_at is the transaction's start, and a transaction that
# started first may write a row last (it waited for the other's lock).
# Sources are read live; one deleted since is named from its last event (``gone``),
# and counts as confidential if it ever was.
_HISTORIC_GRAPH = """
    stmt AS (
        SELECT id, claim_id, source_id FROM (
            SELECT DISTINCT ON (pgh_obj_id) pgh_obj_id AS id, claim_id, source_id, pgh_label
            FROM claims_statementevent
            WHERE pgh_obj_id IN (SELECT pgh_obj_id FROM claims_statementevent WHERE claim_id = ANY(%(claims)s))
              AND pgh_created_at <= %(as_of)s
            ORDER BY pgh_obj_id, pgh_id DESC
        ) last WHERE pgh_label <> 'delete' AND claim_id = ANY(%(claims)s)
    ),
    edge AS (
        SELECT id, claim_id, statement_id, upstream_id, relation, verified FROM (
            SELECT DISTINCT ON (pgh_obj_id) pgh_obj_id AS id, claim_id, statement_id, upstream_id,
                   relation, verified, pgh_label
            FROM claims_attributionevent
            WHERE pgh_obj_id IN (SELECT pgh_obj_id FROM claims_attributionevent WHERE claim_id = ANY(%(claims)s))
              AND pgh_created_at <= %(as_of)s
            ORDER BY pgh_obj_id, pgh_id DESC
        ) last WHERE pgh_label <> 'delete' AND claim_id = ANY(%(claims)s)
    ),
    evid AS (
        SELECT id, attribution_id, document_id, quote, relation FROM (
            SELECT DISTINCT ON (pgh_obj_id) pgh_obj_id AS id, attribution_id, document_id, quote, relation,
                   pgh_label
            FROM claims_evidenceevent
            WHERE pgh_obj_id IN (SELECT pgh_obj_id FROM claims_evidenceevent WHERE claim_id = ANY(%(claims)s))
              AND pgh_created_at <= %(as_of)s
            ORDER BY pgh_obj_id, pgh_id DESC
        ) last WHERE pgh_label <> 'delete' AND attribution_id IN (SELECT id FROM edge)
    ),
    gone AS (
        SELECT DISTINCT ON (pgh_obj_id) pgh_obj_id AS id, name, kind,
               bool_or(confidential) OVER (PARTITION BY pgh_obj_id) AS confidential, public_description
        FROM sources_sourceevent
        WHERE pgh_obj_id IN (SELECT source_id FROM stmt)
          AND NOT EXISTS (SELECT 1 FROM sources_source s WHERE s.id = pgh_obj_id)
        ORDER BY pgh_obj_id, pgh_id DESC
    )"""

# Sources come with their top-level organisation (parents followed to the root),
# which is what independence is judged by. The database refuses parent loops;
# the walk is loop-safe all the same.
_TRACE_SQL = """
WITH RECURSIVE {graph},
lineage(source_id, ancestor_id, depth, seen) AS (
    SELECT s.id, s.id, 0, ARRAY[s.id] FROM sources_source s WHERE s.id IN (SELECT source_id FROM stmt)
  UNION ALL
    SELECT l.source_id, a.parent_id, l.depth + 1, l.seen || a.parent_id
    FROM lineage l JOIN sources_source a ON a.id = l.ancestor_id
    WHERE a.parent_id IS NOT NULL AND NOT a.parent_id = ANY(l.seen)
),
root AS (
    SELECT DISTINCT ON (source_id) source_id, ancestor_id AS root_id FROM lineage ORDER BY source_id, depth DESC
),
involved AS (SELECT source_id AS id FROM stmt UNION SELECT root_id FROM root)
SELECT
    (SELECT coalesce(json_agg(json_build_array(claim_id, id, source_id)), '[]') FROM stmt),
    (SELECT coalesce(json_agg(json_build_array(e.claim_id, e.id, e.statement_id, e.upstream_id, e.relation,
                                               e.verified)), '[]')
     FROM edge e),
    (SELECT coalesce(json_agg(json_build_array(v.attribution_id, v.id, v.relation, v.quote, d.id, d.title, d.url,
                                               p.id, coalesce(p.confidential, false), p.public_description)
                              ORDER BY v.id), '[]')
     FROM evid v LEFT JOIN sources_document d ON d.id = v.document_id
     LEFT JOIN sources_source p ON p.id = d.publisher_id),
    (SELECT coalesce(json_agg(json_build_array(i.id, coalesce(s.name, g.name), coalesce(s.kind, g.kind),
                                               coalesce(r.root_id, i.id), coalesce(s.confidential, g.confidential),
                                               coalesce(s.public_description, g.public_description))), '[]')
     FROM involved i LEFT JOIN sources_source s ON s.id = i.id LEFT JOIN gone g ON g.id = i.id
     LEFT JOIN root r ON r.source_id = i.id)
"""


def traces(claim_ids: list[int], *, as_of: datetime | None = None, chain_limit: int = CHAIN_LIMIT) -> dict[int, Trace]:
    """The traces of many claims in one query (exports trace claims by the hundred).

    Edges never join two claims' graphs (the database guarantees it), so one read
    of all of them is the same as one read per claim. Traces are not redacted:
    pass them through ``redaction.redact`` before showing them to anyone.
    """
    # Prepared: planning this query costs more than running it on a claim's graph. On a
    # replica when the request reads from one (core.db_routing), as the ORM's reads do.
    from claims.models import Statement  # here: the floor (corpus/floor.py) reads this module without models

    row = fetchone_prepared(
        trace_sql(as_of=as_of), {"claims": list(claim_ids), "as_of": as_of}, using=router.db_for_read(Statement)
    )
    return assemble(claim_ids, row, as_of=as_of, chain_limit=chain_limit)


# Claims' bare graphs, for what needs their shape and nothing else (a source's distance
# from the reporting end): statements ("s": id, source) and edges ("e": statement,
# upstream), no evidence, no documents, no sources' names.
BARE_GRAPHS_SQL = """
    SELECT claim_id, 's', id, source_id FROM claims_statement WHERE claim_id = ANY(%(claims)s)
    UNION ALL
    SELECT claim_id, 'e', statement_id, upstream_id FROM claims_attribution WHERE claim_id = ANY(%(claims)s)
"""


def bare_graphs(claim_ids: list[int], rows: Iterable[tuple]) -> dict[int, tuple[dict[int, int], list[tuple[int, int]]]]:
    """``BARE_GRAPHS_SQL``'s rows as each claim's statements and edges."""
    graphs: dict[int, tuple[dict[int, int], list[tuple[int, int]]]] = {claim_id: ({}, []) for claim_id in claim_ids}
    for claim_id, kind, a, b in rows:
        statements, edges = graphs[claim_id]
        if kind == "s":
            statements[a] = b
        else:
            edges.append((a, b))
    return graphs


def trace_sql(*, as_of: datetime | None = None) -> str:
    """The one query ``traces`` runs (parameters ``claims``, a list of ids, and ``as_of``)."""
    return _TRACE_SQL.format(graph=_HISTORIC_GRAPH if as_of is not None else _LIVE_GRAPH)


def assemble(
    claim_ids: list[int], row: tuple, *, as_of: datetime | None = None, chain_limit: int = CHAIN_LIMIT
) -> dict[int, Trace]:
    """The traces judged from the row ``trace_sql`` answered (its four JSON columns)."""
    raw_statements, raw_edges, raw_evidence, raw_sources = (from_json(v) for v in row)
    sources = {
        source_id: SourceRef(
            id=source_id,
            name=name or f"source {source_id}",
            kind=kind or "other",
            group_id=group_id,
            confidential=bool(confidential),
            public_description=public_description or "",
        )
        for source_id, name, kind, group_id, confidential, public_description in raw_sources
    }
    statements: dict[int, dict[int, int]] = {claim_id: {} for claim_id in claim_ids}
    for claim_id, statement_id, source_id in raw_statements:
        statements[claim_id][statement_id] = source_id
    evidence: dict[int, list[EvidenceItem]] = {}
    for (
        edge_id,
        evidence_id,
        relation,
        quote,
        doc_id,
        title,
        url,
        publisher_id,
        confidential,
        description,
    ) in raw_evidence:
        document = None
        if doc_id is not None:
            document = DocumentRef(
                id=doc_id,
                title=title,
                url=url,
                publisher_id=publisher_id,
                confidential=confidential,
                publisher_description=description or "",
            )
        evidence.setdefault(edge_id, []).append(
            EvidenceItem(id=evidence_id, document=document, quote=quote, relation=relation)
        )
    edges: dict[int, list[Edge]] = {claim_id: [] for claim_id in claim_ids}
    for claim_id, edge_id, statement_id, upstream_id, relation, verified in raw_edges:
        edges[claim_id].append(
            Edge(
                id=edge_id,
                statement_id=statement_id,
                upstream_id=upstream_id,
                relation=relation,
                verified=verified,
                evidence=tuple(evidence.get(edge_id, ())),
            )
        )
    results = {}
    for claim_id in claim_ids:
        involved = set(statements[claim_id].values())
        involved |= {sources[s].group_id for s in involved}
        results[claim_id] = build(
            claim_id,
            statements=statements[claim_id],
            sources={s: sources[s] for s in involved},
            edges=edges[claim_id],
            as_of=as_of,
            chain_limit=chain_limit,
        )
    return results


def trace(claim, *, as_of: datetime | None = None, chain_limit: int = CHAIN_LIMIT) -> Trace:
    """The trace of one claim (a Claim or its id), not redacted."""
    claim_id = getattr(claim, "pk", claim)
    return traces([claim_id], as_of=as_of, chain_limit=chain_limit)[claim_id]
