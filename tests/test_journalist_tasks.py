"""What a journalist comes to do, and how many requests it takes, anonymously, on the
seed data: each test is one task, done as a journalist would do it (curl, pandas, a
browser tool on another origin), with the number of requests pinned. The table in
the README is this file."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command

from claims.models import Claim, ClaimStatus
from sources.models import Source

pytestmark = pytest.mark.django_db


class Journalist:
    """An anonymous client that counts its requests."""

    def __init__(self, client) -> None:
        self.client, self.requests = client, 0

    def get(self, url: str, **params):
        self.requests += 1
        response = self.client.get(url, params)
        assert response.status_code == 200, response.content
        return response


@pytest.fixture
def seeded(db):
    call_command("load_seeds", stdout=io.StringIO())
    # The seed's claims, published as a newsroom would before journalists read them.
    Claim.objects.update(status=ClaimStatus.PUBLISHED)


@pytest.fixture
def journalist(api_client) -> Journalist:
    return Journalist(api_client)


def test_has_this_been_checked_in_another_language_and_spelling(seeded, journalist):
    # "Gandja", a transliteration the text does not use; the claim says "Ganja".
    results = journalist.get("/api/v1/claims/", search="F16 Gandja").json()["results"]

    assert "Ganja International Airport" in results[0]["text"]
    assert journalist.requests == 1


def test_claims_that_rest_on_ria_by_name_not_by_id(seeded, journalist):
    results = journalist.get("/api/v1/claims/", source="RIA").json()["results"]

    assert results and all("id" in claim for claim in results)
    assert journalist.requests == 1


def test_last_months_published_claims_with_their_origins_as_a_spreadsheet(seeded, journalist):
    response = journalist.get(
        "/api/v1/claims/", status="published", max_age_days="31", include="origins,flags", format="csv"
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert len(rows) == Claim.objects.count()
    assert all(row["origins"] for row in rows)
    assert journalist.requests == 1  # before: 4 list pages and 18 trace calls


def test_the_full_provenance_of_every_claim_on_a_page(seeded, journalist):
    page = journalist.get("/api/v1/claims/", page_size="50").json()["results"]
    ids = ",".join(str(claim["id"]) for claim in page)
    traces = journalist.get("/api/v1/claims/traces/", ids=ids).json()

    assert len(traces["results"]) == len(page) and traces["missing"] == []
    assert journalist.requests == 2  # before: 1 + one trace per claim


def test_is_this_a_single_source_story(seeded, journalist):
    troops = Claim.objects.get(text__startswith="Turkish troops are in Azerbaijan")
    trace = journalist.get(f"/api/v1/claims/{troops.pk}/trace/").json()

    assert trace["independent_origins"] == 1
    assert "single_origin" in trace["flags"]
    assert journalist.requests == 1


def test_everything_that_relies_on_a_source_now_in_doubt(seeded, journalist):
    ria = Source.objects.get(name="RIA Novosti")
    results = journalist.get("/api/v1/claims/", source=str(ria.pk), include="origins").json()["results"]

    assert results
    assert journalist.requests == 1


def test_harvesting_our_reviews_then_only_what_changed(seeded, journalist):
    Claim.objects.update(rating="mostly_true")
    first = journalist.get("/api/v1/claimreview/", page_size="200").json()
    since = max(review["dateModified"] for review in first["results"])
    later = journalist.get("/api/v1/claimreview/", modified_since=since).json()

    assert len(first["results"]) == Claim.objects.count() and first["next"] is None
    assert len(later["results"]) >= 1
    assert journalist.requests == 2


def test_checking_whether_a_claim_changed_costs_nothing_when_it_did_not(seeded, api_client):
    claim = Claim.objects.first()
    first = api_client.get(f"/api/v1/claims/{claim.pk}/")
    again = api_client.get(f"/api/v1/claims/{claim.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])

    assert (first.status_code, again.status_code) == (200, 304)
    assert again.content == b""
