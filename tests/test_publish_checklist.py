"""The publishing checklist (claims.services.claim_publish_checklist) on small graphs, and
the rule it enforces: publishing is refused while an item blocks it or one is not confirmed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from claims import provenance
from claims.models import Claim, ClaimStatus
from claims.services import (
    CONFIRMABLE,
    PUBLISH_CONFIRMED,
    HopInput,
    PublishRefused,
    chain_record,
    claim_create,
    claim_publish,
    claim_publish_checklist,
    claim_update,
)
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def checklist(claim: Claim) -> dict[str, bool]:
    """code -> blocking, in the checklist's order."""
    return {item.code: item.blocking for item in claim_publish_checklist(claim)}


def rated(**fields) -> Claim:
    return ClaimFactory(
        status=ClaimStatus.IN_REVIEW, rating="false", rating_explanation="The ministry denied it.", **fields
    )


def chain(claim: Claim, *sources, verified: bool = True, quote: str = "“...”, it said.") -> None:
    """One chain through ``sources``, reporting end first, each hop quoted (or not) and verified (or not)."""
    document = DocumentFactory()
    chain_record(
        claim=claim,
        document=document,
        hops=[HopInput(source=s, relation="citing", quote=quote, verified=verified) for s in sources[:-1]]
        + [HopInput(source=sources[-1])],
    )


def clean_claim() -> Claim:
    """Rated, explained, two independent origins reached by verified, quoted hops: nothing to warn."""
    claim = rated()
    outlet = SourceFactory(name="Daily")
    chain(claim, outlet, SourceFactory(name="Ministry"))
    chain(claim, outlet, SourceFactory(name="Observers"))
    return claim


def test_a_rated_explained_claim_with_independent_checked_origins_has_nothing_to_confirm():
    claim = clean_claim()
    assert claim_publish_checklist(claim) == []

    claim_publish(claim=claim)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED and claim.published_at is not None


def test_a_claim_nobody_is_recorded_as_stating_is_blocked():
    claim = rated()
    assert checklist(claim) == {"no_chain": True}
    (item,) = claim_publish_checklist(claim)
    assert item.message.startswith("No source is recorded as stating this claim")

    with pytest.raises(PublishRefused) as refused:
        claim_publish(claim=claim, confirm=CONFIRMABLE)
    assert refused.value.reason == "publish_blocked"
    assert [i.code for i in refused.value.blocking] == ["no_chain"]
    assert refused.value.message_dict == {"status": [item.message]}
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW


def test_no_rating_asks_for_a_confirmation_and_no_explanation_is_only_asked_of_a_rating():
    unrated = ClaimFactory(status=ClaimStatus.DRAFT, rating="", rating_explanation="")
    chain(unrated, SourceFactory(), SourceFactory())
    codes = checklist(unrated)
    assert codes["no_rating"] is False
    assert "no_explanation" not in codes

    unexplained = ClaimFactory(status=ClaimStatus.DRAFT, rating="mostly_false", rating_explanation="  ")
    chain(unexplained, SourceFactory(), SourceFactory())
    items = {i.code: i for i in claim_publish_checklist(unexplained)}
    assert "no_rating" not in items
    assert items["no_explanation"].message == "The rating (Mostly false) has no explanation of why."
    assert items["no_explanation"].blocking is False


def test_single_origin_and_an_unverified_hop_are_the_trace_flags_in_its_own_words():
    claim = rated()
    chain(claim, SourceFactory(name="Reuters"), SourceFactory(name="RIA Novosti"), verified=False)

    items = claim_publish_checklist(claim)

    assert [(i.code, i.blocking) for i in items] == [("single_origin", False), ("unverified_hop", False)]
    flags = provenance.trace(claim.pk, chain_limit=0).flags
    assert [(i.code, i.message) for i in items] == [(f.code, f.message) for f in flags]
    assert items[1].message == "1 hop asserted but not checked: Reuters → RIA Novosti."


def test_an_anonymous_origin_is_an_item():
    claim = rated()
    outlet = SourceFactory(name="Daily")
    chain(claim, outlet, SourceFactory(name="Ministry"))
    chain(claim, outlet, SourceFactory(name="a source in the ministry", kind="anonymous"))

    assert "anonymous_origin" in checklist(claim)
    assert checklist(claim)["anonymous_origin"] is False


def test_a_hop_with_no_quote_is_an_item():
    claim = rated()
    chain(claim, SourceFactory(name="Daily"), SourceFactory(name="Ministry"), quote="")

    items = {i.code: i.message for i in claim_publish_checklist(claim)}
    assert items["no_evidence"] == "1 hop has no quote evidencing it: Daily → Ministry."


def test_a_loop_with_no_origin_gives_its_flags_as_items():
    claim = rated()
    a, b = SourceFactory(name="A"), SourceFactory(name="B")
    chain(claim, a, b)
    chain(claim, b, a)

    codes = checklist(claim)
    assert {"circular_reporting", "no_origin"} <= set(codes)
    assert not any(codes.values())


def test_every_item_but_no_chain_can_be_confirmed():
    assert "no_chain" not in CONFIRMABLE
    assert set(CONFIRMABLE) >= {"no_rating", "no_explanation", "single_origin", "unverified_hop", "no_evidence"}
    assert set(CONFIRMABLE) >= set(provenance.flags.FLAG_CODES)


def test_publishing_without_confirmation_is_refused_naming_the_items():
    claim = rated()
    chain(claim, SourceFactory(name="Reuters"), SourceFactory(name="RIA Novosti"), verified=False)

    with pytest.raises(PublishRefused) as refused:
        claim_publish(claim=claim)

    error = refused.value
    assert isinstance(error, ValidationError)
    assert error.reason == "confirmation_required"
    assert [i.code for i in error.unconfirmed] == ["single_origin", "unverified_hop"]
    assert list(error.message_dict) == ["confirm"]
    assert [e.code for e in error.error_dict["confirm"]] == ["single_origin", "unverified_hop"]
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW


def test_an_incomplete_confirmation_is_refused_naming_what_it_leaves_out():
    claim = rated()
    chain(claim, SourceFactory(), SourceFactory(), verified=False)

    with pytest.raises(PublishRefused) as refused:
        claim_publish(claim=claim, confirm=["single_origin"])

    assert [i.code for i in refused.value.unconfirmed] == ["unverified_hop"]
    assert [i.code for i in refused.value.items] == ["single_origin", "unverified_hop"]


def test_a_full_confirmation_publishes_and_the_history_records_what_was_confirmed():
    claim = rated()
    chain(claim, SourceFactory(), SourceFactory(), verified=False)

    claim_publish(claim=claim, confirm=["unverified_hop", "single_origin", "anonymous_origin"])

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED
    event = Claim.pgh_event_model.objects.filter(pgh_obj_id=claim.pk, status="published").get()
    # Only the items found, not whatever else the caller named.
    assert event.pgh_context.metadata[f"{PUBLISH_CONFIRMED}:{claim.pk}"] == ["single_origin", "unverified_hop"]


def test_a_publication_with_nothing_to_confirm_records_no_confirmation():
    claim = clean_claim()
    claim_publish(claim=claim)
    event = Claim.pgh_event_model.objects.filter(pgh_obj_id=claim.pk, status="published").get()
    assert event.pgh_context is None or f"{PUBLISH_CONFIRMED}:{claim.pk}" not in event.pgh_context.metadata


def test_the_checklist_judges_the_fields_written_with_the_status():
    claim = ClaimFactory(status=ClaimStatus.DRAFT, rating="", rating_explanation="")
    outlet = SourceFactory()
    chain(claim, outlet, SourceFactory())
    chain(claim, outlet, SourceFactory())

    # The rating and its explanation arrive with the status: nothing is left to confirm.
    claim_update(claim=claim, status="published", rating="true", rating_explanation="Footage confirms it.")
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.PUBLISHED

    other = ClaimFactory(status=ClaimStatus.DRAFT, rating="true", rating_explanation="Footage.")
    chain(other, outlet, SourceFactory())
    chain(other, outlet, SourceFactory())
    with pytest.raises(PublishRefused) as refused:
        claim_update(claim=other, status="published", rating="")
    assert [i.code for i in refused.value.unconfirmed] == ["no_rating"]


def test_a_claim_cannot_be_created_published():
    with pytest.raises(PublishRefused) as refused:
        claim_create(text="Troops arrived.", status="published", rating="false", confirm=CONFIRMABLE)
    assert [i.code for i in refused.value.blocking] == ["no_chain"]
    assert "create the claim, record its chain, then publish it" in refused.value.blocking[0].message
    assert not Claim.objects.exists()


def test_a_published_claim_set_to_published_again_needs_nothing():
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED, rating="")
    claim_update(claim=claim, status="published")
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.PUBLISHED


def test_a_forbidden_transition_is_said_before_the_checklist():
    claim = ClaimFactory(status=ClaimStatus.RETRACTED)
    with pytest.raises(ValidationError) as error:
        claim_publish(claim=claim, confirm=CONFIRMABLE)
    assert not isinstance(error.value, PublishRefused)
    assert error.value.message_dict == {"status": ["A retracted claim cannot become published."]}


def test_a_risk_that_appears_after_the_confirmation_needs_a_new_one():
    claim = rated()
    outlet = SourceFactory(name="Daily")
    chain(claim, outlet, SourceFactory(name="Ministry"), verified=False)
    confirmed = [i.code for i in claim_publish_checklist(claim)]
    # Meanwhile someone records a chain ending at an anonymous source.
    chain(claim, outlet, SourceFactory(name="someone", kind="anonymous"))

    with pytest.raises(PublishRefused) as refused:
        claim_publish(claim=claim, confirm=confirmed)
    assert [i.code for i in refused.value.unconfirmed] == ["anonymous_origin"]
