"""GET /api/v1/{claims,sources,documents}/{id}/history/: auditors read who changed what."""

from __future__ import annotations

import pytest
from django.utils.dateparse import parse_datetime

from claims.models import Claim, ClaimStatus
from tests.errors import detail, error_body
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_auditor_reads_a_claims_history_oldest_first(client_for, auditor):
    claim = ClaimFactory(text="Troops are in Azerbaijan.", status=ClaimStatus.DRAFT)
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.IN_REVIEW)

    response = client_for(auditor).get(f"/api/v1/claims/{claim.pk}/history/")

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    inserted, updated = body["results"]
    assert parse_datetime(inserted["at"]) is not None
    assert {k: v for k, v in inserted.items() if k not in ("at", "diff")} == {
        "actor": None,
        "app": None,
        "url": None,
        "model": "claim",
        "object_id": claim.pk,
        "action": "insert",
        "summary": f"Created claim {claim.pk}: 'Troops are in Azerbaijan.'",
    }
    assert inserted["diff"]["text"] == [None, "Troops are in Azerbaijan."]
    assert {k: v for k, v in updated.items() if k != "at"} == {
        "actor": None,
        "app": None,
        "url": None,
        "model": "claim",
        "object_id": claim.pk,
        "action": "update",
        "diff": {"status": ["draft", "in_review"]},
        "summary": f"Changed status of claim {claim.pk} from 'draft' to 'in_review'",
    }


def test_change_through_the_api_records_the_actor_and_app_api(client_for, editor, auditor):
    claim = ClaimFactory(status=ClaimStatus.DRAFT, rating="")

    patched = client_for(editor).patch(f"/api/v1/claims/{claim.pk}/", {"rating": "false"}, format="json")
    assert patched.status_code == 200, patched.json()

    entry = client_for(auditor).get(f"/api/v1/claims/{claim.pk}/history/").json()["results"][-1]
    assert {k: entry[k] for k in ("actor", "app", "url", "model", "action", "diff")} == {
        "actor": "alice",
        "app": "api",
        "url": f"/api/v1/claims/{claim.pk}/",
        "model": "claim",
        "action": "update",
        "diff": {"rating": ["", "false"]},
    }


def test_chain_recorded_through_the_api_shows_in_the_claims_history(client_for, editor, auditor):
    claim = ClaimFactory()
    reuters, ria = SourceFactory(name="Reuters"), SourceFactory(name="RIA Novosti")

    recorded = client_for(editor).post(
        f"/api/v1/claims/{claim.pk}/chains/",
        {"hops": [{"source": reuters.pk, "relation": "citing"}, {"source": ria.pk}]},
        format="json",
    )
    assert recorded.status_code == 201, recorded.json()

    results = client_for(auditor).get(f"/api/v1/claims/{claim.pk}/history/").json()["results"]
    assert [(e["model"], e["action"], e["actor"], e["app"]) for e in results] == [
        ("claim", "insert", None, None),
        ("statement", "insert", "alice", "api"),
        ("statement", "insert", "alice", "api"),
        ("attribution", "insert", "alice", "api"),
    ]
    assert results[-1]["diff"]["relation"] == [None, "citing"]


def test_source_history_includes_its_deletion_through_the_api(client_for, editor, auditor):
    source = SourceFactory(name="Short-lived")

    assert client_for(editor).delete(f"/api/v1/sources/{source.pk}/").status_code == 204

    results = client_for(auditor).get(f"/api/v1/sources/{source.pk}/history/").json()["results"]
    assert [(e["action"], e["actor"], e["app"], e["diff"]["name"]) for e in results] == [
        ("insert", None, None, [None, "Short-lived"]),
        ("delete", "alice", "api", ["Short-lived", None]),
    ]


def test_document_history_lists_its_changes(client_for, auditor):
    document = DocumentFactory(title="Drills")
    document.title = "Joint drills"
    document.save()

    results = client_for(auditor).get(f"/api/v1/documents/{document.pk}/history/").json()["results"]

    assert [(e["model"], e["action"], e["diff"].get("title")) for e in results] == [
        ("document", "insert", [None, "Drills"]),
        ("document", "update", ["Drills", "Joint drills"]),
    ]


def test_history_is_paginated(client_for, auditor):
    claim = ClaimFactory(text="Version 0")
    for i in range(1, 5):
        Claim.objects.filter(pk=claim.pk).update(text=f"Version {i}")

    first = client_for(auditor).get(f"/api/v1/claims/{claim.pk}/history/?page_size=2").json()
    last = client_for(auditor).get(f"/api/v1/claims/{claim.pk}/history/?page_size=2&page=3").json()

    assert first["count"] == 5
    assert first["next"].endswith(f"/api/v1/claims/{claim.pk}/history/?page=2&page_size=2")
    assert [e["diff"]["text"][1] for e in first["results"]] == ["Version 0", "Version 1"]
    assert [e["diff"]["text"] for e in last["results"]] == [["Version 3", "Version 4"]]


@pytest.mark.parametrize("kind", ["claims", "sources", "documents"])
def test_unknown_id_is_404(client_for, auditor, kind):
    response = client_for(auditor).get(f"/api/v1/{kind}/987654/history/")

    assert detail(response, 404, "not_found") == "Not found."


@pytest.mark.parametrize("kind", ["claims", "sources", "documents"])
@pytest.mark.parametrize("who", ["journalist", "editor", "outsider"])
def test_users_without_the_auditor_role_get_403(client_for, request, who, kind):
    user = request.getfixturevalue(who)
    obj = {"claims": ClaimFactory, "sources": SourceFactory, "documents": DocumentFactory}[kind]()

    response = client_for(user).get(f"/api/v1/{kind}/{obj.pk}/history/")

    assert detail(response, 403, "permission_denied") == "Change history is for auditors."


def test_anonymous_client_gets_401(api_client):
    claim = ClaimFactory()

    response = api_client.get(f"/api/v1/claims/{claim.pk}/history/")

    assert detail(response, 401, "not_authenticated") == "Authentication credentials were not provided."


def test_superuser_reads_history(client_for):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    claim = ClaimFactory()

    assert client_for(admin).get(f"/api/v1/claims/{claim.pk}/history/").status_code == 200


def test_history_is_read_only(client_for, auditor):
    claim = ClaimFactory()

    response = client_for(auditor).post(f"/api/v1/claims/{claim.pk}/history/", {}, format="json")

    error_body(response, 403, "permission_denied")


@pytest.mark.parametrize("edits", [0, 60])
def test_claim_history_query_count_does_not_grow_with_events(
    client_for, auditor, seed_like_chain, django_assert_num_queries, edits
):
    claim = seed_like_chain["claim"]
    for i in range(edits):
        Claim.objects.filter(pk=claim.pk).update(text=f"Edit {i}")
    client = client_for(auditor)

    # The auditor's roles, the count, the page (read in the database, not all of it), and
    # the names it refers to: statements' sources, sources, documents.
    with django_assert_num_queries(6):
        response = client.get(f"/api/v1/claims/{claim.pk}/history/?page_size=200")

    assert response.json()["count"] == 12 + edits  # claim, appearance, 4 statements, 3 hops, their 3 pieces of evidence


def test_a_page_of_history_is_read_alone_and_pages_meet_without_gaps(client_for, auditor, seed_like_chain):
    claim = seed_like_chain["claim"]
    for i in range(25):
        Claim.objects.filter(pk=claim.pk).update(text=f"Edit {i}")
    client = client_for(auditor)
    pages = [
        client.get(f"/api/v1/claims/{claim.pk}/history/", {"page_size": 10, "page": n}).json() for n in (1, 2, 3, 4)
    ]
    whole = client.get(f"/api/v1/claims/{claim.pk}/history/", {"page_size": 200}).json()["results"]
    assert [len(p["results"]) for p in pages] == [10, 10, 10, 7]
    assert [e for p in pages for e in p["results"]] == whole


def test_source_history_query_count(client_for, auditor, django_assert_num_queries):
    source = SourceFactory()
    for i in range(10):
        source.name = f"Name {i}"
        source.save()
    client = client_for(auditor)

    with django_assert_num_queries(3):
        response = client.get(f"/api/v1/sources/{source.pk}/history/")

    assert response.json()["count"] == 11


def test_entries_name_what_they_refer_to(client_for, auditor, seed_like_chain):
    claim, document = seed_like_chain["claim"], seed_like_chain["document"]

    results = client_for(auditor).get(f"/api/v1/claims/{claim.pk}/history/").json()["results"]

    edges = list(claim.attributions.order_by("id"))
    appearance = claim.appearances.get()
    summaries = [e["summary"] for e in results]
    assert f"Created appearance {appearance.pk}: in “{document.title}”" in summaries
    assert f"Created attribution {edges[1].pk}: Reuters citing RIA Novosti" in summaries
    assert f"Created attribution {edges[2].pk}: RIA Novosti informed by Ministry of Defence of Azerbaijan" in summaries
    words, piece = "“Reuters said, citing Russia’s RIA news agency”", edges[1].evidence.get().pk
    assert f"Created evidence {piece}: {words} in “{document.title}”, for Reuters citing RIA Novosti" in summaries
    # The diff keeps its ids: clients join them as they wish.
    created = next(e for e in results if e["model"] == "attribution" and e["object_id"] == edges[1].pk)
    assert created["diff"]["statement"] == [None, edges[1].statement_id]
