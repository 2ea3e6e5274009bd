"""Publishing in the admin goes through the checklist's confirmation page: from the claim
page (a status change to published) and from the list ("Publish selected claims")."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from claims.models import Claim, ClaimStatus
from claims.services import PUBLISH_CONFIRMED, HopInput, chain_record
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory
from tests.formdata import filled, form_fields
from tests.test_admin import chain_post, change_url, client_as, messages_of, text_of

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/claims/claim/"


def risky_claim(text: str = "Troops arrived on Monday.") -> Claim:
    """Rated and explained; one chain, Reuters citing RIA Novosti, not checked."""
    claim = ClaimFactory(text=text, status=ClaimStatus.IN_REVIEW, rating="false", rating_explanation="Denied.")
    chain_record(
        claim=claim,
        document=DocumentFactory(),
        hops=[
            HopInput(source=SourceFactory(name=f"Reuters for {text}"), relation="citing", quote="Reuters said"),
            HopInput(source=SourceFactory(name=f"RIA for {text}")),
        ],
    )
    return claim


def clean_claim(text: str = "Nothing to warn about.") -> Claim:
    claim = ClaimFactory(text=text, status=ClaimStatus.DRAFT, rating="true", rating_explanation="Footage.")
    outlet = SourceFactory()
    for _ in range(2):
        chain_record(
            claim=claim,
            document=DocumentFactory(),
            hops=[
                HopInput(source=outlet, relation="citing", quote="…, it said.", verified=True),
                HopInput(SourceFactory()),
            ],
        )
    return claim


def confirmed_over(claim: Claim) -> list[str] | None:
    """What the history records the claim was published over (None: no such record)."""
    event = Claim.pgh_event_model.objects.filter(pgh_obj_id=claim.pk, status="published").order_by("pgh_id").first()
    metadata = event.pgh_context.metadata if event and event.pgh_context else {}
    return metadata.get(f"{PUBLISH_CONFIRMED}:{claim.pk}")


def codes_on(response) -> list[tuple[str, str]]:
    """The checklist items a confirmation page lists: (code, blocking or to-confirm)."""
    import re

    page = response.content.decode()
    return re.findall(r'class="checklist-item (blocking|to-confirm)" data-code="([a-z_]+)"', page)


@pytest.fixture
def erin(db) -> Client:
    return client_as(UserFactory(username="erin", roles=["editor"], is_staff=True))


def save_published(client: Client, claim: Claim, **changes):
    page = client.get(change_url(claim)).content.decode()
    return client.post(change_url(claim), filled(page, "claim_form", status="published", **changes))


# --- the claim page -----------------------------------------------------------------------


def test_publishing_from_the_claim_page_shows_the_checklist_and_saves_nothing_yet(erin):
    claim = risky_claim()

    response = save_published(erin, claim, text="Troops arrived on Monday morning.")

    assert response.status_code == 200
    assert response.templates[0].name == "admin/claims/claim/publish_confirmation.html"
    assert codes_on(response) == [("to-confirm", "single_origin"), ("to-confirm", "unverified_hop")]
    text = text_of(response)
    assert "The only chain leads to RIA for Troops arrived on Monday." in text
    assert 'value="Publish over these 2 items"' in response.content.decode()
    claim.refresh_from_db()
    assert (claim.status, claim.text) == (ClaimStatus.IN_REVIEW, "Troops arrived on Monday.")


def test_confirming_publishes_with_the_rest_of_the_form_and_says_so(erin):
    claim = risky_claim()
    page = save_published(erin, claim, text="Troops arrived on Monday morning.")

    response = erin.post(change_url(claim), form_fields(page.content.decode(), "publish-confirm-form"), follow=True)

    claim.refresh_from_db()
    assert (claim.status, claim.text) == (ClaimStatus.PUBLISHED, "Troops arrived on Monday morning.")
    assert "Published over what you confirmed: single origin, unverified hop." in messages_of(response)
    assert confirmed_over(claim) == ["single_origin", "unverified_hop"]
    # The claim page says it, for auditors too.
    auditor = client_as(UserFactory(username="carol", roles=["auditor"], is_staff=True))
    assert "by erin: single origin, unverified hop" in text_of(auditor.get(change_url(claim)))


def test_back_to_the_form_keeps_what_was_typed_and_saves_nothing(erin):
    claim = risky_claim()
    page = save_published(erin, claim, text="Troops arrived on Monday morning.")
    data = {**form_fields(page.content.decode(), "publish-confirm-form"), "_publish_back": "1"}

    response = erin.post(change_url(claim), data)

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == ["status"]
    assert form.errors["status"][0].startswith("Not published, nothing saved")
    assert "Troops arrived on Monday morning." in response.content.decode()
    claim.refresh_from_db()
    assert (claim.status, claim.text) == (ClaimStatus.IN_REVIEW, "Troops arrived on Monday.")


def test_a_claim_with_no_chain_is_blocked_with_no_way_past(erin):
    claim = ClaimFactory(status=ClaimStatus.DRAFT, rating="", text="Said by nobody.")

    response = save_published(erin, claim)

    assert codes_on(response) == [("blocking", "no_chain"), ("to-confirm", "no_rating")]
    page = response.content.decode()
    assert 'id="publish-confirm"' not in page
    assert "cannot be published yet" in text_of(response)
    # Nothing the page offers gets past it, nor a confirmation sent by hand.
    data = {**form_fields(page, "publish-confirm-form"), "_publish_confirm": ["no_rating", "no_chain"]}
    again = erin.post(change_url(claim), data)
    assert codes_on(again)[0] == ("blocking", "no_chain")
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.DRAFT


def test_a_chain_saved_with_the_publication_is_on_its_checklist(erin):
    claim = ClaimFactory(status=ClaimStatus.DRAFT, rating="false", rating_explanation="Denied.", text="New one.")
    reuters, ria = SourceFactory(name="Reuters"), SourceFactory(name="RIA Novosti")
    page = erin.get(change_url(claim)).content.decode()
    data = {
        **filled(page, "claim_form", status="published"),
        **chain_post(hops=[(reuters, "citing", "Reuters said", False), (ria, "", "", False)]),
    }

    response = erin.post(change_url(claim), data)

    # Not blocked (the chain counts) but the chain's risks are asked about; nothing recorded yet.
    assert codes_on(response) == [("to-confirm", "single_origin"), ("to-confirm", "unverified_hop")]
    assert not claim.attributions.exists()
    assert not [m for m in response.wsgi_request._messages]  # "Chain recorded" only once it is

    done = erin.post(change_url(claim), form_fields(response.content.decode(), "publish-confirm-form"), follow=True)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED and claim.attributions.count() == 1
    assert "Chain recorded: Reuters → RIA Novosti." in messages_of(done)


def test_a_risk_found_after_the_checklist_was_shown_is_asked_about_again(erin):
    claim = risky_claim()
    page = save_published(erin, claim)
    # Meanwhile another editor records a chain ending at an anonymous source.
    outlet = claim.statements.order_by("id").first().source
    chain_record(
        claim=claim,
        hops=[
            HopInput(source=outlet, relation="citing", quote="it said"),
            HopInput(source=SourceFactory(name="a source in the ministry", kind="anonymous")),
        ],
    )

    response = erin.post(change_url(claim), form_fields(page.content.decode(), "publish-confirm-form"))

    assert ("to-confirm", "anonymous_origin") in codes_on(response)
    assert "(you confirmed this already)" in text_of(response)
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW


def test_a_claim_with_nothing_to_warn_is_published_by_its_save(erin):
    claim = clean_claim()

    response = save_published(erin, claim)

    assert response.status_code == 302
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.PUBLISHED
    assert confirmed_over(claim) is None


def test_a_forbidden_transition_is_still_said_on_the_form(erin):
    claim = risky_claim()
    claim.status = ClaimStatus.RETRACTED
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.RETRACTED)

    response = save_published(erin, claim)

    assert response.context["adminform"].form.errors == {"status": ["A retracted claim cannot become published."]}


def test_a_new_claim_saved_published_goes_through_the_checklist_with_its_chain(erin):
    reuters, ria = SourceFactory(name="Reuters"), SourceFactory(name="RIA Novosti")
    page = erin.get(reverse("admin:claims_claim_add")).content.decode()
    data = {
        **filled(page, "claim_form", text="Brand new.", status="published", rating="false"),
        **chain_post(hops=[(reuters, "citing", "Reuters said", True), (ria, "", "", False)]),
    }

    response = erin.post(reverse("admin:claims_claim_add"), data)

    assert codes_on(response) == [("to-confirm", "no_explanation"), ("to-confirm", "single_origin")]
    assert not Claim.objects.exists()
    done = erin.post(reverse("admin:claims_claim_add"), form_fields(response.content.decode(), "publish-confirm-form"))
    assert done.status_code == 302
    claim = Claim.objects.get()
    assert (claim.text, claim.status) == ("Brand new.", ClaimStatus.PUBLISHED)
    assert confirmed_over(claim) == ["no_explanation", "single_origin"]


# --- the list's action ------------------------------------------------------------------------


def run_publish(client: Client, claims: list[Claim], **extra):
    return client.post(
        CHANGELIST, {"action": "publish", "_selected_action": [str(c.pk) for c in claims], **extra}, follow=True
    )


def test_publishing_several_claims_shows_each_claims_checklist(erin):
    risky, clean = risky_claim(), clean_claim()
    blocked = ClaimFactory(status=ClaimStatus.DRAFT, text="Said by nobody.")
    retracted = ClaimFactory(status=ClaimStatus.RETRACTED, text="Withdrawn.")

    response = run_publish(erin, [risky, clean, blocked, retracted])

    assert response.templates[0].name == "admin/claims/claim/publish_selected.html"
    rows = {row["claim"].pk: row for row in response.context["rows"]}
    assert [i.code for i in rows[risky.pk]["to_confirm"]] == ["single_origin", "unverified_hop"]
    assert rows[clean.pk]["to_confirm"] == [] and rows[clean.pk]["publishable"]
    assert [i.code for i in rows[blocked.pk]["blocking"]] == ["no_chain"] and not rows[blocked.pk]["publishable"]
    assert rows[retracted.pk]["problem"] == "A retracted claim cannot become published."
    text = text_of(response)
    assert "Must be fixed first no_chain" in text
    assert 'value="Publish 2 claims over their items"' in response.content.decode()
    assert set(Claim.objects.values_list("status", flat=True)) == {"in_review", "draft", "retracted"}

    done = erin.post(CHANGELIST, form_fields(response.content.decode(), "publish-selected"), follow=True)

    statuses = {c.pk: c.status for c in Claim.objects.all()}
    assert statuses == {risky.pk: "published", clean.pk: "published", blocked.pk: "draft", retracted.pk: "retracted"}
    assert messages_of(done) == [
        f"“{risky}” published over: single origin, unverified hop.",
        "2 claims published.",
    ]
    assert confirmed_over(risky) == ["single_origin", "unverified_hop"]
    assert confirmed_over(clean) is None


def test_a_confirmation_covers_its_own_claim_only(erin):
    first, second = risky_claim("First."), risky_claim("Second.")
    page = run_publish(erin, [first, second]).content.decode()
    data = form_fields(page, "publish-selected")
    data.pop(f"_publish_confirm-{second.pk}")

    done = erin.post(CHANGELIST, data, follow=True)

    assert Claim.objects.get(pk=first.pk).status == ClaimStatus.PUBLISHED
    assert Claim.objects.get(pk=second.pk).status == ClaimStatus.IN_REVIEW
    assert messages_of(done)[1].startswith("“Second.” was not published: what it was confirmed for has changed.")


def test_a_risk_found_after_the_page_was_shown_stops_that_claim(erin):
    claim = risky_claim()
    page = run_publish(erin, [claim]).content.decode()
    outlet = claim.statements.order_by("id").first().source
    chain_record(
        claim=claim,
        hops=[
            HopInput(source=outlet, relation="citing", quote="it said"),
            HopInput(source=SourceFactory(name="someone", kind="anonymous")),
        ],
    )

    done = erin.post(CHANGELIST, form_fields(page, "publish-selected"), follow=True)

    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW
    (message,) = messages_of(done)
    assert "Origin someone is anonymous and cannot be judged independent." in message
    assert message.endswith("Publish it again to see its checklist.")


def test_claims_with_nothing_to_warn_are_published_without_a_page(erin):
    first, second = clean_claim("One."), clean_claim("Two.")
    already = ClaimFactory(status=ClaimStatus.PUBLISHED, text="Out.")

    response = run_publish(erin, [first, second, already])

    assert response.templates[0].name == "admin/claims/claim/change_list.html"  # the list of claims again
    assert messages_of(response) == ["“Out.” was already published.", "2 claims published."]
    assert set(Claim.objects.values_list("status", flat=True)) == {"published"}


def test_nothing_passes_a_claim_that_only_has_blocking_items(erin):
    blocked = ClaimFactory(status=ClaimStatus.DRAFT, text="Said by nobody.")

    response = run_publish(erin, [blocked])

    assert 'id="publish-confirm"' not in response.content.decode()
    assert "None of these claims can be published as they stand." in text_of(response)
    # A confirmation sent by hand is judged all the same.
    forged = erin.post(
        CHANGELIST,
        {
            "action": "publish",
            "_selected_action": [blocked.pk],
            "_publish_confirmed": "1",
            f"_publish_confirm-{blocked.pk}": "no_rating",
        },
        follow=True,
    )
    assert Claim.objects.get(pk=blocked.pk).status == ClaimStatus.DRAFT
    assert messages_of(forged)[0].startswith("“Said by nobody.” was not published: No source is recorded")
