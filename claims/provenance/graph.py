"""The attribution graph of one claim, and what can be said of it.

Pure data and algorithms, no database: ``load.py`` reads the graph, this module
judges it. Every judgement is made on the graph itself (reachability, strongly
connected components, path counts), in time linear in its size. Chains, the
readable view (every way from a reporting end to an origin), can be exponential
in number (a lattice of 40 layers has 2^40), so they are *counted* by dynamic
programming and *listed* only up to a limit.

Directions: an edge goes from a statement to the statement it relies on
(``statement_id`` -> ``upstream_id``, "S1 states it on the authority of S2").
An *origin* cites nobody; a *reporting end* is cited by nobody.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime

# Chains listed by default, and at most, in a trace.
CHAIN_LIMIT = 50
MAX_CHAIN_LIMIT = 200
# A graph with loops cannot have its chains counted by dynamic programming;
# they are counted by walking them, and the walk stops here.
CHAIN_COUNT_BUDGET = 10_000
# Chains list at most this many hops in all, however long the chains are.
MAX_LISTED_HOPS = 2_500
# Counts stop here, the largest integer every JSON reader holds exactly (2^53 - 1);
# a count that reaches it is given as a lower bound (chains_total_exact false).
MAX_COUNT = 2**53 - 1
# Work allowed (statements x graph size) for the exact test of intermediaries in a graph with loops.
EXACT_CHECK_BUDGET = 1_000_000

ANONYMOUS = "anonymous"  # sources.models.SourceKind.ANONYMOUS


@dataclass(frozen=True)
class SourceRef:
    id: int
    name: str
    kind: str
    group_id: int  # the top-level organisation the source belongs to (itself if none)
    confidential: bool = False
    public_description: str = ""
    redacted: bool = False  # the name is a placeholder: the viewer may not know who this is

    @property
    def anonymous(self) -> bool:
        return self.kind == ANONYMOUS


@dataclass(frozen=True)
class DocumentRef:
    id: int
    title: str
    url: str
    # Published by a confidential source: the title and address would name it.
    publisher_id: int | None = None
    confidential: bool = False
    publisher_description: str = ""


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of a hop's evidence: the document asserting it, its words, and the
    relation as that document words it."""

    id: int
    document: DocumentRef | None
    quote: str
    relation: str


@dataclass(frozen=True)
class Edge:
    id: int
    statement_id: int  # the downstream end: who states the claim ...
    upstream_id: int  # ... on whose authority
    relation: str
    verified: bool
    evidence: tuple[EvidenceItem, ...] = ()  # oldest first
    withheld: bool = False  # some or all of the evidence hidden: it would identify a confidential source

    @property
    def document(self) -> DocumentRef | None:
        """The first document asserting the hop (the picture names one)."""
        return next((e.document for e in self.evidence if e.document is not None), None)

    @property
    def quote(self) -> str:
        """The first words evidencing the hop, "" if none."""
        return next((e.quote for e in self.evidence if e.quote), "")

    @property
    def quoted(self) -> bool:
        return any(e.quote for e in self.evidence)


@dataclass(slots=True)  # not frozen: a trace lists thousands, and frozen ones are three times slower to make
class Hop:
    """One step of a chain: a statement, and the edge that leads on from it
    (``edge`` is None at the origin, and at the repeated statement that closes a loop)."""

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
    """A claim's graph and its judgement. ``statements`` maps each node (a statement)
    to its source id; ``sources`` names every source involved, organisations included."""

    claim_id: int
    as_of: datetime | None
    statements: dict[int, int]
    sources: dict[int, SourceRef]
    edges: list[Edge]
    chains: list[list[Hop]] = field(default_factory=list)
    chains_total: int = 0
    chains_total_exact: bool = True
    analysis: Analysis | None = None
    flags: list[Flag] = field(default_factory=list)

    def source_of(self, statement_id: int) -> SourceRef:
        return self.sources[self.statements[statement_id]]

    @property
    def chains_truncated(self) -> bool:
        return self.chains_total > len(self.chains) or not self.chains_total_exact

    @property
    def origin_statement_ids(self) -> set[int]:
        """Statements that cite nobody."""
        return set(self.statements) - {e.statement_id for e in self.edges}

    @property
    def reporting_end_ids(self) -> set[int]:
        """Statements nobody cites."""
        return set(self.statements) - {e.upstream_id for e in self.edges}

    @property
    def origins(self) -> list[SourceRef]:
        """Origin sources, one each, by name."""
        refs = {self.statements[s]: self.source_of(s) for s in self.origin_statement_ids}
        return sorted(refs.values(), key=lambda r: (r.name, r.id))

    @property
    def unknown_origins(self) -> list[SourceRef]:
        """Anonymous origins: anyone may be behind them, so they are not counted as independent."""
        return [o for o in self.origins if o.anonymous]

    @property
    def origin_groups(self) -> list[list[SourceRef]]:
        """Named origins grouped by top-level organisation: each group is one independent origin."""
        groups: dict[int, list[SourceRef]] = {}
        for origin in self.origins:
            if not origin.anonymous:
                groups.setdefault(origin.group_id, []).append(origin)
        return list(groups.values())

    def organisation_of(self, group: list[SourceRef]) -> SourceRef | None:
        """The organisation a group of origins belongs to, as this trace may name it: None
        when the viewer knows of it only through confidential sources (whom one works
        for is part of who it is). Independence still counts the group once."""
        organisation = self.sources.get(group[0].group_id)
        if organisation is not None and all(o.redacted for o in group) and organisation.id not in {o.id for o in group}:
            return None
        return organisation

    @property
    def independent_origins(self) -> int:
        return len(self.origin_groups)

    @property
    def flag_codes(self) -> list[str]:
        return [f.code for f in self.flags]

    def as_dict(self) -> dict:
        """The trace as plain data: the API's answer (``TraceSerializer`` describes it
        for the schema) and each line of an export.

        The graph (``nodes`` and ``edges``) is the primary answer, linear in its size;
        ``chains`` are a readable view of it, listed up to a limit and counted in
        ``chains_total``. Each hop carries its source and the edge that leads on to
        the next hop (its id, relation and whether it was verified; null at the
        origin and at the statement that closes a loop).
        """
        origins, ends = self.origin_statement_ids, self.reporting_end_ids
        return {
            "as_of": self.as_of.isoformat().replace("+00:00", "Z") if self.as_of else None,
            "nodes": [
                {
                    "id": statement_id,
                    "source": _source_dict(self.source_of(statement_id)),
                    "origin": statement_id in origins,
                    "reporting_end": statement_id in ends,
                }
                for statement_id in sorted(self.statements)
            ],
            "edges": [
                {
                    "id": e.id,
                    "from": e.statement_id,
                    "to": e.upstream_id,
                    "relation": e.relation,
                    "verified": e.verified,
                    "evidence": [
                        {"document": _document_dict(item.document), "quote": item.quote, "relation": item.relation}
                        for item in e.evidence
                    ],
                    "evidence_withheld": e.withheld,
                }
                for e in self.edges
            ],
            "chains": [[_hop_dict(hop) for hop in chain] for chain in self.chains],
            "chains_total": self.chains_total,
            "chains_total_exact": self.chains_total_exact,
            "chains_truncated": self.chains_truncated,
            "origins": [_source_dict(o) for o in self.origins],
            "independent_origins": self.independent_origins,
            "origin_groups": [
                {
                    "organisation": _organisation_dict(self.organisation_of(group)),
                    "sources": [_source_dict(o) for o in group],
                }
                for group in self.origin_groups
            ],
            "unknown_origins": [_source_dict(o) for o in self.unknown_origins],
            "flags": self.flag_codes,
            "flag_details": [{"flag": f.code, "message": f.message} for f in self.flags],
        }


def _source_dict(ref: SourceRef) -> dict:
    return {"id": ref.id, "name": ref.name, "kind": ref.kind, "confidential": ref.confidential}


def _organisation_dict(ref: SourceRef | None) -> dict | None:
    return None if ref is None else {"id": ref.id, "name": ref.name}


def _document_dict(document: DocumentRef | None) -> dict | None:
    return {"id": document.id, "title": document.title, "url": document.url} if document else None


def _hop_dict(hop: Hop) -> dict:
    # The hop names its edge; the evidence (documents, quotes) is the edge's, in
    # ``edges``, once: repeated on every hop of every chain it could run to megabytes.
    edge = hop.edge
    return {
        "statement": hop.statement_id,
        "source": _source_dict(hop.source),
        "edge": edge.id if edge else None,
        "relation": edge.relation if edge else None,
        "verified": edge.verified if edge else None,
        "closes_loop": hop.closes_loop,
    }


@dataclass(frozen=True)
class Endings:
    """Where the chains end, counted: at a named origin, at an anonymous one, or where
    they run into a loop. Lower bounds when the trace's count is not exact."""

    named: int = 0
    anonymous: int = 0
    loops: int = 0

    @property
    def total(self) -> int:
        return min(self.named + self.anonymous + self.loops, MAX_COUNT)


@dataclass(frozen=True)
class Analysis:
    """What the graph says, by statement id; flags are worded from it (and worded
    again after redaction, so their messages name only what the viewer may see)."""

    starts: tuple[int, ...]  # where chains begin: reporting ends, then one entry per ring nobody reaches
    loops: tuple[tuple[int, ...], ...]  # one cycle per group of sources that cite each other in a ring
    intermediaries: tuple[int, ...]  # statements every chain passes through (not its ends)
    dead_ends: tuple[int, ...]  # statements from which no origin can be reached (every way runs into a loop)
    every_chain_reaches_one_group: bool  # all chains end at origins of a single organisation
    endings: Endings = Endings()  # how many chains end where (named origins, anonymous ones, loops)
    # Edges no quote evidences, judged before redaction (withheld evidence is still evidence).
    unquoted: tuple[int, ...] = ()


# --- building -------------------------------------------------------------------------------


def build(
    claim_id: int,
    *,
    statements: dict[int, int],
    sources: dict[int, SourceRef],
    edges: Iterable[Edge],
    as_of: datetime | None = None,
    chain_limit: int = CHAIN_LIMIT,
) -> Trace:
    """Judge one claim's graph: chains (listed up to ``chain_limit`` and counted),
    origins, independence and flags."""
    from .flags import word_flags  # flags word what this module computes

    edges = sorted(edges, key=lambda e: e.id)
    graph = _Graph(statements, edges)
    trace = Trace(claim_id=claim_id, as_of=as_of, statements=statements, sources=sources, edges=edges)
    starts = graph.starts()
    trace.chains = [
        _hops(trace, graph, path, closed) for path, closed in _limited(graph.walks(starts), max(0, chain_limit))
    ]
    anonymous = {s for s in graph.origins if sources[statements[s]].anonymous}
    endings, trace.chains_total_exact = graph.count_chains(starts, anonymous)
    trace.chains_total = endings.total
    origin_groups = {sources[statements[s]].group_id for s in graph.origins if s not in anonymous}
    trace.analysis = Analysis(
        starts=tuple(starts),
        loops=tuple(graph.loops()),
        intermediaries=tuple(graph.intermediaries(starts, trace.chains_total, trace.chains_total_exact)),
        dead_ends=tuple(graph.dead_ends()),
        every_chain_reaches_one_group=len(origin_groups) == 1
        and graph.every_chain_ends_in(starts, {s for s in graph.origins if _group(trace, s) in origin_groups}),
        endings=endings,
        unquoted=tuple(e.id for e in edges if not e.quoted),
    )
    trace.flags = word_flags(trace)
    return trace


def _group(trace: Trace, statement_id: int) -> int | None:
    ref = trace.source_of(statement_id)
    return None if ref.anonymous else ref.group_id


def _limited(walks: Iterator, limit: int) -> Iterator:
    """The first ``limit`` chains, and no more than MAX_LISTED_HOPS hops in all (the
    first chain is always listed: it is no longer than the graph)."""
    listed = hops = 0
    for path, closed in walks:
        if listed >= limit or (listed and hops + len(path) > MAX_LISTED_HOPS):
            return
        yield path, closed
        listed, hops = listed + 1, hops + len(path)


def _hops(trace: Trace, graph: _Graph, path: list[int], closed: bool) -> list[Hop]:
    statements, sources, edges = trace.statements, trace.sources, graph.edges_by_ends
    hops = [Hop(node, sources[statements[node]], edges[(node, nxt)]) for node, nxt in itertools.pairwise(path)]
    last = path[-1]
    hops.append(Hop(last, sources[statements[last]], None, closed))
    return hops


def relabel(trace: Trace, sources: dict[int, SourceRef], edges: list[Edge]) -> Trace:
    """The same judgement with other source names and evidence (for redaction):
    chains and flags are rebuilt from the new names; the graph is unchanged."""
    from .flags import word_flags

    by_id = {e.id: e for e in edges}
    result = replace(trace, sources=sources, edges=edges)
    result.chains = [
        [
            replace(hop, source=sources[trace.statements[hop.statement_id]], edge=hop.edge and by_id[hop.edge.id])
            for hop in chain
        ]
        for chain in trace.chains
    ]
    result.flags = word_flags(result)
    return result


def role_in(statements: dict[int, int], edges: Iterable[tuple[int, int]], source_id: int) -> str | None:
    """The source's role in a bare graph (see ``distance_in``): "origin" (its statement
    cites nobody), "reporter" (nobody cites it), "intermediary"; None if it states
    nothing there. As ``ClaimQuerySet.with_role_of`` judges it in SQL."""
    mine = {s for s, src in statements.items() if src == source_id}
    if not mine:
        return None
    edges = list(edges)
    if mine - {statement for statement, _ in edges}:
        return "origin"
    if mine - {upstream for _, upstream in edges}:
        return "reporter"
    return "intermediary"


def distance_in(statements: dict[int, int], edges: Iterable[tuple[int, int]], source_id: int) -> int | None:
    """Hops from the nearest reporting end down to the source's statement (0: the
    source reports the claim itself); None when only a loop of sources leads to it (or
    the source is not in the graph). The graph is bare: statements (id: source id) and
    edges (statement, upstream), all a distance needs. Breadth first: linear in its size."""
    targets = {s for s, src in statements.items() if src == source_id}
    up: dict[int, list[int]] = {}
    for statement, upstream in edges:
        up.setdefault(statement, []).append(upstream)
    # Reporting ends: statements nobody cites (Trace.reporting_end_ids).
    frontier = sorted(set(statements) - {upstream for ups in up.values() for upstream in ups})
    seen, depth = set(frontier), 0
    while frontier:
        if targets.intersection(frontier):
            return depth
        following = []
        for node in frontier:
            for nxt in up.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    following.append(nxt)
        frontier, depth = following, depth + 1
    return None


# --- the algorithms ---------------------------------------------------------------------------


class _Graph:
    def __init__(self, statements: dict[int, int], edges: list[Edge]) -> None:
        self.nodes = sorted(statements)
        self.up: dict[int, list[int]] = {n: [] for n in self.nodes}
        self.down: dict[int, list[int]] = {n: [] for n in self.nodes}
        self.edges_by_ends: dict[tuple[int, int], Edge] = {}
        for e in edges:
            self.up[e.statement_id].append(e.upstream_id)
            self.down[e.upstream_id].append(e.statement_id)
            self.edges_by_ends[(e.statement_id, e.upstream_id)] = e
        for targets in (*self.up.values(), *self.down.values()):
            targets.sort()
        self.origins = {n for n in self.nodes if not self.up[n]}
        self.reporting_ends = [n for n in self.nodes if not self.down[n]]
        self._components = _strongly_connected(self.nodes, self.up)
        self._cyclic = {n for component in self._components if len(component) > 1 for n in component}

    @property
    def acyclic(self) -> bool:
        return not self._cyclic

    def reach(self, starts: Iterable[int], *, avoid: int | None = None) -> set[int]:
        """Statements reachable upstream from ``starts`` (without passing ``avoid``)."""
        seen = {s for s in starts if s != avoid}
        stack = list(seen)
        while stack:
            node = stack.pop()
            for nxt in self.up[node]:
                if nxt not in seen and nxt != avoid:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    def starts(self) -> list[int]:
        """Reporting ends; then, for rings of sources citing each other that nothing
        outside them leads into, the lowest statement of each ring (so each such loop
        is shown once). Every other statement can be reached from these."""
        component_of = {n: i for i, c in enumerate(self._components) for n in c}
        way_in = {component_of[n] for n in self.nodes for d in self.down[n] if component_of[d] != component_of[n]}
        rings = [min(c) for i, c in enumerate(self._components) if len(c) > 1 and i not in way_in]
        return [*self.reporting_ends, *sorted(rings)]

    def walks(self, starts: list[int], *, max_steps: int | None = None) -> Iterator[tuple[list[int], bool] | None]:
        """Every chain, depth first in statement id order: from each start upstream until
        an origin, or until the next step would repeat a statement (a loop, ``closed``).
        With ``max_steps``, the walk gives up after that many steps and yields None to say so."""
        steps = 0
        for start in starts:
            if not self.up[start]:
                yield [start], False
                continue
            path, on_path, stack = [start], {start}, [iter(self.up[start])]
            while stack:
                steps += 1
                if max_steps is not None and steps > max_steps:
                    yield None
                    return
                nxt = next(stack[-1], None)
                if nxt is None:
                    stack.pop()
                    on_path.discard(path.pop())
                elif nxt in on_path:
                    yield [*path, nxt], True
                elif not self.up[nxt]:
                    yield [*path, nxt], False
                else:
                    path.append(nxt)
                    on_path.add(nxt)
                    stack.append(iter(self.up[nxt]))

    def count_chains(self, starts: list[int], anonymous: set[int]) -> tuple[Endings, bool]:
        """How many chains there are, by how they end (at a named origin, at one of the
        ``anonymous`` origins, in a loop), and whether the counts are exact. Without
        loops, by dynamic programming (linear, exact however many); with loops, by
        walking them up to a budget."""
        if self.acyclic:
            named, unnamed = self._paths_to_origins(anonymous)
            endings = Endings(
                named=min(sum(named[s] for s in starts), MAX_COUNT),
                anonymous=min(sum(unnamed[s] for s in starts), MAX_COUNT),
            )
            return endings, endings.named + endings.anonymous < MAX_COUNT
        # The walk of ``walks``, counting instead of copying each chain.
        counts = {"named": 0, "anonymous": 0, "loops": 0}
        count, steps = 0, 0
        for start in starts:
            if not self.up[start]:
                counts["anonymous" if start in anonymous else "named"] += 1
                count += 1
                continue
            on_path, stack = [start], [iter(self.up[start])]
            on_set = {start}
            while stack:
                steps += 1
                if count >= CHAIN_COUNT_BUDGET or steps > CHAIN_COUNT_BUDGET * 20:
                    return Endings(**counts), False  # at least these many
                nxt = next(stack[-1], None)
                if nxt is None:
                    stack.pop()
                    on_set.discard(on_path.pop())
                elif nxt in on_set:
                    counts["loops"] += 1  # a loop closes
                    count += 1
                elif not self.up[nxt]:
                    counts["anonymous" if nxt in anonymous else "named"] += 1  # an origin is reached
                    count += 1
                else:
                    on_path.append(nxt)
                    on_set.add(nxt)
                    stack.append(iter(self.up[nxt]))
        return Endings(**counts), True

    def _topological(self) -> list[int]:
        """Statements ordered so that each comes before those it cites (acyclic graphs)."""
        indegree = {n: len(self.down[n]) for n in self.nodes}
        ready = [n for n in self.nodes if indegree[n] == 0]
        order = []
        while ready:
            node = ready.pop()
            order.append(node)
            for nxt in self.up[node]:
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    ready.append(nxt)
        return order

    def _paths_to_origins(self, anonymous: set[int]) -> tuple[dict[int, int], dict[int, int]]:
        """Chains from each statement to a named origin, and to an anonymous one, each
        counted up to MAX_COUNT (a lattice of thousands of layers has more chains than
        digits a JSON number may carry)."""
        named: dict[int, int] = {}
        unnamed: dict[int, int] = {}
        for node in reversed(self._topological()):
            up = self.up[node]
            if not up:
                named[node], unnamed[node] = (0, 1) if node in anonymous else (1, 0)
            else:
                named[node] = min(sum(named[n] for n in up), MAX_COUNT)
                unnamed[node] = min(sum(unnamed[n] for n in up), MAX_COUNT)
        return named, unnamed

    def loops(self) -> list[tuple[int, ...]]:
        """One cycle through each ring of sources citing each other, from its lowest statement."""
        result = []
        for component in self._components:
            if len(component) < 2:
                continue
            members = set(component)
            start = min(members)
            # Breadth first from the start inside the ring, back to the start: a shortest cycle.
            parent: dict[int, int] = {}
            frontier, seen, found = [start], {start}, None
            while frontier and found is None:
                following = []
                for node in frontier:
                    for nxt in self.up[node]:
                        if nxt == start:
                            found = node
                            break
                        if nxt in members and nxt not in seen:
                            seen.add(nxt)
                            parent[nxt] = node
                            following.append(nxt)
                    if found is not None:
                        break
                frontier = following
            cycle = [found]
            while cycle[-1] != start:
                cycle.append(parent[cycle[-1]])
            cycle.reverse()
            result.append((*cycle, start))
        return result

    def dead_ends(self) -> list[int]:
        """Statements from which no origin can be reached: every way from them runs into a loop."""
        can_reach_origin = set(self.origins)
        stack = list(self.origins)
        while stack:
            node = stack.pop()
            for prev in self.down[node]:
                if prev not in can_reach_origin:
                    can_reach_origin.add(prev)
                    stack.append(prev)
        return [n for n in self.nodes if n not in can_reach_origin]

    def every_chain_ends_in(self, starts: list[int], targets: set[int]) -> bool:
        """True when every chain ends at one of ``targets``: no other origin and no loop
        can be reached from the starts."""
        reached = self.reach(starts)
        return not (reached & self._cyclic) and reached & self.origins <= targets

    def intermediaries(self, starts: list[int], total: int, exact: bool) -> list[int]:
        """Statements on every chain (when there are several), other than their ends."""
        if total < 2 and exact:
            return []
        start_set = set(starts)
        candidates = [n for n in self.nodes if n not in start_set and n not in self.origins]
        # Dominators answer it in one linear pass: X dominating every origin and every
        # statement on a loop is on every chain; without loops that is exactly the
        # statements on every chain. With loops, the exact test then settles the rest
        # (a way into a loop may avoid X yet end, as a chain, before the loop closes),
        # while it stays cheap.
        found = self._dominating_ends(starts) & set(candidates)
        if self.acyclic:
            return sorted(found)
        on_first = next(self.walks(starts), ([], False))[0]
        unsettled = [n for n in on_first if n in candidates and n not in found]
        if len(unsettled) * (len(self.nodes) + len(self.edges_by_ends)) <= EXACT_CHECK_BUDGET:
            for node in unsettled:
                reached = self.reach(starts, avoid=node)
                if reached & self.origins:
                    continue
                rest = sorted(reached)
                sub_up = {n: [m for m in self.up[n] if m in reached] for n in rest}
                if all(len(c) < 2 for c in _strongly_connected(rest, sub_up)):
                    found.add(node)
        return sorted(found)

    def _dominating_ends(self, starts: list[int]) -> set[int]:
        """Statements every way passes through, from the starts to any origin or any
        statement on a loop. Linear: take one such way; a statement on it is passed by
        every way unless a detour leaving the way before it rejoins it after (or reaches
        an end of its own). One search along the way finds the detours, visiting each
        statement once (the s-t dominators of a virtual root before the starts and a
        virtual end after the origins and loops)."""
        ends = self.origins | self._cyclic
        came_from: dict[int, int | None] = dict.fromkeys(starts)
        queue, found = deque(starts), None
        while queue:
            node = queue.popleft()
            if node in ends:
                found = node
                break
            for nxt in self.up[node]:
                if nxt not in came_from:
                    came_from[nxt] = node
                    queue.append(nxt)
        if found is None:
            return set()
        way = [found]
        while came_from[way[-1]] is not None:
            way.append(came_from[way[-1]])
        way.reverse()
        # Positions: 0 the virtual root, 1..len(way) the way, len(way) + 1 the virtual end.
        position = {node: i for i, node in enumerate(way, start=1)}
        end = len(way) + 1
        detoured: set[int] = set()
        furthest = 0

        def follow(successors: Iterable[int]) -> None:
            """Detours through statements off the way: how far along the way they rejoin."""
            nonlocal furthest
            stack = list(successors)
            while stack:
                node = stack.pop()
                if node in position:
                    furthest = max(furthest, position[node])
                elif node not in detoured:
                    detoured.add(node)
                    if node in ends:
                        furthest = end
                    stack.extend(self.up[node])

        follow(starts)
        passed_by_all = set()
        for i, node in enumerate(way, start=1):
            if furthest <= i:  # nothing from before it reaches beyond it
                passed_by_all.add(node)
            follow(self.up[node])
        return passed_by_all


def _strongly_connected(nodes: list[int], up: dict[int, list[int]]) -> list[list[int]]:
    """Tarjan's algorithm, iterative (a graph of thousands of hops would overflow recursion)."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(up[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(up[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components
