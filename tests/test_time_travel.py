"""trace(claim, as_of=...) rebuilds the attribution graph as it stood at a moment.

History events carry their transaction's start time, so these tests commit each
write (``committed_db``): inside one test transaction every event has the same time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg
import pytest
from django.db import connection
from rest_framework.test import APIClient

from claims import provenance
from claims.models import Appearance, Attribution, ClaimStatus, Statement
from claims.services import HopInput, appearance_record, attribution_delete, chain_record, claim_update
from sources.services import source_update
from tests.conftest import iso
from tests.factories import (
    ClaimFactory,
    DocumentFactory,
    SourceFactory,
    TopicFactory,
    UserFactory,
    publish_over_checklist,
)

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


# --- the claim itself as it stood, through the API -------------------------------------------
#
# Records the claim refers to (sources, documents, topics) are named as they are now: a
# rename is the same source, topic or document under its current name (their own histories
# say what they were called before), and a source's confidentiality is judged as it is now.


def events_at(claim) -> list[datetime]:
    """When each of the claim's own events was recorded (its transaction's start)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pgh_created_at FROM claims_claimevent WHERE pgh_obj_id = %s ORDER BY pgh_id", [claim.pk])
        return [row[0] for row in cursor.fetchall()]


def claim_then(client, claim, moment: datetime):
    return client.get(f"/api/v1/claims/{claim.pk}/trace/", {"as_of": moment.isoformat()})


def test_a_moment_between_two_edits_in_the_same_second_shows_the_first_edit(api_client):
    claim = ClaimFactory(text="Version one.", rating="")
    claim_update(claim=claim, text="Version two.", rating="mostly_false")
    claim_update(claim=claim, text="Version three.", rating="false")
    _created, second, third = events_at(claim)
    assert third - second < timedelta(seconds=1)

    between = second + (third - second) / 2
    body = claim_then(api_client, claim, between).json()

    assert (body["claim"]["text"], body["claim"]["rating"]) == ("Version two.", "mostly_false")
    assert body["as_of"] == iso(between)
    # The moment of an edit itself includes that edit; a microsecond before it does not.
    assert claim_then(api_client, claim, third).json()["claim"]["text"] == "Version three."
    assert claim_then(api_client, claim, third - timedelta(microseconds=1)).json()["claim"]["text"] == "Version two."


def test_a_moment_before_the_claim_existed_is_a_404_even_by_a_microsecond(api_client):
    claim = ClaimFactory()
    (created,) = events_at(claim)

    assert claim_then(api_client, claim, created - timedelta(microseconds=1)).status_code == 404
    assert claim_then(api_client, claim, created).status_code == 200
    assert api_client.get("/api/v1/claims/999999999/trace/", {"as_of": created.isoformat()}).status_code == 404


def test_status_topics_and_appearances_are_those_of_the_moment(api_client):
    war, drills = TopicFactory(name="War", slug="war"), TopicFactory(name="Drills", slug="drills")
    kept, removed = DocumentFactory(title="Kept"), DocumentFactory(title="Removed later")
    claim = ClaimFactory(text="Troops arrived.")
    claim_update(claim=claim, topics=[war])
    appearance_record(claim=claim, document=kept, quote="troops arrived")
    appearance_record(claim=claim, document=removed, quote="troops came")
    then = db_now()

    claim_update(claim=claim, topics=[drills], status=ClaimStatus.IN_REVIEW)
    Appearance.objects.filter(claim=claim, document=removed).delete()
    appearance_record(claim=claim, document=DocumentFactory(title="Added later"), quote="later")
    superuser = APIClient()
    superuser.force_authenticate(UserFactory(is_superuser=True))

    old = claim_then(superuser, claim, then).json()["claim"]
    now = superuser.get(f"/api/v1/claims/{claim.pk}/trace/").json()["claim"]

    assert (old["status"], old["topics"]) == ("published", ["war"])
    assert [(a["document"]["title"], a["quote"]) for a in old["appearances"]] == [
        ("Kept", "troops arrived"),
        ("Removed later", "troops came"),
    ]
    assert (now["status"], now["topics"]) == ("in_review", ["drills"])
    assert [a["document"]["title"] for a in now["appearances"]] == ["Kept", "Added later"]


def test_a_topic_renamed_later_is_shown_under_its_name_now(api_client):
    topic = TopicFactory(name="Military drills", slug="military-drills")
    claim = ClaimFactory()
    claim_update(claim=claim, topics=[topic])
    then = db_now()

    topic.name, topic.slug = "Joint exercises", "joint-exercises"
    topic.save()

    assert claim_then(api_client, claim, then).json()["claim"]["topics"] == ["joint-exercises"]


def test_a_source_renamed_later_is_shown_under_its_name_now(sources, api_client):
    claim = ClaimFactory()
    chain_record(claim=claim, hops=chain(sources, ("Reuters", "citing"), ("RIA Novosti", "")))
    then = db_now()

    source_update(source=sources["RIA Novosti"], name="RIA")

    old = claim_then(api_client, claim, then).json()
    assert [[hop["source"]["name"] for hop in c] for c in old["chains"]] == [["Reuters", "RIA"]]
    assert [o["name"] for o in old["origins"]] == ["RIA"]


def test_a_source_made_confidential_later_is_withheld_from_the_past_too(sources, api_client):
    claim = ClaimFactory()
    informant = SourceFactory(name="Colonel Secretov", kind="person")
    chain_record(claim=claim, hops=[HopInput(source=sources["Reuters"], relation="citing"), HopInput(source=informant)])
    then = db_now()

    source_update(source=informant, confidential=True, public_description="A military officer")

    old = claim_then(api_client, claim, then)
    assert old.status_code == 200
    assert "Secretov" not in old.content.decode()
    assert [o["name"] for o in old.json()["origins"]] == [f"A military officer (confidential source {informant.pk})"]


def test_a_claim_that_was_a_draft_then_is_a_404_for_the_public_and_readable_by_the_roles(api_client):
    claim = ClaimFactory(text="Not ready yet.", status=ClaimStatus.DRAFT)
    chain_record(claim=claim, hops=[HopInput(source=SourceFactory())])
    then = db_now()
    publish_over_checklist(claim, text="Ready.")
    # Roles are emptied between committed tests: a superuser stands for them.
    cleared = APIClient()
    cleared.force_authenticate(UserFactory(is_superuser=True))

    assert claim_then(api_client, claim, then).status_code == 404
    assert "Not ready yet." not in claim_then(api_client, claim, then).content.decode()
    assert api_client.get(f"/api/v1/claims/{claim.pk}/trace/").json()["claim"]["text"] == "Ready."
    assert claim_then(cleared, claim, then).json()["claim"]["text"] == "Not ready yet."
