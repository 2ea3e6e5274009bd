"""An auditor in a real Chromium looks at a claim as it stood before an edit."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from claims.models import ClaimStatus
from claims.services import HopInput, chain_record, claim_update
from tests.browser import log_in
from tests.factories import (
    ClaimFactory,
    DocumentFactory,
    SourceFactory,
    TopicFactory,
    UserFactory,
    publish_over_checklist,
)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(tempfile.gettempdir())

OLD = "Turkish troops are in Azerbaijan for a training exercise with the Azerbaijani military."
NEW = "Turkish troops are in Azerbaijan for a joint training exercise with the Azerbaijani military, Reuters said."


def test_an_auditor_follows_the_history_to_the_claim_as_it_stood_before_an_edit(
    committed_db, live_server, chromium_page
):
    UserFactory(username="carol", roles=["auditor"], is_staff=True)
    reuters, ria, ministry = (
        SourceFactory(name=name, kind="news_agency") for name in ("Reuters", "RIA Novosti", "Ministry of Defence")
    )
    claim = ClaimFactory(text=OLD, status=ClaimStatus.IN_REVIEW)
    claim_update(claim=claim, topics=[TopicFactory(name="Military drills")])
    chain_record(
        claim=claim,
        document=DocumentFactory(title="Turkish troops in Azerbaijan for joint military drills"),
        quote="Turkish troops are in Azerbaijan for a training exercise",
        hops=[HopInput(source=reuters, relation="citing"), HopInput(source=ria)],
    )
    # The edit: new wording, published, and the chain taken one hop further.
    publish_over_checklist(claim, text=NEW)
    chain_record(claim=claim, hops=[HopInput(source=ria, relation="informed_by"), HopInput(source=ministry)])
    page = chromium_page

    log_in(page, live_server, "carol")

    page.goto(f"{live_server.url}/admin/claims/claim/{claim.pk}/change/")
    page.click("a.historylink")
    rows = page.locator("#change-history tr.history-entry")
    # Newest first: the hop to the ministry, then the new wording, as a word diff.
    expect(rows.first.locator("td.what")).to_contain_text("RIA Novosti informed by Ministry of Defence")
    wording = rows.filter(has=page.locator("td.words"))
    expect(wording.locator("ins").first).to_have_text("joint")
    # The hop itself (its evidence's entry names it too).
    hop_added = rows.filter(has=page.locator(".entry-label", has_text=re.compile(r"^Reuters citing RIA Novosti$")))
    expect(hop_added).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "factcheck_admin_history.png"), full_page=True)

    # The hop Reuters → RIA was recorded before the edit: the claim as it stood then.
    before_edit = hop_added
    before_edit.locator("a.as-of-link").click()

    expect(page.locator("#as-of-banner")).to_contain_text("read-only")
    expect(page.locator("#as-of-banner")).to_contain_text("As of")
    expect(page.locator("#as-of-text")).to_have_text(OLD)
    expect(page.locator("#as-of-status")).to_have_text("In review")
    expect(page.locator("#as-of-topics")).to_have_text("Military drills")
    expect(page.locator("#as-of-appearances")).to_contain_text("Turkish troops in Azerbaijan for joint military drills")
    trace = page.locator("#trace")
    expect(trace.locator(".trace-summary")).to_contain_text("1 origin (RIA Novosti)")
    expect(trace).not_to_contain_text("Ministry of Defence")
    # Read-only: nothing to save.
    expect(page.locator("#content-main input[type=submit]")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "factcheck_admin_claim_as_of.png"), full_page=True)
