"""Lists as tables: every list answers CSV as well as JSON, with the same filters and
all the records they select, and a page of claims carries what a table needs
(``include=origins,flags,review``) in a constant number of queries."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import Claim, ClaimStatus
from claims.services import HopInput, chain_record
from core import tables
from tests.errors import detail, messages
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def json_ids(client, url: str) -> list[int]:
    """Every id of a JSON list, following its next links."""
    found = []
    while url:
        body = client.get(url).json()
        found += [item["id"] for item in body["results"]]
        url = body["next"]
    return found


def test_a_csv_holds_every_claim_the_filters_select_in_the_order_of_the_json(api_client, monkeypatch):
    # Read in chunks of 7: the rows of every chunk, none twice, across the chunks' seams.
    monkeypatch.setattr(tables, "CHUNK", 7)
    published = [ClaimFactory(status=ClaimStatus.PUBLISHED, rating="false") for _ in range(60)]
    ClaimFactory(status=ClaimStatus.PUBLISHED, rating="true")
    ClaimFactory(status=ClaimStatus.DRAFT, rating="false")

    rows = read_csv(api_client.get("/api/v1/claims/?rating=false&format=csv"))

    assert [int(row["id"]) for row in rows] == [c.pk for c in reversed(published)]
    assert [int(row["id"]) for row in rows] == json_ids(api_client, "/api/v1/claims/?rating=false")
    assert rows[0]["text"] == published[-1].text
    assert rows[0]["status"] == "published"
    assert rows[0]["rating_value"] == "1"


def test_csv_is_chosen_by_the_accept_header_too(api_client):
    ClaimFactory(status=ClaimStatus.PUBLISHED)

    rows = read_csv(api_client.get("/api/v1/claims/", HTTP_ACCEPT="text/csv"))

    assert len(rows) == 1


def test_an_anonymous_csv_holds_no_draft(api_client):
    ClaimFactory(status=ClaimStatus.DRAFT, text="A draft nobody outside may read.")
    shown = ClaimFactory(status=ClaimStatus.PUBLISHED)

    rows = read_csv(api_client.get("/api/v1/claims/?format=csv"))

    assert [int(row["id"]) for row in rows] == [shown.pk]


def test_a_searched_csv_carries_score_and_snippet_best_first(api_client):
    ClaimFactory(status=ClaimStatus.PUBLISHED, text="Jets stayed at Ganja airport.")
    best = ClaimFactory(status=ClaimStatus.PUBLISHED, text="Turkish jets stayed at Ganja airport.")

    rows = read_csv(api_client.get("/api/v1/claims/?search=Turkish+jets+Ganja&format=csv"))

    assert int(rows[0]["id"]) == best.pk
    assert int(rows[0]["search.score"]) > int(rows[1]["search.score"])
    assert "<mark>" in rows[0]["search.snippet"]


def test_a_selection_over_the_limit_is_refused_not_cut(api_client, settings):
    settings.TABLE_MAX_ROWS = 3
    for _ in range(4):
        ClaimFactory(status=ClaimStatus.PUBLISHED)

    response = api_client.get("/api/v1/claims/?format=csv")

    assert "more than 3 records" in detail(response, 400, "too_many_rows")
    # Exactly at the limit, the table is given whole.
    settings.TABLE_MAX_ROWS = 4
    assert len(read_csv(api_client.get("/api/v1/claims/?format=csv"))) == 4


def test_an_error_asked_for_as_csv_is_answered_in_json(api_client):
    response = api_client.get("/api/v1/claims/?rating=great", HTTP_ACCEPT="text/csv")

    assert list(messages(response)) == ["rating"]


def test_a_detail_is_not_a_table(api_client):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)

    response = api_client.get(f"/api/v1/claims/{claim.pk}/", HTTP_ACCEPT="text/csv")

    assert detail(response, 406, "not_acceptable") == "Could not satisfy the request Accept header."


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_defused(api_client):
    ClaimFactory(status=ClaimStatus.PUBLISHED, text='=HYPERLINK("http://evil.example")', rating_explanation="-2+3")

    (row,) = read_csv(api_client.get("/api/v1/claims/?format=csv"))

    assert row["text"] == '\'=HYPERLINK("http://evil.example")'
    assert row["rating_explanation"] == "'-2+3"


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("+1", "+1"), ("-1.5", "-1.5"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("plain", "plain")],
)
def test_a_cell_is_defused_only_when_it_is_not_a_number(value, cell):
    assert tables.flatten({"v": value}) == {"v": cell}


def test_nested_values_become_dotted_columns_and_lists_one_cell():
    record = {"a": {"b": 1, "c": None}, "topics": ["x", "y"], "ok": True, "refs": [{"id": 3, "name": "RIA"}]}

    assert tables.flatten(record) == {"a.b": "1", "a.c": "", "topics": "x; y", "ok": "true", "refs": "RIA"}


def test_sources_csv_masks_a_confidential_source_and_lists_no_write_only_field(api_client):
    insider = SourceFactory(name="Colonel X", confidential=True, public_description="A source in the ministry")
    reuters = SourceFactory(name="Reuters")
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    chain_record(claim=claim, document=None, quote="", hops=[HopInput(source=reuters), HopInput(source=insider)])

    rows = read_csv(api_client.get("/api/v1/sources/?format=csv"))

    assert "confirm_distinct" not in rows[0]
    assert "Colonel X" not in str(rows)
    assert len(rows) == 2
    assert {row["name"] for row in rows} >= {"Reuters"}


def test_documents_and_dependents_and_topics_answer_csv(client_for, editor, seed_like_chain):
    client = client_for(editor)

    documents = read_csv(client.get("/api/v1/documents/?format=csv"))
    dependents = read_csv(client.get(f"/api/v1/sources/{seed_like_chain['ria'].pk}/dependents/?format=csv"))
    topics = read_csv(client.get("/api/v1/topics/?format=csv"))

    assert [row["title"] for row in documents] == [seed_like_chain["document"].title]
    assert [(int(row["id"]), row["role"], row["distance"]) for row in dependents] == [
        (seed_like_chain["claim"].pk, "intermediary", "2")
    ]
    assert topics == []


# --- include: what a table needs, on every page ----------------------------------------


def test_include_adds_origins_flags_and_our_review(api_client, seed_like_chain):
    claim = seed_like_chain["claim"]
    Claim.objects.filter(pk=claim.pk).update(
        status=ClaimStatus.PUBLISHED, rating="mostly_true", rating_explanation="Confirmed by both ministries."
    )

    (item,) = api_client.get("/api/v1/claims/?include=origins,flags,review").json()["results"]

    assert item["origins"] == [{"id": seed_like_chain["ministry"].pk, "name": "Ministry of Defence of Azerbaijan"}]
    assert item["independent_origins"] == 1
    assert "single_origin" in item["flags"]
    assert item["review"]["rating"] == "mostly_true"
    assert item["review"]["explanation"] == "Confirmed by both ministries."
    assert item["review"]["url"] == f"http://localhost:8000/api/v1/claims/{claim.pk}/"
    assert item["review"]["claimreview"].endswith(f"/claims/{claim.pk}/claimreview/")


def test_without_include_a_page_carries_none_of_it(api_client):
    ClaimFactory(status=ClaimStatus.PUBLISHED)

    (item,) = api_client.get("/api/v1/claims/").json()["results"]

    assert not {"origins", "independent_origins", "flags", "review"} & set(item)


def test_an_unrated_claim_has_no_review_yet(client_for, editor):
    ClaimFactory(status=ClaimStatus.IN_REVIEW, rating="false")

    (item,) = client_for(editor).get("/api/v1/claims/?include=review").json()["results"]

    assert item["review"] is None


def test_an_unknown_include_is_a_400_naming_the_choices(api_client):
    response = api_client.get("/api/v1/claims/?include=origins,history")

    ((field, (message,)),) = messages(response).items()
    assert field == "include"
    assert "history" in message
    assert "origins, flags, review" in message


def test_included_origins_mask_a_confidential_source_for_the_public(api_client, client_for, editor):
    insider = SourceFactory(name="Colonel X", kind="anonymous", confidential=True, public_description="An officer")
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    chain_record(claim=claim, document=DocumentFactory(), quote="q", hops=[HopInput(source=insider)])

    public = api_client.get("/api/v1/claims/?include=origins").json()["results"][0]["origins"]
    cleared = client_for(editor).get("/api/v1/claims/?include=origins").json()["results"][0]["origins"]

    assert "Colonel X" not in str(public)
    assert cleared[0]["name"] == "Colonel X"
    rows = read_csv(api_client.get("/api/v1/claims/?include=origins&format=csv"))
    assert "Colonel X" not in str(rows)


def _page_queries(api_client, more: int) -> int:
    """Adds ``more`` published claims with a chain each, then counts a page's queries."""
    for _ in range(more):
        claim = ClaimFactory(status=ClaimStatus.PUBLISHED, rating="false")
        chain_record(claim=claim, document=DocumentFactory(), quote="q", hops=[HopInput(source=SourceFactory())])
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/api/v1/claims/?include=origins,flags,review")
    assert all(item["origins"] for item in response.json()["results"])
    return len(queries)


def test_a_page_with_everything_included_costs_the_same_queries_for_2_claims_or_20(api_client):
    few = _page_queries(api_client, 2)
    many = _page_queries(api_client, 18)

    assert few == many
    assert few <= 5


# --- traces in a batch ----------------------------------------------------------------


def test_traces_of_several_claims_in_one_request_in_the_order_asked(api_client, seed_like_chain):
    troops = seed_like_chain["claim"]
    Claim.objects.filter(pk=troops.pk).update(status=ClaimStatus.PUBLISHED)
    other = ClaimFactory(status=ClaimStatus.PUBLISHED)
    chain_record(claim=other, document=None, quote="", hops=[HopInput(source=seed_like_chain["reuters"])])
    draft = ClaimFactory(status=ClaimStatus.DRAFT)

    response = api_client.get(f"/api/v1/claims/traces/?ids={other.pk},{draft.pk}&ids={troops.pk},999999&ids={other.pk}")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert [t["claim"]["id"] for t in body["results"]] == [other.pk, troops.pk]
    assert body["missing"] == [draft.pk, 999999]
    single = api_client.get(f"/api/v1/claims/{troops.pk}/trace/").json()
    assert body["results"][1] == single


def test_a_batch_of_traces_costs_the_same_queries_for_2_claims_or_20(api_client):
    def batch_queries(n):
        claims = []
        for _ in range(n):
            claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
            chain_record(claim=claim, document=DocumentFactory(), quote="q", hops=[HopInput(source=SourceFactory())])
            claims.append(claim.pk)
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get("/api/v1/claims/traces/", {"ids": ",".join(map(str, claims))})
        assert len(response.json()["results"]) == n
        return len(queries)

    assert batch_queries(2) == batch_queries(20)


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("", "ids", "Give at least one claim id."),
        ("ids=", "ids", "Give at least one claim id."),
        ("ids=" + ",".join(["1"] * 101), "ids", "Give at most 100 ids; this gave 101."),
        ("ids=1,x", "ids[1]", "A valid integer is required."),
        ("ids=0", "ids[0]", "Ensure this value is greater than or equal to 1."),
        ("ids=1&chain_limit=-1", "chain_limit", "Ensure this value is greater than or equal to 0."),
    ],
)
def test_a_bad_batch_is_a_400_saying_why(api_client, query, field, message):
    response = api_client.get(f"/api/v1/claims/traces/?{query}")

    assert messages(response) == {field: [message]}


def test_a_confidential_source_is_masked_in_a_batch_as_in_a_single_trace(api_client):
    insider = SourceFactory(name="Colonel X", kind="anonymous", confidential=True, public_description="An officer")
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)
    chain_record(claim=claim, document=DocumentFactory(), quote="q", hops=[HopInput(source=insider)])

    response = api_client.get(f"/api/v1/claims/traces/?ids={claim.pk}")

    assert "Colonel X" not in response.content.decode()
    assert response.json()["results"][0] == api_client.get(f"/api/v1/claims/{claim.pk}/trace/").json()
