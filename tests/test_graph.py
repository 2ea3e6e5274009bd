"""The graph judgement on its own (no database): properties on random graphs,
checked against brute force, and flags whose messages are true of mixed graphs."""

from __future__ import annotations

import itertools
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import claims.provenance.graph as graph_module
from claims.provenance.flags import chain_count, names
from claims.provenance.graph import CHAIN_LIMIT, Edge, EvidenceItem, SourceRef, build
from claims.provenance.redaction import redact
from core.access import PUBLIC, Viewer


def make(
    n: int,
    edges,
    *,
    kinds=None,
    groups=None,
    confidential=(),
    names=None,
    chain_limit=CHAIN_LIMIT,
    unquoted=(),
    verified=(),
):
    """Statement i is said by source i (1..n); ``groups`` maps a source to its organisation.
    Each edge carries a quote, unless its (a, b) is in ``unquoted``; ``verified`` edges are."""
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
    graph_edges = [
        Edge(
            k,
            a,
            b,
            "citing",
            (a, b) in verified,
            () if (a, b) in unquoted else (EvidenceItem(k, None, f"quote {a}-{b}", "citing"),),
        )
        for k, (a, b) in enumerate(edges, 1)
    ]
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
        {i: i for i in range(1, n + 1)}, [Edge(k, a, b, "c", False) for k, (a, b) in enumerate(edges, 1)]
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
        "1 of 3 chains leads to Ministry; of the others, 1 ends at an anonymous source and 1 runs into a loop."
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


def test_the_reported_claim_counts_only_the_chains_that_reach_the_ministry():
    # Issue 8: a chain to a government ministry (reported by two outlets), one ending at
    # an anonymous source and a loop with no origin. It said "All 4 chains lead to ...".
    names = {1: "Publisher", 2: "Agency", 3: "Ministry", 4: "a source in the army", 5: "Blog A", 6: "Blog B"}
    names[7] = "Outlet"
    edges = [(1, 2), (7, 2), (2, 3), (1, 4), (1, 5), (5, 6), (6, 5)]
    trace = make(7, edges, kinds={4: "anonymous"}, names=names, groups={3: 30})
    found = messages(trace)
    assert trace.chains_total == 4
    assert found["single_origin"] == (
        "2 of 4 chains lead to Ministry; of the others, 1 ends at an anonymous source and 1 runs into a loop."
    )
    assert (
        found["no_origin"] == "No origin can be reached from Blog A and Blog B: every way from there runs into a loop."
    )
    assert found["circular_reporting"] == "Circular reporting: Blog A → Blog B → Blog A."
    assert found["anonymous_origin"] == "Origin a source in the army is anonymous and cannot be judged independent."


def test_anonymous_sources_and_loops_with_a_way_out_are_counted_apart():
    # 1 cites 2 (a ring of 2 and 3 whose way out reaches 4, the ministry), 5 and 6 (anonymous).
    names = {1: "Publisher", 2: "Blog A", 3: "Blog B", 4: "Ministry", 5: "insider", 6: "official"}
    edges = [(1, 2), (2, 3), (3, 2), (3, 4), (1, 5), (1, 6)]
    trace = make(6, edges, kinds={5: "anonymous", 6: "anonymous"}, names=names)
    found = messages(trace)
    # Chains: 1-2-3-2 (loop), 1-2-3-4, 1-5, 1-6.
    assert found["single_origin"] == (
        "1 of 4 chains leads to Ministry; of the others, 2 end at anonymous sources and 1 runs into a loop."
    )
    assert "no_origin" not in found  # the ring has a way out
    assert found["anonymous_origin"] == "Origins insider and official are anonymous and cannot be judged independent."


def test_a_dead_end_beside_two_independent_origins_still_raises_no_origin():
    names = {1: "Publisher", 2: "Ministry", 3: "Army", 4: "Blog A", 5: "Blog B", 6: "Forum"}
    edges = [(1, 2), (1, 3), (1, 6), (6, 4), (4, 5), (5, 4)]
    found = messages(make(6, edges, names=names))
    assert "single_origin" not in found  # two independent origins
    assert found["no_origin"] == (
        "No origin can be reached from Blog A, Blog B and Forum: every way from there runs into a loop."
    )


def test_one_chain_that_runs_into_a_loop_beside_the_only_origin():
    trace = make(4, [(1, 2), (1, 3), (3, 4), (4, 3)], names={2: "Ministry"})
    assert messages(trace)["single_origin"] == ("1 of 2 chains leads to Ministry; of the others, 1 runs into a loop.")


def test_hops_without_a_quote_are_flagged_by_name():
    names = {1: "Publisher", 2: "Reuters", 3: "RIA Novosti", 4: "Ministry"}
    edges = [(1, 2), (2, 3), (3, 4)]
    trace = make(4, edges, names=names, unquoted={(2, 3)})
    assert messages(trace)["no_evidence"] == "1 hop has no quote evidencing it: Reuters → RIA Novosti."
    trace = make(4, edges, names=names, unquoted=set(edges))
    assert messages(trace)["no_evidence"] == (
        "3 hops have no quote evidencing them: Publisher → Reuters; Reuters → RIA Novosti; RIA Novosti → Ministry."
    )
    assert "no_evidence" not in make(4, edges, names=names).flag_codes


def test_withheld_evidence_is_not_missing_evidence():
    # Redaction hides the quotes of a confidential source's hops; the flag is the graph's.
    trace = make(3, [(1, 2), (2, 3)], confidential={3})
    public = redact(trace, PUBLIC)
    assert public.edges[1].evidence == () and public.edges[1].withheld
    assert "no_evidence" not in public.flag_codes


# --- every flag's message, checked against brute force ---------------------------------------


def brute_endings(n: int, edges, starts, anonymous: set[int]) -> tuple[int, int, int]:
    """Chains from ``starts`` by plain recursion, by how they end: (named origin, anonymous origin, loop)."""
    up = {i: sorted(b for a, b in edges if a == i) for i in range(1, n + 1)}
    counts = [0, 0, 0]

    def walk(path: list[int]) -> None:
        if not up[path[-1]]:
            counts[1 if path[-1] in anonymous else 0] += 1
            return
        for nxt in up[path[-1]]:
            if nxt in path:
                counts[2] += 1
            else:
                walk([*path, nxt])

    for start in starts:
        walk([start])
    return counts[0], counts[1], counts[2]


def _number(text: str) -> int:
    return int(text.replace(",", ""))


@st.composite
def mixed_graphs(draw):
    n, edges = draw(graphs())
    anonymous = draw(st.sets(st.integers(min_value=1, max_value=n)))
    groups = {i: 100 + draw(st.integers(min_value=0, max_value=2)) for i in range(1, n + 1) if i % 3 == 0}
    unquoted = draw(st.sets(st.sampled_from(edges))) if edges else set()
    verified = draw(st.sets(st.sampled_from(edges))) if edges else set()
    return n, edges, anonymous, groups, unquoted, verified


@FAST
@given(mixed_graphs())
def test_every_flag_message_states_what_brute_force_finds(mixed):
    n, edges, anonymous, groups, unquoted, verified = mixed
    kinds = dict.fromkeys(anonymous, "anonymous")
    trace = make(n, edges, kinds=kinds, groups=groups, unquoted=unquoted, verified=verified)
    found = messages(trace)
    name = {i: f"S{i}" for i in range(1, n + 1)}
    origins = {i for i in range(1, n + 1) if not any(a == i for a, _ in edges)}
    named_groups = {groups.get(o, o) for o in origins - anonymous}
    named, unnamed, looped = brute_endings(n, edges, trace.analysis.starts, anonymous)
    total = named + unnamed + looped
    assert trace.chains_total_exact  # small graphs: every count below is exact
    assert trace.chains_total == total

    # single_origin: raised iff one organisation holds every named origin; its numbers are the chains'.
    assert ("single_origin" in found) == (len(named_groups) == 1)
    if "single_origin" in found:
        message = found["single_origin"]
        if named == total:
            expected = "The only chain leads to" if total == 1 else f"All {total:,} chains lead to"
            assert message.startswith(expected)
        else:
            match = re.fullmatch(r"([\d,]+) of ([\d,]+) chains? leads? to (.+); of the others, (.+)\.", message)
            assert match, message
            assert (_number(match[1]), _number(match[2])) == (named, total)
            others = match[4]
            anonymous_part = re.search(r"([\d,]+) ends? at (?:an anonymous source|anonymous sources)", others)
            loop_part = re.search(r"([\d,]+) runs? into a loop", others)
            assert (_number(anonymous_part[1]) if anonymous_part else 0) == unnamed
            assert (_number(loop_part[1]) if loop_part else 0) == looped
            plural = "anonymous sources" in others
            assert plural == (len(origins & anonymous) > 1)

    # common_intermediary: the chains it counts are all the chains, and each named source is on every one.
    if "common_intermediary" in found:
        match = re.fullmatch(r"All ([\d,]+) chains pass through (.+)\.", found["common_intermediary"])
        assert match and _number(match[1]) == total

    # circular_reporting: one ring listed per group of sources citing each other.
    reach = {i: _reach(edges, i) for i in range(1, n + 1)}
    rings = {frozenset(j for j in reach[i] if i in reach[j]) for i in range(1, n + 1)}
    rings = {r for r in rings if len(r) > 1}
    assert ("circular_reporting" in found) == bool(rings)
    if rings:
        listed = found["circular_reporting"].removeprefix("Circular reporting: ").removesuffix(".")
        shown = min(len(rings), 5)
        assert len(listed.split("; and ")[0].split("; ")) == shown

    # no_origin: raised iff some statement can reach no origin, naming them.
    stuck = sorted(i for i in range(1, n + 1) if not reach[i] & origins)
    assert ("no_origin" in found) == bool(stuck)
    if stuck and origins:
        assert found["no_origin"] == (
            f"No origin can be reached from {names([trace.sources[i] for i in stuck])}: "
            "every way from there runs into a loop."
        )
    elif stuck:
        assert found["no_origin"] == "No chain reaches an origin: every source cites another."

    # unverified_hop and no_evidence count the hops they are about.
    for code, bare in (("unverified_hop", set(edges) - verified), ("no_evidence", unquoted)):
        assert (code in found) == bool(bare)
        if bare:
            assert _number(found[code].split(" ", 1)[0]) == len(bare)
            pairs = sorted(f"{name[a]} → {name[b]}" for a, b in bare)
            listed = found[code].split(": ", 1)[1].removesuffix(".").split("; and ")[0].split("; ")
            assert set(listed) <= set(pairs) and len(listed) == min(len(bare), 5)

    # anonymous_origin names the anonymous origins.
    assert ("anonymous_origin" in found) == bool(origins & anonymous)


def shortest_hops(n: int, edges, start: int, target: int) -> int | None:
    frontier, seen, hops = [start], {start}, 0
    while frontier:
        if target in frontier:
            return hops
        frontier = [b for a in frontier for x, b in edges if x == a and b not in seen and not seen.add(b)]
        hops += 1
    return None


@FAST
@given(graphs(), st.integers(min_value=1, max_value=7))
def test_a_sources_distance_is_its_shortest_way_down_from_a_reporting_end(graph, source):
    n, edges = graph
    ends = [i for i in range(1, n + 1) if all(b != i for _, b in edges)]
    ways = [hops for end in ends if (hops := shortest_hops(n, edges, end, source)) is not None]

    expected = min(ways) if ways else None
    assert graph_module.distance_in({i: i for i in range(1, n + 1)}, edges, source) == expected
    # The trace's reporting ends are the ones the bare graph derives.
    assert set(make(n, edges).reporting_end_ids) == set(ends)


@FAST
@given(graphs(), st.integers(min_value=1, max_value=8))
def test_a_sources_role_is_what_the_trace_says_of_its_statement(graph, source):
    n, edges = graph
    trace = make(n, edges)
    role = graph_module.role_in({i: i for i in range(1, n + 1)}, edges, source)

    if source > n:
        assert role is None
    elif source in trace.origin_statement_ids:
        assert role == "origin"
    elif source in trace.reporting_end_ids:
        assert role == "reporter"
    else:
        assert role == "intermediary"
