"""Publishing over the API: the checklist's refusal (400, one error shape, an item per
checklist item), and ``confirm`` naming what the client publishes over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings

from claims.models import Claim, ClaimStatus
from claims.seeding import load_seed_dir
from claims.services import PUBLISH_CONFIRMED, HopInput, chain_record
from tests.errors import error_body
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def risky_claim() -> Claim:
    """Rated and explained; one chain, Reuters citing RIA Novosti, not checked."""
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, rating="false", rating_explanation="The ministry denied it.")
    chain_record(
        claim=claim,
        document=DocumentFactory(),
        hops=[
            HopInput(source=SourceFactory(name="Reuters"), relation="citing", quote="Reuters said, citing RIA"),
            HopInput(source=SourceFactory(name="RIA Novosti")),
        ],
    )
    return claim


def publish(client, claim: Claim, **extra):
    return client.patch(f"/api/v1/claims/{claim.pk}/", {"status": "published", **extra}, format="json")


def test_publishing_without_confirmation_is_a_400_naming_each_item(editor_client):
    claim = risky_claim()

    response = publish(editor_client, claim)

    body = error_body(response, 400, "confirmation_required")
    how = (
        "Not published: confirm single_origin, unverified_hop by sending every item in confirm: "
        '{"status": "published", "confirm": ["single_origin", "unverified_hop"]}. '
        "A risk found later needs a new confirmation."
    )
    assert body["errors"] == [
        {"field": None, "message": how, "code": "confirmation_required"},
        {"field": "confirm", "message": "The only chain leads to RIA Novosti.", "code": "single_origin"},
        {
            "field": "confirm",
            "message": "1 hop asserted but not checked: Reuters → RIA Novosti.",
            "code": "unverified_hop",
        },
    ]
    assert body["detail"] == (
        f"{how}; confirm: The only chain leads to RIA Novosti.; "
        "confirm: 1 hop asserted but not checked: Reuters → RIA Novosti."
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW and claim.published_at is None


def test_the_body_the_refusal_names_publishes(editor_client):
    claim = risky_claim()
    refused = publish(editor_client, claim).json()
    sent = json.loads(refused["errors"][0]["message"].split("confirm: ", 1)[1].rsplit(". A risk", 1)[0])

    response = editor_client.patch(f"/api/v1/claims/{claim.pk}/", sent, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "published"
    assert "confirm" not in response.json()


def test_an_incomplete_confirmation_is_refused_naming_only_what_it_leaves_out(editor_client):
    claim = risky_claim()

    response = publish(editor_client, claim, confirm=["single_origin"])

    body = error_body(response, 400, "confirmation_required")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        (None, "confirmation_required"),
        ("confirm", "unverified_hop"),
    ]
    # The body to send names every item, those already confirmed too.
    assert '"confirm": ["single_origin", "unverified_hop"]' in body["errors"][0]["message"]
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW


def test_a_full_confirmation_publishes(editor_client):
    claim = risky_claim()

    response = publish(editor_client, claim, confirm=["unverified_hop", "single_origin"])

    assert response.status_code == 200, response.json()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED
    assert response.json()["published_at"] is not None


def test_a_claim_with_nothing_to_warn_publishes_without_confirm(editor_client):
    claim = ClaimFactory(status=ClaimStatus.DRAFT, rating="true", rating_explanation="Footage shows it.")
    outlet = SourceFactory(name="Daily")
    for origin in ("Ministry", "Observers"):
        chain_record(
            claim=claim,
            document=DocumentFactory(),
            hops=[
                HopInput(source=outlet, relation="citing", quote="…, it said.", verified=True),
                HopInput(source=SourceFactory(name=origin)),
            ],
        )

    response = publish(editor_client, claim)

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "published"


def test_a_claim_with_no_chain_is_blocked_whatever_is_confirmed(editor_client):
    claim = ClaimFactory(status=ClaimStatus.DRAFT, rating="", rating_explanation="")

    response = publish(editor_client, claim, confirm=["no_rating"])

    body = error_body(response, 400, "publish_blocked")
    assert body["errors"][0] == {
        "field": None,
        "message": "Not published: what blocks it cannot be confirmed; fix it, then publish again. "
        "Publishing will then ask you to confirm no_rating.",
        "code": "publish_blocked",
    }
    assert [(e["field"], e["code"]) for e in body["errors"][1:]] == [("status", "no_chain")]
    assert body["errors"][1]["message"].startswith("No source is recorded as stating this claim")
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.DRAFT


def test_no_chain_itself_cannot_be_confirmed(editor_client):
    claim = ClaimFactory(status=ClaimStatus.DRAFT)

    response = publish(editor_client, claim, confirm=["no_chain"])

    body = error_body(response, 400, "invalid")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("confirm[0]", "invalid_choice")]


def test_confirm_goes_with_a_publication_only(editor_client):
    claim = risky_claim()

    response = editor_client.patch(
        f"/api/v1/claims/{claim.pk}/", {"rating": "true", "confirm": ["single_origin"]}, format="json"
    )

    body = error_body(response, 400, "invalid")
    assert body["errors"] == [
        {
            "field": "confirm",
            "message": 'Confirmations go with "status": "published": they confirm a publication.',
            "code": "invalid",
        }
    ]
    assert Claim.objects.get(pk=claim.pk).rating == "false"


def test_a_claim_cannot_be_created_published(editor_client):
    response = editor_client.post(
        "/api/v1/claims/", {"text": "Shusha lies in Karabakh.", "status": "published"}, format="json"
    )

    body = error_body(response, 400, "publish_blocked")
    assert [e["code"] for e in body["errors"]] == ["publish_blocked", "no_chain", "no_rating"]
    assert "create the claim, record its chain, then publish it" in body["errors"][1]["message"]
    assert not Claim.objects.exists()


def test_other_changes_of_a_published_claim_need_no_confirmation(editor_client):
    claim = risky_claim()
    publish(editor_client, claim, confirm=["single_origin", "unverified_hop"])

    response = editor_client.patch(
        f"/api/v1/claims/{claim.pk}/", {"status": "published", "rating": "mostly_false"}, format="json"
    )

    assert response.status_code == 200, response.json()


def test_a_journalist_cannot_publish_even_with_a_confirmation(journalist_client):
    claim = risky_claim()

    response = publish(journalist_client, claim, confirm=["single_origin", "unverified_hop"])

    error_body(response, 403, "permission_denied")
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW


def test_the_readme_example_publishes_the_seed_claim_in_review(editor_client):
    load_seed_dir(Path(settings.BASE_DIR) / "seeds")
    claim = Claim.objects.get(status=ClaimStatus.IN_REVIEW)

    refused = publish(editor_client, claim)

    body = error_body(refused, 400, "confirmation_required")
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        (None, "confirmation_required"),
        ("confirm", "no_rating"),
        ("confirm", "single_origin"),
    ]
    assert body["errors"][2]["message"] == (
        "The only chain leads to Unnamed publisher of “Turkish troops in Azerbaijan for joint military drills”."
    )
    assert publish(editor_client, claim, confirm=["no_rating", "single_origin"]).status_code == 200


def test_seeded_claims_are_published_over_their_checklist_on_record():
    load_seed_dir(Path(settings.BASE_DIR) / "seeds")
    troops = Claim.objects.get(text__startswith="Turkish troops are in Azerbaijan")

    event = Claim.pgh_event_model.objects.filter(pgh_obj_id=troops.pk, status="published").get()

    assert event.pgh_context.metadata["seed_load"] is True
    assert event.pgh_context.metadata[f"{PUBLISH_CONFIRMED}:{troops.pk}"] == [
        "no_rating",
        "single_origin",
        "unverified_hop",
    ]
