"""In a real Chromium: an editor scans the list of claims, filters it by a flag, then by
a source picked in the filter's autocomplete box, and the other filter stays applied."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from claims.services import HopInput, chain_record
from tests.browser import choose, logged_in
from tests.factories import ClaimFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.browser

SCREENSHOT = Path(tempfile.gettempdir()) / "factcheck_claims_list.png"
SCREENSHOT_FILTERED = Path(tempfile.gettempdir()) / "factcheck_claims_list_filtered.png"


def test_an_editor_filters_the_claims_by_a_flag_and_by_a_source_picked_by_name(
    committed_db, live_server, chromium_browser
):
    UserFactory(username="erin", is_superuser=True, is_staff=True)  # roles are flushed between these tests
    gov = SourceFactory(name="Government of Azerbaijan", kind="government")
    ministry = SourceFactory(name="Ministry of Defence of Azerbaijan", kind="government", parent=gov)
    ria = SourceFactory(name="RIA Novosti", kind="news_agency", aliases=["Russian state news agency"])
    reuters, outlet = SourceFactory(name="Reuters", kind="news_agency"), SourceFactory(name="Daily Outlet")
    whisper = SourceFactory(name="A source in the ministry", kind="anonymous")
    troops = ClaimFactory(
        text="Turkish troops are in Azerbaijan for a joint training exercise with the Azerbaijani military."
    )
    chain_record(
        claim=troops,
        hops=[
            HopInput(reuters, relation="citing", quote="Reuters said, citing RIA"),
            HopInput(ria, relation="informed_by", quote="informed by the ministry"),
            HopInput(ministry),
        ],
    )
    jets = ClaimFactory(text="F-16s remained at Ganja International Airport after the drills.")
    chain_record(claim=jets, hops=[HopInput(outlet, relation="citing", quote="officials said"), HopInput(whisper)])
    drills = ClaimFactory(text="The drills began on Monday, according to RIA Novosti and Reuters.")
    for agency in (ria, reuters):
        chain_record(claim=drills, hops=[HopInput(outlet, relation="citing", quote="they said"), HopInput(agency)])

    page = logged_in(chromium_browser, live_server, "erin")
    page.set_viewport_size({"width": 1024, "height": 900})
    page.goto(f"{live_server.url}/admin/claims/claim/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    # The claim's words are read whole, in a column wide enough to read them.
    text_cell = rows.filter(has_text="Turkish troops").locator(".field-claim_text")
    expect(text_cell).to_have_text(troops.text)
    assert text_cell.bounding_box()["width"] >= 180  # some 30 characters a line, at least
    troops_row = rows.filter(has_text="Turkish troops")
    expect(troops_row.locator(".field-origin_names")).to_have_text("Ministry of Defence of Azerbaijan")
    expect(troops_row.locator(".field-independent_origins")).to_have_text("1")
    expect(troops_row.locator(".flag-badge")).to_have_text(["one origin", "unverified"])
    # Every column fits a 1024 px screen: the list does not scroll sideways.
    assert page.evaluate(
        "() => { const r = document.querySelector('.results'); return r.scrollWidth <= r.clientWidth; }"
    )
    page.screenshot(path=SCREENSHOT, full_page=True)

    # By a flag: a link in the filters.
    page.locator('#changelist-filter details[data-filter-title="flag"] a', has_text="anonymous").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("F-16s remained")
    expect(rows.first.locator(".flag-badge.flag-anonymous_origin")).to_have_text("anonymous")

    # Back to every flag, then by a source picked by an alias in the autocomplete box.
    page.locator('#changelist-filter details[data-filter-title="flag"] a', has_text="All").click()
    expect(rows).to_have_count(3)
    choose(page, "filter-source", "russian state", "RIA Novosti")
    page.locator("#source-filter-source input[type=submit]").click()
    expect(rows).to_have_count(2)
    expect(page.locator("#result_list")).not_to_contain_text("F-16s remained")
    assert f"source={ria.pk}" in page.url
    # The box shows the source chosen; a flag picked now keeps it.
    expect(page.locator("#filter-source + .select2 .select2-selection__rendered")).to_contain_text("RIA Novosti")
    page.locator('#changelist-filter details[data-filter-title="flag"] a', has_text="one origin").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Turkish troops")
    assert f"source={ria.pk}" in page.url and "flag=single_origin" in page.url
    page.screenshot(path=SCREENSHOT_FILTERED, full_page=True)
