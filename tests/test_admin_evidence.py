"""The editor's desk, nothing silent: a hop verified in one click on the claim page (or
many at once on the list of hops), who verified it in the history, a chain that meets a
hop worded differently said in a message, and a hop's evidence corrected on its page."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from claims.history import history_for
from claims.models import Attribution, Evidence
from claims.services import HopInput, chain_record
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory
from tests.formdata import filled
from tests.test_admin import chain_post, change_url, claim_form_data, client_as, messages_of, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(db):
    """A claim with a three-hop chain, no hop verified."""
    publisher, reuters = SourceFactory(name="Daily Sabah"), SourceFactory(name="Reuters")
    ria, ministry = SourceFactory(name="RIA Novosti"), SourceFactory(name="Ministry of Defence")
    document = DocumentFactory(title="Turkish troops in Azerbaijan")
    claim = ClaimFactory(text="Turkish troops are in Azerbaijan.")
    edges = chain_record(
        claim=claim,
        document=document,
        hops=[
            HopInput(publisher, relation="reported", quote="Reuters reported"),
            HopInput(reuters, relation="citing", quote="Reuters said, citing RIA"),
            HopInput(ria, relation="informed_by"),
            HopInput(ministry),
        ],
    ).edges
    return {"claim": claim, "edges": edges, "document": document, "reuters": reuters, "ria": ria}


def verify_url(edge: Attribution) -> str:
    return reverse("admin:claims_claim_verify_hop", args=[edge.claim_id, edge.pk])


def csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def verify_form_token(page: str) -> str:
    """The CSRF token of the claim page's verify form (the buttons submit it)."""
    form = re.search(r'<form id="verify-hops"[^>]*>(.*?)</form>', page, re.S)
    assert form, "no verify form on the page"
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form[1])[1]


def test_an_editor_verifies_a_hop_in_one_click_and_the_history_says_who(editor, chain):
    claim, edge = chain["claim"], chain["edges"][1]
    client = csrf_client(editor)
    page = client.get(change_url(claim)).content.decode()
    # One button a hop not yet verified, each posting the page's verify form to its hop.
    buttons = re.findall(r'<button type="submit" form="verify-hops" formaction="([^"]+)"', page)
    assert buttons == [verify_url(e) for e in sorted(chain["edges"], key=lambda e: -e.pk)]

    response = client.post(verify_url(edge), {"csrfmiddlewaretoken": verify_form_token(page)}, follow=True)

    assert response.redirect_chain == [(change_url(claim) + "#attributions-group", 302)]
    assert messages_of(response) == ["Reuters → RIA Novosti verified."]
    edge.refresh_from_db()
    assert edge.verified
    assert "3 hops asserted but not checked" not in text_of(response)
    assert "2 hops asserted but not checked" in text_of(response)
    change = [e for e in history_for(claim) if e.model == "attribution" and e.action == "update"][-1]
    assert (change.object_id, change.diff, change.actor, change.app) == (
        edge.pk,
        {"verified": [False, True]},
        editor.username,
        "admin",
    )

    again = client.post(verify_url(edge), {"csrfmiddlewaretoken": verify_form_token(page)}, follow=True)
    assert messages_of(again) == ["Reuters → RIA Novosti was already verified."]


def test_verifying_takes_a_post_with_the_pages_csrf_token(editor, chain):
    edge = chain["edges"][0]
    client = csrf_client(editor)
    assert client.get(verify_url(edge)).status_code == 405
    assert client.post(verify_url(edge)).status_code == 403  # no token
    edge.refresh_from_db()
    assert not edge.verified


def test_only_editors_verify(auditor, chain):
    claim, edge = chain["claim"], chain["edges"][0]
    client = client_as(auditor)
    page = client.get(change_url(claim)).content.decode()
    assert 'form="verify-hops"' not in page
    assert client.post(verify_url(edge)).status_code == 403
    anonymous = Client()
    assert anonymous.post(verify_url(edge)).status_code == 302  # to the login page
    edge.refresh_from_db()
    assert not edge.verified


def test_a_hop_of_another_claim_or_none_is_a_404(editor, chain):
    client = client_as(editor)
    other = ClaimFactory()
    edge = chain["edges"][0]
    assert client.post(reverse("admin:claims_claim_verify_hop", args=[other.pk, edge.pk])).status_code == 404
    assert client.post(reverse("admin:claims_claim_verify_hop", args=[chain["claim"].pk, 10**12])).status_code == 404
    assert client.post(f"/admin/claims/claim/abc/hops/{edge.pk}/verify/").status_code == 404


def test_the_hop_list_marks_selected_hops_verified_in_bulk(editor, chain):
    first, second, third = chain["edges"]
    client = client_as(editor)
    client.post(verify_url(second))
    url = reverse("admin:claims_attribution_changelist")

    response = client.post(
        url, {"action": "mark_verified", "_selected_action": [first.pk, second.pk, third.pk]}, follow=True
    )

    assert messages_of(response)[-1] == "2 hops marked verified. 1 already were."
    assert set(Attribution.objects.values_list("verified", flat=True)) == {True}
    updates = [e for e in history_for(chain["claim"]) if e.model == "attribution" and e.action == "update"]
    assert {(e.object_id, e.actor) for e in updates} == {(e.pk, editor.username) for e in chain["edges"]}


def test_the_bulk_action_is_an_editors(auditor, chain):
    page = client_as(auditor).get(reverse("admin:claims_attribution_changelist")).content.decode()
    assert "mark_verified" not in page


def test_the_hop_inline_lists_every_piece_of_evidence(editor, chain):
    claim, document = chain["claim"], chain["document"]
    second = DocumentFactory(title="Drills begin")
    chain_record(
        claim=claim,
        document=second,
        hops=[HopInput(chain["reuters"], relation="quoting", quote="RIA told Reuters"), HopInput(chain["ria"])],
    )

    text = text_of(client_as(editor).get(change_url(claim)))

    assert (
        f"Reuters citing RIA Novosti “Reuters said, citing RIA” (citing, in {document.title}) "
        f"“RIA told Reuters” (quoting, in Drills begin)"
    ) in text
    assert f"RIA Novosti informed by Ministry of Defence (informed by, in {document.title})" in text


def test_a_chain_that_meets_a_hop_worded_differently_says_so_after_saving(editor, chain):
    claim, reuters, ria = chain["claim"], chain["reuters"], chain["ria"]
    client = client_as(editor)
    response = client.post(
        change_url(claim),
        {
            **claim_form_data(claim),
            **chain_post(
                document=DocumentFactory(title="Drills begin"),
                hops=[(reuters, "quoting", "RIA told Reuters", False), (ria, "", "", False)],
            ),
            "_continue": "Save",
        },
        follow=True,
    )

    assert messages_of(response)[:2] == [
        "Chain recorded: Reuters → RIA Novosti.",
        "Reuters → RIA Novosti was already recorded as ‘citing’; this chain says ‘quoting’: both kept as evidence.",
    ]
    assert Evidence.objects.filter(attribution=chain["edges"][1]).count() == 2


def test_a_hops_evidence_is_corrected_added_and_removed_on_its_page(editor, chain):
    edge = chain["edges"][1]
    client = client_as(editor)
    page = client.get(change_url(edge)).content.decode()
    later = DocumentFactory(title="Later report")

    data = filled(
        page,
        "attribution_form",
        **{
            "evidence-0-quote": "Reuters said, citing Russia's RIA",
            "evidence-1-document": str(later.pk),
            "evidence-1-quote": "RIA told Reuters",
            "evidence-1-relation": "quoting",
        },
    )
    assert client.post(change_url(edge), data).status_code == 302
    assert [(e.document, e.quote, e.relation) for e in edge.evidence.order_by("id")] == [
        (chain["document"], "Reuters said, citing Russia's RIA", "citing"),
        (later, "RIA told Reuters", "quoting"),
    ]

    page = client.get(change_url(edge)).content.decode()
    data = filled(page, "attribution_form", **{"evidence-1-DELETE": "on"})
    assert client.post(change_url(edge), data).status_code == 302
    assert [e.quote for e in edge.evidence.all()] == ["Reuters said, citing Russia's RIA"]


def test_evidence_the_hop_already_has_is_refused_on_its_page(editor, chain):
    edge = chain["edges"][1]
    client = client_as(editor)
    page = client.get(change_url(edge)).content.decode()
    data = filled(
        page,
        "attribution_form",
        **{
            "evidence-1-document": str(chain["document"].pk),
            "evidence-1-quote": "Reuters said, citing RIA",
            "evidence-1-relation": "citing",
        },
    )
    response = client.post(change_url(edge), data)
    assert response.status_code == 200
    assert edge.evidence.count() == 1
