"""Duplicate sources inflate independence: a name another source goes by is refused
unless confirmed, and duplicates are merged without losing a statement, a hop, a
document or a name."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from claims import provenance
from claims.history import history_for
from claims.models import Attribution, Statement
from claims.services import HopInput, chain_record, source_merge
from core.history import read_history
from sources.models import Document, Source
from tests.errors import error_body, messages
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_a_source_named_like_another_ones_alias_is_refused_with_the_clash_shown(editor_client):
    SourceFactory(name="RIA Novosti", kind="news_agency", country="RU", aliases=["RIA", "РИА Новости"])

    refused = editor_client.post("/api/v1/sources/", {"name": "R.I.A."}, format="json")
    confirmed = editor_client.post("/api/v1/sources/", {"name": "R.I.A.", "confirm_distinct": True}, format="json")

    by_field = messages(refused)
    assert list(by_field) == ["name"]
    clash, confirm = by_field["name"]
    assert clash.startswith("“RIA” is already RIA Novosti (source ")
    assert "news agency; RU; also known as RIA, РИА Новости" in clash
    assert "confirm that it is distinct" in confirm
    assert confirmed.status_code == 201


def test_renaming_into_a_clash_is_refused_too_and_accents_and_case_do_not_hide_it(editor_client):
    SourceFactory(name="Recep Tayyip Erdoğan", kind="person")
    other = SourceFactory(name="The president")
    response = editor_client.patch(f"/api/v1/sources/{other.pk}/", {"aliases": ["RECEP TAYYIP ERDOGAN"]}, format="json")
    by_field = messages(response)
    assert list(by_field) == ["name"]
    assert "is already Recep Tayyip Erdoğan" in by_field["name"][0]
    # Editing something else of a source that already shares a name is not re-asked.
    twin = SourceFactory(name="Twin")
    Source.objects.filter(pk=twin.pk).update(name_keys=["recep"])
    assert editor_client.patch(f"/api/v1/sources/{twin.pk}/", {"country": "TR"}, format="json").status_code == 200


def test_the_admin_refuses_a_duplicate_until_the_box_is_ticked(editor):
    SourceFactory(name="Anadolu Agency", aliases=["Anadolu"])
    client = Client()
    client.force_login(editor)
    data = {"name": "Anadolu", "kind": "news_agency", "aliases": "", "description": "", "country": "", "url": "",
            "wikidata_qid": "", "reliability": "", "public_description": ""}  # fmt: skip
    refused = client.post(reverse("admin:sources_source_add"), data)
    assert refused.status_code == 200
    assert "is already Anadolu Agency" in refused.content.decode()
    assert client.post(reverse("admin:sources_source_add"), {**data, "confirm_distinct": "on"}).status_code == 302
    assert Source.objects.filter(name="Anadolu").count() == 1


@pytest.fixture
def duplicates(db):
    """RIA Novosti entered twice: as "RIA Novosti" and, by another editor, as "RIA"."""
    government = SourceFactory(name="Government of Russia", kind="government")
    ria = SourceFactory(name="RIA Novosti", kind="news_agency", aliases=["РИА Новости"])
    dup = SourceFactory(name="RIA", kind="news_agency", aliases=["RIA-Novosti"], parent=government)
    outlet, paper = SourceFactory(name="Daily"), SourceFactory(name="Paper")
    member = SourceFactory(name="RIA correspondent", parent=dup)
    document = DocumentFactory(title="RIA's report", publisher=dup)
    both = ClaimFactory(text="Both name RIA.")
    chain_record(claim=both, hops=[HopInput(source=outlet, relation="citing", quote="q1"), HopInput(source=ria)])
    chain_record(claim=both, hops=[HopInput(source=paper, relation="citing"), HopInput(source=dup)])
    chain_record(
        claim=both,
        hops=[HopInput(source=outlet, relation="citing", document=document, verified=True), HopInput(source=dup)],
    )
    chain_record(claim=both, hops=[HopInput(source=ria, relation="quoting"), HopInput(source=dup)])
    only_dup = ClaimFactory(text="Only RIA.")
    chain_record(claim=only_dup, hops=[HopInput(source=paper, relation="citing"), HopInput(source=dup)])
    return {"ria": ria, "dup": dup, "outlet": outlet, "paper": paper, "member": member, "document": document,
            "both": both, "only_dup": only_dup, "government": government}  # fmt: skip


def test_merging_moves_everything_keeps_every_name_and_counts_independence_again(duplicates):
    d = duplicates
    before = provenance.trace(d["both"])
    assert before.independent_origins == 1  # RIA Novosti cites "RIA", so only "RIA" is an origin

    report = source_merge(keep=d["ria"], merge=d["dup"])

    ria = Source.objects.get(pk=d["ria"].pk)
    assert not Source.objects.filter(pk=d["dup"].pk).exists()
    assert ria.aliases == ["РИА Новости", "RIA", "RIA-Novosti"]
    assert ria.parent == d["government"]  # taken over: the kept source had none
    assert Source.objects.get(pk=d["member"].pk).parent == ria
    assert Document.objects.get(pk=d["document"].pk).publisher == ria
    # One statement per claim: in "both", the hops met; the hop RIA quoting "RIA" is gone.
    assert Statement.objects.filter(claim=d["both"], source=ria).count() == 1
    assert Statement.objects.filter(claim=d["only_dup"], source=ria).count() == 1
    edge = Attribution.objects.get(claim=d["both"], statement__source=d["outlet"])
    # The hop recorded through both keeps the evidence of both.
    assert [(e.document, e.quote) for e in edge.evidence.all()] == [(None, "q1"), (d["document"], "")]
    assert edge.verified
    assert report.edges_joined == 1 and report.statements_joined == 1 and report.statements_moved == 1
    assert report.edges_dropped == [f"claim {d['both'].pk}: RIA Novosti quoting RIA"]
    assert sorted(report.claims) == sorted([d["both"].pk, d["only_dup"].pk])
    after = provenance.trace(d["both"])
    assert [o.name for o in after.origins] == ["RIA Novosti"]
    assert after.independent_origins == 1
    # Nothing disappears from the record: the deleted source and the dropped hop are in the history.
    assert [e.action for e in read_history([(Source, "own")], d["dup"].pk)][-1] == "delete"
    deleted_edges = [e for e in history_for(d["both"]) if e.model == "attribution" and e.action == "delete"]
    assert len(deleted_edges) == 2  # the joined duplicate hop and the dropped one


def test_merging_over_the_api_reports_what_it_did(duplicates, editor_client, journalist_client):
    d = duplicates
    url = f"/api/v1/sources/{d['ria'].pk}/merge/"
    error_body(journalist_client.post(url, {"source": d["dup"].pk}, format="json"), 403, "permission_denied")
    assert list(messages(editor_client.post(url, {"source": d["ria"].pk}, format="json"))) == ["source"]
    assert messages(editor_client.post(url, {"source": 999999}, format="json")) == {
        "source": ["No source has id 999999."]
    }

    response = editor_client.post(url, {"source": d["dup"].pk}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["source"]["aliases"] == ["РИА Новости", "RIA", "RIA-Novosti"]
    assert body["report"][0].startswith(f"RIA (source {d['dup'].pk}) merged into RIA Novosti")
    assert sorted(body["claims"]) == sorted([d["both"].pk, d["only_dup"].pk])


def test_the_admin_merges_after_asking_which_source_to_keep(duplicates, editor):
    d = duplicates
    client = Client()
    client.force_login(editor)
    url = reverse("admin:sources_source_changelist")
    selected = {"action": "merge_sources", "_selected_action": [d["ria"].pk, d["dup"].pk]}
    asked = client.post(url, selected)
    assert asked.status_code == 200
    assert 'id="merge-candidates"' in asked.content.decode()
    done = client.post(url, {**selected, "confirm": "1", "keep": d["dup"].pk}, follow=True)
    assert done.status_code == 200
    assert not Source.objects.filter(pk=d["ria"].pk).exists()
    assert "RIA Novosti" in Source.objects.get(pk=d["dup"].pk).aliases


def test_merging_moves_and_joins_hops_on_both_sides_of_the_duplicate_and_keeps_the_evidence_of_both():
    keep, dup = SourceFactory(name="RIA Novosti"), SourceFactory(name="RIA")
    x, y, z = SourceFactory(name="X"), SourceFactory(name="Y"), SourceFactory(name="Z")
    first, second = DocumentFactory(title="First"), DocumentFactory(title="Second")
    claim = ClaimFactory()
    chain_record(
        claim=claim,
        hops=[
            HopInput(source=keep, relation="citing", quote="kept words", document=first, verified=True),
            HopInput(source=y),
        ],
    )
    chain_record(
        claim=claim,
        hops=[
            HopInput(source=x, relation="citing"),
            HopInput(source=dup, relation="citing", quote="other words", document=second),
            HopInput(source=y),
        ],
    )
    chain_record(claim=claim, hops=[HopInput(source=dup, relation="citing"), HopInput(source=z)])

    report = source_merge(keep=keep, merge=dup)

    edges = {
        (e.statement.source.name, e.upstream.source.name): e
        for e in Attribution.objects.filter(claim=claim).select_related("statement__source", "upstream__source")
    }
    assert set(edges) == {("X", "RIA Novosti"), ("RIA Novosti", "Y"), ("RIA Novosti", "Z")}
    joined = edges[("RIA Novosti", "Y")]
    # The hop recorded through both keeps what each had, the kept one's first.
    assert [(e.document, e.quote) for e in joined.evidence.all()] == [(first, "kept words"), (second, "other words")]
    assert joined.verified
    assert (report.edges_moved, report.edges_joined, report.statements_joined) == (2, 1, 1)


def test_a_joined_hop_takes_only_what_it_lacked_from_the_other():
    keep, dup, y = SourceFactory(name="Keep"), SourceFactory(name="Dup"), SourceFactory(name="Y")
    document = DocumentFactory()
    claim = ClaimFactory()
    chain_record(claim=claim, hops=[HopInput(source=keep, relation="citing"), HopInput(source=y)])
    chain_record(
        claim=claim,
        hops=[
            HopInput(source=dup, relation="citing", quote="their words", document=document, verified=True),
            HopInput(source=y),
        ],
    )

    source_merge(keep=keep, merge=dup)

    edge = Attribution.objects.get(claim=claim)
    assert [(e.document, e.quote) for e in edge.evidence.all()] == [(document, "their words")]
    assert edge.verified


def test_the_report_says_when_the_kept_source_became_confidential():
    keep = SourceFactory(name="An official")
    secret = SourceFactory(name="Colonel X", confidential=True, public_description="an official of the ministry")
    report = source_merge(keep=keep, merge=secret)
    assert report.lines()[-1] == "An official is now confidential: the duplicate was, and its names are now aliases."
    keep.refresh_from_db()
    assert (keep.confidential, keep.public_description) == (True, "an official of the ministry")


def test_a_taken_document_address_names_the_document_that_has_it(editor_client):
    taken = DocumentFactory(title="The first report", url="https://news.example.org/report")
    other = DocumentFactory(title="Another", url="https://news.example.org/another")

    created = editor_client.post("/api/v1/documents/", {"title": "Copy", "url": taken.url}, format="json")
    moved = editor_client.patch(f"/api/v1/documents/{other.pk}/", {"url": taken.url}, format="json")
    kept = editor_client.patch(f"/api/v1/documents/{taken.pk}/", {"url": taken.url, "title": "Renamed"}, format="json")

    message = f"Document {taken.pk} (“The first report”) already has this address; use that one."
    assert messages(created) == {"url": [message]}
    assert messages(moved) == {"url": [message]}
    assert kept.status_code == 200  # its own address is not a clash
