"""Full-text search: what the searcher types is rewritten from its tokens, so no
input makes PostgreSQL fail, and the words still find the claims."""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.models import Claim
from claims.search import MAX_TERMS, web_search_text
from tests.factories import ClaimFactory


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("Ganja airport", "Ganja airport"),
        ('"Ganja   airport" troops', '"Ganja airport" troops'),
        ("troops -drones", "troops -drones"),
        ("---drones", "-drones"),
        ("-" * 500, ""),
        ("F-16 jets", "F-16 jets"),
        ("x------y", "x-y"),
        ("tanks or or drones", "tanks or drones"),
        ("or tanks or", "tanks"),
        ("a OR b", "a or b"),
        ('"unterminated phrase', '"unterminated phrase"'),
        ('""', ""),
        ("Erdoğan's visit!", "Erdoğan s visit"),
        ("-or", "-or"),
        ("(((Ganja)))", "Ganja"),
    ],
)
def test_typed_text_becomes_a_clean_web_search(typed, query):
    assert web_search_text(typed) == query


def test_the_number_of_terms_is_bounded():
    assert len(web_search_text(" ".join(f"w{i}" for i in range(500))).split()) == 2 * MAX_TERMS


@pytest.mark.django_db
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("-\"()|&!:*<> orxaF16ğ\\'\t\n"), max_size=400))
def test_no_input_makes_postgresql_fail(typed):
    with connection.cursor() as cursor:
        cursor.execute("SELECT websearch_to_tsquery('english', %s)", [web_search_text(typed)])


@pytest.mark.django_db
def test_search_finds_claims_by_their_words_and_a_run_of_hyphens_finds_nothing(api_client):
    troops = ClaimFactory(text="Turkish troops arrived at Ganja airport.")
    ClaimFactory(text="Drones were seen over Baku.")

    assert [c["id"] for c in api_client.get("/api/v1/claims/", {"search": "ganja -drones"}).json()["results"]] == [
        troops.pk
    ]
    hyphens = api_client.get("/api/v1/claims/", {"search": "-" * 500})
    assert hyphens.status_code == 200
    assert hyphens.json()["results"] == []
    assert list(Claim.objects.search("---")) == []
