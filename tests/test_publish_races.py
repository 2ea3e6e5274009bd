"""Publishing at the same time as other writes, on separate connections (as
tests/test_races.py runs them): a claim is never published without a confirmation that
covers its checklist as it stands at the moment of publishing."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from claims.models import Attribution, Claim, ClaimStatus
from claims.services import PUBLISH_CONFIRMED, HopInput, attribution_update, chain_record
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory
from tests.test_races import together

pytestmark = pytest.mark.usefixtures("committed_db")


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def claim_with_one_chain(*, verified: bool = False) -> Claim:
    """Rated and explained; one chain, Daily citing the Ministry (checked or not)."""
    claim = ClaimFactory(status=ClaimStatus.IN_REVIEW, rating="false", rating_explanation="The ministry denied it.")
    chain_record(
        claim=claim,
        document=DocumentFactory(),
        hops=[
            HopInput(source=SourceFactory(name="Daily"), relation="citing", quote="…, it said.", verified=verified),
            HopInput(source=SourceFactory(name="Ministry")),
        ],
    )
    return claim


def publication(claim: Claim):
    """The event that published the claim, and what its context records it was confirmed over."""
    events = Claim.pgh_event_model.objects.filter(pgh_obj_id=claim.pk).order_by("pgh_id")
    published = next((e for e in events if e.status == ClaimStatus.PUBLISHED), None)
    if published is None:
        return None, None
    metadata = published.pgh_context.metadata if published.pgh_context else {}
    return published, metadata.get(f"{PUBLISH_CONFIRMED}:{claim.pk}", [])


def test_two_editors_publishing_at_once_while_a_third_clears_the_explanation():
    """A confirms what the checklist says now; B also confirms no_explanation; C clears the
    explanation (a new risk) at the same moment. The claim's own events give the order;
    over the rounds both orders come up (each checked whichever it is)."""
    alice, bob, carol = (UserFactory(is_superuser=True) for _ in range(3))
    for round_ in range(12):
        claim = claim_with_one_chain()
        url = f"/api/v1/claims/{claim.pk}/"
        a, b, c = together(
            lambda url=url: client_of(alice).patch(
                url, {"status": "published", "confirm": ["single_origin", "unverified_hop"]}, format="json"
            ),
            lambda url=url: client_of(bob).patch(
                url,
                {"status": "published", "confirm": ["single_origin", "unverified_hop", "no_explanation"]},
                format="json",
            ),
            lambda url=url: client_of(carol).patch(url, {"rating_explanation": ""}, format="json"),
        )
        assert c.status_code == 200, c.json()
        assert b.status_code == 200, (round_, b.json())  # B's confirmation covers every item either way

        published, confirmed = publication(claim)
        events = Claim.pgh_event_model.objects.filter(pgh_obj_id=claim.pk).order_by("pgh_id")
        cleared = events.filter(rating_explanation="").first()
        publisher = published.pgh_context.metadata["user"]
        if cleared.pgh_id < published.pgh_id:
            # Published after the explanation went: only B's confirmation covered that.
            assert confirmed == ["no_explanation", "single_origin", "unverified_hop"], round_
            assert publisher == bob.pk, round_
        else:
            assert confirmed == ["single_origin", "unverified_hop"], round_
        if a.status_code == 400:
            body = a.json()
            assert body["code"] == "confirmation_required"
            assert [(e["field"], e["code"]) for e in body["errors"][1:]] == [("confirm", "no_explanation")]
            assert publisher == bob.pk
        else:
            assert a.status_code == 200, a.json()
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.PUBLISHED


def hold_while(write, held: threading.Event, release: threading.Event):
    """Run ``write`` in a transaction that stays open until ``release``."""

    def run():
        with transaction.atomic():
            write()
            held.set()
            release.wait(10)
        return "committed"

    return run


def publish_once_held(claim: Claim, confirm: list[str], held: threading.Event):
    def run():
        held.wait(10)
        started = time.monotonic()
        response = client_of(UserFactory(is_superuser=True)).patch(
            f"/api/v1/claims/{claim.pk}/", {"status": "published", "confirm": confirm}, format="json"
        )
        return response, time.monotonic() - started

    return run


def release_soon(held: threading.Event, release: threading.Event):
    def run():
        held.wait(10)
        time.sleep(0.5)  # the publication is waiting for the claim (or its hops) by now
        release.set()

    return run


def test_a_chain_recorded_while_a_publication_waits_is_on_its_checklist():
    claim = claim_with_one_chain()
    daily = claim.statements.get(source__name="Daily").source
    anonymous = SourceFactory(name="a source in the ministry", kind="anonymous")
    held, release = threading.Event(), threading.Event()

    def record():
        hops = [HopInput(source=daily, relation="citing", quote="…, a source said."), HopInput(source=anonymous)]
        chain_record(claim=Claim.objects.get(pk=claim.pk), hops=hops)

    recorded, (response, waited), _ = together(
        hold_while(record, held, release),
        publish_once_held(claim, ["single_origin", "unverified_hop"], held),
        release_soon(held, release),
    )

    assert recorded == "committed"
    assert waited > 0.3  # it waited for the chain's transaction: the claim's row is locked
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"][1:]] == ["anonymous_origin"]
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW


def test_a_hop_unverified_while_a_publication_waits_is_on_its_checklist():
    claim = claim_with_one_chain(verified=True)
    edge = Attribution.objects.get(claim=claim)
    held, release = threading.Event(), threading.Event()

    recorded, (response, waited), _ = together(
        hold_while(lambda: attribution_update(attribution=edge, verified=False), held, release),
        publish_once_held(claim, ["single_origin"], held),
        release_soon(held, release),
    )

    assert recorded == "committed"
    assert waited > 0.3
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"][1:]] == ["unverified_hop"]
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW


def test_a_publication_confirmed_before_the_new_risk_committed_goes_first_and_records_what_it_saw():
    anonymous = SourceFactory(name="someone", kind="anonymous")
    for _ in range(6):
        claim = claim_with_one_chain()
        daily = claim.statements.get(source__name="Daily").source
        url = f"/api/v1/claims/{claim.pk}/"
        publish, chain = together(
            lambda url=url: client_of(UserFactory(is_superuser=True)).patch(
                url, {"status": "published", "confirm": ["single_origin", "unverified_hop"]}, format="json"
            ),
            lambda url=url, daily=daily: client_of(UserFactory(is_superuser=True)).post(
                f"{url}chains/",
                {"hops": [{"source": daily.pk, "relation": "citing", "quote": "…"}, {"source": anonymous.pk}]},
                format="json",
            ),
        )
        assert chain.status_code == 201, chain.json()
        _, confirmed = publication(claim)
        if publish.status_code == 200:
            # It went first: what it was confirmed over is what it saw, the anonymous origin not yet there.
            assert confirmed == ["single_origin", "unverified_hop"]
        else:
            assert publish.status_code == 400
            assert [e["code"] for e in publish.json()["errors"][1:]] == ["anonymous_origin"]
            assert confirmed is None
