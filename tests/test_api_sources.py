from __future__ import annotations

import pytest

from claims.services import HopInput, chain_record
from sources.models import Source
from tests.conftest import iso
from tests.errors import error_body, messages
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    assert response.status_code == 200, response.data
    return [item["name"] for item in response.json()["results"]]


def test_an_editor_creates_a_source_with_cleaned_aliases(editor_client):
    government = SourceFactory(name="Government of Azerbaijan", kind="government")

    response = editor_client.post(
        "/api/v1/sources/",
        {
            "name": "Ministry of Defence of Azerbaijan",
            "kind": "government",
            "description": "The ministry's press service.",
            "aliases": [" MoD Azerbaijan ", "mod azerbaijan", "Müdafiə Nazirliyi"],
            "country": "AZ",
            "url": "https://mod.gov.az/",
            "wikidata_qid": "Q4291764",
            "parent": government.id,
            "reliability": "B",
        },
        format="json",
    )

    assert response.status_code == 201, response.data
    source = Source.objects.get(name="Ministry of Defence of Azerbaijan")
    assert response.json() == {
        "id": source.id,
        "name": "Ministry of Defence of Azerbaijan",
        "kind": "government",
        "description": "The ministry's press service.",
        "aliases": ["MoD Azerbaijan", "Müdafiə Nazirliyi"],
        "country": "AZ",
        "url": "https://mod.gov.az/",
        "wikidata_qid": "Q4291764",
        "parent": government.id,
        "reliability": "B",
        "confidential": False,
        "public_description": "",
        "created_at": iso(source.created_at),
        "updated_at": iso(source.updated_at),
    }


def test_an_editor_patches_a_source(editor_client):
    source = SourceFactory(name="Reuter")

    response = editor_client.patch(f"/api/v1/sources/{source.id}/", {"name": "Reuters", "aliases": ["Reuter"]})

    assert response.status_code == 200, response.data
    source.refresh_from_db()
    assert (source.name, source.aliases) == ("Reuters", ["Reuter"])
    assert response.json()["aliases"] == ["Reuter"]


def test_a_parent_loop_is_a_400_on_parent(editor_client):
    top = SourceFactory(name="Top")
    below = SourceFactory(name="Below", parent=top)

    response = editor_client.patch(f"/api/v1/sources/{top.id}/", {"parent": below.id}, format="json")

    assert messages(response) == {"parent": ["Below is already below Top: that would make a loop."]}


def test_a_duplicate_wikidata_qid_is_a_400(editor_client):
    SourceFactory(wikidata_qid="Q130879")

    response = editor_client.post("/api/v1/sources/", {"name": "Reuters again", "wikidata_qid": "Q130879"})

    assert messages(response) == {"wikidata_qid": ["source with this Wikidata QID already exists."]}


def test_an_unused_source_is_deleted(editor_client):
    source = SourceFactory()

    response = editor_client.delete(f"/api/v1/sources/{source.id}/")

    assert response.status_code == 204
    assert not Source.objects.filter(pk=source.pk).exists()


def test_a_source_still_used_cannot_be_deleted_and_says_why(editor_client):
    source = SourceFactory(name="RIA Novosti")
    chain_record(claim=ClaimFactory(), hops=[HopInput(source=source)])
    DocumentFactory(publisher=source)

    response = editor_client.delete(f"/api/v1/sources/{source.id}/")

    assert error_body(response, 409, "in_use")["detail"] == (
        "RIA Novosti is used by attribution chains, documents as their publisher; it cannot be deleted."
    )
    assert Source.objects.filter(pk=source.pk).exists()


def test_search_matches_the_name_and_the_aliases(journalist_client):
    SourceFactory(name="RIA Novosti", aliases=["Russian Information Agency", "RIA"])
    SourceFactory(name="Shusha city administration", aliases=["Shushi"])
    SourceFactory(name="Reuters")

    assert names(journalist_client.get("/api/v1/sources/", {"search": "information agency"})) == ["RIA Novosti"]
    assert names(journalist_client.get("/api/v1/sources/", {"search": "shushi"})) == ["Shusha city administration"]
    assert names(journalist_client.get("/api/v1/sources/", {"search": "reut"})) == ["Reuters"]
    # Wildcards are taken literally.
    assert names(journalist_client.get("/api/v1/sources/", {"search": "%"})) == []


def test_filters_on_kind_country_parent_and_reliability(journalist_client):
    government = SourceFactory(name="Government of Azerbaijan", kind="government", country="AZ", reliability="B")
    SourceFactory(name="Ministry of Defence", kind="government", country="AZ", parent=government)
    SourceFactory(name="TASS", kind="news_agency", country="RU", reliability="D")

    assert names(journalist_client.get("/api/v1/sources/", {"kind": "government"})) == [
        "Government of Azerbaijan",
        "Ministry of Defence",
    ]
    assert names(journalist_client.get("/api/v1/sources/", {"country": "ru"})) == ["TASS"]
    assert names(journalist_client.get("/api/v1/sources/", {"parent": government.id})) == ["Ministry of Defence"]
    assert names(journalist_client.get("/api/v1/sources/", {"reliability": "D"})) == ["TASS"]


def test_the_sources_list_is_sorted_by_name_and_paginated_with_a_count(journalist_client):
    for name in ["Charlie", "Alpha", "Bravo"]:
        SourceFactory(name=name)

    body = journalist_client.get("/api/v1/sources/", {"page_size": 2}).json()

    assert body["count"] == 3
    assert [s["name"] for s in body["results"]] == ["Alpha", "Bravo"]
    assert body["next"] == "http://testserver/api/v1/sources/?page=2&page_size=2"
    assert body["previous"] is None


def test_the_sources_list_is_a_fixed_number_of_queries(journalist_client, django_assert_num_queries):
    parent = SourceFactory()
    for _ in range(6):
        SourceFactory(parent=parent, aliases=["x", "y"])

    # roles, count, page
    with django_assert_num_queries(3):
        response = journalist_client.get("/api/v1/sources/")

    assert len(response.json()["results"]) == 7
