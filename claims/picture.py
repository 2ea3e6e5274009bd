"""The claim page's picture of its trace and the tree beside it.

``drawn_part`` chooses what the picture draws (a bounded part of a big graph),
``trace_graph`` lays it out and ``trace_tree`` lists the chains as a tree.
"""

from __future__ import annotations

from dataclasses import dataclass

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

NODE_W, NODE_H, COL_GAP, ROW_GAP, PAD = 200, 50, 90, 26, 16
TOP = 30  # room above the first row for hops that skip a column


@dataclass
class GraphNode:
    statement_id: int
    name: str
    kind: str
    x: int
    y: int
    origin: bool
    anonymous: bool
    reporting_end: bool

    @property
    def label(self) -> str:
        return self.name if len(self.name) <= 22 else self.name[:21] + "…"

    @property
    def role(self) -> str:
        if self.origin:
            return "origin · anonymous" if self.anonymous else "origin"
        return "reporting end" if self.reporting_end else SourceKind(self.kind).label.lower()


@dataclass
class GraphEdge:
    path: str
    label: str
    label_x: float
    label_y: float
    verified: bool
    loop: bool
    title: str


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
    """Lay the claim's graph out left to right: reporting ends on the left, origins
    on the right, each statement in the column of its longest way in. Edges that
    go back (circular reporting) are drawn below, as curves. A graph too big to draw
    whole is drawn in part (``drawn_part``), which ``truncated`` says."""
    statements, drawn_edges = drawn_part(trace)
    depth = columns(trace)
    depth = {statement_id: depth[statement_id] for statement_id in statements}
    order = sorted(statements, key=lambda s: (depth[s], s))

    # A loop (or a part left out) can leave a column empty; close the gaps.
    compact = {d: i for i, d in enumerate(sorted(set(depth.values())))}
    depth = {statement_id: compact[d] for statement_id, d in depth.items()}

    origins, reporting_ends = trace.origin_statement_ids, trace.reporting_end_ids
    rows: dict[int, int] = {}
    nodes: dict[int, GraphNode] = {}
    for statement_id in order:
        column = depth[statement_id]
        row = rows.get(column, 0)
        rows[column] = row + 1
        ref = trace.source_of(statement_id)
        nodes[statement_id] = GraphNode(
            statement_id=statement_id,
            name=ref.name,
            kind=ref.kind,
            x=PAD + column * (NODE_W + COL_GAP),
            y=TOP + row * (NODE_H + ROW_GAP),
            origin=statement_id in origins,
            anonymous=ref.anonymous,
            reporting_end=statement_id in reporting_ends,
        )

    height = TOP + PAD + max(rows.values(), default=0) * (NODE_H + ROW_GAP) - ROW_GAP
    bottom = height
    last_column_x = PAD + max(depth.values(), default=0) * (NODE_W + COL_GAP)
    extra_width = 0
    edges = []
    for edge in drawn_edges:
        a, b = nodes[edge.statement_id], nodes[edge.upstream_id]
        loop = b.x <= a.x
        if b.x == a.x:
            # Within one column (a ring of sources): an arc out to the right.
            # Downward and upward arcs bulge differently, so a pair citing each other shows as two.
            x, bulge = a.x + NODE_W, a.x + NODE_W + (60 if a.y < b.y else 32)
            y1, y2 = a.y + NODE_H / 2, b.y + NODE_H / 2
            d = f"M{x},{y1} C{bulge},{y1} {bulge},{y2} {x + 6},{y2}"
            label_x, label_y = bulge + 4, (y1 + y2) / 2 + (8 if a.y < b.y else -4)
            extra_width = max(extra_width, 70) if a.x == last_column_x else extra_width
        elif loop:
            # Back to an earlier column: a curve under the nodes.
            ax, bx = a.x + NODE_W / 2, b.x + NODE_W / 2
            low = bottom + 36
            d = f"M{ax},{a.y + NODE_H} C{ax},{low} {bx},{low} {bx},{b.y + NODE_H + 6}"
            label_x, label_y = (ax + bx) / 2, low - 8
            height = max(height, low + 8)
        elif b.x - a.x > NODE_W + COL_GAP:
            # Skips a column: run in the gap above the rows, not through the nodes between.
            x1, y1 = a.x + NODE_W, a.y + NODE_H / 2
            x2, y2 = b.x - 6, b.y + NODE_H / 2
            lane = min(a.y, b.y) - ROW_GAP / 2
            d = (
                f"M{x1},{y1} C{x1 + 30},{y1} {x1 + 30},{lane} {x1 + 60},{lane} "
                f"L{x2 - 60},{lane} C{x2 - 30},{lane} {x2 - 30},{y2} {x2},{y2}"
            )
            label_x, label_y = (x1 + x2) / 2, lane - 4
        else:
            x1, y1 = a.x + NODE_W, a.y + NODE_H / 2
            x2, y2 = b.x - 6, b.y + NODE_H / 2
            mid = (x1 + x2) / 2
            d = f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"
            label_x, label_y = mid, (y1 + y2) / 2 - 6
        title = f"{a.name} {relation_label(edge.relation)} {b.name}"
        if edge.quote:
            title += f": “{Truncator(edge.quote).chars(QUOTE_CHARS)}”"
        title += "" if edge.verified else " (not verified)"
        edges.append(
            GraphEdge(
                path=d,
                label=relation_label(edge.relation),
                label_x=label_x,
                label_y=label_y,
                verified=edge.verified,
                loop=loop,
                title=title,
            )
        )
    width = last_column_x + NODE_W + PAD + extra_width
    return {
        "nodes": list(nodes.values()),
        "edges": edges,
        "width": width,
        "height": height,
        "node_w": NODE_W,
        "node_h": NODE_H,
        "nodes_total": len(trace.statements),
        "edges_total": len(trace.edges),
        "truncated": len(nodes) < len(trace.statements) or len(edges) < len(trace.edges),
    }


def trace_tree(trace: provenance.Trace) -> list[dict]:
    """The listed chains as one tree: each reporting end, then what it relies on,
    indented. Chains that share their first hops share those rows. At most
    MAX_TREE_ROWS rows, and one more when there are more (the chains are listed up to
    a number of hops already, but one chain can be as long as the graph)."""
    rows: list[dict] = []
    tree: dict = {}  # a trie of the chains' hops: each shared beginning is one row
    for chain in trace.chains:
        branch = tree
        for i, hop in enumerate(chain):
            key = (hop.statement_id, hop.closes_loop)
            if key in branch:
                branch = branch[key]
                continue
            if len(rows) > MAX_TREE_ROWS:
                return rows
            branch[key] = branch = {}
            incoming = chain[i - 1].edge if i else None
            rows.append(
                {
                    "depth": i,
                    "source": hop.source,
                    "relation": relation_label(incoming.relation) if incoming else "",
                    "edge": incoming,
                    "quote": Truncator(incoming.quote).chars(QUOTE_CHARS) if incoming else "",
                    "origin": hop.edge is None and not hop.closes_loop,
                    "anonymous": hop.source.anonymous,
                    "closes_loop": hop.closes_loop,
                }
            )
    return rows
