"""The admin in a real Chromium: an editor records a chain and sees the trace."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import choose, log_in, logged_in
from tests.factories import DocumentFactory, SourceFactory, UserFactory

SCREENSHOT = Path(tempfile.gettempdir()) / "factcheck_admin_trace.png"

pytestmark = pytest.mark.browser


def test_editor_records_a_two_hop_chain_from_the_claim_page_and_sees_the_trace(
    committed_db, live_server, chromium_page
):
    UserFactory(username="erin", roles=["editor"], is_staff=True)
    SourceFactory(name="Reuters", kind="news_agency")
    SourceFactory(name="RIA Novosti", kind="news_agency", aliases=["Russian state news agency"])
    DocumentFactory(title="Turkish troops in Azerbaijan for joint military drills", publisher=None)
    page = chromium_page

    log_in(page, live_server, "erin")

    page.goto(f"{live_server.url}/admin/claims/claim/add/")
    page.fill("#id_text", "Turkish troops are in Azerbaijan for a joint training exercise.")
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator("#trace .trace-empty")).to_be_visible()

    # Two hop rows to start with; more on demand.
    rows = page.locator("#chain_form tr.hop-row")
    expect(rows.locator("visible=true")).to_have_count(2)
    page.click("#chain_form button.add-hop")
    expect(rows.locator("visible=true")).to_have_count(3)

    choose(page, "id_chain-document", "Turkish troops", "Turkish troops in Azerbaijan for joint military drills")
    page.fill("#id_chain-quote", "Turkish troops are in Azerbaijan for a training exercise")
    choose(page, "id_hop-0-source", "Reuters", "Reuters")
    page.select_option("#id_hop-0-relation", "citing")
    page.fill("#id_hop-0-quote", "Reuters said, citing Russia's RIA news agency")
    # Found by its alias.
    choose(page, "id_hop-1-source", "state news", "RIA Novosti")
    page.click("#chain_form input[type=submit]")

    expect(page.locator(".messagelist")).to_contain_text("Chain recorded: Reuters → RIA Novosti.")
    trace = page.locator("#trace")
    expect(trace.locator(".trace-summary")).to_have_text(
        "1 chain, 1 origin (RIA Novosti), 1 independent.", use_inner_text=True
    )
    expect(trace.locator(".trace-flag")).to_have_text(
        [
            "single_origin The only chain leads to RIA Novosti.",
            "unverified_hop 1 hop asserted but not checked: Reuters → RIA Novosti.",
        ]
    )
    expect(trace.locator(".trace-row")).to_have_count(2)
    expect(trace.locator(".trace-row").nth(0)).to_contain_text("Reuters")
    expect(trace.locator(".trace-row").nth(1)).to_contain_text("citing RIA Novosti")
    expect(trace.locator(".trace-row").nth(1)).to_contain_text("origin")
    expect(trace.locator(".trace-row").nth(1)).to_contain_text("unverified")

    # The drawn graph: two nodes, the origin marked, the unverified hop dashed.
    graph = trace.locator("svg")
    expect(graph).to_be_visible()
    expect(graph.locator("g.node")).to_have_count(2)
    expect(graph.locator("g.node.origin")).to_contain_text("RIA Novosti")
    expect(graph.locator("g.node.reporting-end")).to_contain_text("Reuters")
    hop = graph.locator("g.edge.unverified path")
    expect(hop).to_have_count(1)
    assert hop.evaluate("path => getComputedStyle(path).strokeDasharray") == "6px, 4px"
    # Laid out (claims/trace-picture.js), inside the panel; tests/test_browser_picture.py has the rest.
    expect(page.locator("svg.trace-picture.laid-out")).to_be_visible()
    assert graph.bounding_box()["width"] <= trace.bounding_box()["width"]

    # The attribution inline lists the recorded hop.
    expect(page.locator("#attributions-group")).to_contain_text("Reuters citing RIA Novosti")
    trace.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOT, full_page=True)


def test_one_save_records_the_claim_and_its_chain_and_an_error_loses_neither(
    committed_db, live_server, chromium_browser
):
    from claims.models import Claim, Statement

    UserFactory(username="erin", is_superuser=True, is_staff=True)  # roles are flushed between these tests
    reuters = SourceFactory(name="Reuters", kind="news_agency")
    SourceFactory(name="RIA Novosti", kind="news_agency")
    claim = Claim.objects.create(text="Drills began on Monday.", status="draft")
    page = logged_in(chromium_browser, live_server, "erin")
    page.goto(f"{live_server.url}/admin/claims/claim/{claim.pk}/change/")

    page.fill("#id_text", "Drills began on Tuesday.")
    choose(page, "id_hop-0-source", "Reuters", "Reuters")
    page.select_option("#id_hop-0-relation", "citing")
    page.fill("#id_hop-0-quote", "Reuters said so")
    choose(page, "id_hop-1-source", "Reuters", "Reuters")  # a source citing itself: refused
    page.click("input[name=_save]")

    # Refused, and nothing typed in either form is lost; nothing was saved.
    expect(page.locator(".messagelist")).to_contain_text("Nothing was saved: the chain has errors")
    expect(page.locator("#id_text")).to_have_value("Drills began on Tuesday.")
    expect(page.locator("#id_hop-0-quote")).to_have_value("Reuters said so")
    expect(page.locator("#chain_form tr.hop-row.errors")).to_contain_text("Reuters cannot cite itself.")
    assert Claim.objects.get(pk=claim.pk).text == "Drills began on Monday."

    # Mended on the same page, the same Save records both.
    choose(page, "id_hop-1-source", "RIA", "RIA Novosti")
    page.click("#chain_form input[type=submit]")
    expect(page.locator(".messagelist")).to_contain_text("Chain recorded: Reuters → RIA Novosti.")
    assert Claim.objects.get(pk=claim.pk).text == "Drills began on Tuesday."
    assert Statement.objects.filter(claim=claim).order_by("id").first().source == reuters


def test_two_editors_in_two_browsers_keep_both_changes_and_see_a_clash_side_by_side(
    committed_db, live_server, chromium_browser
):
    from claims.models import Claim

    UserFactory(username="erin", is_superuser=True, is_staff=True)  # roles are flushed between these tests
    UserFactory(username="frank", is_superuser=True, is_staff=True)
    claim = Claim.objects.create(text="Drills began on Monday.", status="draft")
    url = f"{live_server.url}/admin/claims/claim/{claim.pk}/change/"
    erin, frank = logged_in(chromium_browser, live_server, "erin"), logged_in(chromium_browser, live_server, "frank")

    # Different fields: both land.
    erin.goto(url)
    frank.goto(url)
    frank.select_option("#id_rating", "false")
    frank.click("input[name=_continue]")
    expect(frank.locator(".messagelist")).to_contain_text("was changed successfully")
    erin.fill("#id_text", "Drills began on Tuesday.")
    erin.click("input[name=_continue]")
    expect(erin.locator(".messagelist")).to_contain_text("their changes are kept")
    claim.refresh_from_db()
    assert (claim.text, claim.rating) == ("Drills began on Tuesday.", "false")

    # The same field: the second save is refused once, with the three versions shown.
    erin.goto(url)
    frank.goto(url)
    frank.fill("#id_text", "Frank's wording.")
    frank.click("input[name=_continue]")
    erin.fill("#id_text", "Erin's wording.")
    erin.click("input[name=_continue]")
    conflict = erin.locator("#save-conflict")
    expect(conflict).to_contain_text("Drills began on Tuesday.")
    expect(conflict.locator("td.theirs")).to_have_text("Frank's wording.")
    expect(conflict.locator("td.yours")).to_have_text("Erin's wording.")
    assert Claim.objects.get(pk=claim.pk).text == "Frank's wording."
    erin.click("input[name=_continue]")
    expect(erin.locator(".messagelist")).to_contain_text("was changed successfully")
    claim.refresh_from_db()
    assert (claim.text, claim.rating) == ("Erin's wording.", "false")
