"""What the claim page's picture and tree are given: topology, not pixels.

The picture (claims.picture.trace_graph) gets one node per source and one edge per hop,
so a sub-chain several chains share is drawn once, and the listed chains as the hops
they pass along; the tree (trace_tree) lists a shared sub-chain once and refers to it
afterwards. Where they are drawn is the browser's business (tests/test_browser_picture.py)."""

from __future__ import annotations

from itertools import pairwise

import pytest
from django.test import Client
from django.urls import reverse

from claims import provenance
from claims.picture import trace_graph, trace_tree
from claims.services import HopInput, chain_record
from core.access import viewer_for
from tests.factories import ClaimFactory, SourceFactory
from tests.picture_graphs import LONG_NAME, TWENTY, TWENTY_HOPS, six_converging_chains, twenty_sources

pytestmark = pytest.mark.django_db


def traced(claim, user):
    return provenance.trace_for(claim.pk, viewer_for(user))


def hops_of(graph) -> dict[int, tuple[str, str]]:
    names = {node.statement_id: node.name for node in graph["nodes"]}
    return {edge.id: (names[edge.statement_id], names[edge.upstream_id]) for edge in graph["edges"]}


def test_six_converging_chains_draw_each_source_and_each_hop_once(editor):
    graph = trace_graph(traced(six_converging_chains(), editor))
    names = [node.name for node in graph["nodes"]]
    assert len(names) == len(set(names)) == 12
    hops = hops_of(graph)
    assert sorted(hops.values()) == sorted(
        [
            ("Daily Sabah", "Reuters"),
            ("Hürriyet Daily News", "Reuters"),
            ("Reuters", "RIA Novosti"),
            ("The Moscow Times", "Associated Press"),
            (LONG_NAME, "Associated Press"),
            ("Associated Press", "RIA Novosti"),
            ("Caucasian Knot", "RIA Novosti"),
            ("RIA Novosti", "Ministry of Defence of Azerbaijan"),
            ("Trend News Agency", "TASS"),
            ("TASS", "a source in the ministry"),
        ]
    )
    assert graph["truncated"] is False


def test_the_chains_are_given_as_the_hops_they_pass_along_and_each_hop_names_its_chains(editor):
    graph = trace_graph(traced(six_converging_chains(), editor))
    hops = hops_of(graph)
    as_names = [[hops[chain[0]][0], *(hops[edge_id][1] for edge_id in chain)] for chain in graph["chains"]]
    assert sorted(as_names) == sorted(
        [
            ["Daily Sabah", "Reuters", "RIA Novosti", "Ministry of Defence of Azerbaijan"],
            ["Hürriyet Daily News", "Reuters", "RIA Novosti", "Ministry of Defence of Azerbaijan"],
            ["The Moscow Times", "Associated Press", "RIA Novosti", "Ministry of Defence of Azerbaijan"],
            [LONG_NAME, "Associated Press", "RIA Novosti", "Ministry of Defence of Azerbaijan"],
            ["Caucasian Knot", "RIA Novosti", "Ministry of Defence of Azerbaijan"],
            ["Trend News Agency", "TASS", "a source in the ministry"],
        ]
    )
    # Each edge lists exactly the chains that pass along it: the shared sub-chain
    # Reuters → RIA Novosti is a hop of two chains, RIA Novosti → the ministry of five.
    for edge in graph["edges"]:
        assert edge.chains == [i for i, chain in enumerate(graph["chains"]) if edge.id in chain]
    by_hop = {hops[edge.id]: len(edge.chains) for edge in graph["edges"]}
    assert by_hop[("Reuters", "RIA Novosti")] == 2
    assert by_hop[("RIA Novosti", "Ministry of Defence of Azerbaijan")] == 5


def test_nodes_carry_full_names_roles_and_a_link_to_their_source(editor):
    claim = six_converging_chains()
    graph = trace_graph(traced(claim, editor))
    for node in graph["nodes"]:
        assert node.url == reverse("admin:sources_source_change", args=[node.source_id])
    node = {node.name: node for node in graph["nodes"]}
    assert LONG_NAME in node  # the whole name: the picture wraps it
    assert node[LONG_NAME].role == "reporting end"
    assert node["Ministry of Defence of Azerbaijan"].role == "origin"
    assert node["a source in the ministry"].role == "origin · anonymous"
    assert node["Reuters"].role == "news agency"
    # Columns: reporting ends first, each source right of all who cite it.
    hops = {(e.statement_id, e.upstream_id) for e in graph["edges"]}
    column = {n.statement_id: n.column for n in graph["nodes"]}
    assert all(column[a] < column[b] for a, b in hops)
    assert {n.column for n in graph["nodes"] if n.reporting_end} == {0}


def test_twenty_sources_are_drawn_whole(editor):
    graph = trace_graph(traced(twenty_sources(), editor))
    assert sorted(node.name for node in graph["nodes"]) == sorted(name for name, _ in TWENTY)
    assert len(graph["edges"]) == len(TWENTY_HOPS)
    assert not graph["truncated"]
    # Every listed chain is a path along drawn hops.
    ends = {edge.id: (edge.statement_id, edge.upstream_id) for edge in graph["edges"]}
    for chain in graph["chains"]:
        assert all(ends[a][1] == ends[b][0] for a, b in pairwise(chain))


def test_a_loop_is_drawn_as_an_edge_back_and_closes_its_row_in_the_tree(editor):
    claim = ClaimFactory()
    outlet, reuters, ria = SourceFactory(name="Outlet"), SourceFactory(name="Reuters"), SourceFactory(name="RIA")
    chain_record(claim=claim, hops=[HopInput(source=outlet, relation="citing"), HopInput(source=reuters)])
    chain_record(claim=claim, hops=[HopInput(source=reuters, relation="citing"), HopInput(source=ria)])
    chain_record(claim=claim, hops=[HopInput(source=ria, relation="citing"), HopInput(source=reuters)])
    trace = traced(claim, editor)
    graph = trace_graph(trace)
    assert sorted((title, e.loop) for e in graph["edges"] for title in [e.title.split(" (")[0]]) == [
        ("Outlet citing Reuters", False),
        ("RIA citing Reuters", True),
        ("Reuters citing RIA", False),
    ]
    rows = [(row["depth"], row["source"].name, row["closes_loop"]) for row in trace_tree(trace)]
    assert rows == [(0, "Outlet", False), (1, "Reuters", False), (2, "RIA", False), (3, "Reuters", True)]


def test_the_tree_lists_a_shared_sub_chain_once_and_refers_to_it_afterwards(editor):
    rows = trace_tree(traced(six_converging_chains(), editor))
    listed = [(row["depth"], row["relation"], row["source"].name, row["see"]) for row in rows]
    ria = next(row["anchor"] for row in rows if row["source"].name == "RIA Novosti" and row["anchor"])
    reuters = next(row["anchor"] for row in rows if row["source"].name == "Reuters" and row["anchor"])
    ap = next(row["anchor"] for row in rows if row["source"].name == "Associated Press" and row["anchor"])
    assert listed == [
        (0, "", "Daily Sabah", ""),
        (1, "reported by", "Reuters", ""),
        (2, "citing", "RIA Novosti", ""),
        (3, "informed by", "Ministry of Defence of Azerbaijan", ""),
        (0, "", "Hürriyet Daily News", ""),
        (1, "citing", "Reuters", reuters),
        (0, "", "The Moscow Times", ""),
        (1, "citing", "Associated Press", ""),
        (2, "citing", "RIA Novosti", ria),
        (0, "", LONG_NAME, ""),
        (1, "according to", "Associated Press", ap),
        (0, "", "Caucasian Knot", ""),
        (1, "quoting", "RIA Novosti", ria),
        (0, "", "Trend News Agency", ""),
        (1, "citing", "TASS", ""),
        (2, "said to", "a source in the ministry", ""),
    ]
    # The ministry's row is listed once, under the first chain that reaches it.
    assert [row["source"].name for row in rows].count("Ministry of Defence of Azerbaijan") == 1
    assert [row["origin"] for row in rows if row["source"].name == "Ministry of Defence of Azerbaijan"] == [True]


def test_the_claim_page_gives_the_picture_its_nodes_edges_and_chains(editor):
    claim = six_converging_chains()
    client = Client()
    client.force_login(editor)
    response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    page = response.content.decode()
    graph = response.context["trace_graph"]
    assert page.count('<g class="node') == 12
    assert page.count("data-edge=") == 10
    assert '<script id="trace-graph-chains" type="application/json">' in page
    assert "claims/vendor/elkjs-0.12.1/elk.bundled.js" in page and "claims/trace-picture.js" in page
    for node in graph["nodes"]:
        assert f'<a href="{node.url}">' in page
    assert LONG_NAME in page
    # Without JavaScript the picture says where to look instead; the tree is there.
    assert "the tree below lists its chains" in page
    assert 'class="see-above-link"' in page
