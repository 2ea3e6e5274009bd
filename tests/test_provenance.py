"""The graph logic: traces terminate, converge, count independence and raise flags."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from claims import provenance
from claims.models import Attribution, Statement
from claims.services import HopInput, chain_record
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def chain(claim, *sources, relation="citing", verified=False, document=None):
    return chain_record(
        claim=claim,
        document=document,
        hops=[HopInput(source=s, relation=relation, verified=verified) for s in sources],
    )


def names(trace):
    return [[hop.source.name for hop in c] for c in trace.chains]


def test_trace_of_the_seed_chain_runs_from_the_article_to_the_ministry(seed_like_chain):
    trace = provenance.trace(seed_like_chain["claim"])

    assert names(trace) == [["The article's publisher", "Reuters", "RIA Novosti", "Ministry of Defence of Azerbaijan"]]
    assert [h.edge.relation if h.edge else None for h in trace.chains[0]] == [
        "reported",
        "citing",
        "informed_by",
        None,
    ]
    assert [o.name for o in trace.origins] == ["Ministry of Defence of Azerbaijan"]
    assert trace.independent_origins == 1
    assert trace.flag_codes == ["single_origin", "unverified_hop"]


def test_trace_is_one_query(seed_like_chain, django_assert_num_queries):
    with django_assert_num_queries(1):
        provenance.trace(seed_like_chain["claim"])


def test_two_outlets_citing_ria_converge_on_one_ria_statement():
    claim = ClaimFactory()
    ria, ministry = SourceFactory(name="RIA"), SourceFactory(name="MoD")
    chain(claim, SourceFactory(name="Outlet A"), ria, ministry)
    chain(claim, SourceFactory(name="Outlet B"), ria, ministry)

    trace = provenance.trace(claim)

    assert Statement.objects.filter(claim=claim, source=ria).count() == 1
    assert names(trace) == [["Outlet A", "RIA", "MoD"], ["Outlet B", "RIA", "MoD"]]
    assert trace.independent_origins == 1
    assert "common_intermediary" in trace.flag_codes
    assert "All 2 chains pass through RIA." in [f.message for f in trace.flags]


def test_five_outlets_with_one_origin_are_flagged_single_origin():
    claim = ClaimFactory()
    interfax = SourceFactory(name="Interfax")
    for i in range(5):
        chain(claim, SourceFactory(name=f"Outlet {i}"), interfax)

    trace = provenance.trace(claim)

    assert len(trace.chains) == 5
    assert trace.independent_origins == 1
    assert trace.flags[0].code == "single_origin"
    assert trace.flags[0].message == "All 5 chains lead to Interfax."


def test_sources_sharing_a_parent_count_once():
    claim = ClaimFactory()
    government = SourceFactory(name="Government of Azerbaijan", kind="government")
    ministry = SourceFactory(name="Ministry of Defence", parent=government)
    spokesperson_office = SourceFactory(name="Spokesperson", parent=ministry)
    chain(claim, SourceFactory(name="Outlet A"), ministry)
    chain(claim, SourceFactory(name="Outlet B"), spokesperson_office)

    trace = provenance.trace(claim)

    assert {o.name for o in trace.origins} == {"Ministry of Defence", "Spokesperson"}
    assert trace.independent_origins == 1
    assert trace.as_dict()["origin_groups"][0]["organisation"]["name"] == "Government of Azerbaijan"


def test_distinct_origins_count_separately():
    claim = ClaimFactory()
    chain(claim, SourceFactory(name="A"), SourceFactory(name="Origin 1"))
    chain(claim, SourceFactory(name="B"), SourceFactory(name="Origin 2"))

    trace = provenance.trace(claim)

    assert trace.independent_origins == 2
    assert "single_origin" not in trace.flag_codes


def test_a_loop_terminates_and_is_flagged_circular():
    claim = ClaimFactory()
    a, b = SourceFactory(name="A"), SourceFactory(name="B")
    chain(claim, a, b)
    chain(claim, b, a)

    trace = provenance.trace(claim)

    assert names(trace) == [["A", "B", "A"]]
    assert trace.chains[0][-1].closes_loop
    assert trace.origins == []
    assert trace.independent_origins == 0
    assert trace.flag_codes == ["circular_reporting", "no_origin", "unverified_hop", "no_evidence"]


def test_a_loop_behind_a_reporting_end_is_listed_from_that_end():
    claim = ClaimFactory()
    outlet, a, b, origin = (SourceFactory(name=n) for n in ["Outlet", "A", "B", "Origin"])
    chain(claim, outlet, a, b, a)
    chain(claim, b, origin)

    trace = provenance.trace(claim)

    assert sorted(names(trace)) == [["Outlet", "A", "B", "A"], ["Outlet", "A", "B", "Origin"]]
    assert [o.name for o in trace.origins] == ["Origin"]
    assert "circular_reporting" in trace.flag_codes


def test_a_ten_hop_chain_is_traced_to_the_end():
    claim = ClaimFactory()
    sources = [SourceFactory(name=f"S{i}") for i in range(11)]
    chain(claim, *sources)

    trace = provenance.trace(claim)

    assert names(trace) == [[f"S{i}" for i in range(11)]]
    assert [o.name for o in trace.origins] == ["S10"]


def test_one_hop_chain_makes_the_source_its_own_origin():
    claim = ClaimFactory()
    publisher = SourceFactory(name="Publisher")
    chain_record(claim=claim, hops=[HopInput(source=publisher)])

    trace = provenance.trace(claim)

    assert names(trace) == [["Publisher"]]
    assert trace.flag_codes == ["single_origin"]


def test_an_anonymous_origin_is_unknown_not_independent():
    claim = ClaimFactory()
    chain(claim, SourceFactory(name="Outlet"), SourceFactory(name="a source in the ministry", kind="anonymous"))

    trace = provenance.trace(claim)

    assert trace.independent_origins == 0
    assert [o.name for o in trace.unknown_origins] == ["a source in the ministry"]
    assert "anonymous_origin" in trace.flag_codes


def test_verified_hops_raise_no_unverified_flag():
    claim = ClaimFactory()
    chain(claim, SourceFactory(), SourceFactory(), verified=True)

    assert "unverified_hop" not in provenance.trace(claim).flag_codes


def test_a_hop_recorded_again_keeps_its_data_and_can_only_become_verified():
    claim = ClaimFactory()
    a, b = SourceFactory(), SourceFactory()
    document = DocumentFactory()
    chain_record(claim=claim, document=document, hops=[HopInput(source=a, relation="quoting", quote="q"), HopInput(b)])
    again = chain_record(claim=claim, hops=[HopInput(source=a, relation="citing", verified=True), HopInput(b)])

    edge = Attribution.objects.get(claim=claim)
    assert (edge.relation, edge.verified) == ("quoting", True)
    assert [(e.document, e.quote, e.relation) for e in edge.evidence.all()] == [(document, "q", "quoting")]
    # The second chain said "citing" but gave no evidence for it: said so, nothing added.
    assert again.notices == [
        f"{a.name} → {b.name} was already recorded as ‘quoting’; this chain says ‘citing’: it gives no document "
        "or quote for it, so the hop stays as it was."
    ]


def test_self_citation_in_one_hop_is_rejected_by_the_service():
    source = SourceFactory(name="Reuters")
    with pytest.raises(ValidationError) as error:
        chain(ClaimFactory(), source, source)
    assert error.value.message_dict == {"hops[1].source": ["Reuters cannot cite itself."]}


def test_self_citation_is_rejected_by_the_database_too():
    claim = ClaimFactory()
    statement = Statement.objects.create(claim=claim, source=SourceFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        Attribution.objects.create(claim=claim, statement=statement, upstream=statement)


def test_an_edge_cannot_join_two_claims_graphs():
    first, second = ClaimFactory(), ClaimFactory()
    a = Statement.objects.create(claim=first, source=SourceFactory())
    b = Statement.objects.create(claim=second, source=SourceFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        Attribution.objects.create(claim=first, statement=a, upstream=b)


def test_dependents_tell_role_and_distance(seed_like_chain):
    from claims.models import Claim

    claim_id = seed_like_chain["claim"].id
    by_source = {
        key: (
            Claim.objects.with_role_of(seed_like_chain[key].id).get().role,
            provenance.distances_to([claim_id], seed_like_chain[key].id)[claim_id],
        )
        for key in ["publisher", "reuters", "ria", "ministry"]
    }

    assert by_source == {
        "publisher": ("reporter", 0),
        "reuters": ("intermediary", 1),
        "ria": ("intermediary", 2),
        "ministry": ("origin", 3),
    }


def test_origin_filter_finds_claims_originating_at_a_source(seed_like_chain):
    from claims.models import Claim

    assert list(Claim.objects.originating_at(seed_like_chain["ministry"].id)) == [seed_like_chain["claim"]]
    assert not Claim.objects.originating_at(seed_like_chain["ria"].id).exists()


def test_many_claims_traced_at_once_match_their_single_traces(seed_like_chain, django_assert_num_queries):
    loop = ClaimFactory()
    a, b = SourceFactory(name="A"), SourceFactory(name="B")
    chain(loop, a, b)
    chain(loop, b, a)
    shared = ClaimFactory()
    chain(shared, SourceFactory(name="Outlet"), seed_like_chain["ria"], seed_like_chain["ministry"])
    untraced = ClaimFactory()
    ids = [seed_like_chain["claim"].id, loop.id, shared.id, untraced.id]

    with django_assert_num_queries(1):
        together = provenance.traces(ids)

    assert {claim_id: t.as_dict() for claim_id, t in together.items()} == {
        claim_id: provenance.trace(claim_id).as_dict() for claim_id in ids
    }
    assert together[untraced.id].chains == []
