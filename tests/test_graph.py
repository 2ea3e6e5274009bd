"""The graph judgement on its own (no database): properties on random graphs,
checked against brute force, and flags whose messages are true of mixed graphs."""

from __future__ import annotations

import itertools
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import claims.provenance.graph as graph_module
from claims.provenance.flags import chain_count
from claims.provenance.graph import CHAIN_LIMIT, Edge, SourceRef, build
from claims.provenance.redaction import redact
from core.access import PUBLIC, Viewer


def make(n: int, edges, *, kinds=None, groups=None, confidential=(), names=None, chain_limit=CHAIN_LIMIT):
    """Statement i is said by source i (1..n); ``groups`` maps a source to its organisation."""
    kinds, groups, names = kinds or {}, groups or {}, names or {}
    sources = {
        i: SourceRef(
            id=i,
            name=names.get(i, f"S{i}"),
            kind=kinds.get(i, "outlet"),
            group_id=groups.get(i, i),
            confidential=i in confidential,
            public_description=f"an official {i}" if i in confidential else "",
        )
        for i in range(1, n + 1)
    }
    for group in set(groups.values()):
        sources.setdefault(group, SourceRef(id=group, name=f"Org{group}", kind="organisation", group_id=group))
    statements = {i: i for i in range(1, n + 1)}
    graph_edges = [Edge(k, a, b, "citing", None, f"quote {a}-{b}", False) for k, (a, b) in enumerate(edges, 1)]
    return build(1, statements=statements, sources=sources, edges=graph_edges, chain_limit=chain_limit)


def brute_chains(n: int, edges) -> list[tuple[list[int], bool]]:
    """Every chain from the reporting ends, by plain recursion, in the order the trace
    lists them (for graphs without loops, where the reporting ends reach everything)."""
    up = {i: sorted(b for a, b in edges if a == i) for i in range(1, n + 1)}
    cited = {b for _, b in edges}
    result: list[tuple[list[int], bool]] = []

    def walk(path):
        if not up[path[-1]]:
            result.append((path, False))
            return
        for nxt in up[path[-1]]:
            if nxt in path:
                result.append(([*path, nxt], True))
            else:
                walk([*path, nxt])

    starts = [i for i in range(1, n + 1) if i not in cited]
    for s in starts:
        walk([s])
    return result


def _reach(edges, start) -> set[int]:
    seen, stack = {start}, [start]
    while stack:
        node = stack.pop()
        for x, y in edges:
            if x == node and y not in seen:
                seen.add(y)
                stack.append(y)
    return seen


@st.composite
def graphs(draw, max_nodes=7):
    n = draw(st.integers(min_value=1, max_value=max_nodes))
    pairs = [(a, b) for a in range(1, n + 1) for b in range(1, n + 1) if a != b]
    edges = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=min(len(pairs), 14))) if pairs else []
    return n, edges


@st.composite
def acyclic_graphs(draw, max_nodes=9):
    n = draw(st.integers(min_value=1, max_value=max_nodes))
    pairs = [(a, b) for a in range(1, n + 1) for b in range(a + 1, n + 1)]
    edges = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=min(len(pairs), 18))) if pairs else []
    return n, edges


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(graphs())
def test_every_trace_ends_and_its_chains_are_real_walks(graph):
    n, edges = graph
    trace = make(n, edges)
    edge_set = set(edges)
    up = {i: {b for a, b in edges if a == i} for i in range(1, n + 1)}
    assert len(trace.chains) <= CHAIN_LIMIT
    assert trace.chains_total >= len(trace.chains)
    assert trace.chains_truncated == (trace.chains_total > len(trace.chains) or not trace.chains_total_exact)
    for chain in trace.chains:
        path = [hop.statement_id for hop in chain]
        assert path[0] in trace.analysis.starts
        assert all(pair in edge_set for pair in itertools.pairwise(path))
        if chain[-1].closes_loop:
            assert path[-1] in path[:-1]
            assert len(set(path[:-1])) == len(path) - 1
        else:
            assert not up[path[-1]]  # an origin
            assert len(set(path)) == len(path)
    # Every statement is on some listed chain when nothing was cut off.
    if not trace.chains_truncated:
        assert {h.statement_id for c in trace.chains for h in c} == set(range(1, n + 1))


@FAST
@given(graphs())
def test_independence_never_exceeds_the_origins(graph):
    n, edges = graph
    groups = {i: 100 + i % 3 for i in range(1, n + 1) if i % 2 == 0}
    kinds = {i: "anonymous" for i in range(1, n + 1) if i % 5 == 0}
    trace = make(n, edges, groups=groups, kinds=kinds)
    assert trace.independent_origins <= len(trace.origins)
    assert trace.independent_origins == len({o.group_id for o in trace.origins if not o.anonymous})
    assert {o.id for o in trace.origins} == {i for i in range(1, n + 1) if not any(a == i for a, _ in edges)}


@FAST
@given(acyclic_graphs())
def test_without_loops_the_count_and_the_listing_match_brute_force(graph):
    n, edges = graph
    everything = brute_chains(n, edges)
    trace = make(n, edges, chain_limit=200)
    assert trace.chains_total_exact
    assert trace.chains_total == len(everything)
    assert [[h.statement_id for h in c] for c in trace.chains] == [p for p, _ in everything[:200]]


def count_by_recursion(n: int, edges, starts) -> int:
    """Chains from ``starts``, counted by plain recursion (independent of the trace's walk)."""
    up = {i: sorted(b for a, b in edges if a == i) for i in range(1, n + 1)}

    def count(path: list[int]) -> int:
        if not up[path[-1]]:
            return 1
        return sum(1 if nxt in path else count([*path, nxt]) for nxt in up[path[-1]])

    return sum(count([s]) for s in starts)


@FAST
@given(graphs())
def test_with_loops_the_count_matches_a_recursive_enumeration(graph):
    n, edges = graph
    trace = make(n, edges, chain_limit=0)
    assert trace.chains == []
    assert trace.chains_total_exact
    assert trace.chains_total == count_by_recursion(n, edges, trace.analysis.starts)


@FAST
@given(graphs())
def test_the_starts_reach_every_statement_and_each_unreported_ring_is_entered_once(graph):
    n, edges = graph
    trace = make(n, edges)
    starts = trace.analysis.starts
    cited = {b for _, b in edges}
    reporting_ends = [i for i in range(1, n + 1) if i not in cited]
    assert list(starts[: len(reporting_ends)]) == reporting_ends
    reached = set().union(*(_reach(edges, s) for s in starts)) if starts else set()
    assert reached == set(range(1, n + 1))
    # Each ring entry is needed: no other start reaches it.
    for entry in starts[len(reporting_ends) :]:
        assert not any(entry in _reach(edges, s) for s in starts if s != entry)


@FAST
@given(graphs())
def test_intermediaries_are_the_statements_on_every_chain(graph):
    n, edges = graph
    trace = make(n, edges, chain_limit=10_000)
    paths = [[h.statement_id for h in c] for c in trace.chains]
    starts = set(trace.analysis.starts)
    origins = trace.origin_statement_ids
    if len(paths) < 2:
        assert trace.analysis.intermediaries == ()
        return
    on_every = set.intersection(*(set(p) for p in paths)) - starts - origins
    assert set(trace.analysis.intermediaries) == on_every


@FAST
@given(graphs())
def test_dominators_alone_never_name_a_statement_that_some_chain_avoids(graph):
    n, edges = graph
    saved, graph_module.EXACT_CHECK_BUDGET = graph_module.EXACT_CHECK_BUDGET, 0
    try:
        trace = make(n, edges, chain_limit=10_000)
    finally:
        graph_module.EXACT_CHECK_BUDGET = saved
    paths = [{h.statement_id for h in c} for c in trace.chains]
    for node in trace.analysis.intermediaries:
        assert all(node in p for p in paths)


@FAST
@given(graphs(max_nodes=12))
def test_the_linear_dominators_are_the_statements_no_way_to_an_end_avoids(graph):
    """Checked against their definition: X is passed by every way from the starts to an
    origin or a statement on a loop when, without X, no such statement can be reached."""
    n, edges = graph
    g = graph_module._Graph(
        {i: i for i in range(1, n + 1)}, [Edge(k, a, b, "c", None, "", False) for k, (a, b) in enumerate(edges, 1)]
    )
    starts = g.starts()
    ends = g.origins | g._cyclic

    def reaches_an_end(avoid):
        return bool(g.reach(starts, avoid=avoid) & (ends - {avoid}))

    expected = {x for x in range(1, n + 1) if reaches_an_end(None) and not reaches_an_end(x)}
    assert g._dominating_ends(starts) == expected


@FAST
@given(graphs())
def test_dead_ends_are_the_statements_that_reach_no_origin(graph):
    n, edges = graph
    trace = make(n, edges)
    origins = trace.origin_statement_ids
    assert set(trace.analysis.dead_ends) == {i for i in range(1, n + 1) if not (_reach(edges, i) & origins)}


@FAST
@given(graphs(), st.sets(st.integers(min_value=1, max_value=7)))
def test_redaction_hides_names_and_evidence_and_keeps_the_judgement(graph, secret):
    n, edges = graph
    secret = {s for s in secret if s <= n}
    names = {i: f"Secret person {i}" if i in secret else f"S{i}" for i in range(1, n + 1)}
    trace = make(n, edges, confidential=secret, names=names)
    public = redact(trace, PUBLIC)
    text = json.dumps(public.as_dict())
    for i in secret:
        assert f"Secret person {i}" not in text
        assert f"an official {i} (confidential source {i})" in text
    assert public.independent_origins == trace.independent_origins
    assert public.chains_total == trace.chains_total
    assert public.flag_codes == trace.flag_codes
    for e in public.as_dict()["edges"]:
        assert e["evidence_withheld"] == bool({e["from"], e["to"]} & secret)
    # Editors and auditors see it all.
    assert redact(trace, Viewer(roles=frozenset({"auditor"}))) is trace


def test_a_forty_layer_lattice_is_counted_not_enumerated():
    layers, width = 40, 2
    node = lambda layer, w: 1 + layer * width + w  # noqa: E731
    edges = [
        (node(layer, a), node(layer + 1, b)) for layer in range(layers) for a in range(width) for b in range(width)
    ]
    trace = make(width * (layers + 1), edges)
    assert trace.chains_total == 2 * 2**40
    assert trace.chains_total_exact
    assert len(trace.chains) == CHAIN_LIMIT
    assert trace.chains_truncated
    assert len(trace.as_dict()["edges"]) == len(edges)


def test_more_chains_than_a_json_number_holds_exactly_are_a_lower_bound():
    layers, width = 60, 2  # 2^61 chains
    node = lambda layer, w: 1 + layer * width + w  # noqa: E731
    edges = [
        (node(layer, a), node(layer + 1, b)) for layer in range(layers) for a in range(width) for b in range(width)
    ]
    trace = make(width * (layers + 1), edges)
    assert trace.chains_total == 2**53 - 1
    assert not trace.chains_total_exact
    assert chain_count(trace) == "at least 9,007,199,254,740,991 chains"


def test_a_lattice_with_a_loop_is_counted_up_to_a_budget():
    layers, width = 30, 2
    node = lambda layer, w: 1 + layer * width + w  # noqa: E731
    edges = [
        (node(layer, a), node(layer + 1, b)) for layer in range(layers) for a in range(width) for b in range(width)
    ]
    edges.append((node(layers, 0), node(0, 1)))  # the last layer cites the first: a loop
    trace = make(width * (layers + 1), edges)
    assert not trace.chains_total_exact
    assert trace.chains_total >= 1000
    assert "circular_reporting" in trace.flag_codes
    assert trace.flags[0].message.startswith("S62 is the only named origin")


# --- flags that tell the truth on mixed graphs ------------------------------------------------


def messages(trace) -> dict[str, str]:
    return {f.code: f.message for f in trace.flags}


def test_a_mixed_graph_names_each_kind_of_ending_truthfully():
    # 1: the publisher, citing 2 (an agency) and 5 (a loop of 5 and 6 with no way out);
    # 2 cites 3 (the ministry, an origin) and 4 (an anonymous source, an origin).
    names = {1: "Publisher", 2: "Agency", 3: "Ministry", 4: "a source", 5: "Blog A", 6: "Blog B"}
    trace = make(6, [(1, 2), (1, 5), (2, 3), (2, 4), (5, 6), (6, 5)], kinds={4: "anonymous"}, names=names)
    found = messages(trace)
    assert found["single_origin"] == (
        "Ministry is the only named origin; the other chains end at an anonymous source or run into a loop."
    )
    assert found["circular_reporting"] == "Circular reporting: Blog A → Blog B → Blog A."
    assert found["no_origin"] == (
        "No origin can be reached from Blog A and Blog B: every way from there runs into a loop."
    )
    assert found["anonymous_origin"] == "Origin a source is anonymous and cannot be judged independent."
    assert "common_intermediary" not in found  # the loop's chain avoids the agency
    assert trace.chains_total == 3


def test_every_chain_through_one_agency_names_it_and_counts_the_chains():
    names = {1: "Outlet A", 2: "Outlet B", 3: "Outlet C", 4: "RIA", 5: "Ministry", 6: "Spokesman"}
    trace = make(6, [(1, 4), (2, 4), (3, 4), (4, 5), (4, 6)], names=names, groups={5: 50, 6: 50})
    found = messages(trace)
    assert found["common_intermediary"] == "All 6 chains pass through RIA."
    assert found["single_origin"] == "All 6 chains lead to Ministry and Spokesman (all part of Org50)."
    assert trace.independent_origins == 1


def test_a_ring_nobody_reports_has_no_origin_at_all():
    trace = make(3, [(1, 2), (2, 3), (3, 1)])
    assert messages(trace)["no_origin"] == "No chain reaches an origin: every source cites another."
    assert messages(trace)["circular_reporting"] == "Circular reporting: S1 → S2 → S3 → S1."
    assert [[h.statement_id for h in c] for c in trace.chains] == [[1, 2, 3, 1]]


def test_long_lists_in_messages_are_cut_short_with_a_count():
    edges = [(i, i + 1) for i in range(1, 9)]
    message = messages(make(9, edges))["unverified_hop"]
    assert message == ("8 hops asserted but not checked: S1 → S2; S2 → S3; S3 → S4; S4 → S5; S5 → S6; and 3 more.")
