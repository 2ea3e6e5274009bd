"""The claim page's picture of its trace and the tree beside it.

``drawn_part`` chooses what the picture draws (a bounded part of a big graph),
``trace_graph`` lays it out and ``trace_tree`` lists the chains as a tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from django.urls import reverse
from django.utils.text import Truncator

from sources.models import SourceKind

from . import provenance
from .models import Relation


def relation_label(code: str | None) -> str:
    return Relation(code).label if code in Relation.values else (code or "")


# The picture draws at most this many sources and hops: past that, it is not a picture an
# editor can read, and its size would grow with the graph. A bigger graph is drawn as the
# first listed chains (those the tree lists), with a note of what is left out.
MAX_DRAWN_NODES = 60
MAX_DRAWN_EDGES = 150
# The tree lists at most this many rows; quotes in the tree and the picture are cut here.
MAX_TREE_ROWS = 300
QUOTE_CHARS = 300
# Origins named in the summary line.
NAMED_ORIGINS = 10


@dataclass
class GraphNode:
    """A source of the picture: one per statement, however many chains pass through it."""

    statement_id: int
    source_id: int
    name: str  # in full: the picture wraps it
    kind: str
    column: int  # the longest way to it from where its chains start (reporting ends: 0)
    origin: bool
    anonymous: bool
    reporting_end: bool
    url: str  # the source's admin page; empty when the viewer may not know who it is

    @property
    def role(self) -> str:
        if self.origin:
            return "origin · anonymous" if self.anonymous else "origin"
        return "reporting end" if self.reporting_end else SourceKind(self.kind).label.lower()


@dataclass
class GraphEdge:
    """A hop: ``statement_id`` states the claim on the authority of ``upstream_id``."""

    id: int
    statement_id: int
    upstream_id: int
    label: str
    verified: bool
    loop: bool  # goes back to an earlier column: it closes a loop (circular reporting)
    title: str
    chains: list[int]  # the listed chains (by index in ``trace_graph``'s chains) it is a hop of


def columns(trace: provenance.Trace) -> dict[int, int]:
    """Each statement's column: the length of the longest way to it from where its
    chains start, ignoring the edges that close loops (found depth first from the
    starts). Linear in the graph's size, however many chains it has."""
    up: dict[int, list[int]] = {s: [] for s in trace.statements}
    for edge in trace.edges:
        up[edge.statement_id].append(edge.upstream_id)
    starts = list(trace.analysis.starts) if trace.analysis else sorted(trace.reporting_end_ids)
    # Depth first from the starts: an edge back onto the current path closes a loop.
    state: dict[int, int] = {}  # 1: on the path, 2: done
    back: set[tuple[int, int]] = set()
    order: list[int] = []  # finishing order
    for root in [*starts, *sorted(trace.statements)]:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(sorted(up[root])))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                state[node] = 2
                order.append(node)
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(sorted(up[child]))))
    depth = dict.fromkeys(trace.statements, 0)
    for node in reversed(order):  # each statement before those it cites
        for child in up[node]:
            if (node, child) not in back:
                depth[child] = max(depth[child], depth[node] + 1)
    return depth


def drawn_part(trace: provenance.Trace) -> tuple[list[int], list[provenance.Edge]]:
    """The statements and edges the picture draws: all of them when they fit (at most
    MAX_DRAWN_NODES and MAX_DRAWN_EDGES), else the first listed chains, as many as fit
    whole (at least the beginning of the first), with the edges between their statements,
    those of the chains first."""
    if len(trace.statements) <= MAX_DRAWN_NODES and len(trace.edges) <= MAX_DRAWN_EDGES:
        return list(trace.statements), trace.edges
    drawn: dict[int, None] = {}  # ordered
    on_chains: set[int] = set()
    for chain in trace.chains:
        new = list(dict.fromkeys(hop.statement_id for hop in chain if hop.statement_id not in drawn))
        if drawn and len(drawn) + len(new) > MAX_DRAWN_NODES:
            break
        drawn.update(dict.fromkeys(new[: MAX_DRAWN_NODES - len(drawn)]))
        on_chains.update(hop.edge.id for hop in chain if hop.edge is not None)
    if not drawn:
        drawn = dict.fromkeys(sorted(trace.statements)[:MAX_DRAWN_NODES])
    between = [e for e in trace.edges if e.statement_id in drawn and e.upstream_id in drawn]
    between.sort(key=lambda e: (e.id not in on_chains, e.id))
    return list(drawn), between[:MAX_DRAWN_EDGES]


def trace_graph(trace: provenance.Trace) -> dict:
    """What the picture draws, for its layout (claims/static/claims/trace-picture.js, with
    ELK's layered algorithm) to place: one node per statement and one edge per hop, so a
    sub-chain that several chains share is drawn once; each edge names the listed chains
    it is a hop of, for the picture to pick one out. Nodes come in the order of their
    columns, which the layout keeps where it can. A graph too big to draw whole is drawn
    in part (``drawn_part``), which ``truncated`` says."""
    statements, drawn_edges = drawn_part(trace)
    depth = columns(trace)
    order = sorted(statements, key=lambda s: (depth[s], s))
    # A loop (or a part left out) can leave a column empty; close the gaps.
    compact = {d: i for i, d in enumerate(sorted({depth[s] for s in statements}))}
    column = {s: compact[depth[s]] for s in statements}

    origins, reporting_ends = trace.origin_statement_ids, trace.reporting_end_ids
    nodes: dict[int, GraphNode] = {}
    for statement_id in order:
        ref = trace.source_of(statement_id)
        nodes[statement_id] = GraphNode(
            statement_id=statement_id,
            source_id=ref.id,
            name=ref.name,
            kind=ref.kind,
            column=column[statement_id],
            origin=statement_id in origins,
            anonymous=ref.anonymous,
            reporting_end=statement_id in reporting_ends,
            url="" if ref.redacted else reverse("admin:sources_source_change", args=[ref.id]),
        )

    # The listed chains, as the drawn hops they pass along.
    drawn_ids = {edge.id for edge in drawn_edges}
    chains: list[list[int]] = []
    on_chains: dict[int, list[int]] = {}
    for chain in trace.chains:
        hops = [hop.edge.id for hop in chain if hop.edge is not None and hop.edge.id in drawn_ids]
        if not hops:
            continue
        for edge_id in dict.fromkeys(hops):
            on_chains.setdefault(edge_id, []).append(len(chains))
        chains.append(hops)

    edges = []
    for edge in drawn_edges:
        a, b = nodes[edge.statement_id], nodes[edge.upstream_id]
        title = f"{a.name} {relation_label(edge.relation)} {b.name}"
        if edge.quote:
            title += f": “{Truncator(edge.quote).chars(QUOTE_CHARS)}”"
        title += "" if edge.verified else " (not verified)"
        edges.append(
            GraphEdge(
                id=edge.id,
                statement_id=edge.statement_id,
                upstream_id=edge.upstream_id,
                label=relation_label(edge.relation),
                verified=edge.verified,
                loop=b.column <= a.column,
                title=title,
                chains=on_chains.get(edge.id, []),
            )
        )
    return {
        "nodes": list(nodes.values()),
        "edges": edges,
        "chains": chains,
        "nodes_total": len(trace.statements),
        "edges_total": len(trace.edges),
        "truncated": len(nodes) < len(trace.statements) or len(edges) < len(trace.edges),
    }


def trace_tree(trace: provenance.Trace) -> list[dict]:
    """The listed chains as one tree: each reporting end, then what it relies on,
    indented. A sub-chain is listed once, where a chain first reaches it: a chain that
    reaches it later has a row that refers to it (``see``, the ``anchor`` of its first
    row) instead of repeating it, so several outlets citing one agency's chain list that
    chain once. Chains that share their beginning share its rows. At most
    MAX_TREE_ROWS rows, and one more when there are more (the chains are listed up to a
    number of hops already, but one chain can be as long as the graph)."""
    # What each statement leads on to, in the order the listed chains first take each hop.
    follows: dict[int, dict[int, provenance.Edge]] = {}
    starts: dict[int, None] = {}
    for chain in trace.chains:
        if chain:
            starts[chain[0].statement_id] = None
        for hop, after in pairwise(chain):
            if hop.edge is not None:
                follows.setdefault(hop.statement_id, {}).setdefault(after.statement_id, hop.edge)

    origins = trace.origin_statement_ids
    rows: list[dict] = []
    listed: dict[int, str] = {}  # statement -> the anchor of the row its sub-chain is listed under
    path: set[int] = set()  # the statements above the current row: one of them again closes a loop
    for start in starts:
        # Depth first; ``None`` in place of the depth marks leaving a statement's sub-chain.
        stack: list[tuple[int, int | None, provenance.Edge | None]] = [(start, 0, None)]
        while stack:
            statement_id, depth, incoming = stack.pop()
            if depth is None:
                path.discard(statement_id)
                continue
            if len(rows) > MAX_TREE_ROWS:
                return rows
            source = trace.source_of(statement_id)
            leads_on = follows.get(statement_id, {})
            closes_loop = statement_id in path
            see = "" if closes_loop or not leads_on else listed.get(statement_id, "")
            anchor = f"tree-{statement_id}" if leads_on and not closes_loop and not see else ""
            rows.append(
                {
                    "depth": depth,
                    "statement_id": statement_id,
                    "source": source,
                    "relation": relation_label(incoming.relation) if incoming else "",
                    "edge": incoming,
                    "quote": Truncator(incoming.quote).chars(QUOTE_CHARS) if incoming else "",
                    "origin": statement_id in origins,
                    "anonymous": source.anonymous,
                    "closes_loop": closes_loop,
                    "anchor": anchor,
                    "see": see,
                }
            )
            if anchor:
                listed[statement_id] = anchor
                path.add(statement_id)
                stack.append((statement_id, None, None))
                # Pushed in reverse, so the first hop taken is listed first.
                for upstream_id, edge in reversed(follows[statement_id].items()):
                    stack.append((upstream_id, depth + 1, edge))
    return rows
