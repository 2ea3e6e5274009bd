"""Publishing in a real Chromium: the checklist stands between Save and the publication."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Page, expect, sync_playwright

from claims.models import Claim, ClaimStatus
from claims.services import PUBLISH_CONFIRMED, HopInput, chain_record
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory
from tests.test_browser_admin import CHROMIUM_ARGS

SCREENSHOT = Path(tempfile.gettempdir()) / "factcheck_publish_checklist.png"

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _sync_database_access_beside_playwright(monkeypatch) -> None:
    # As in test_browser_admin: Playwright's loop runs in this thread, which serves no requests.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def chromium_page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()
            connections.close_all()


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
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "erin")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("erin")

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
