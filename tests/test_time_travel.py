"""trace(claim, as_of=...) rebuilds the attribution graph as it stood at a moment.

History events carry their transaction's start time, so these tests commit each
write (``committed_db``): inside one test transaction every event has the same time.
"""

from __future__ import annotations

from datetime import datetime

import psycopg
import pytest
from django.db import connection

from claims import provenance
from claims.models import Attribution, Statement
from claims.services import HopInput, attribution_delete, chain_record
from tests.conftest import iso
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.usefixtures("committed_db")


def db_now() -> datetime:
    """The database's clock: later than every committed event, earlier than the next."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def names(trace: provenance.Trace) -> list[list[str]]:
    return [[hop.source.name for hop in chain] for chain in trace.chains]


@pytest.fixture
def sources() -> dict[str, object]:
    return {
        name: SourceFactory(name=name)
        for name in ("The article's publisher", "Reuters", "RIA Novosti", "Ministry of Defence")
    }


def chain(sources, *hops: tuple[str, str]) -> list[HopInput]:
    return [HopInput(source=sources[name], relation=relation) for name, relation in hops]


def test_as_of_before_a_chain_edit_returns_the_old_chain(sources):
    claim = ClaimFactory()
    chain_record(claim=claim, hops=chain(sources, ("The article's publisher", "reported"), ("Reuters", "")))
    before_edit = db_now()

    chain_record(
        claim=claim,
        hops=chain(
            sources,
            ("The article's publisher", "reported"),
            ("Reuters", "citing"),
            ("RIA Novosti", "informed_by"),
            ("Ministry of Defence", ""),
        ),
    )

    assert names(provenance.trace(claim, as_of=before_edit)) == [["The article's publisher", "Reuters"]]
    assert names(provenance.trace(claim)) == [
        ["The article's publisher", "Reuters", "RIA Novosti", "Ministry of Defence"]
    ]
    old = provenance.trace(claim, as_of=before_edit)
    assert [o.name for o in old.origins] == ["Reuters"]
    assert old.as_dict()["as_of"] == iso(before_edit)


def test_deleted_attribution_is_gone_after_its_deletion_and_there_before(sources):
    claim = ClaimFactory()
    chain_record(
        claim=claim,
        hops=chain(sources, ("The article's publisher", "reported"), ("Reuters", "citing"), ("RIA Novosti", "")),
    )
    before_delete = db_now()

    attribution_delete(attribution=Attribution.objects.get(claim=claim, upstream__source=sources["RIA Novosti"]))
    after_delete = db_now()

    assert names(provenance.trace(claim, as_of=before_delete)) == [
        ["The article's publisher", "Reuters", "RIA Novosti"]
    ]
    # The statement stays (it is still said), now an origin of its own.
    assert names(provenance.trace(claim, as_of=after_delete)) == [
        ["The article's publisher", "Reuters"],
        ["RIA Novosti"],
    ]
    assert names(provenance.trace(claim, as_of=after_delete)) == names(provenance.trace(claim))


def test_as_of_before_the_claim_had_a_chain_gives_empty_chains(sources):
    claim = ClaimFactory()
    before_chain = db_now()
    chain_record(claim=claim, hops=chain(sources, ("Reuters", "citing"), ("RIA Novosti", "")))

    old = provenance.trace(claim, as_of=before_chain).as_dict()

    assert {k: old[k] for k in ("chains", "origins", "independent_origins", "origin_groups", "flags")} == {
        "chains": [],
        "origins": [],
        "independent_origins": 0,
        "origin_groups": [],
        "flags": [],
    }


def test_relation_edited_later_shows_the_old_relation_at_the_earlier_time(sources):
    claim = ClaimFactory()
    chain_record(claim=claim, hops=chain(sources, ("Reuters", "citing"), ("RIA Novosti", "")))
    before_edit = db_now()

    edge = Attribution.objects.get(claim=claim)
    edge.relation = "quoting"
    edge.save()

    assert [h.edge.relation for h in provenance.trace(claim, as_of=before_edit).chains[0][:1]] == ["citing"]
    assert [h.edge.relation for h in provenance.trace(claim).chains[0][:1]] == ["quoting"]


def test_hop_verified_later_is_unverified_and_flagged_at_the_earlier_time(sources):
    claim = ClaimFactory()
    document = DocumentFactory()
    chain_record(claim=claim, hops=chain(sources, ("Reuters", "citing"), ("RIA Novosti", "")))
    before_check = db_now()

    chain_record(
        claim=claim,
        document=document,
        hops=[
            HopInput(source=sources["Reuters"], relation="citing", verified=True),
            HopInput(source=sources["RIA Novosti"]),
        ],
    )

    old, now = provenance.trace(claim, as_of=before_check), provenance.trace(claim)
    assert (old.edges[0].verified, old.edges[0].document) == (False, None)
    assert (now.edges[0].verified, now.edges[0].document.id) == (True, document.pk)
    assert "unverified_hop" in old.flag_codes
    assert "unverified_hop" not in now.flag_codes


def test_bulk_update_outside_the_services_is_travelled_through(sources):
    claim = ClaimFactory()
    chain_record(claim=claim, hops=chain(sources, ("Reuters", "citing"), ("RIA Novosti", "")))
    before_bulk = db_now()

    Attribution.objects.filter(claim=claim).update(relation="according_to")

    assert provenance.trace(claim, as_of=before_bulk).edges[0].relation == "citing"
    assert provenance.trace(claim, as_of=db_now()).edges[0].relation == "according_to"


def test_statement_and_source_deleted_later_still_show_at_the_earlier_time(sources):
    claim = ClaimFactory()
    defunct = SourceFactory(name="Defunct agency")
    chain_record(
        claim=claim,
        hops=[HopInput(source=sources["Reuters"], relation="citing"), HopInput(source=defunct)],
    )
    before_delete = db_now()

    Attribution.objects.filter(claim=claim).delete()
    Statement.objects.filter(claim=claim, source=defunct).delete()
    defunct.delete()

    assert names(provenance.trace(claim, as_of=before_delete)) == [["Reuters", "Defunct agency"]]
    assert names(provenance.trace(claim)) == [["Reuters"]]


def test_as_of_now_agrees_with_the_live_graph_when_transactions_commit_out_of_order(sources):
    # A transaction that started first but wrote last holds the row's final value,
    # though its events carry the earlier start time: the last event is the one
    # written last, not the one with the latest time.
    claim = ClaimFactory()
    chain_record(claim=claim, hops=chain(sources, ("Reuters", "citing"), ("RIA Novosti", "")))
    edge = Attribution.objects.get(claim=claim)
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"] or None, user=db["USER"], password=db["PASSWORD"], dbname=db["NAME"]
    ) as slow:
        slow.execute("SELECT now()")  # the slow transaction starts here
        Attribution.objects.filter(pk=edge.pk).update(relation="quoting")  # commits first
        slow.execute("UPDATE claims_attribution SET relation = 'according_to' WHERE id = %s", [edge.pk])
        slow.commit()

    assert Attribution.objects.get(pk=edge.pk).relation == "according_to"
    assert provenance.trace(claim, as_of=db_now()).edges[0].relation == "according_to"


def test_statement_moved_to_another_claim_leaves_the_first_claims_graph(sources):
    claim, other = ClaimFactory(), ClaimFactory()
    chain_record(claim=claim, hops=chain(sources, ("Reuters", "citing"), ("RIA Novosti", "")))
    chain_record(claim=claim, hops=chain(sources, ("Ministry of Defence", "")))
    before_move = db_now()

    Statement.objects.filter(claim=claim, source=sources["Ministry of Defence"]).update(claim=other)

    assert names(provenance.trace(claim, as_of=before_move)) == [["Reuters", "RIA Novosti"], ["Ministry of Defence"]]
    assert names(provenance.trace(claim, as_of=db_now())) == [["Reuters", "RIA Novosti"]]
    assert names(provenance.trace(other, as_of=db_now())) == [["Ministry of Defence"]]


def test_trace_endpoint_with_as_of_returns_the_old_chain(sources, api_client):
    claim = ClaimFactory()  # published: anonymous clients may read it
    chain_record(claim=claim, hops=chain(sources, ("Reuters", "citing"), ("RIA Novosti", "")))
    before_edit = db_now()
    chain_record(claim=claim, hops=chain(sources, ("RIA Novosti", "informed_by"), ("Ministry of Defence", "")))

    old = api_client.get(f"/api/v1/claims/{claim.pk}/trace/", {"as_of": before_edit.isoformat()}).json()
    now = api_client.get(f"/api/v1/claims/{claim.pk}/trace/").json()

    assert [[hop["source"]["name"] for hop in c] for c in old["chains"]] == [["Reuters", "RIA Novosti"]]
    assert [[hop["source"]["name"] for hop in c] for c in now["chains"]] == [
        ["Reuters", "RIA Novosti", "Ministry of Defence"]
    ]
    assert old["as_of"] == iso(before_edit)
