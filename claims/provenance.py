"""The attribution graph: trace, origins, independence, cycles, dependents.

One home for the graph logic; the API, the admin and the exports all call it.

A claim's graph has *statements* (nodes: "source S states the claim") and
*attributions* (edges: "S1 states it on the authority of S2"). A chain runs
from a reporting end (a statement nobody cites) up to an origin (a statement
that cites nobody). Reporting is sometimes circular, so every walk carries the
path it has taken and stops when it would step onto it again: a trace always
terminates, and the loop is flagged instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import CharField, Exists, IntegerField, OuterRef, QuerySet
from django.db.models.expressions import RawSQL

from sources.models import SourceKind

from .models import Attribution, Claim, Statement


@dataclass(frozen=True)
class SourceRef:
    id: int
    name: str
    kind: str
    group_id: int  # the top-level organisation this source belongs to (itself if none)
    group_name: str


@dataclass(frozen=True)
class DocumentRef:
    id: int
    title: str
    url: str


@dataclass(frozen=True)
class Edge:
    id: int
    statement_id: int
    upstream_id: int
    relation: str
    document: DocumentRef | None
    quote: str
    verified: bool


@dataclass(frozen=True)
class Hop:
    """One step of a chain: a source, and the edge that leads on from it
    (``edge`` is None at the origin, and at the repeated source that closes a loop)."""

    statement_id: int
    source: SourceRef
    edge: Edge | None
    closes_loop: bool = False


@dataclass(frozen=True)
class Flag:
    code: str
    message: str


@dataclass
class Trace:
    claim_id: int
    as_of: datetime | None
    statements: dict[int, SourceRef]
    edges: list[Edge]
    chains: list[list[Hop]]
    origins: list[SourceRef]
    origin_groups: list[list[SourceRef]]
    unknown_origins: list[SourceRef]
    flags: list[Flag] = field(default_factory=list)

    @property
    def independent_origins(self) -> int:
        return len(self.origin_groups)

    @property
    def origin_statement_ids(self) -> set[int]:
        """Statements that cite nobody."""
        return set(self.statements) - {e.statement_id for e in self.edges}

    @property
    def reporting_end_ids(self) -> set[int]:
        """Statements nobody cites."""
        return set(self.statements) - {e.upstream_id for e in self.edges}

    @property
    def flag_codes(self) -> list[str]:
        return [f.code for f in self.flags]

    def as_dict(self) -> dict:
        """Plain data for the API, the admin's picture and the exports.

        Each hop carries its source and the edge that leads on to the next hop:
        ``relation``, ``document``, ``quote`` and ``verified`` are null at the
        origin and at the repeated source that closes a loop.
        """
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "chains": [[_hop_dict(hop) for hop in chain] for chain in self.chains],
            "origins": [_source_dict(o) for o in self.origins],
            "independent_origins": self.independent_origins,
            "origin_groups": [
                {
                    "organisation": {"id": group[0].group_id, "name": group[0].group_name},
                    "sources": [_source_dict(o) for o in group],
                }
                for group in self.origin_groups
            ],
            "unknown_origins": [_source_dict(o) for o in self.unknown_origins],
            "flags": self.flag_codes,
            "flag_details": [{"flag": f.code, "message": f.message} for f in self.flags],
        }


def _source_dict(ref: SourceRef) -> dict:
    return {"id": ref.id, "name": ref.name, "kind": ref.kind}


def _hop_dict(hop: Hop) -> dict:
    edge = hop.edge
    document = edge.document if edge else None
    return {
        "source": _source_dict(hop.source),
        "relation": edge.relation if edge else None,
        "document": {"id": document.id, "title": document.title, "url": document.url} if document else None,
        "quote": edge.quote if edge else None,
        "verified": edge.verified if edge else None,
        "closes_loop": hop.closes_loop,
    }


# --- the query ----------------------------------------------------------------

# The graph as it stands now.
_LIVE_GRAPH = """
    stmt AS (SELECT id, claim_id, source_id FROM claims_statement WHERE claim_id = ANY(%(claims)s)),
    edge AS (
        SELECT id, claim_id, statement_id, upstream_id, relation, document_id, quote, verified
        FROM claims_attribution WHERE claim_id = ANY(%(claims)s)
    ),
    gone AS (SELECT NULL::bigint AS id, NULL::text AS name, NULL::text AS kind WHERE false)"""

# The graph as it stood at %(as_of)s, rebuilt from the append-only history: the
# last event of each row up to that moment, unless that event was its deletion or
# moved the row to another claim. "Last" is by pgh_id, the order the events were
# written in: pgh_created_at is the transaction's start, and a transaction that
# started first may write a row last (it waited for the other's lock).
# Sources are read live; one deleted since is named from its last event (``gone``).
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
        SELECT id, claim_id, statement_id, upstream_id, relation, document_id, quote, verified FROM (
            SELECT DISTINCT ON (pgh_obj_id) pgh_obj_id AS id, claim_id, statement_id, upstream_id,
                   relation, document_id, quote, verified, pgh_label
            FROM claims_attributionevent
            WHERE pgh_obj_id IN (SELECT pgh_obj_id FROM claims_attributionevent WHERE claim_id = ANY(%(claims)s))
              AND pgh_created_at <= %(as_of)s
            ORDER BY pgh_obj_id, pgh_id DESC
        ) last WHERE pgh_label <> 'delete' AND claim_id = ANY(%(claims)s)
    ),
    gone AS (
        SELECT DISTINCT ON (pgh_obj_id) pgh_obj_id AS id, name, kind
        FROM sources_sourceevent
        WHERE pgh_obj_id IN (SELECT source_id FROM stmt)
          AND NOT EXISTS (SELECT 1 FROM sources_source s WHERE s.id = pgh_obj_id)
        ORDER BY pgh_obj_id, pgh_id DESC
    )"""

# Walk every statement upstream, carrying the path; a step back onto the path
# closes a loop and ends that walk. Keep the maximal walks (ended at an origin or
# a loop) that start at reporting ends, plus, for statements no reporting end
# reaches (a ring of sources citing each other), the walks that start inside it.
# Sources are returned with their top-level organisation (parents followed to
# the root, loop-safe), which is what independence is judged by.
_TRACE_SQL = """
WITH RECURSIVE {graph},
walk(claim_id, start_id, tip_id, path, edge_ids, closed) AS (
    SELECT claim_id, id, id, ARRAY[id], ARRAY[]::bigint[], false FROM stmt
  UNION ALL
    SELECT w.claim_id, w.start_id, e.upstream_id, w.path || e.upstream_id, w.edge_ids || e.id,
           e.upstream_id = ANY(w.path)
    FROM walk w JOIN edge e ON e.statement_id = w.tip_id
    WHERE NOT w.closed
),
ends AS (SELECT id FROM stmt s WHERE NOT EXISTS (SELECT 1 FROM edge e WHERE e.upstream_id = s.id)),
reached AS (SELECT DISTINCT unnest(path) AS id FROM walk WHERE start_id IN (SELECT id FROM ends)),
chains AS (
    SELECT claim_id, start_id, path, edge_ids, closed FROM walk w
    WHERE (w.closed OR NOT EXISTS (SELECT 1 FROM edge e WHERE e.statement_id = w.tip_id))
      AND (w.start_id IN (SELECT id FROM ends)
           OR NOT EXISTS (SELECT 1 FROM reached r WHERE r.id = w.start_id))
),
lineage(source_id, ancestor_id, seen) AS (
    SELECT s.id, s.id, ARRAY[s.id] FROM sources_source s
    WHERE s.id IN (SELECT source_id FROM stmt)
  UNION ALL
    SELECT l.source_id, a.parent_id, l.seen || a.parent_id
    FROM lineage l JOIN sources_source a ON a.id = l.ancestor_id
    WHERE a.parent_id IS NOT NULL AND NOT a.parent_id = ANY(l.seen)
),
root AS (
    SELECT DISTINCT ON (source_id) source_id, ancestor_id AS root_id
    FROM lineage ORDER BY source_id, cardinality(seen) DESC
)
SELECT
    (SELECT coalesce(json_agg(json_build_array(claim_id, start_id, path, edge_ids, closed)
                              ORDER BY start_id, path), '[]') FROM chains),
    (SELECT coalesce(json_agg(json_build_array(st.claim_id, st.id, st.source_id, coalesce(s.name, g.name),
                                               coalesce(s.kind, g.kind), coalesce(r.id, st.source_id),
                                               coalesce(r.name, g.name))), '[]')
     FROM stmt st LEFT JOIN sources_source s ON s.id = st.source_id
     LEFT JOIN gone g ON g.id = st.source_id
     LEFT JOIN root ON root.source_id = st.source_id LEFT JOIN sources_source r ON r.id = root.root_id),
    (SELECT coalesce(json_agg(json_build_array(e.claim_id, e.id, e.statement_id, e.upstream_id, e.relation,
                                               d.id, d.title, d.url, e.quote, e.verified)), '[]')
     FROM edge e LEFT JOIN sources_document d ON d.id = e.document_id)
"""


def trace(claim: Claim | int, *, as_of: datetime | None = None) -> Trace:
    """Every chain of the claim from its reporting ends to its origins, in one query."""
    claim_id = claim if isinstance(claim, int) else claim.pk
    return traces([claim_id], as_of=as_of)[claim_id]


def traces(claim_ids: list[int], *, as_of: datetime | None = None) -> dict[int, Trace]:
    """The traces of many claims in one query (exports trace claims by the thousand).

    Edges never join two claims' graphs (the database guarantees it), so one walk
    over all of them is the same as one walk per claim.
    """
    graph = _HISTORIC_GRAPH if as_of is not None else _LIVE_GRAPH
    with connection.cursor() as cursor:
        cursor.execute(_TRACE_SQL.format(graph=graph), {"claims": list(claim_ids), "as_of": as_of})
        raw_chains, raw_statements, raw_edges = (_json(v) for v in cursor.fetchone())

    statements: dict[int, dict[int, SourceRef]] = {claim_id: {} for claim_id in claim_ids}
    for claim_id, statement_id, *source in raw_statements:
        statements[claim_id][statement_id] = SourceRef(*source)
    edges: dict[int, dict[int, Edge]] = {claim_id: {} for claim_id in claim_ids}
    for claim_id, edge_id, statement_id, upstream_id, relation, doc_id, title, url, quote, verified in raw_edges:
        edges[claim_id][edge_id] = Edge(
            id=edge_id,
            statement_id=statement_id,
            upstream_id=upstream_id,
            relation=relation,
            document=DocumentRef(id=doc_id, title=title, url=url) if doc_id is not None else None,
            quote=quote,
            verified=verified,
        )
    walks: dict[int, list] = {claim_id: [] for claim_id in claim_ids}
    for claim_id, *walk in raw_chains:
        walks[claim_id].append(walk)

    results = {}
    for claim_id in claim_ids:
        result = Trace(
            claim_id=claim_id,
            as_of=as_of,
            statements=statements[claim_id],
            edges=sorted(edges[claim_id].values(), key=lambda e: e.id),
            chains=_select_chains(walks[claim_id], statements[claim_id], edges[claim_id]),
            origins=[],
            origin_groups=[],
            unknown_origins=[],
        )
        _judge_origins(result)
        result.flags = _flags(result)
        results[claim_id] = result
    return results


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _select_chains(raw_chains, statements, edges) -> list[list[Hop]]:
    # Walks from reporting ends come first. A ring nobody reaches from outside
    # is entered once, at its lowest statement id, so each loop is listed once.
    by_start: dict[int, list] = {}
    for start_id, path, edge_ids, closed in raw_chains:
        by_start.setdefault(start_id, []).append((path, edge_ids, closed))
    cited = {e.upstream_id for e in edges.values()}
    starts_with_no_way_in = {s for s in by_start if s not in cited}
    chosen = [walk for s in sorted(starts_with_no_way_in) for walk in by_start[s]]
    covered = {node for path, _, _ in chosen for node in path}
    for start_id in sorted(by_start):
        if start_id not in covered and start_id not in starts_with_no_way_in:
            chosen.extend(by_start[start_id])
            covered.update(node for path, _, _ in by_start[start_id] for node in path)

    chains = []
    for path, edge_ids, closed in chosen:
        hops = [
            Hop(statement_id=node, source=statements[node], edge=edges[edge_ids[i]] if i < len(edge_ids) else None)
            for i, node in enumerate(path)
        ]
        if closed:
            last = hops[-1]
            hops[-1] = Hop(statement_id=last.statement_id, source=last.source, edge=None, closes_loop=True)
        chains.append(hops)
    return chains


def _judge_origins(result: Trace) -> None:
    origin_ids = result.origin_statement_ids
    origins = [ref for sid, ref in sorted(result.statements.items()) if sid in origin_ids]
    result.origins = sorted({o.id: o for o in origins}.values(), key=lambda o: o.name)
    # An anonymous source may be anyone, so it is not counted as independent.
    result.unknown_origins = [o for o in result.origins if o.kind == SourceKind.ANONYMOUS]
    groups: dict[int, list[SourceRef]] = {}
    for origin in result.origins:
        if origin.kind != SourceKind.ANONYMOUS:
            groups.setdefault(origin.group_id, []).append(origin)
    result.origin_groups = list(groups.values())


def _names(refs: list[SourceRef]) -> str:
    names = [r.name for r in refs]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _chains(n: int) -> str:
    return "the only chain" if n == 1 else f"all {n} chains"


def _flags(result: Trace) -> list[Flag]:
    flags: list[Flag] = []
    n = len(result.chains)
    if len(result.origin_groups) == 1:
        group = result.origin_groups[0]
        shared = f" (all part of {group[0].group_name})" if len(group) > 1 else ""
        flags.append(
            Flag(
                "single_origin",
                f"{_chains(n).capitalize()} {'leads' if n == 1 else 'lead'} to {_names(group)}{shared}.",
            )
        )
    if n > 1:
        on_every_chain = set.intersection(*({h.source.id for h in chain} for chain in result.chains))
        origin_ids = {o.id for o in result.origins}
        through = [h.source for h in result.chains[0] if h.source.id in on_every_chain - origin_ids]
        if through:
            names = _names(list({s.id: s for s in through}.values()))
            flags.append(Flag("common_intermediary", f"All {n} chains pass through {names}."))
    loops = [chain for chain in result.chains if chain and chain[-1].closes_loop]
    if loops:
        rings = {
            " → ".join(h.source.name for h in chain[[h.statement_id for h in chain].index(chain[-1].statement_id) :])
            for chain in loops
        }
        flags.append(Flag("circular_reporting", "Circular reporting: " + "; ".join(sorted(rings)) + "."))
    if not result.origins and result.statements:
        flags.append(Flag("no_origin", "No chain reaches an origin: every source cites another."))
    unverified = [e for e in result.edges if not e.verified]
    if unverified:
        pairs = [
            f"{result.statements[e.statement_id].name} → {result.statements[e.upstream_id].name}" for e in unverified
        ]
        flags.append(Flag("unverified_hop", f"{len(unverified)} hop(s) asserted but not checked: {'; '.join(pairs)}."))
    if result.unknown_origins:
        flags.append(
            Flag(
                "anonymous_origin",
                f"Origin {_names(result.unknown_origins)} is anonymous and cannot be judged independent.",
            )
        )
    return flags


# --- questions asked of many claims ----------------------------------------------


def claims_citing_source(claims: QuerySet[Claim], source_id: int) -> QuerySet[Claim]:
    """Claims whose chains pass through or start or originate at the source."""
    return claims.filter(Exists(Statement.objects.filter(claim=OuterRef("pk"), source_id=source_id)))


def claims_originating_at(claims: QuerySet[Claim], source_id: int) -> QuerySet[Claim]:
    """Claims for which the source is an origin (it states them on nobody's authority)."""
    origin_statements = Statement.objects.filter(claim=OuterRef("pk"), source_id=source_id).exclude(
        Exists(Attribution.objects.filter(statement=OuterRef("pk")))
    )
    return claims.filter(Exists(origin_statements))


# Hops from the nearest reporting end down to the source's statement (0: the
# source itself reports the claim). Walks downstream, loop-safe.
_DISTANCE_SQL = """
WITH RECURSIVE down(statement_id, depth, path) AS (
    SELECT s.id, 0, ARRAY[s.id] FROM claims_statement s
    WHERE s.claim_id = "claims_claim"."id" AND s.source_id = %s
  UNION ALL
    SELECT e.statement_id, d.depth + 1, d.path || e.statement_id
    FROM down d JOIN claims_attribution e ON e.upstream_id = d.statement_id
    WHERE NOT e.statement_id = ANY(d.path)
)
SELECT min(depth) FROM down
WHERE NOT EXISTS (SELECT 1 FROM claims_attribution x WHERE x.upstream_id = down.statement_id)
"""

_ROLE_SQL = """
SELECT CASE
    WHEN NOT EXISTS (SELECT 1 FROM claims_attribution e WHERE e.statement_id = s.id) THEN 'origin'
    WHEN NOT EXISTS (SELECT 1 FROM claims_attribution e WHERE e.upstream_id = s.id) THEN 'reporter'
    ELSE 'intermediary' END
FROM claims_statement s WHERE s.claim_id = "claims_claim"."id" AND s.source_id = %s
"""


def dependents(claims: QuerySet[Claim], source_id: int) -> QuerySet[Claim]:
    """Claims that rely on the source, annotated with ``role`` (origin, intermediary
    or reporter) and ``distance`` (hops from the nearest reporting end)."""
    return claims_citing_source(claims, source_id).annotate(
        role=RawSQL(f"({_ROLE_SQL})", (source_id,), output_field=CharField()),
        distance=RawSQL(f"({_DISTANCE_SQL})", (source_id,), output_field=IntegerField()),
    )
