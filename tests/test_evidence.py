"""Nothing silent: a hop carries every piece of evidence recorded for it (documents,
words, the relation as each document words it), says so when a chain words it
differently, and flags a hop that no quote evidences."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from prov.constants import PROV
from prov.model import ProvDerivation, ProvEntity

from claims import provenance
from claims.interop.prov import namespace
from claims.models import Attribution, Evidence
from claims.services import (
    HopInput,
    attribution_verify,
    chain_record,
    evidence_add,
    evidence_delete,
    evidence_update,
)
from core.access import PUBLIC, viewer_for
from tests.conftest import iso
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agencies(db):
    return {
        "reuters": SourceFactory(name="Reuters", kind="news_agency"),
        "ria": SourceFactory(name="RIA Novosti", kind="news_agency"),
        "ministry": SourceFactory(name="Ministry of Defence", kind="government"),
        "first": DocumentFactory(title="Turkish troops in Azerbaijan", publisher=None),
        "second": DocumentFactory(title="Drills begin in Azerbaijan", publisher=None),
        "claim": ClaimFactory(text="Turkish troops are in Azerbaijan for drills."),
    }


def pieces(edge: Attribution) -> list[tuple]:
    return [(e.document, e.quote, e.relation) for e in edge.evidence.order_by("id")]


def record(a, *, document=None, relation="citing", quote="", hop_document=None, verified=False):
    return chain_record(
        claim=a["claim"],
        document=document,
        hops=[
            HopInput(source=a["reuters"], relation=relation, quote=quote, document=hop_document, verified=verified),
            HopInput(source=a["ria"]),
        ],
    )


# --- the service ------------------------------------------------------------------------------


def test_two_chains_through_one_hop_keep_both_relations_and_quotes_and_say_so(agencies):
    a = agencies
    first = record(a, document=a["first"], relation="citing", quote="Reuters said, citing RIA")
    second = record(a, document=a["second"], relation="quoting", quote="RIA was quoted by Reuters as saying")

    assert first.notices == []
    assert second.notices == [
        "Reuters → RIA Novosti was already recorded as ‘citing’; this chain says ‘quoting’: both kept as evidence."
    ]
    [edge] = second.edges
    assert edge.relation == "citing"  # the hop's, as first recorded
    assert pieces(edge) == [
        (a["first"], "Reuters said, citing RIA", "citing"),
        (a["second"], "RIA was quoted by Reuters as saying", "quoting"),
    ]


def test_other_words_for_the_same_relation_are_kept_beside_the_first(agencies):
    a = agencies
    record(a, document=a["first"], quote="Reuters said, citing RIA")
    again = record(a, document=a["first"], quote="according to RIA, Reuters said")

    assert again.notices == [
        "Reuters → RIA Novosti was already recorded with the words “Reuters said, citing RIA”; this chain quotes "
        "“according to RIA, Reuters said”: both kept as evidence."
    ]
    assert [q for _, q, _ in pieces(again.edges[0])] == ["Reuters said, citing RIA", "according to RIA, Reuters said"]


def test_another_document_for_the_same_hop_is_kept_and_named(agencies):
    a = agencies
    record(a, document=a["first"])
    again = record(a, document=a["second"])

    assert again.notices == [
        "Reuters → RIA Novosti was already recorded from “Turkish troops in Azerbaijan”; this chain gives "
        "“Drills begin in Azerbaijan”: both kept as evidence."
    ]
    assert pieces(again.edges[0]) == [(a["first"], "", "citing"), (a["second"], "", "citing")]


def test_the_same_evidence_again_adds_nothing_and_says_nothing(agencies):
    a = agencies
    record(a, document=a["first"], quote="Reuters said, citing RIA")
    again = record(a, document=a["first"], quote="Reuters said, citing RIA", verified=True)

    assert again.notices == []
    assert len(pieces(again.edges[0])) == 1
    assert again.edges[0].verified  # verified only ever goes from no to yes


def test_words_for_a_document_that_had_none_complete_its_piece(agencies):
    a = agencies
    record(a, document=a["first"])
    again = record(a, document=a["first"], quote="Reuters said, citing RIA")

    assert again.notices == []  # nothing differs: a blank is filled in
    assert pieces(again.edges[0]) == [(a["first"], "Reuters said, citing RIA", "citing")]


def test_a_hop_without_a_document_or_quote_has_no_evidence(agencies):
    recorded = record(agencies)
    assert pieces(recorded.edges[0]) == []


def test_a_quote_the_claims_appearance_does_not_take_is_said(agencies):
    a = agencies
    chain_record(claim=a["claim"], document=a["first"], quote="Turkish troops are there", hops=[HopInput(a["reuters"])])
    again = chain_record(
        claim=a["claim"], document=a["first"], quote="Troops from Turkey are there", hops=[HopInput(a["reuters"])]
    )

    assert again.notices == [
        "The claim already appears in “Turkish troops in Azerbaijan” as “Turkish troops are there”; that quote is "
        "kept, and this chain's “Troops from Turkey are there” is not recorded as a second appearance."
    ]


def test_the_database_holds_one_piece_per_document_and_words_and_refuses_an_empty_one(agencies):
    a = agencies
    edge = record(a, document=a["first"], quote="Reuters said").edges[0]
    for document, quote in [(a["first"], "Reuters said"), (None, "")]:
        with pytest.raises(IntegrityError), transaction.atomic():
            Evidence.objects.create(
                attribution=edge, claim=edge.claim, document=document, quote=quote, relation="citing"
            )
    Evidence.objects.create(attribution=edge, claim=edge.claim, quote="Reuters said", relation="citing")
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(attribution=edge, claim=edge.claim, quote="Reuters said", relation="quoting")
    # Evidence names its hop's claim, and no other.
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(attribution=edge, claim=ClaimFactory(), quote="elsewhere", relation="citing")
        connection.check_constraints()


def test_evidence_is_added_corrected_and_removed_through_the_services(agencies):
    a = agencies
    edge = record(a, document=a["first"], quote="Reuters said").edges[0]
    added = evidence_add(attribution=edge, document=a["second"], quote="Reuters, citing RIA", relation="citing")
    evidence_update(evidence=added, quote="Reuters, citing RIA, said")
    assert pieces(edge)[1] == (a["second"], "Reuters, citing RIA, said", "citing")
    with pytest.raises(Exception, match="already has this evidence"):
        evidence_update(evidence=added, document=a["first"], quote="Reuters said")
    evidence_delete(evidence=added)
    assert len(pieces(edge)) == 1


def test_verifying_a_hop_says_whether_it_changed_it(agencies):
    edge = record(agencies).edges[0]
    assert attribution_verify(attribution=edge) is True
    assert attribution_verify(attribution=edge) is False
    edge.refresh_from_db()
    assert edge.verified


def test_deleting_a_hop_deletes_its_evidence(agencies):
    from claims.services import attribution_delete

    edge = record(agencies, document=agencies["first"], quote="Reuters said").edges[0]
    attribution_delete(attribution=edge)
    assert not Evidence.objects.exists()


# --- the trace and the API --------------------------------------------------------------------


def post_chain(client, claim, hops, document=None, quote=""):
    return client.post(
        f"/api/v1/claims/{claim.id}/chains/",
        {"document": document.id if document else None, "quote": quote, "hops": hops},
        format="json",
    )


def doc_ref(document) -> dict:
    return {"id": document.id, "title": document.title, "url": document.url}


def test_the_api_says_what_merged_and_the_trace_lists_every_piece(editor_client, agencies):
    a = agencies
    first = post_chain(
        editor_client,
        a["claim"],
        document=a["first"],
        hops=[
            {"source": a["reuters"].id, "relation": "citing", "quote": "Reuters said, citing RIA"},
            {"source": a["ria"].id},
        ],
    )
    second = post_chain(
        editor_client,
        a["claim"],
        hops=[
            {"source": a["reuters"].id, "relation": "quoting", "quote": "RIA told Reuters", "document": a["second"].id},
            {"source": a["ria"].id},
        ],
    )

    assert first.status_code == second.status_code == 201
    assert first.json()["notices"] == []
    body = second.json()
    assert body["notices"] == [
        "Reuters → RIA Novosti was already recorded as ‘citing’; this chain says ‘quoting’: both kept as evidence."
    ]
    [edge] = body["edges"]
    assert edge["relation"] == "citing"
    assert edge["evidence"] == [
        {"document": doc_ref(a["first"]), "quote": "Reuters said, citing RIA", "relation": "citing"},
        {"document": doc_ref(a["second"]), "quote": "RIA told Reuters", "relation": "quoting"},
    ]
    assert editor_client.get(f"/api/v1/claims/{a['claim'].id}/trace/").json()["edges"] == body["edges"]


def test_a_hop_no_quote_evidences_is_allowed_and_flagged_by_name(editor_client, agencies):
    a = agencies
    response = post_chain(
        editor_client,
        a["claim"],
        document=a["first"],
        hops=[
            {"source": a["reuters"].id, "relation": "citing", "quote": "Reuters said, citing RIA"},
            {"source": a["ria"].id, "relation": "informed_by"},
            {"source": a["ministry"].id},
        ],
    )

    assert response.status_code == 201
    body = response.json()
    assert "no_evidence" in body["flags"]
    details = {d["flag"]: d["message"] for d in body["flag_details"]}
    assert details["no_evidence"] == "1 hop has no quote evidencing it: RIA Novosti → Ministry of Defence."
    # The chain's document still stands as its evidence, without words.
    assert body["edges"][1]["evidence"] == [{"document": doc_ref(a["first"]), "quote": "", "relation": "informed_by"}]


def test_the_trace_costs_the_same_queries_however_many_pieces_of_evidence(
    editor_client, agencies, django_assert_num_queries
):
    a = agencies
    for i in range(12):
        record(a, document=DocumentFactory(), relation="citing" if i % 2 else "quoting", quote=f"Words {i}")
    assert Evidence.objects.count() == 12

    # roles; the claim with its topics, appearances with documents and reviews elsewhere; the trace itself
    with django_assert_num_queries(3):
        response = editor_client.get(f"/api/v1/claims/{a['claim'].id}/trace/")
    assert len(response.json()["edges"][0]["evidence"]) == 12


def test_a_batch_of_traces_reads_every_piece_in_one_query(agencies, django_assert_num_queries):
    a = agencies
    other = ClaimFactory()
    record(a, document=a["first"], quote="one")
    record(a, document=a["second"], quote="two")
    chain_record(claim=other, hops=[HopInput(a["ria"], relation="citing", quote="three"), HopInput(a["ministry"])])

    with django_assert_num_queries(1):
        traces = provenance.traces([a["claim"].pk, other.pk])

    assert [e.quote for e in traces[a["claim"].pk].edges[0].evidence] == ["one", "two"]
    assert [e.quote for e in traces[other.pk].edges[0].evidence] == ["three"]


# --- confidential sources -----------------------------------------------------------------------


def test_evidence_from_a_confidential_sources_document_is_withheld_the_rest_shown(agencies):
    a = agencies
    informant = SourceFactory(name="Colonel X", confidential=True, public_description="an officer")
    leaked = DocumentFactory(title="Colonel X's memo", publisher=informant)
    record(a, document=a["first"], quote="Reuters said, citing RIA")
    record(a, document=leaked, quote="as the colonel wrote")

    editor_view = provenance.trace_for(a["claim"].pk, viewer_for(UserFactory(roles=["editor"])))
    public = provenance.trace_for(a["claim"].pk, PUBLIC)

    assert [e.quote for e in editor_view.edges[0].evidence] == ["Reuters said, citing RIA", "as the colonel wrote"]
    [edge] = public.as_dict()["edges"]
    assert edge["evidence"] == [
        {"document": doc_ref(a["first"]), "quote": "Reuters said, citing RIA", "relation": "citing"}
    ]
    assert edge["evidence_withheld"] is True
    assert "colonel" not in str(public.as_dict()).lower()


def test_every_piece_of_a_hop_touching_a_confidential_source_is_withheld(agencies):
    a = agencies
    informant = SourceFactory(name="Colonel X", confidential=True, public_description="an officer")
    for document, words in [(a["first"], "Colonel X told RIA"), (a["second"], "RIA's colonel")]:
        chain_record(
            claim=a["claim"],
            document=document,
            hops=[HopInput(a["ria"], relation="informed_by", quote=words), HopInput(informant)],
        )

    [edge] = provenance.trace_for(a["claim"].pk, PUBLIC).as_dict()["edges"]
    assert (edge["evidence"], edge["evidence_withheld"]) == ([], True)
    # Withheld is not missing: the flag is the graph's, whoever reads it.
    assert "no_evidence" not in provenance.trace_for(a["claim"].pk, PUBLIC).flag_codes


# --- exports ----------------------------------------------------------------------------------------


def test_prov_carries_each_piece_with_its_document_words_and_relation(api_client, agencies):
    from tests.test_prov import read_back, records, uri

    a = agencies
    a["claim"].status = "published"
    a["claim"].save()
    record(a, document=a["first"], quote="Reuters said, citing RIA")
    record(a, document=a["second"], relation="quoting", quote="RIA told Reuters")
    doc = read_back(api_client.get(f"/api/v1/claims/{a['claim'].pk}/prov/"))
    fc = namespace()

    [derivation] = records(doc, ProvDerivation)
    assert derivation.get_attribute(fc["quote"]) == {"Reuters said, citing RIA", "RIA told Reuters"}
    assert {uri(d) for d in derivation.get_attribute(fc["document"])} == {
        f"{fc.uri}documents/{a['first'].pk}",
        f"{fc.uri}documents/{a['second'].pk}",
    }
    described = {
        e.get_attribute(PROV["value"]).pop(): e.get_attribute(fc["relation"]).pop()
        for e in records(doc, ProvEntity)
        if fc["Evidence"] in e.get_asserted_types()
    }
    assert described == {"Reuters said, citing RIA": "citing", "RIA told Reuters": "quoting"}


# --- time travel ------------------------------------------------------------------------------------


def test_the_trace_before_the_second_chain_shows_one_piece(committed_db, client_for, agencies):
    a = agencies
    editor = UserFactory(is_superuser=True, is_staff=True)  # roles are flushed between these tests
    client = client_for(editor)
    first = post_chain(
        client,
        a["claim"],
        document=a["first"],
        hops=[{"source": a["reuters"].id, "relation": "citing", "quote": "Reuters said"}, {"source": a["ria"].id}],
    )
    assert first.status_code == 201
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        between = cursor.fetchone()[0]
    second = post_chain(
        client,
        a["claim"],
        document=a["second"],
        hops=[{"source": a["reuters"].id, "relation": "quoting", "quote": "RIA told Reuters"}, {"source": a["ria"].id}],
    )
    assert second.status_code == 201

    url = f"/api/v1/claims/{a['claim'].id}/trace/"
    old = client.get(url, {"as_of": between.isoformat()}).json()
    now = client.get(url).json()

    assert old["as_of"] == iso(between)
    assert old["edges"][0]["evidence"] == [
        {"document": doc_ref(a["first"]), "quote": "Reuters said", "relation": "citing"}
    ]
    assert [e["quote"] for e in now["edges"][0]["evidence"]] == ["Reuters said", "RIA told Reuters"]
