"""Publishing in a real Chromium: the checklist stands between Save and the publication."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from claims.models import Claim, ClaimStatus
from claims.services import PUBLISH_CONFIRMED, HopInput, chain_record
from tests.browser import log_in
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory

SCREENSHOT = Path(tempfile.gettempdir()) / "factcheck_publish_checklist.png"

pytestmark = pytest.mark.browser


def test_editor_publishes_a_single_origin_claim_over_its_unverified_hop_after_the_checklist(
    committed_db, live_server, chromium_page
):
    UserFactory(username="erin", roles=["editor"], is_staff=True)
    claim = ClaimFactory(
        text="Turkish troops are in Azerbaijan for a joint training exercise.",
        status=ClaimStatus.IN_REVIEW,
        rating="unproven",
        rating_explanation="Announced by the ministry; not yet seen.",
    )
    chain_record(
        claim=claim,
        document=DocumentFactory(title="Turkish troops in Azerbaijan for joint military drills"),
        hops=[
            HopInput(source=SourceFactory(name="Reuters"), relation="citing", quote="Reuters said, citing RIA"),
            HopInput(source=SourceFactory(name="RIA Novosti")),
        ],
    )
    page = chromium_page
    log_in(page, live_server, "erin")

    page.goto(f"{live_server.url}/admin/claims/claim/{claim.pk}/change/")
    page.select_option("#id_status", "published")
    page.click("input[name=_continue]")

    # The checklist, before anything is saved.
    checklist = page.locator("#publish-confirmation")
    expect(checklist.locator(".checklist-item")).to_have_text(
        [
            "single_origin The only chain leads to RIA Novosti.",
            "unverified_hop 1 hop asserted but not checked: Reuters → RIA Novosti.",
        ],
        use_inner_text=True,
    )
    expect(checklist.locator(".checklist-item.blocking")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW

    page.click("#publish-confirm")

    expect(page.locator(".messagelist")).to_contain_text(
        "Published over what you confirmed: single origin, unverified hop."
    )
    expect(page.locator("#id_status")).to_have_value("published")
    expect(page.locator(".field-published_over")).to_contain_text("by erin: single origin, unverified hop")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED and claim.published_at is not None
    event = Claim.pgh_event_model.objects.filter(pgh_obj_id=claim.pk, status="published").get()
    assert event.pgh_context.metadata[f"{PUBLISH_CONFIRMED}:{claim.pk}"] == ["single_origin", "unverified_hop"]
