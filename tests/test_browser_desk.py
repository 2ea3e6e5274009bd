"""The editor's desk in a real Chromium: the document-first job counted in page loads
(scripts/desk_job.py against the live server), a missing source added from a hop row
through Django's popup, and a refused chain opening on its first error."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from claims.models import Appearance, Claim, ClaimStatus, Statement
from claims.services import HopInput, chain_record
from sources.models import Document, Source
from tests.browser import choose, logged_in
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = Path(tempfile.gettempdir()) / "factcheck_desk"
# The target for the whole job (it took 17 page loads before the desk).
MOST_PAGE_LOADS = 5


def desk_job(live_server, *options: str) -> dict:
    """scripts/desk_job.py against the live server, as an editor would run it; its report."""
    done = subprocess.run(
        [
            sys.executable,
            "scripts/desk_job.py",
            "--url",
            live_server.url,
            "--username",
            "erin",
            "--password",
            "correct horse battery staple",
            "--screenshots",
            str(SCREENSHOTS),
            *options,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def desk(committed_db):
    """An editor (a superuser: roles are flushed between these tests), and the agency and
    the ministry the new outlet cites, as the seed has them."""
    UserFactory(username="erin", is_superuser=True, is_staff=True)
    government = SourceFactory(name="Government of Azerbaijan", kind="government")
    return {
        "agency": SourceFactory(name="Reuters", kind="news_agency"),
        "ministry": SourceFactory(name="Ministry of Defence of Azerbaijan", kind="government", parent=government),
    }


def test_the_document_first_job_takes_at_most_five_page_loads(desk, live_server):
    report = desk_job(live_server)

    assert report["page_loads"] <= MOST_PAGE_LOADS, report
    add_claim = f"/admin/claims/claim/add/?document={Document.objects.get().pk}"
    assert report["loads"] == [
        "GET /admin/sources/document/add/",
        # "Save and add a claim from it": the document saved, the claim's form.
        f"GET {add_claim}",
        # The publishing checklist's confirmation page, when there is something to confirm.
        *([f"POST {add_claim}"] if len(report["loads"]) == 4 else []),
        f"GET {report['claim']}",
    ]
    # What the job made: the document by the new outlet, the claim published, its
    # appearance, and the chain outlet → agency → ministry.
    document = Document.objects.select_related("publisher").get()
    assert document.publisher.name == report["outlet"]
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.PUBLISHED
    assert Appearance.objects.get(claim=claim).document == document
    assert [s.source.name for s in Statement.objects.filter(claim=claim).order_by("id")] == [
        report["outlet"],
        "Reuters",
        "Ministry of Defence of Azerbaijan",
    ]
    print(f"desk job: {report['page_loads']} page loads, {report['clicks']} clicks, {report['typed_fields']} fields")


def test_the_job_with_the_outlet_added_in_the_popup_counts_the_popups_two_loads(desk, live_server):
    report = desk_job(live_server, "--publisher-popup")

    popup = "/admin/sources/source/add/?_to_field=id&_popup=1"
    assert report["loads"][:3] == ["GET /admin/sources/document/add/", f"GET {popup}", f"POST {popup}"]
    assert report["page_loads"] == len(report["loads"])
    assert Document.objects.select_related("publisher").get().publisher.name == report["outlet"]
    assert Claim.objects.get().status == ClaimStatus.PUBLISHED


def test_a_source_added_from_a_hop_rows_plus_is_chosen_in_that_row(desk, live_server, chromium_browser):
    document = DocumentFactory(title="Naval drills", body="The navy will sail, the agency said.")
    page = logged_in(chromium_browser, live_server, "erin")
    refused = []
    page.on("console", lambda message: "Content Security Policy" in message.text and refused.append(message.text))
    page.goto(f"{live_server.url}/admin/claims/claim/add/?document={document.pk}")
    page.click("#document-sentences a.sentence")
    page.select_option("#id_hop-0-relation", "citing")
    expect(page.locator("#chain_form tr.hop-row").nth(1)).to_be_visible()

    # The second row's "+": Django's popup with the source's add form.
    with page.expect_popup() as opened:
        page.click("#add_id_hop-1-source")
    popup = opened.value
    popup.fill("#id_name", "Caspian Wire")
    popup.select_option("#id_kind", "news_agency")
    with popup.expect_event("close"):
        popup.click("input[name=_save]")

    wire = Source.objects.get(name="Caspian Wire")
    expect(page.locator("#id_hop-1-source")).to_have_value(str(wire.pk))
    expect(page.locator("#select2-id_hop-1-source-container")).to_contain_text("Caspian Wire")
    expect(page.locator("#id_hop-0-source")).to_have_value(str(document.publisher.pk))
    # Chosen on the last row shown: the next row opens for the next hop.
    expect(page.locator("#chain_form tr.hop-row").nth(2)).to_be_visible()
    page.click("#chain_form input[type=submit]")

    expect(page.locator(".messagelist")).to_contain_text(f"Chain recorded: {document.publisher.name} → Caspian Wire.")
    assert refused == []


def test_after_a_chain_error_the_page_opens_on_the_first_error_with_its_field_focused(
    desk, live_server, chromium_browser
):
    # A claim with a graph, so that the picture and the tree push the chain form far down.
    claim = ClaimFactory(text="Drills began on Monday.")
    sources = [SourceFactory(name=f"Outlet {i}") for i in range(6)]
    for source in sources:
        chain_record(claim=claim, hops=[HopInput(source, relation="citing"), HopInput(desk["agency"])])
    page = logged_in(chromium_browser, live_server, "erin")
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/claims/claim/{claim.pk}/change/")

    choose(page, "id_hop-0-source", "Reuters", "Reuters")
    page.select_option("#id_hop-0-relation", "citing")
    choose(page, "id_hop-1-source", "Reuters", "Reuters")  # citing itself: refused
    page.click("#chain_form input[type=submit]")

    expect(page.locator(".messagelist")).to_contain_text("Nothing was saved: the chain has errors")
    error = page.locator("#chain_form tr.hop-row.errors .errorlist").first
    expect(error).to_contain_text("Reuters cannot cite itself.")
    expect(error).to_be_in_viewport()
    # Its field has the focus: the source of that row (a select2 widget).
    focused = page.evaluate("document.activeElement.closest('tr.hop-row')?.querySelector('select')?.id")
    assert focused == "id_hop-1-source"
    assert page.evaluate("window.scrollY") > 1000  # the page opened far down, not at its top
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "desk_chain_error.png"))


def test_a_mistaken_chain_is_undone_hop_by_hop_from_the_claim_page(desk, live_server, chromium_browser):
    # Recorded through the wrong agency: the outlet cites AFP, not Reuters.
    outlet = SourceFactory(name="Caspian Courier")
    SourceFactory(name="AFP", kind="news_agency")
    claim = ClaimFactory(text="Drills began on Monday.")
    chain_record(
        claim=claim,
        hops=[
            HopInput(outlet, relation="citing"),
            HopInput(desk["agency"], relation="citing"),
            HopInput(desk["ministry"]),
        ],
    )
    page = logged_in(chromium_browser, live_server, "erin")
    page.goto(f"{live_server.url}/admin/claims/claim/{claim.pk}/change/")
    hops = page.locator("#attributions-group tbody tr")

    # The outlet's hop to Reuters: its only link is the outlet's (Reuters still cites the
    # ministry); the editor unticks the outlet, which did publish the claim.
    hops.filter(has_text="Caspian Courier citing Reuters").locator("a.remove-hop").click()
    expect(page.locator("#remove-hop-name")).to_contain_text("Caspian Courier citing Reuters")
    expect(page.locator("#remove-hop-unconnected")).to_contain_text("This hop is the only link of Caspian Courier:")
    page.locator("#remove-hop-unconnected input[name=remove_statement]").uncheck()
    page.click("#remove-hop-form input[type=submit]")
    expect(page.locator(".messagelist")).to_have_text("Removed the hop Caspian Courier citing Reuters.")
    assert Statement.objects.filter(claim=claim, source=outlet).exists()

    # ...then Reuters's hop to the ministry: Reuters is left citing nobody, and goes too.
    hops.filter(has_text="Reuters citing Ministry of Defence").locator("a.remove-hop").click()
    expect(page.locator("#remove-hop-unconnected")).to_contain_text("This hop is the only link of Reuters")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "desk_remove_hop.png"), full_page=True)
    page.click("#remove-hop-form input[type=submit]")
    expect(page.locator(".messagelist")).to_contain_text(
        "No hop linked Reuters and Ministry of Defence of Azerbaijan any more: removed from the trace too."
    )

    # The right chain, on the same page: the outlet citing AFP citing the ministry.
    choose(page, "id_hop-0-source", "Caspian", "Caspian Courier")
    page.select_option("#id_hop-0-relation", "citing")
    choose(page, "id_hop-1-source", "AFP", "AFP")
    page.select_option("#id_hop-1-relation", "citing")
    choose(page, "id_hop-2-source", "defence ministry", "Ministry of Defence of Azerbaijan")
    page.click("#chain_form input[type=submit]")
    expect(page.locator(".messagelist")).to_contain_text("Chain recorded")
    assert {s.source.name for s in Statement.objects.filter(claim=claim)} == {
        "Caspian Courier",
        "AFP",
        "Ministry of Defence of Azerbaijan",
    }
    expect(page.locator("#trace")).not_to_contain_text("Reuters")
