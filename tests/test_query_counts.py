"""Every GET endpoint of the API costs a fixed number of queries: the same at two page
sizes and on a corpus four times bigger (no query per row, per hop or per page), and
the number pinned here, so that a change that adds one is seen.

The endpoints are read from the OpenAPI schema: a new one without a line below fails
``test_every_get_endpoint_is_counted``."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from claims.models import ClaimStatus
from claims.services import HopInput, chain_record, claim_update
from ingestion.models import Proposal
from sources.models import Document
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, TopicFactory

pytestmark = pytest.mark.django_db

PAGE_SIZES = (5, 50)
SMALL, BIG = 6, 24  # claims

# (schema path, URL with {claim} {source} {document} {topic} filled in, role, queries).
# The roles' lookup is one query of each count (the client is force-authenticated). A
# claim's history names what its entries refer to with one query per kind of record on
# the page (topics, documents, sources): its whole history (page of 50) names more kinds
# than its first five entries, whatever the corpus.
ENDPOINTS = [
    ("/api/v1/", "/api/v1/", "editor", 0),
    ("/api/v1/claims/", "/api/v1/claims/?page_size={page_size}", "editor", 2),
    ("/api/v1/claims/", "/api/v1/claims/?page_size={page_size}", "anonymous", 1),
    ("/api/v1/claims/", "/api/v1/claims/?page_size={page_size}&search=troops", "editor", 4),
    ("/api/v1/claims/", "/api/v1/claims/?page_size={page_size}&include=origins,flags,review", "editor", 3),
    ("/api/v1/claims/", "/api/v1/claims/?page_size={page_size}&format=csv&include=origins", "editor", 2),
    ("/api/v1/claims/", "/api/v1/claims/?page_size={page_size}&source={source}&rating=false&rated=true", "editor", 2),
    ("/api/v1/claims/{id}/", "/api/v1/claims/{claim}/", "editor", 2),
    ("/api/v1/claims/{id}/trace/", "/api/v1/claims/{claim}/trace/", "editor", 3),
    ("/api/v1/claims/{id}/trace/", "/api/v1/claims/{claim}/trace/", "anonymous", 2),
    ("/api/v1/claims/traces/", "/api/v1/claims/traces/?ids={claims}", "editor", 5),
    ("/api/v1/claims/{id}/claimreview/", "/api/v1/claims/{claim}/claimreview/", "anonymous", 4),
    ("/api/v1/claims/{id}/prov/", "/api/v1/claims/{claim}/prov/", "anonymous", 2),
    ("/api/v1/claims/{id}/history/", "/api/v1/claims/{claim}/history/?page_size={page_size}", "auditor", {5: 5, 50: 7}),
    ("/api/v1/claimreview/", "/api/v1/claimreview/?page_size={page_size}", "anonymous", 4),
    ("/api/v1/documents/", "/api/v1/documents/?page_size={page_size}", "editor", 3),
    ("/api/v1/documents/{id}/", "/api/v1/documents/{document}/", "editor", 2),
    ("/api/v1/claims/similar/", "/api/v1/claims/similar/?text=Turkish+troops", "anonymous", 3),
    ("/api/v1/documents/{id}/proposals/", "/api/v1/documents/{document}/proposals/?page_size={page_size}", "editor", 4),
    ("/api/v1/documents/{id}/history/", "/api/v1/documents/{document}/history/?page_size={page_size}", "auditor", 4),
    ("/api/v1/sources/", "/api/v1/sources/?page_size={page_size}", "editor", 3),
    ("/api/v1/sources/", "/api/v1/sources/?page_size={page_size}", "anonymous", 2),
    ("/api/v1/sources/{id}/", "/api/v1/sources/{source}/", "editor", 2),
    ("/api/v1/sources/{id}/dependents/", "/api/v1/sources/{source}/dependents/?page_size={page_size}", "editor", 4),
    ("/api/v1/sources/{id}/history/", "/api/v1/sources/{source}/history/?page_size={page_size}", "auditor", 3),
    ("/api/v1/topics/", "/api/v1/topics/?page_size={page_size}", "anonymous", 2),
    ("/api/v1/topics/{id}/", "/api/v1/topics/{topic}/", "anonymous", 1),
]


def corpus(claims: int) -> dict:
    """``claims`` published claims, each with topics, two appearances, a three-hop chain
    through one agency and an edit in its history."""
    agency, ministry = SourceFactory(name="Agency", kind="news_agency"), SourceFactory(name="Ministry")
    topics = [TopicFactory() for _ in range(3)]
    made, first_document = [], None
    for i in range(claims):
        outlet = SourceFactory(name=f"Outlet {i}")
        document = DocumentFactory(publisher=outlet)
        claim = ClaimFactory(text=f"Turkish troops are in Azerbaijan, report {i}.", rating="false")
        claim.topics.add(*topics[: 1 + i % 3])
        claim.appearances.create(document=document, quote=claim.text)
        claim.appearances.create(document=DocumentFactory(publisher=outlet), quote="Troops, again.")
        chain_record(
            claim=claim,
            document=document,
            hops=[
                HopInput(outlet, relation="citing", quote="the agency said"),
                HopInput(agency, relation="citing", quote="citing the ministry"),
                HopInput(ministry),
            ],
        )
        claim_update(claim=claim, rating_explanation="Not seen.", status=ClaimStatus.IN_REVIEW)
        claim_update(claim=claim, status=ClaimStatus.PUBLISHED, confirm=["single_origin", "unverified_hop"])
        made.append(claim)
        # What an import proposes, a proposal a claim, all for the first document.
        Proposal.objects.create(
            document=first_document or document,
            position=i,
            sentence=claim.text,
            quote=claim.text,
            claim_text=claim.text,
            hops=[{"source": outlet.pk, "mention": "", "relation": None, "quote": ""}],
        )
        first_document = first_document or document
    return {
        "claim": made[0].pk,
        "claims": ",".join(str(c.pk) for c in made),
        "source": agency.pk,
        "document": Document.objects.filter(publisher__name="Outlet 0").order_by("pk").first().pk,
        "topic": topics[0].pk,
    }


@pytest.mark.parametrize("claims", [SMALL, BIG], ids=["small corpus", "4x corpus"])
def test_each_endpoint_costs_the_same_queries_whatever_the_size(claims, client_for, editor, auditor, api_client):
    ids = corpus(claims)
    users = {"editor": editor, "auditor": auditor}

    def client(role):
        # A user read afresh: its roles are looked up again, as on any new request.
        return client_for(type(users[role]).objects.get(pk=users[role].pk)) if role in users else api_client

    counted, wrong = 0, []
    for _path, url, role, queries in ENDPOINTS:
        for page_size in PAGE_SIZES:
            address = url.format(page_size=page_size, **ids)
            expected = queries[page_size] if isinstance(queries, dict) else queries
            requester = client(role)
            with CaptureQueriesContext(connection) as done:
                response = requester.get(address)
            assert response.status_code == 200, (address, response.content[:300])
            counted += 1
            if len(done.captured_queries) != expected:
                wrong.append(f"{role} {address}: {len(done.captured_queries)} queries, pinned {expected}")
    assert counted == len(ENDPOINTS) * len(PAGE_SIZES)
    assert wrong == [], "\n".join(wrong)


def test_every_get_endpoint_is_counted():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    gets = {path for path, operations in schema["paths"].items() if "get" in operations}
    assert gets == {path for path, *_ in ENDPOINTS}
