"""Two (or twenty) at once, against the real database: nothing lost, nothing doubled.

Each test starts its requests on threads released together by a barrier; every
thread has its own database connection, so the writes really race. The data
must commit between steps (``committed_db``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from claims.interop.claimreview_import import claimreview_import
from claims.models import Claim, Statement
from sources.models import Document, Source
from tests.errors import messages
from tests.factories import ClaimFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.usefixtures("committed_db")


def together(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at the same moment, each on its own thread and connection;
    answer their results (or the exceptions they raised), in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def editor_client() -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(is_superuser=True))
    return client


def test_two_patches_of_different_fields_both_land_every_time():
    claim = ClaimFactory(text="Round 0.", rating="")
    first, second = editor_client(), editor_client()
    url = f"/api/v1/claims/{claim.pk}/"
    for round_ in range(1, 41):
        text, rating = f"Round {round_}.", ["false", "true"][round_ % 2]
        a, b = together(
            lambda text=text: first.patch(url, {"text": text}, format="json"),
            lambda rating=rating: second.patch(url, {"rating": rating}, format="json"),
        )
        assert (a.status_code, b.status_code) == (200, 200)
        claim.refresh_from_db()
        assert (claim.text, claim.rating) == (text, rating), f"round {round_} lost a write"


def test_a_stale_if_match_is_refused_even_when_both_arrive_together():
    claim = ClaimFactory(text="Before.")
    client = editor_client()
    url = f"/api/v1/claims/{claim.pk}/"
    etag = client.get(url)["ETag"]
    answers = together(
        *[
            lambda i=i: editor_client().patch(url, {"text": f"Edit {i}."}, format="json", HTTP_IF_MATCH=etag)
            for i in range(4)
        ]
    )
    # Exactly one of the four read-then-write edits wins; the others are told, not lost.
    assert sorted(a.status_code for a in answers) == [200, 412, 412, 412]


def test_twenty_imports_naming_the_same_new_author_create_it_once():
    def review(i: int) -> dict:
        return {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "url": f"https://checks.example.net/{i}",
            "author": {"@type": "Organization", "name": "Checkers United"},
            "claimReviewed": f"Claim number {i} about the bridge.",
            "reviewRating": {"@type": "Rating", "alternateName": "False"},
            "itemReviewed": {"@type": "Claim", "author": {"@type": "Person", "name": "Brand New Person"}},
        }

    results = together(*[lambda i=i: claimreview_import(review(i)) for i in range(20)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Source.objects.filter(name="Brand New Person").count() == 1
    assert Statement.objects.filter(source__name="Brand New Person").count() == 20


def test_twenty_editors_creating_the_same_source_make_one_and_are_told_about_it():
    answers = together(*[lambda: editor_client().post("/api/v1/sources/", {"name": "RIA"}, format="json")] * 20)
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [400] * 19
    refused = next(a for a in answers if a.status_code == 400)
    by_field = messages(refused)
    assert list(by_field) == ["name"]
    assert "is already RIA (source" in by_field["name"][0]
    assert Source.objects.filter(name="RIA").count() == 1


def test_parents_set_crosswise_at_once_never_make_a_loop():
    for _ in range(10):
        a, b = SourceFactory(), SourceFactory()
        one, other = editor_client(), editor_client()
        answers = together(
            lambda a=a, b=b, one=one: one.patch(f"/api/v1/sources/{a.pk}/", {"parent": b.pk}, format="json"),
            lambda a=a, b=b, other=other: other.patch(f"/api/v1/sources/{b.pk}/", {"parent": a.pk}, format="json"),
        )
        assert sorted(x.status_code for x in answers) == [200, 400]
        refused = next(x for x in answers if x.status_code == 400)
        ((field, (message,)),) = messages(refused).items()
        assert field == "parent"
        assert "would make a loop" in message
        a.refresh_from_db()
        b.refresh_from_db()
        assert not (a.parent_id == b.pk and b.parent_id == a.pk)


def test_documents_with_the_same_new_url_at_once_give_one_document_and_clear_refusals():
    body = {"title": "The same article", "url": "https://news.example.org/same"}
    answers = together(*[lambda: editor_client().post("/api/v1/documents/", body, format="json")] * 10)
    assert sorted(a.status_code for a in answers) == [201] + [400] * 9
    assert all(list(messages(a)) == ["url"] for a in answers if a.status_code == 400)
    assert Document.objects.filter(url=body["url"]).count() == 1


def test_three_seed_loads_at_once_load_the_seeds_once():
    def load() -> str:
        call_command("load_seeds", "--dir", str(Path(settings.BASE_DIR) / "seeds"), stdout=open("/dev/null", "w"))
        return "ok"

    assert together(load, load, load) == ["ok", "ok", "ok"]
    assert Claim.objects.count() == 19
    assert Source.objects.count() == 5


def test_the_same_hop_recorded_twice_at_once_is_one_edge():
    claim = ClaimFactory()
    reuters, ria = SourceFactory(name="Reuters"), SourceFactory(name="RIA")
    body = {"hops": [{"source": reuters.pk, "relation": "citing"}, {"source": ria.pk}]}
    answers = together(*[lambda: editor_client().post(f"/api/v1/claims/{claim.pk}/chains/", body, format="json")] * 5)
    assert [a.status_code for a in answers] == [201] * 5
    assert Statement.objects.filter(claim=claim).count() == 2
    assert claim.attributions.count() == 1
