from __future__ import annotations

import pytest

from claims.services import HopInput, chain_record
from tests.errors import error_body, messages
from tests.factories import ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def graph(db):
    """RIA is the origin of one claim, relays a second, reports a third; a fourth never touches it."""
    ria, reuters, ministry, outlet = (SourceFactory(name=n) for n in ("RIA Novosti", "Reuters", "Ministry", "Outlet"))
    origin = ClaimFactory(text="RIA is the origin", rating="false")
    chain_record(claim=origin, hops=[HopInput(source=outlet), HopInput(source=reuters), HopInput(source=ria)])
    relayed = ClaimFactory(text="RIA relays it", status="draft", rating="true")
    chain_record(claim=relayed, hops=[HopInput(source=outlet), HopInput(source=ria), HopInput(source=ministry)])
    reported = ClaimFactory(text="RIA reports it", rating="false")
    chain_record(claim=reported, hops=[HopInput(source=ria), HopInput(source=ministry)])
    unrelated = ClaimFactory(text="Nothing to do with RIA")
    chain_record(claim=unrelated, hops=[HopInput(source=reuters), HopInput(source=ministry)])
    return {"ria": ria, "origin": origin, "relayed": relayed, "reported": reported}


def test_dependents_lists_each_claim_with_the_sources_role_and_distance(auditor_client, graph):
    response = auditor_client.get(f"/api/v1/sources/{graph['ria'].id}/dependents/")

    assert response.status_code == 200, response.data
    assert response.json() == {
        "next": None,
        "previous": None,
        "results": [
            {
                "id": graph["reported"].id,
                "text": "RIA reports it",
                "status": "published",
                "rating": "false",
                "role": "reporter",
                "distance": 0,
            },
            {
                "id": graph["relayed"].id,
                "text": "RIA relays it",
                "status": "draft",
                "rating": "true",
                "role": "intermediary",
                "distance": 1,
            },
            {
                "id": graph["origin"].id,
                "text": "RIA is the origin",
                "status": "published",
                "rating": "false",
                "role": "origin",
                "distance": 2,
            },
        ],
    }


def test_an_intermediary_is_at_the_distance_of_its_nearest_reporting_end(auditor_client):
    ria, reuters, outlet, ministry = (SourceFactory() for _ in range(4))
    claim = ClaimFactory()
    chain_record(
        claim=claim,
        hops=[HopInput(source=outlet), HopInput(source=reuters), HopInput(source=ria), HopInput(source=ministry)],
    )
    chain_record(claim=claim, hops=[HopInput(source=reuters), HopInput(source=ria)])

    results = auditor_client.get(f"/api/v1/sources/{ria.id}/dependents/").json()["results"]
    reuters_results = auditor_client.get(f"/api/v1/sources/{reuters.id}/dependents/").json()["results"]

    assert [(r["role"], r["distance"]) for r in results] == [("intermediary", 2)]
    assert [(r["role"], r["distance"]) for r in reuters_results] == [("intermediary", 1)]


def test_dependents_filter_on_status_and_rating(auditor_client, graph):
    url = f"/api/v1/sources/{graph['ria'].id}/dependents/"

    drafts = auditor_client.get(url, {"status": "draft"}).json()
    false = auditor_client.get(url, {"rating": "false"}).json()

    assert [r["id"] for r in drafts["results"]] == [graph["relayed"].id]
    assert [r["id"] for r in false["results"]] == [graph["reported"].id, graph["origin"].id]


def test_dependents_are_paginated_by_cursor_without_a_count(auditor_client, graph):
    url = f"/api/v1/sources/{graph['ria'].id}/dependents/"
    first = auditor_client.get(url, {"page_size": 2}).json()
    second = auditor_client.get(first["next"]).json()
    back = auditor_client.get(second["previous"]).json()

    assert "count" not in first
    assert [r["id"] for r in first["results"]] == [graph["reported"].id, graph["relayed"].id]
    assert ([r["id"] for r in second["results"]], second["next"]) == ([graph["origin"].id], None)
    assert back["results"] == first["results"]


def test_a_tampered_dependents_cursor_is_a_404(auditor_client, graph):
    response = auditor_client.get(f"/api/v1/sources/{graph['ria'].id}/dependents/", {"cursor": "cD0xOyBEUk9Q"})

    error_body(response, 404, "not_found")


def test_a_source_nothing_relies_on_has_no_dependents(auditor_client):
    body = auditor_client.get(f"/api/v1/sources/{SourceFactory().id}/dependents/").json()

    assert body == {"next": None, "previous": None, "results": []}


def test_dependents_of_an_unknown_source_is_a_404(auditor_client):
    error_body(auditor_client.get("/api/v1/sources/999999/dependents/"), 404, "not_found")


def test_a_bad_status_filter_is_a_400(auditor_client, graph):
    response = auditor_client.get(f"/api/v1/sources/{graph['ria'].id}/dependents/", {"status": "bogus"})

    assert list(messages(response)) == ["status"]


@pytest.mark.parametrize(("who", "expected"), [("anonymous", 401), ("outsider", 403), ("journalist", 200)])
def test_dependents_are_for_role_holders(who, expected, request, api_client, client_for, graph):
    client = api_client if who == "anonymous" else client_for(request.getfixturevalue(who))

    assert client.get(f"/api/v1/sources/{graph['ria'].id}/dependents/").status_code == expected


def test_dependents_are_a_fixed_number_of_queries(auditor_client, graph, django_assert_num_queries):
    # roles, the source, the page, the page's bare graphs (roles and distances): no count
    with django_assert_num_queries(4):
        response = auditor_client.get(f"/api/v1/sources/{graph['ria'].id}/dependents/")

    assert len(response.json()["results"]) == 3


def test_the_admins_roles_in_sql_and_the_apis_from_the_bare_graphs_agree(graph):
    # The source page counts roles in SQL (with_role_of); the API judges them on the
    # page's bare graphs (role_in). One graph, one answer, a loop included.
    from claims.models import Claim
    from claims.provenance import positions_of

    looped = ClaimFactory(text="RIA in a loop")
    ministry = SourceFactory(name="Loop ministry")
    chain_record(claim=looped, hops=[HopInput(source=graph["ria"]), HopInput(source=ministry)])
    chain_record(claim=looped, hops=[HopInput(source=ministry), HopInput(source=graph["ria"])])
    ria = graph["ria"].pk

    in_sql = dict(Claim.objects.with_role_of(ria).values_list("pk", "role"))
    in_graphs = {pk: role for pk, (role, _) in positions_of(list(in_sql), ria).items()}

    assert in_sql == in_graphs
    assert set(in_sql.values()) == {"origin", "intermediary", "reporter"}
