"""The change history is complete (nothing bypasses the triggers) and append-only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pghistory
import pytest
from django.conf import settings
from django.core import serializers
from django.db import ProgrammingError, connection, transaction

from claims.history import history_for
from claims.models import Claim, ClaimStatus, Evidence
from claims.services import HopInput, attribution_delete, chain_record, claim_update
from core.history import read_history
from core.history_context import command_context
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


def own_history(obj):
    return read_history([(type(obj), "own")], obj.pk)


def _actions(entries) -> list[tuple[str, int, str]]:
    return [(e.model, e.object_id, e.action) for e in entries]


def test_insert_lists_every_field_with_no_before():
    claim = ClaimFactory(text="Troops are in Azerbaijan.", status=ClaimStatus.DRAFT)

    (entry,) = history_for(claim)

    assert (entry.model, entry.object_id, entry.action) == ("claim", claim.pk, "insert")
    assert entry.diff["text"] == [None, "Troops are in Azerbaijan."]
    assert entry.diff["status"] == [None, "draft"]
    assert entry.diff["rating"] == [None, ""]
    assert entry.diff["event_start"] == [None, None]
    assert set(entry.diff) == {
        "id",
        "text",
        "status",
        "rating",
        "rating_explanation",
        "event_start",
        "event_end",
        "event_approximate",
        "language",
        "published_at",
        "created_by",
        "created_at",
    }
    assert entry.summary == f"Created claim {claim.pk}: 'Troops are in Azerbaijan.'"
    assert (entry.actor, entry.actor_id, entry.app, entry.url) == (None, None, None, None)


def test_update_lists_only_the_changed_fields():
    claim = ClaimFactory(status=ClaimStatus.DRAFT)
    claim_update(claim=claim, status=ClaimStatus.IN_REVIEW, rating="false")

    entry = history_for(claim)[-1]

    assert entry.action == "update"
    assert entry.diff == {"status": ["draft", "in_review"], "rating": ["", "false"]}
    assert entry.summary == f"Changed status, rating of claim {claim.pk}"


def test_bulk_update_shows_up_in_the_history():
    first, second = ClaimFactory(status=ClaimStatus.DRAFT), ClaimFactory(status=ClaimStatus.DRAFT)

    Claim.objects.filter(pk__in=[first.pk, second.pk]).update(status=ClaimStatus.RETRACTED)

    for claim in (first, second):
        entry = history_for(claim)[-1]
        assert (entry.action, entry.diff) == ("update", {"status": ["draft", "retracted"]})
        assert entry.summary == f"Changed status of claim {claim.pk} from 'draft' to 'retracted'"


def test_bulk_create_shows_up_in_the_history():
    created = Claim.objects.bulk_create([Claim(text="Bulk one."), Claim(text="Bulk two.")])

    for claim, text in zip(created, ["Bulk one.", "Bulk two."], strict=True):
        (entry,) = history_for(claim)
        assert (entry.action, entry.diff["text"]) == ("insert", [None, text])


def test_raw_sql_update_shows_up_with_no_app_or_actor():
    claim = ClaimFactory(text="Before.")

    with connection.cursor() as cursor:
        cursor.execute("UPDATE claims_claim SET text = %s WHERE id = %s", ["After.", claim.pk])

    entry = history_for(claim)[-1]
    assert (entry.action, entry.diff) == ("update", {"text": ["Before.", "After."]})
    assert (entry.actor, entry.actor_id, entry.app, entry.url) == (None, None, None, None)


def test_change_inside_an_api_context_records_the_actor_and_app():
    auditor = UserFactory(username="dana")
    claim = ClaimFactory(status=ClaimStatus.DRAFT)
    chain_record(claim=claim, hops=[HopInput(source=SourceFactory())])

    with pghistory.context(user=auditor.pk, url=f"/api/v1/claims/{claim.pk}/", app="api"):
        claim_update(claim=claim, status=ClaimStatus.PUBLISHED, confirm=["no_rating", "single_origin"])

    entry = [e for e in history_for(claim) if e.model == "claim"][-1]
    assert (entry.actor, entry.actor_id, entry.app, entry.url) == (
        "dana",
        auditor.pk,
        "api",
        f"/api/v1/claims/{claim.pk}/",
    )
    assert entry.diff["status"] == ["draft", "published"]
    assert entry.diff["published_at"][0] is None
    assert entry.diff["published_at"][1] is not None


def test_actor_of_a_deleted_user_keeps_the_id_without_a_name():
    user = UserFactory(username="gone")
    claim = ClaimFactory()
    with pghistory.context(user=user.pk, app="admin"):
        claim_update(claim=claim, text="Edited by someone who left.")
    user_id = user.pk
    user.delete()

    entry = history_for(claim)[-1]
    assert (entry.actor, entry.actor_id, entry.app) == (None, user_id, "admin")


def test_command_context_records_app_command_and_its_name():
    claim = ClaimFactory(text="Loaded.")

    with command_context(["manage.py", "load_seeds"]):
        Claim.objects.filter(pk=claim.pk).update(text="Loaded again.")

    entry = history_for(claim)[-1]
    assert (entry.app, entry.url, entry.actor) == ("command", "load_seeds", None)


def test_claim_history_merges_appearances_statements_and_attributions(seed_like_chain):
    claim = seed_like_chain["claim"]
    document = seed_like_chain["document"]

    entries = history_for(claim)

    statements = list(claim.statements.order_by("id"))
    edges = list(claim.attributions.order_by("id"))
    evidence = list(Evidence.objects.filter(claim=claim).order_by("id"))
    appearance = claim.appearances.get()
    assert _actions(entries) == [
        ("claim", claim.pk, "insert"),
        ("appearance", appearance.pk, "insert"),
        *[("statement", s.pk, "insert") for s in statements],
        *[("attribution", e.pk, "insert") for e in edges],
        *[("evidence", e.pk, "insert") for e in evidence],
    ]
    assert entries[1].summary == f"Created appearance {appearance.pk}: in document {document.pk}"
    reuters_to_ria = edges[1]
    created = [e for e in entries if e.model == "attribution"][1]
    assert created.summary == (
        f"Created attribution {reuters_to_ria.pk}: statement {reuters_to_ria.statement_id} citing "
        f"statement {reuters_to_ria.upstream_id}"
    )
    # Foreign keys are named as fields and valued as ids.
    assert created.diff["relation"] == [None, "citing"]
    its_evidence = [e for e in entries if e.model == "evidence"][1]
    assert its_evidence.diff["attribution"] == [None, reuters_to_ria.pk]
    assert its_evidence.diff["document"] == [None, document.pk]


def test_topic_changes_are_in_the_claim_history():
    war, drills = TopicFactory(name="War"), TopicFactory(name="Drills")
    claim = ClaimFactory()
    claim_update(claim=claim, topics=[war])
    claim_update(claim=claim, topics=[drills])

    entries = [e for e in history_for(claim) if e.model == "claimtopic"]

    assert [(e.action, e.diff["topic"]) for e in entries] == [
        ("insert", [None, war.pk]),
        ("delete", [war.pk, None]),
        ("insert", [None, drills.pk]),
    ]
    assert entries[0].summary == f"Created claim topic {entries[0].object_id}: topic {war.pk}"


def test_deleted_attribution_stays_in_the_claim_history_with_its_last_values(seed_like_chain):
    claim = seed_like_chain["claim"]
    edge = claim.attributions.order_by("id").last()
    edge_id = edge.pk

    evidence_id = edge.evidence.get().pk

    attribution_delete(attribution=edge)

    entries = history_for(claim)
    entry = [e for e in entries if e.model == "attribution"][-1]
    its_evidence = [e for e in entries if e.model == "evidence"][-1]
    assert (entry.model, entry.object_id, entry.action) == ("attribution", edge_id, "delete")
    assert (its_evidence.model, its_evidence.object_id, its_evidence.action) == ("evidence", evidence_id, "delete")
    assert entry.diff["relation"] == ["informed_by", None]
    assert entry.diff["verified"] == [False, None]
    assert entry.summary.startswith(f"Deleted attribution {edge_id}: statement ")


def test_claim_history_leaves_out_other_claims():
    claim, other = ClaimFactory(), ClaimFactory()
    Claim.objects.filter(pk=other.pk).update(text="Someone else's edit.")

    assert _actions(history_for(claim)) == [("claim", claim.pk, "insert")]


def test_source_and_document_histories_are_their_own_events():
    source = SourceFactory(name="RIA")
    document = DocumentFactory(title="Drills", publisher=source)
    source.name = "RIA Novosti"
    source.save()

    assert [(e.action, e.diff.get("name")) for e in own_history(source)] == [
        ("insert", [None, "RIA"]),
        ("update", ["RIA", "RIA Novosti"]),
    ]
    assert _actions(own_history(document)) == [("document", document.pk, "insert")]
    assert own_history(document)[0].diff["publisher"] == [None, source.pk]


def test_history_of_a_deleted_source_can_still_be_read():
    source = SourceFactory(name="Short-lived")
    source_id = source.pk
    source.delete()

    entries = own_history(SourceFactory.build(pk=source_id))

    assert [(e.action, e.diff["name"]) for e in entries] == [
        ("insert", [None, "Short-lived"]),
        ("delete", ["Short-lived", None]),
    ]


def test_saving_without_a_change_is_recorded_with_an_empty_diff():
    claim = ClaimFactory()
    claim.save()  # only updated_at moves

    entry = history_for(claim)[-1]
    assert (entry.action, entry.diff) == ("update", {})
    assert entry.summary == f"Saved claim {claim.pk} without changing a field"


def test_history_is_read_in_one_query_however_many_events(django_assert_num_queries, seed_like_chain):
    claim = seed_like_chain["claim"]
    for i in range(30):
        Claim.objects.filter(pk=claim.pk).update(text=f"Edit {i}")

    with django_assert_num_queries(1):
        entries = history_for(claim)

    assert len(entries) == 1 + 1 + 4 + 3 + 3 + 30  # claim, appearance, statements, hops, evidence, edits


def test_history_is_in_time_order_across_transactions(committed_db):
    # Not the default ``db``: inside one test transaction every event has the same time.
    claim = ClaimFactory(status=ClaimStatus.DRAFT)
    source = SourceFactory()

    chain_record(claim=claim, hops=[HopInput(source=source)])
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.IN_REVIEW)

    entries = history_for(claim)
    assert [(e.model, e.action) for e in entries] == [("claim", "insert"), ("statement", "insert"), ("claim", "update")]
    assert entries[0].at < entries[1].at < entries[2].at


def test_management_command_run_through_manage_py_records_app_command(committed_db, tmp_path):
    claim = ClaimFactory(text="Before the command.", status=ClaimStatus.DRAFT)
    record = json.loads(serializers.serialize("json", [claim]))
    record[0]["fields"]["text"] = "Loaded by a command."
    fixture = tmp_path / "claim.json"
    fixture.write_text(json.dumps(record))
    db = connection.settings_dict
    # The host may be a Unix socket folder (the embedded server): percent-encode it.
    host = quote(db["HOST"], safe="") + (f":{db['PORT']}" if db["PORT"] else "")
    env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{host}/{db['NAME']}"}

    result = subprocess.run(
        [sys.executable, "manage.py", "loaddata", str(fixture)],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr

    entry = history_for(claim)[-1]
    assert (entry.action, entry.diff["text"]) == ("update", ["Before the command.", "Loaded by a command."])
    assert (entry.app, entry.url, entry.actor) == ("command", "loaddata", None)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE claims_claimevent SET text = 'rewritten'",
        "DELETE FROM claims_claimevent",
        "UPDATE claims_attributionevent SET relation = 'other'",
        "DELETE FROM claims_statementevent",
        "DELETE FROM claims_appearanceevent",
        "UPDATE sources_sourceevent SET name = 'rewritten'",
        "DELETE FROM sources_documentevent",
    ],
)
def test_history_tables_refuse_update_and_delete(sql, seed_like_chain):
    Claim.objects.filter(pk=seed_like_chain["claim"].pk).update(text="One more event.")

    with pytest.raises(ProgrammingError, match="Cannot update or delete rows"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)


def test_database_refuses_to_delete_a_claim():
    claim = ClaimFactory()

    with pytest.raises(ProgrammingError, match="Cannot delete rows from claims_claim"), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).delete()

    assert Claim.objects.filter(pk=claim.pk).exists()
    assert [e.action for e in history_for(claim)] == ["insert"]
