"""In a real Chromium: an editor verifies a hop in one click on the claim page, and
pressing Enter in a field of the claim saves the claim, never verifies a hop."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from claims.models import Attribution
from claims.services import HopInput, chain_record
from tests.browser import logged_in
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.browser

SCREENSHOT = Path(tempfile.gettempdir()) / "factcheck_desk_verify.png"


def test_an_editor_verifies_a_hop_in_one_click_and_sees_the_flag_go(committed_db, live_server, chromium_browser):
    UserFactory(username="erin", is_superuser=True, is_staff=True)  # roles are flushed between these tests
    reuters, ria = SourceFactory(name="Reuters"), SourceFactory(name="RIA Novosti")
    ministry = SourceFactory(name="Ministry of Defence")
    claim = ClaimFactory(text="Turkish troops are in Azerbaijan.", status="draft")
    chain_record(
        claim=claim,
        document=DocumentFactory(title="Turkish troops in Azerbaijan"),
        hops=[
            HopInput(reuters, relation="citing", quote="Reuters said, citing RIA"),
            HopInput(ria, relation="informed_by", quote="informed by the ministry"),
            HopInput(ministry),
        ],
    )
    page = logged_in(chromium_browser, live_server, "erin")
    page.goto(f"{live_server.url}/admin/claims/claim/{claim.pk}/change/")
    flags = page.locator("#trace .trace-flag")
    expect(flags.filter(has_text="unverified_hop")).to_contain_text("2 hops asserted but not checked")

    # Enter in a field of the claim saves the claim: the Verify buttons belong to another form.
    page.fill("#id_language", "en-GB")
    page.press("#id_language", "Enter")
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    claim.refresh_from_db()
    assert claim.language == "en-GB"
    assert not Attribution.objects.filter(claim=claim, verified=True).exists()

    hops = page.locator("#attributions-group")
    row = hops.locator("tr", has_text="Reuters citing RIA Novosti")
    expect(row.locator("button.verify-hop")).to_have_text("Verify")
    row.locator("button.verify-hop").click()

    expect(page.locator(".messagelist")).to_contain_text("Reuters → RIA Novosti verified.")
    assert page.url.endswith(f"/admin/claims/claim/{claim.pk}/change/#attributions-group")
    expect(hops.locator("tr", has_text="Reuters citing RIA Novosti")).to_contain_text("yes")
    expect(hops.locator("button.verify-hop")).to_have_count(1)  # RIA Novosti → Ministry is left
    expect(flags.filter(has_text="unverified_hop")).to_contain_text(
        "1 hop asserted but not checked: RIA Novosti → Ministry of Defence."
    )
    assert list(Attribution.objects.filter(claim=claim).order_by("id").values_list("verified", flat=True)) == [
        True,
        False,
    ]
    page.screenshot(path=SCREENSHOT, full_page=True)
