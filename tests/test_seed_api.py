"""The seed article through the API, as a new user meets it after `make run`."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from claims.models import Attribution, Claim, Statement
from sources.models import Document, Source
from tests.conftest import iso
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TROOPS = "Turkish troops are in Azerbaijan for a joint training exercise with the Azerbaijani military."
PUBLISHER = "Unnamed publisher of “Turkish troops in Azerbaijan for joint military drills”"


@pytest.fixture
def seeded(db):
    call_command("load_seeds", stdout=None)


def test_anyone_finds_the_f16_claim_by_searching_ganja(seeded, api_client):
    response = api_client.get("/api/v1/claims/", {"search": "Ganja"})

    assert response.status_code == 200
    texts = [claim["text"] for claim in response.json()["results"]]
    assert len(texts) == 1
    assert "F-16" in texts[0] and "Ganja International Airport" in texts[0]


def test_the_troops_claim_traces_through_reuters_and_ria_to_the_ministry(seeded, api_client, django_assert_num_queries):
    claim = Claim.objects.get(text=TROOPS)
    document = Document.objects.get()
    source = {s.name: {"id": s.id, "name": s.name, "kind": s.kind, "confidential": False} for s in Source.objects.all()}
    chain = [PUBLISHER, "Reuters", "RIA Novosti", "Ministry of Defence of Azerbaijan"]
    statement = {name: Statement.objects.get(claim=claim, source__name=name).id for name in chain}
    edge_ids = list(Attribution.objects.filter(claim=claim).order_by("id").values_list("id", flat=True))
    quotes = [
        "Turkish troops are in Azerbaijan for a training exercise with the Azerbaijani military, Reuters reported.",
        "Reuters said, citing Russia’s RIA news agency",
        "which was informed about the exercise from Azerbaijan’s defence ministry",
    ]
    doc = {"id": document.id, "title": "Turkish troops in Azerbaijan for joint military drills", "url": ""}

    # the claim with its topics, appearances and reviews; the graph
    with django_assert_num_queries(2):
        response = api_client.get(f"/api/v1/claims/{claim.id}/trace/")

    assert response.status_code == 200
    assert response.json() == {
        "claim": {
            "id": claim.id,
            "text": TROOPS,
            "status": "published",
            "rating": "",
            "rating_value": None,
            "rating_explanation": "",
            "topics": ["military-exercises", "turkey-azerbaijan-military-cooperation"],
            "event_start": "2021-01-01",
            "event_end": "2021-12-31",
            "event_approximate": True,
            "language": "en",
            "published_at": iso(claim.published_at),
            "created_at": iso(claim.created_at),
            "updated_at": iso(claim.updated_at),
            "appearances": [
                {
                    "document": doc,
                    "quote": "Turkish troops are in Azerbaijan for a training exercise with the Azerbaijani "
                    "military, Reuters reported.",
                }
            ],
            "reviews_elsewhere": [],
        },
        "as_of": None,
        "nodes": [
            {"id": statement[name], "source": source[name], "origin": i == 3, "reporting_end": i == 0}
            for i, name in enumerate(chain)
        ],
        "edges": [
            {
                "id": edge_ids[i],
                "from": statement[chain[i]],
                "to": statement[chain[i + 1]],
                "relation": relation,
                "verified": False,
                "evidence": [{"document": doc, "quote": quotes[i], "relation": relation}],
                "evidence_withheld": False,
            }
            for i, relation in enumerate(["reported", "citing", "informed_by"])
        ],
        "chains_total": 1,
        "chains_total_exact": True,
        "chains_truncated": False,
        "chains": [
            [
                {
                    "statement": statement[name],
                    "source": source[name],
                    "edge": edge_ids[i] if i < 3 else None,
                    "relation": ["reported", "citing", "informed_by", None][i],
                    "verified": False if i < 3 else None,
                    "closes_loop": False,
                }
                for i, name in enumerate(chain)
            ]
        ],
        "origins": [source["Ministry of Defence of Azerbaijan"]],
        "independent_origins": 1,
        "origin_groups": [
            {
                "organisation": {
                    "id": Source.objects.get(name="Government of Azerbaijan").id,
                    "name": "Government of Azerbaijan",
                },
                "sources": [source["Ministry of Defence of Azerbaijan"]],
            }
        ],
        "unknown_origins": [],
        "flags": ["single_origin", "unverified_hop"],
        "flag_details": [
            {"flag": "single_origin", "message": "The only chain leads to Ministry of Defence of Azerbaijan."},
            {
                "flag": "unverified_hop",
                "message": f"3 hops asserted but not checked: {PUBLISHER} → Reuters; Reuters → RIA Novosti; "
                "RIA Novosti → Ministry of Defence of Azerbaijan.",
            },
        ],
    }


def test_ria_has_three_seed_claims_depending_on_it_as_an_intermediary(seeded, client_for, journalist):
    ria = Source.objects.get(name="RIA Novosti")

    response = client_for(journalist).get(f"/api/v1/sources/{ria.id}/dependents/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 3
    assert {(item["role"], item["distance"]) for item in results} == {("intermediary", 2)}


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_the_readme_chain_example_names_the_seeds_sources_by_the_ids_they_get(_restore_migrated_data, client_for):
    """The README records the troops chain with ids 1, 2, 3 and 5 on claim 1: on a fresh
    database (ids from 1) they are the seed's publisher, Reuters, RIA Novosti and the ministry."""
    call_command("load_seeds", stdout=None)
    editor = UserFactory(is_superuser=True, is_staff=True)
    names = dict(Source.objects.values_list("id", "name"))
    assert [names[i] for i in (2, 3, 5)] == ["Reuters", "RIA Novosti", "Ministry of Defence of Azerbaijan"]
    before = Attribution.objects.count()

    response = client_for(editor).post(
        "/api/v1/claims/1/chains/",
        {
            "document": 1,
            "hops": [
                {"source": 1, "relation": "reported"},
                {"source": 2, "relation": "citing"},
                {"source": 3, "relation": "informed_by"},
                {"source": 5},
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert Claim.objects.get(pk=1).text == TROOPS
    assert Attribution.objects.count() == before
