"""The claim page's picture in a real Chromium at 1024 px: six converging chains and
twenty sources fit the screen, nothing overlaps, labels sit on their hops, full names
wrap, every source is a link, and one chain at a time is picked out. Asserted from the
DOM (boxes, paths, classes), not from pixels; screenshots are saved for people to look at."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from claims.picture import MAX_DRAWN_EDGES, MAX_DRAWN_NODES
from tests.browser import logged_in
from tests.factories import UserFactory
from tests.picture_graphs import LONG_NAME, six_converging_chains, twenty_sources

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(tempfile.gettempdir()) / "factcheck_picture"
WIDTH = 1024


def claim_page(browser, live_server, claim, *, javascript: bool = True) -> Iterator[Page]:
    UserFactory(username="erin", is_superuser=True, is_staff=True)  # roles are flushed between these tests
    errors: list[str] = []
    page = logged_in(browser, live_server, "erin", width=WIDTH, height=900, java_script_enabled=javascript)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/admin/claims/claim/{claim.pk}/change/")
    if javascript:
        expect(page.locator("svg.trace-picture.laid-out")).to_be_visible()
    assert errors == []
    return page


# Geometry read in the page, in screen pixels: each node's box, each hop's path as the
# polyline it is (orthogonal segments) and its label's box.
READ_PICTURE = """() => {
  const svg = document.querySelector("svg.trace-picture");
  const toScreen = (el, x, y) => {
    const p = new DOMPoint(x, y).matrixTransform(el.getScreenCTM());
    return [p.x, p.y];
  };
  const box = (el) => { const r = el.getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; };
  const nodes = [...svg.querySelectorAll("g.node")].map((g) => ({
    statement: g.dataset.statement, source: g.dataset.source, box: box(g.querySelector("rect")),
    name: [...g.querySelectorAll("text.name tspan")].map((t) => t.textContent).join(" "),
    lines: g.querySelectorAll("text.name tspan").length,
    href: g.querySelector("a") && g.querySelector("a").getAttribute("href"),
  }));
  const edges = [...svg.querySelectorAll("g.edge")].map((g) => {
    const path = g.querySelector("path");
    const points = path.getAttribute("d").trim().split(/\\s+/).map((step) => step.slice(1).split(",").map(Number));
    return {id: path.dataset.edge, from: path.dataset.from, to: path.dataset.to,
            points: points.map(([x, y]) => toScreen(path, x, y)), label: box(g.querySelector("text.label"))};
  });
  return {nodes, edges, chains: JSON.parse(document.getElementById("trace-graph-chains").textContent)};
}"""


def overlap(a: dict, b: dict) -> bool:
    across = a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
    return across and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]


def distance_to_segment(box: dict, p: list[float], q: list[float]) -> float:
    """From a box to a horizontal or vertical segment (the picture routes hops orthogonally)."""
    lo_x, hi_x, lo_y, hi_y = min(p[0], q[0]), max(p[0], q[0]), min(p[1], q[1]), max(p[1], q[1])
    dx = max(lo_x - (box["x"] + box["w"]), box["x"] - hi_x, 0)
    dy = max(lo_y - (box["y"] + box["h"]), box["y"] - hi_y, 0)
    return (dx * dx + dy * dy) ** 0.5


def segments(points: list[list[float]]):
    return list(pairwise(points))


def shared_stretch(s: tuple, t: tuple) -> float:
    """How far two axis-parallel segments run along the same line (0 if they only cross)."""
    (a, b), (c, d) = s, t
    for axis in (0, 1):  # 0: vertical segments (same x), 1: horizontal ones (same y)
        if abs(a[axis] - b[axis]) < 0.5 and abs(c[axis] - d[axis]) < 0.5 and abs(a[axis] - c[axis]) < 1.5:
            other = 1 - axis
            lo = max(min(a[other], b[other]), min(c[other], d[other]))
            hi = min(max(a[other], b[other]), max(c[other], d[other]))
            return max(0.0, hi - lo)
    return 0.0


def check_layout(picture: dict, claim_sources: int) -> None:
    nodes, edges = picture["nodes"], picture["edges"]
    assert len(nodes) == claim_sources  # one box per source: shared sub-chains drawn once
    for node in nodes:
        assert 0 <= node["box"]["x"] and node["box"]["x"] + node["box"]["w"] <= WIDTH, node
        assert node["href"] == f"/admin/sources/source/{node['source']}/change/"
        assert "…" not in node["name"]
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            assert not overlap(a["box"], b["box"]), (a["name"], b["name"])
    by_statement = {node["statement"]: node for node in nodes}
    for edge in edges:
        # Each hop runs from its source's box to the box of the one it cites.
        start, end = edge["points"][0], edge["points"][-1]
        assert distance_to_segment(by_statement[edge["from"]]["box"], start, start) < 2
        assert distance_to_segment(by_statement[edge["to"]]["box"], end, end) < 2
        # Its label on it: across the line, or beside it within a few pixels.
        assert min(distance_to_segment(edge["label"], p, q) for p, q in segments(edge["points"])) <= 5, edge
    # No two hops share a stretch of line, and no label covers a box.
    for i, e in enumerate(edges):
        for f in edges[i + 1 :]:
            for s in segments(e["points"]):
                for t in segments(f["points"]):
                    assert shared_stretch(s, t) < 3, (e["id"], f["id"], s, t)
        for node in nodes:
            assert not overlap(e["label"], node["box"]), (e["id"], node["name"])


def highlighted(page: Page) -> set[str]:
    return set(page.eval_on_selector_all("g.edge.in-chain path", "paths => paths.map(p => p.dataset.edge)"))


def as_sets(chains: list[list[int]]) -> list[set[str]]:
    return [{str(edge_id) for edge_id in chain} for chain in chains]


def check_one_chain_at_a_time(page: Page, picture: dict, name: str) -> None:
    chains = as_sets(picture["chains"])
    node = next(n for n in picture["nodes"] if n["name"] == name)
    through = [
        i
        for i, chain in enumerate(chains)
        if any(e["id"] in chain and node["statement"] in (e["from"], e["to"]) for e in picture["edges"])
    ]
    # Hovering a source picks out the first chain through it, exactly its hops.
    page.hover(f"g.node[data-statement='{node['statement']}'] rect")
    assert highlighted(page) == chains[through[0]]
    expect(page.locator(".trace-chain-caption")).to_contain_text(f"Chain {through[0] + 1} of {len(chains)}: ")
    page.mouse.move(2, 2)
    assert highlighted(page) == set()

    # Clicking a hop keeps one chain along it; clicking it again, the next one.
    edge = next(e for e in picture["edges"] if sum(e["id"] in chain for chain in chains) > 1)
    along = [i for i, chain in enumerate(chains) if edge["id"] in chain]
    hit = page.locator(f"g.edge:has(path[data-edge='{edge['id']}']) text.label")
    hit.click()
    assert highlighted(page) == chains[along[0]]
    page.mouse.move(2, 2)
    assert highlighted(page) == chains[along[0]]  # kept
    hit.click()
    assert highlighted(page) == chains[along[1]]
    page.keyboard.press("Escape")
    assert highlighted(page) == set()


def screenshot(page: Page, name: str, part: str = "#trace") -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.locator(part).screenshot(path=path)
    print(f"screenshot: {path}")


def test_six_converging_chains_fit_1024_px_and_pick_out_one_chain(committed_db, live_server, chromium_browser):
    page = claim_page(chromium_browser, live_server, six_converging_chains())
    picture = page.evaluate(READ_PICTURE)
    check_layout(picture, 12)
    figure = page.locator("#trace-graph")
    print(f"laid out in {figure.get_attribute('data-layout-ms')} ms at scale {figure.get_attribute('data-scale')}")
    # The 60-character name, whole, on more than one line.
    long = next(node for node in picture["nodes"] if node["name"] == LONG_NAME)
    assert long["lines"] > 1
    screenshot(page, "six_chains_1024")
    check_one_chain_at_a_time(page, picture, "RIA Novosti")
    page.hover("g.node:has(text.name:has-text('Reuters')) rect")
    screenshot(page, "six_chains_1024_one_chain")


def test_twenty_sources_fit_1024_px(committed_db, live_server, chromium_browser):
    page = claim_page(chromium_browser, live_server, twenty_sources())
    picture = page.evaluate(READ_PICTURE)
    check_layout(picture, 20)
    figure = page.locator("#trace-graph")
    print(f"laid out in {figure.get_attribute('data-layout-ms')} ms at scale {figure.get_attribute('data-scale')}")
    screenshot(page, "twenty_sources_1024")
    check_one_chain_at_a_time(page, picture, "Agence France-Presse")


def test_a_graph_too_big_to_draw_whole_is_laid_out_within_the_bound(committed_db, live_server, chromium_browser):
    from tests.factories import ClaimFactory
    from tests.test_admin_scale import graph

    claim = ClaimFactory()
    graph(claim, 400)  # 400 sources, 1,194 hops: the picture draws 60 and 150 of them
    page = claim_page(chromium_browser, live_server, claim)
    expect(page.locator("svg.trace-picture g.node")).to_have_count(MAX_DRAWN_NODES)
    expect(page.locator("svg.trace-picture g.edge")).to_have_count(MAX_DRAWN_EDGES)
    figure = page.locator("#trace-graph")
    print(f"laid out in {figure.get_attribute('data-layout-ms')} ms at scale {figure.get_attribute('data-scale')}")
    screenshot(page, "bounded_400_sources_1024", part="#trace-graph")  # the tree below is 300 rows


def test_without_javascript_the_tree_says_it_all(committed_db, live_server, chromium_browser):
    page = claim_page(chromium_browser, live_server, six_converging_chains(), javascript=False)
    expect(page.locator(".trace-graph-nojs")).to_be_visible()
    expect(page.locator("svg.trace-picture")).to_be_hidden()
    tree = page.locator(".trace-tree")
    expect(page.locator(".trace-summary")).to_contain_text("6 chains, 2 origins")
    expect(tree.locator("li")).to_have_count(16)
    expect(tree.locator("li.see-above")).to_have_count(4)
    expect(tree).to_contain_text(LONG_NAME)
