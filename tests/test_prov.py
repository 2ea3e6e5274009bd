from __future__ import annotations

import json

import pytest
from prov.constants import PROV
from prov.model import ProvAgent, ProvDelegation, ProvDerivation, ProvDocument, ProvEntity, ProvSpecialization
from prov.model import ProvAttribution as Attributed

from claims.models import ClaimStatus, Evidence, Statement
from claims.provenance import trace
from claims.services import HopInput, chain_record
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory

NS = "https://factcheck.example.org/api/v1/"


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.FACTCHECK_PUBLIC_URL = "https://factcheck.example.org"


def read_back(response) -> ProvDocument:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return ProvDocument.deserialize(content=response.content.decode(), format="json")


def records(doc: ProvDocument, kind) -> list:
    return [r for r in doc.get_records(kind) if type(r) is kind]


def uri(qualified_name) -> str:
    return qualified_name.uri


def derivations(doc: ProvDocument) -> set[tuple[str, str]]:
    return {
        (uri(d.get_attribute(PROV["generatedEntity"]).pop()), uri(d.get_attribute(PROV["usedEntity"]).pop()))
        for d in records(doc, ProvDerivation)
    }


def statement_uri(claim_id: int, statement_id: int) -> str:
    return f"{NS}claims/{claim_id}/statements/{statement_id}"


def expected_edges(claim) -> set[tuple[str, str]]:
    return {
        (statement_uri(claim.pk, e.statement_id), statement_uri(claim.pk, e.upstream_id)) for e in trace(claim).edges
    }


def test_seed_chain_reads_back_as_agents_statements_and_derivations(api_client, seed_like_chain):
    claim = seed_like_chain["claim"]
    doc = read_back(api_client.get(f"/api/v1/claims/{claim.pk}/prov/"))
    statements = {s.pk: s.source for s in Statement.objects.filter(claim=claim).select_related("source")}

    agents = {uri(a.identifier): (a.label, a.get_asserted_types()) for a in records(doc, ProvAgent)}
    assert agents == {
        f"{NS}sources/{seed_like_chain['publisher'].pk}": ("The article's publisher", {PROV["Organization"]}),
        f"{NS}sources/{seed_like_chain['reuters'].pk}": ("Reuters", {PROV["Organization"]}),
        f"{NS}sources/{seed_like_chain['ria'].pk}": ("RIA Novosti", {PROV["Organization"]}),
        f"{NS}sources/{seed_like_chain['ministry'].pk}": ("Ministry of Defence of Azerbaijan", {PROV["Organization"]}),
        # The ministry's parent, which states nothing itself but answers for the ministry.
        f"{NS}sources/{seed_like_chain['government'].pk}": ("Government of Azerbaijan", set()),
    }
    entities = {uri(e.identifier) for e in records(doc, ProvEntity)}
    document = seed_like_chain["document"]
    evidence = Evidence.objects.filter(claim=claim).values_list("pk", flat=True)
    assert entities == {f"{NS}claims/{claim.pk}", f"{NS}documents/{document.pk}"} | {
        statement_uri(claim.pk, sid) for sid in statements
    } | {f"{NS}claims/{claim.pk}/evidence/{pk}" for pk in evidence}
    attributed = {
        (uri(a.get_attribute(PROV["entity"]).pop()), uri(a.get_attribute(PROV["agent"]).pop()))
        for a in records(doc, Attributed)
    }
    assert attributed == {(statement_uri(claim.pk, sid), f"{NS}sources/{s.pk}") for sid, s in statements.items()}
    assert {uri(s.get_attribute(PROV["generalEntity"]).pop()) for s in records(doc, ProvSpecialization)} == {
        f"{NS}claims/{claim.pk}"
    }
    [delegation] = records(doc, ProvDelegation)
    assert (
        uri(delegation.get_attribute(PROV["delegate"]).pop()),
        uri(delegation.get_attribute(PROV["responsible"]).pop()),
    ) == (
        f"{NS}sources/{seed_like_chain['ministry'].pk}",
        f"{NS}sources/{seed_like_chain['government'].pk}",
    )
    assert derivations(doc) == expected_edges(claim)
    assert len(derivations(doc)) == 3


def test_each_hop_carries_its_relation_document_quote_and_verified_flag(api_client, seed_like_chain):
    claim = seed_like_chain["claim"]
    doc = read_back(api_client.get(f"/api/v1/claims/{claim.pk}/prov/"))
    fc = doc.get_registered_namespaces()
    [fc] = [ns for ns in fc if ns.prefix == "fc"]
    edges = {e.id: e for e in trace(claim).edges}

    for derivation in records(doc, ProvDerivation):
        edge = edges[int(uri(derivation.identifier).rsplit("/", 1)[1])]
        assert derivation.get_attribute(fc["relation"]) == {edge.relation}
        assert derivation.get_attribute(fc["quote"]) == {edge.quote}
        assert derivation.get_attribute(fc["verified"]) == {False}
        assert {uri(d) for d in derivation.get_attribute(fc["document"])} == {
            f"{NS}documents/{seed_like_chain['document'].pk}"
        }
        assert PROV["Quotation"] not in derivation.get_asserted_types()


def test_a_quoting_hop_is_a_prov_quotation(api_client, db):
    claim = ClaimFactory()
    outlet, person = SourceFactory(name="Outlet"), SourceFactory(name="Jane Roe", kind="person")
    chain_record(
        claim=claim, hops=[HopInput(source=outlet, relation="quoting", verified=True), HopInput(source=person)]
    )
    doc = read_back(api_client.get(f"/api/v1/claims/{claim.pk}/prov/"))

    [quotation] = records(doc, ProvDerivation)
    assert quotation.get_asserted_types() == {PROV["Quotation"]}
    [verified] = [v for k, v in quotation.extra_attributes if k.localpart == "verified"]
    assert verified is True
    assert [a.get_asserted_types() for a in records(doc, ProvAgent) if a.label == "Jane Roe"] == [{PROV["Person"]}]
    # No document: the hop was recorded without one.
    assert [k.localpart for k, _ in quotation.extra_attributes if k.localpart == "document"] == []


def test_a_loop_is_two_derivations_in_opposite_directions(api_client, db):
    claim = ClaimFactory()
    a, b, c = SourceFactory(name="A"), SourceFactory(name="B"), SourceFactory(name="C")
    chain_record(claim=claim, hops=[HopInput(source=c), HopInput(source=a), HopInput(source=b)])
    chain_record(claim=claim, hops=[HopInput(source=b), HopInput(source=a)])
    doc = read_back(api_client.get(f"/api/v1/claims/{claim.pk}/prov/"))

    sid = {s.source_id: s.pk for s in Statement.objects.filter(claim=claim)}
    assert (
        derivations(doc)
        == expected_edges(claim)
        == {
            (statement_uri(claim.pk, sid[c.pk]), statement_uri(claim.pk, sid[a.pk])),
            (statement_uri(claim.pk, sid[a.pk]), statement_uri(claim.pk, sid[b.pk])),
            (statement_uri(claim.pk, sid[b.pk]), statement_uri(claim.pk, sid[a.pk])),
        }
    )
    assert len(records(doc, ProvEntity)) == 4  # the claim and three statements


def test_convergent_chains_meet_at_one_statement_entity(api_client, db):
    claim = ClaimFactory()
    first, second, ria = SourceFactory(name="First"), SourceFactory(name="Second"), SourceFactory(name="RIA")
    doc1, doc2 = DocumentFactory(), DocumentFactory()
    chain_record(claim=claim, document=doc1, hops=[HopInput(source=first, relation="citing"), HopInput(source=ria)])
    chain_record(claim=claim, document=doc2, hops=[HopInput(source=second, relation="citing"), HopInput(source=ria)])
    doc = read_back(api_client.get(f"/api/v1/claims/{claim.pk}/prov/"))

    ria_statement = statement_uri(claim.pk, Statement.objects.get(claim=claim, source=ria).pk)
    assert [used for _, used in derivations(doc)] == [ria_statement, ria_statement]
    assert derivations(doc) == expected_edges(claim)
    assert {uri(e.identifier) for e in records(doc, ProvEntity)} >= {
        f"{NS}documents/{doc1.pk}",
        f"{NS}documents/{doc2.pk}",
    }


def test_prov_json_is_plain_prov_json_with_our_prefix(api_client, seed_like_chain):
    claim = seed_like_chain["claim"]
    data = json.loads(api_client.get(f"/api/v1/claims/{claim.pk}/prov/").content)
    assert data["prefix"] == {"fc": NS}
    assert set(data) == {
        "prefix",
        "agent",
        "entity",
        "wasAttributedTo",
        "wasDerivedFrom",
        "specializationOf",
        "actedOnBehalfOf",
    }


def test_anonymous_clients_get_no_prov_of_a_draft_but_journalists_do(api_client, client_for, journalist):
    draft = ClaimFactory(status=ClaimStatus.DRAFT)
    assert api_client.get(f"/api/v1/claims/{draft.pk}/prov/").status_code == 404
    assert client_for(journalist).get(f"/api/v1/claims/{draft.pk}/prov/").status_code == 200


def test_prov_takes_two_queries(api_client, seed_like_chain, django_assert_num_queries):
    claim = seed_like_chain["claim"]
    # The claim, then the whole trace in one query.
    with django_assert_num_queries(2):
        response = api_client.get(f"/api/v1/claims/{claim.pk}/prov/")
    assert response.status_code == 200


def test_prov_of_a_journalist_request_adds_only_the_role_lookup(
    client_for, journalist, seed_like_chain, django_assert_num_queries
):
    client = client_for(journalist)
    with django_assert_num_queries(3):
        response = client.get(f"/api/v1/claims/{seed_like_chain['claim'].pk}/prov/")
    assert response.status_code == 200
