"""Two editors deciding the same proposal at once: one decision is made, the other is
told it was made already, and one claim is written (real threads, a real database)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from rest_framework.test import APIClient

from claims.models import Claim
from ingestion.models import Proposal
from sources.models import Document
from tests.factories import SourceFactory, UserFactory


def in_parallel(attempts) -> list:
    """Each attempt on its own thread (and database connection), released at once."""
    start = threading.Barrier(len(attempts))

    def run(attempt):
        start.wait()
        try:
            return attempt()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(attempts)) as pool:
        return list(pool.map(run, attempts))


def editor() -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(is_superuser=True))  # roles are emptied between these tests
    return client


@pytest.mark.parametrize("second", ["accept", "reject"])
def test_two_editors_deciding_one_proposal_make_one_decision(committed_db, second):
    outlet, reuters = SourceFactory(name="The Outlet"), SourceFactory(name="Reuters")
    first_client, second_client = editor(), editor()
    proposal = first_client.post(
        "/api/v1/documents/import/",
        {"text": "Troops crossed the river at dawn, Reuters reported.", "publisher": outlet.pk},
        format="json",
    ).json()["proposals"][0]
    assert proposal["hops"][1]["source"] == reuters.pk
    url = f"/api/v1/proposals/{proposal['id']}"

    answers = in_parallel(
        [
            lambda: first_client.post(f"{url}/accept/", {}, format="json").status_code,
            lambda: second_client.post(f"{url}/{second}/", {}, format="json").status_code,
        ]
    )

    decided = Proposal.objects.get(pk=proposal["id"])
    assert sorted(answers) in ([200, 400], [201, 400])
    assert Claim.objects.count() == (1 if decided.status == "accepted" else 0)
    assert (decided.claim_id is not None) == (decided.status == "accepted")


def test_two_editors_importing_one_article_at_once_make_one_document(committed_db):
    outlet = SourceFactory(name="The Outlet")
    article = {"text": "Troops crossed the river at dawn, Reuters reported.", "publisher": outlet.pk}
    first_client, second_client = editor(), editor()

    answers = in_parallel(
        [
            lambda: first_client.post("/api/v1/documents/import/", article, format="json"),
            lambda: second_client.post("/api/v1/documents/import/", article, format="json"),
        ]
    )

    assert sorted(answer.status_code for answer in answers) == [200, 201]
    assert answers[0].json() == answers[1].json()
    assert (Document.objects.count(), Proposal.objects.count()) == (1, 1)
