"""Filters that say no: every list parameter does what it says or answers 400 saying
why; sources and topics are there to look ids up by, for anyone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from claims.models import Claim
from claims.services import HopInput, chain_record
from tests.errors import messages
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, TopicFactory

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


@pytest.mark.parametrize(
    ("url", "unknown"),
    [
        ("/api/v1/claims/?lang=ru", ["lang"]),
        ("/api/v1/claims/?q=Ganja&query=Ganja", ["q", "query"]),
        ("/api/v1/claims/?publisher=3", ["publisher"]),
        ("/api/v1/claims/?ordering=-id", ["ordering"]),
        ("/api/v1/sources/?name=RIA", ["name"]),
        ("/api/v1/documents/?lang=en", ["lang"]),
        ("/api/v1/topics/?search=x", ["search"]),
    ],
)
def test_an_unknown_parameter_is_a_400_naming_the_known_ones(url, unknown, client_for, editor):
    response = client_for(editor).get(url)

    by_field = messages(response)
    assert sorted(by_field) == unknown
    message = by_field[unknown[0]][0]
    assert message.startswith(f"This list has no parameter {unknown[0]!r}; it knows: ")
    assert "page_size" in message


def test_known_parameters_and_paging_are_accepted(api_client):
    ClaimFactory()
    assert api_client.get("/api/v1/claims/?page_size=1&format=json&language=en&status=published").status_code == 200


def test_status_and_rating_take_several_values(client_for, editor):
    false = ClaimFactory(rating="false", status="published")
    mostly_false = ClaimFactory(rating="mostly_false", status="in_review")
    ClaimFactory(rating="true", status="draft")
    client = client_for(editor)

    assert set(ids(client.get("/api/v1/claims/?rating=false&rating=mostly_false"))) == {false.id, mostly_false.id}
    assert set(ids(client.get("/api/v1/claims/?rating=false,mostly_false"))) == {false.id, mostly_false.id}
    assert set(ids(client.get("/api/v1/claims/?status=published,in_review"))) == {false.id, mostly_false.id}
    bad = client.get("/api/v1/claims/?rating=false,great")
    ((field, (message,)),) = messages(bad).items()
    assert field == "rating"
    assert "great" in message


def test_rated_and_unrated(api_client):
    rated = ClaimFactory(rating="false")
    unrated = ClaimFactory(rating="")

    assert ids(api_client.get("/api/v1/claims/?rated=true")) == [rated.id]
    assert ids(api_client.get("/api/v1/claims/?rated=false")) == [unrated.id]
    assert list(messages(api_client.get("/api/v1/claims/?rated=maybe"))) == ["rated"]


def test_max_age_days_counts_from_publication_or_else_creation(client_for, editor):
    old = ClaimFactory(status="published")
    recent = ClaimFactory(status="published")
    draft = ClaimFactory(status="draft")
    Claim.objects.filter(pk=old.pk).update(published_at=timezone.now() - timedelta(days=40))
    Claim.objects.filter(pk=recent.pk).update(published_at=timezone.now() - timedelta(days=3))
    Claim.objects.filter(pk=draft.pk).update(created_at=timezone.now() - timedelta(days=10))
    client = client_for(editor)

    assert ids(client.get("/api/v1/claims/?max_age_days=7")) == [recent.id]
    assert set(ids(client.get("/api/v1/claims/?max_age_days=30"))) == {recent.id, draft.id}
    for bad in ("-1", "1.5e9", "x"):
        response = client.get(f"/api/v1/claims/?max_age_days={bad}")
        assert list(messages(response)) == ["max_age_days"]


def test_a_source_is_named_by_id_name_or_alias_in_any_case(api_client):
    ria = SourceFactory(name="RIA Novosti", aliases=["RIA"])
    claim = ClaimFactory(status="published")
    chain_record(claim=claim, hops=[HopInput(source=SourceFactory()), HopInput(source=ria)])

    for value in (str(ria.id), "RIA Novosti", "ria novosti", "RIA", "R.I.A."):
        assert ids(api_client.get("/api/v1/claims/", {"source": value})) == [claim.id], value
        assert ids(api_client.get("/api/v1/claims/", {"origin": value})) == [claim.id], value
    response = api_client.get("/api/v1/claims/", {"source": "Pravda"})
    assert messages(response) == {
        "source": ["No source has this id or name; find a source's id with /api/v1/sources/?search=..."]
    }


def test_a_confidential_source_is_not_found_by_name_without_clearance(api_client, client_for, editor):
    insider = SourceFactory(name="Colonel Nazarov", confidential=True, public_description="An officer")
    claim = ClaimFactory(status="published")
    chain_record(claim=claim, hops=[HopInput(source=insider)])

    assert list(messages(api_client.get("/api/v1/claims/", {"source": "Colonel Nazarov"}))) == ["source"]
    assert ids(api_client.get("/api/v1/claims/", {"source": insider.id})) == [claim.id]
    assert ids(client_for(editor).get("/api/v1/claims/", {"source": "Colonel Nazarov"})) == [claim.id]


def test_documents_filter_on_several_languages(client_for, editor):
    en, ru = DocumentFactory(language="en"), DocumentFactory(language="ru")
    DocumentFactory(language="tr")

    assert set(ids(client_for(editor).get("/api/v1/documents/?language=en,ru"))) == {en.id, ru.id}


def test_anyone_reads_the_sources_published_claims_name_and_their_organisations(api_client, client_for, editor):
    government = SourceFactory(name="Government of Azerbaijan")
    ministry = SourceFactory(name="Ministry of Defence", parent=government)
    unit = SourceFactory(name="Press service", parent=ministry)
    only_in_a_draft = SourceFactory(name="Draft-only Source")
    insider = SourceFactory(name="Colonel Nazarov", confidential=True, public_description="An officer")
    chain_record(claim=ClaimFactory(status="published"), hops=[HopInput(source=unit), HopInput(source=insider)])
    chain_record(claim=ClaimFactory(status="draft"), hops=[HopInput(source=only_in_a_draft)])

    public = api_client.get("/api/v1/sources/").json()["results"]
    assert {s["id"] for s in public} == {government.id, ministry.id, unit.id, insider.id}
    [masked] = [s for s in public if s["id"] == insider.id]
    assert masked["name"] == f"An officer (confidential source {insider.id})"
    assert api_client.get(f"/api/v1/sources/{only_in_a_draft.id}/").status_code == 404
    assert len(client_for(editor).get("/api/v1/sources/").json()["results"]) == 5


def test_topics_are_listed_with_the_claims_each_reader_may_read(api_client, client_for, editor):
    military, empty = TopicFactory(name="Military", slug="military"), TopicFactory(name="Weather", slug="weather")
    ClaimFactory(status="published").topics.add(military)
    ClaimFactory(status="draft").topics.add(military)

    public = {t["slug"]: t["claims"] for t in api_client.get("/api/v1/topics/").json()["results"]}
    internal = {t["slug"]: t["claims"] for t in client_for(editor).get("/api/v1/topics/").json()["results"]}

    # A topic no published claim carries is the newsroom's own business (it may name
    # what is being checked): the public does not see it, the roles do.
    assert public == {"military": 1}
    assert internal == {"military": 2, "weather": 0}
    assert api_client.get(f"/api/v1/topics/{empty.id}/").status_code == 404
    assert client_for(editor).get(f"/api/v1/topics/{empty.id}/").json()["name"] == "Weather"


def test_the_topics_list_is_a_fixed_number_of_queries(api_client, django_assert_num_queries):
    for i in range(5):
        ClaimFactory(status="published").topics.add(TopicFactory(name=f"T{i}", slug=f"t{i}"))

    with django_assert_num_queries(2):  # the count and the page
        assert len(api_client.get("/api/v1/topics/").json()["results"]) == 5
