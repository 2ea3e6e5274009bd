"""A mistaken chain undone from the claim page: "Remove" on a hop, a confirmation that
says what goes with it (its evidence, and the sources it was the only link of, which
left alone would read as origins), then the claim's trace as it should have been.
Through the service: the ends left unconnected, the claim's last statement kept, what
the editor unticked kept, the trace summary stored again, the history saying who."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from claims import provenance
from claims.history import history_for
from claims.models import Attribution, Evidence, Statement, TraceSummary
from claims.services import HopInput, attribution_delete, chain_record, ends_left_unconnected
from core.access import EVERYTHING
from core.writes import Gone
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory
from tests.test_admin import change_url, client_as, messages_of, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def mistaken(db):
    """A claim whose chain was recorded through the wrong agency: the outlet cites
    Reuters, which cites the ministry, where the article said AFP."""
    outlet, reuters = SourceFactory(name="Caspian Courier"), SourceFactory(name="Reuters")
    afp, ministry = SourceFactory(name="AFP"), SourceFactory(name="Ministry of Defence")
    document = DocumentFactory(title="Troops in Azerbaijan", publisher=outlet)
    claim = ClaimFactory(text="Turkish troops are in Azerbaijan.")
    first, second = chain_record(
        claim=claim,
        document=document,
        hops=[
            HopInput(outlet, relation="citing", quote="AFP reported"),
            HopInput(reuters, relation="citing", quote="citing the ministry"),
            HopInput(ministry),
        ],
    ).edges
    sources = {"outlet": outlet, "reuters": reuters, "afp": afp, "ministry": ministry}
    return {"claim": claim, "first": first, "second": second, "document": document, "sources": sources}


def record_the_right_chain(mistaken) -> None:
    """The chain the article gave: the outlet citing AFP citing the ministry."""
    sources = mistaken["sources"]
    chain_record(
        claim=mistaken["claim"],
        document=mistaken["document"],
        hops=[
            HopInput(sources["outlet"], relation="citing"),
            HopInput(sources["afp"], relation="citing"),
            HopInput(sources["ministry"]),
        ],
    )


def remove_url(edge: Attribution) -> str:
    return reverse("admin:claims_claim_remove_hop", args=[edge.claim_id, edge.pk])


def statement_sources(claim) -> set[str]:
    return set(Statement.objects.filter(claim=claim).values_list("source__name", flat=True))


def origins(claim) -> list[str]:
    return [origin.name for origin in provenance.trace_for(claim.pk, EVERYTHING).origins]


# --- the service ----------------------------------------------------------------------


def test_removing_a_hop_alone_leaves_its_end_reading_as_an_origin(mistaken):
    claim = mistaken["claim"]
    assert attribution_delete(attribution=mistaken["second"]) == []
    # What the option is for: Reuters cites nobody now, so the trace calls it an origin.
    assert origins(claim) == ["Ministry of Defence", "Reuters"]
    assert statement_sources(claim) == {"Caspian Courier", "Reuters", "Ministry of Defence"}


def test_removing_a_hop_takes_the_ends_it_was_the_only_link_of(mistaken):
    claim, sources = mistaken["claim"], mistaken["sources"]
    # The origin end first: the ministry had only this hop; Reuters still has the outlet's.
    assert [s.source for s in ends_left_unconnected(mistaken["second"])] == [sources["ministry"]]
    removed = attribution_delete(attribution=mistaken["second"], remove_unconnected=True)
    assert [s.source.name for s in removed] == ["Ministry of Defence"]
    assert origins(claim) == ["Reuters"]
    assert not Evidence.objects.filter(attribution=mistaken["second"].pk).exists()

    # The last hop: both ends are left alone, the outlet's statement stays as the claim's last.
    assert [s.source.name for s in ends_left_unconnected(mistaken["first"])] == ["Reuters"]
    removed = attribution_delete(attribution=mistaken["first"], remove_unconnected=True)
    assert [s.source.name for s in removed] == ["Reuters"]
    assert statement_sources(claim) == {"Caspian Courier"}

    # The right chain recorded again meets the outlet's statement.
    record_the_right_chain(mistaken)
    assert origins(claim) == ["Ministry of Defence"]
    assert statement_sources(claim) == {"Caspian Courier", "AFP", "Ministry of Defence"}
    summary = TraceSummary.objects.get(claim=claim)
    assert summary.origin_ids == [sources["ministry"].pk]


def test_an_end_still_linked_elsewhere_stays(mistaken):
    claim = mistaken["claim"]
    # A second chain through the ministry: removing Reuters's hop to it leaves it linked.
    record_the_right_chain(mistaken)
    removed = attribution_delete(attribution=mistaken["second"], remove_unconnected=True)
    assert removed == []
    # Reuters cites nobody now, but the outlet still cites it: linked, it stays (an origin
    # until its own hop goes too).
    assert origins(claim) == ["Ministry of Defence", "Reuters"]
    attribution_delete(attribution=mistaken["first"], remove_unconnected=True)
    # Now Reuters had only the outlet's hop; the outlet still cites AFP.
    assert statement_sources(claim) == {"Caspian Courier", "AFP", "Ministry of Defence"}
    assert origins(claim) == ["Ministry of Defence"]


def test_only_the_ends_the_editor_named_go(mistaken):
    claim = mistaken["claim"]
    attribution_delete(attribution=mistaken["second"], remove_unconnected=True)
    reuters = Statement.objects.get(claim=claim, source__name="Reuters")
    outlet = Statement.objects.get(claim=claim, source__name="Caspian Courier")
    # Both ends of the last hop are left alone; the editor keeps Reuters. An id that is
    # no end of this hop (the outlet's, which must stay as the last statement) does nothing.
    removed = attribution_delete(attribution=mistaken["first"], remove_unconnected={outlet.pk, 10**12})
    assert removed == []
    assert statement_sources(claim) == {"Caspian Courier", "Reuters"}
    assert Attribution.objects.filter(claim=claim).count() == 0
    assert reuters.pk in set(Statement.objects.values_list("pk", flat=True))


def test_a_hop_removed_meanwhile_is_gone(mistaken):
    edge = mistaken["second"]
    Attribution.objects.filter(pk=edge.pk).delete()
    with pytest.raises(Gone):
        attribution_delete(attribution=edge, remove_unconnected=True)


# --- the claim page -------------------------------------------------------------------


def test_an_editor_removes_a_mistaken_hop_from_the_claim_page(editor, mistaken):
    claim, second = mistaken["claim"], mistaken["second"]
    client = client_as(editor)
    page = client.get(change_url(claim)).content.decode()
    links = re.findall(r'<a href="([^"]+)" class="deletelink remove-hop"', page)
    assert links == [remove_url(e) for e in (second, mistaken["first"])]  # newest first, as the rows

    confirmation = client.get(remove_url(second))
    assert confirmation.status_code == 200
    text = text_of(confirmation)
    assert "Remove the hop Reuters citing Ministry of Defence from this claim's trace?" in text
    assert "Its evidence goes with it: “citing the ministry” (citing, in Troops in Azerbaijan)" in text
    assert "This hop is the only link of Ministry of Defence" in text
    ministry = Statement.objects.get(claim=claim, source__name="Ministry of Defence")
    assert re.findall(r'name="remove_statement" value="(\d+)" checked', confirmation.content.decode()) == [
        str(ministry.pk)
    ]

    response = client.post(remove_url(second), {"remove_statement": [ministry.pk]}, follow=True)
    assert response.redirect_chain == [(change_url(claim) + "#trace", 302)]
    assert messages_of(response) == [
        "Removed the hop Reuters citing Ministry of Defence. No hop linked Ministry of Defence any more: "
        "removed from the trace too."
    ]
    assert origins(claim) == ["Reuters"]
    removals = [e for e in history_for(claim) if e.action == "delete"]
    assert {(e.model, e.object_id, e.actor) for e in removals} >= {
        ("attribution", second.pk, editor.username),
        ("statement", ministry.pk, editor.username),
    }


def test_unticked_sources_stay(editor, mistaken):
    claim = mistaken["claim"]
    response = client_as(editor).post(remove_url(mistaken["second"]), {}, follow=True)
    assert messages_of(response) == ["Removed the hop Reuters citing Ministry of Defence."]
    assert "Ministry of Defence" in statement_sources(claim)


def test_removing_takes_an_editor_and_a_post(auditor, journalist, editor, mistaken):
    edge = mistaken["second"]
    page = client_as(auditor).get(change_url(mistaken["claim"])).content.decode()
    assert "remove-hop" not in page
    assert client_as(auditor).get(remove_url(edge)).status_code == 403
    assert client_as(auditor).post(remove_url(edge)).status_code == 403
    assert Client().post(remove_url(edge)).status_code == 302  # to the login page
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(editor)
    assert csrf.post(remove_url(edge)).status_code == 403  # no CSRF token
    assert Attribution.objects.filter(pk=edge.pk).exists()


def test_a_hop_of_another_claim_or_gone_is_a_404_or_a_message(editor, mistaken):
    client = client_as(editor)
    edge = mistaken["second"]
    other = ClaimFactory()
    assert client.get(reverse("admin:claims_claim_remove_hop", args=[other.pk, edge.pk])).status_code == 404
    assert client.get(f"/admin/claims/claim/abc/hops/{edge.pk}/remove/").status_code == 404
    assert client.get(reverse("admin:claims_claim_remove_hop", args=[edge.claim_id, 10**12])).status_code == 404
    # Hostile form values are ignored, not a 500.
    response = client.post(remove_url(edge), {"remove_statement": ["x", "-1", "9" * 40]}, follow=True)
    assert response.status_code == 200
    assert messages_of(response) == ["Removed the hop Reuters citing Ministry of Defence."]


def test_the_hop_page_delete_removes_the_ends_left_alone_and_says_so(editor, mistaken):
    edge = mistaken["second"]
    url = reverse("admin:claims_attribution_delete", args=[edge.pk])
    response = client_as(editor).post(url, {"post": "yes"}, follow=True)
    assert "No hop linked Ministry of Defence any more: removed from the claim's trace too." in messages_of(response)
    assert origins(mistaken["claim"]) == ["Reuters"]


def test_the_confirmation_costs_a_fixed_number_of_queries(editor, mistaken, django_assert_max_num_queries):
    client = client_as(editor)
    client.get(remove_url(mistaken["second"]))  # sessions and permissions cached as on any page
    for _ in range(20):
        chain_record(
            claim=mistaken["claim"],
            document=DocumentFactory(),
            hops=[
                HopInput(mistaken["sources"]["reuters"], relation="citing", quote="again"),
                HopInput(mistaken["sources"]["ministry"]),
            ],
        )
    with django_assert_max_num_queries(12):
        assert client.get(remove_url(mistaken["second"])).status_code == 200


def test_a_hop_another_editor_removed_meanwhile_is_a_message_not_an_error(editor, mistaken):
    claim, second = mistaken["claim"], mistaken["second"]
    first_editor, other_editor = client_as(editor), client_as(editor)
    assert first_editor.get(remove_url(second)).status_code == 200  # the confirmation, open
    other_editor.post(remove_url(second), {})
    response = first_editor.post(remove_url(second), {}, follow=True)
    assert response.redirect_chain == [(change_url(claim) + "#trace", 302)]
    assert messages_of(response) == ["That hop was removed meanwhile: nothing to do."]
    assert Attribution.objects.filter(claim=claim).count() == 1
