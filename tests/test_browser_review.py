"""Reviewing an import in a real Chromium: from the document's page to its proposals
beside the text, one accepted with its claim reworded, one attached to the claim it
matches, the rest ticked together and rejected."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from claims.models import Appearance, Claim
from ingestion.models import Proposal
from ingestion.services import document_import
from tests.browser import log_in
from tests.factories import ClaimFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.browser

ARTICLE = (
    "Turkish troops are in Azerbaijan for a training exercise with the Azerbaijani military, Reuters reported, "
    "citing Russia's RIA news agency.\n\n"
    "The drills began on Monday near Baku, Reuters said.\n\n"
    "Officials closed the airport for the night.\n\n"
    "Subscribe to our newsletter."
)


def test_an_editor_reviews_an_import_beside_its_text(committed_db, live_server, chromium_page):
    UserFactory(username="erin", roles=["editor"], is_staff=True)
    outlet = SourceFactory(name="The Outlet")
    SourceFactory(name="Reuters", kind="news_agency")
    SourceFactory(name="RIA Novosti", aliases=["RIA news agency"], kind="news_agency")
    recorded = ClaimFactory(text="The drills began on Monday near Baku.")
    document = document_import(text=ARTICLE, title="Troops in Azerbaijan", publisher=outlet).document
    troops, drills, airport = Proposal.objects.filter(document=document).order_by("position")
    page = chromium_page
    log_in(page, live_server, "erin")

    page.goto(f"{live_server.url}/admin/sources/document/{document.pk}/change/")
    page.click("a.review-import-link")

    # The text beside the proposals: sources and cue words marked, the furniture struck out.
    expect(page.locator(".review-text mark.mention", has_text="Russia's RIA news agency")).to_be_visible()
    expect(page.locator(".review-text mark.cue", has_text="citing")).to_be_visible()
    expect(page.locator(".review-text p.left-out")).to_have_text("Subscribe to our newsletter.")
    expect(page.locator("article.proposal")).to_have_count(3)

    card = page.locator(f"#proposal-{troops.pk}")
    card.locator("textarea").fill("Turkish troops are in Azerbaijan for a training exercise.")
    card.get_by_role("button", name="Accept").click()
    expect(page.locator(".messagelist")).to_contain_text("1 proposal accepted.")
    expect(page.locator(f"#proposal-{troops.pk}")).to_have_class("proposal status-accepted")

    card = page.locator(f"#proposal-{drills.pk}")
    card.get_by_label(f"Attach to claim {recorded.pk}", exact=False).check()
    card.get_by_role("button", name="Accept").click()
    expect(page.locator(f"#proposal-{drills.pk}")).to_have_class("proposal status-accepted")

    page.locator(f"#proposal-{airport.pk} input.tick").check()
    page.get_by_role("button", name="Reject the ticked").click()
    expect(page.locator(f"#proposal-{airport.pk}")).to_have_class("proposal status-rejected")
    expect(page.locator("input.tick")).to_have_count(0)

    new = Claim.objects.exclude(pk=recorded.pk).get()
    assert (new.text, new.status) == ("Turkish troops are in Azerbaijan for a training exercise.", "draft")
    assert Appearance.objects.filter(claim=recorded, document=document).exists()
    assert list(Proposal.objects.filter(document=document).order_by("position").values_list("status", flat=True)) == [
        "accepted",
        "accepted",
        "rejected",
    ]
