"""Who may do what: editors write; editors, journalists and auditors read everything;
anonymous clients and users without a role read published claims only."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from claims.services import HopInput, chain_record
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "outsider", "journalist", "auditor", "editor"]


@pytest.fixture
def world(db):
    published = ClaimFactory(status="published")
    cited = SourceFactory()
    chain_record(claim=published, hops=[HopInput(source=cited)])
    return {
        "published": published,
        "draft": ClaimFactory(status="draft"),
        "source": SourceFactory(),
        "document": DocumentFactory(),
        "cited": cited,
    }


def client(who: str, request) -> APIClient:
    api = APIClient()
    if who != "anonymous":
        api.force_authenticate(request.getfixturevalue(who))
    return api


# Each request, and what it answers to anonymous, outsider, journalist, auditor, editor.
MATRIX = {
    "read published claim": (
        lambda w: ("get", f"/api/v1/claims/{w['published'].id}/", None),
        [200, 200, 200, 200, 200],
    ),
    "trace published claim": (
        lambda w: ("get", f"/api/v1/claims/{w['published'].id}/trace/", None),
        [200, 200, 200, 200, 200],
    ),
    "read draft claim": (
        lambda w: ("get", f"/api/v1/claims/{w['draft'].id}/", None),
        [404, 404, 200, 200, 200],
    ),
    "trace draft claim": (
        lambda w: ("get", f"/api/v1/claims/{w['draft'].id}/trace/", None),
        [404, 404, 200, 200, 200],
    ),
    # Sources are public facts once a published claim names them; the others are the newsroom's.
    "list sources": (lambda w: ("get", "/api/v1/sources/", None), [200, 200, 200, 200, 200]),
    "read source": (lambda w: ("get", f"/api/v1/sources/{w['source'].id}/", None), [404, 404, 200, 200, 200]),
    "read cited source": (lambda w: ("get", f"/api/v1/sources/{w['cited'].id}/", None), [200, 200, 200, 200, 200]),
    "list topics": (lambda w: ("get", "/api/v1/topics/", None), [200, 200, 200, 200, 200]),
    "list documents": (lambda w: ("get", "/api/v1/documents/", None), [401, 403, 200, 200, 200]),
    "read document": (
        lambda w: ("get", f"/api/v1/documents/{w['document'].id}/", None),
        [401, 403, 200, 200, 200],
    ),
    "source dependents": (
        lambda w: ("get", f"/api/v1/sources/{w['source'].id}/dependents/", None),
        [401, 403, 200, 200, 200],
    ),
    "create claim": (lambda w: ("post", "/api/v1/claims/", {"text": "New claim."}), [401, 403, 403, 403, 201]),
    "edit published claim": (
        lambda w: ("patch", f"/api/v1/claims/{w['published'].id}/", {"rating": "false"}),
        [401, 403, 403, 403, 200],
    ),
    "record chain": (
        lambda w: ("post", f"/api/v1/claims/{w['published'].id}/chains/", {"hops": [{"source": w["source"].id}]}),
        [401, 403, 403, 403, 201],
    ),
    "create source": (lambda w: ("post", "/api/v1/sources/", {"name": "New source"}), [401, 403, 403, 403, 201]),
    "edit source": (
        lambda w: ("patch", f"/api/v1/sources/{w['source'].id}/", {"name": "Renamed"}),
        [401, 403, 403, 403, 200],
    ),
    "delete source": (lambda w: ("delete", f"/api/v1/sources/{w['source'].id}/", None), [401, 403, 403, 403, 204]),
    "create document": (lambda w: ("post", "/api/v1/documents/", {"title": "New"}), [401, 403, 403, 403, 201]),
    "edit document": (
        lambda w: ("patch", f"/api/v1/documents/{w['document'].id}/", {"title": "Renamed"}),
        [401, 403, 403, 403, 200],
    ),
}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("what", list(MATRIX))
def test_permission_matrix(what, who, world, request):
    build, expected = MATRIX[what]
    method, url, data = build(world)

    response = getattr(client(who, request), method)(url, data, format="json")

    assert response.status_code == expected[WHO.index(who)], response.data


@pytest.mark.parametrize(
    ("who", "sees_drafts"),
    [("anonymous", False), ("outsider", False), ("journalist", True), ("auditor", True), ("editor", True)],
)
def test_the_claims_list_shows_drafts_to_role_holders_only(who, sees_drafts, world, request):
    response = client(who, request).get("/api/v1/claims/")

    listed = [c["id"] for c in response.json()["results"]]
    assert listed == ([world["draft"].id, world["published"].id] if sees_drafts else [world["published"].id])


def test_filtering_on_status_does_not_reveal_drafts_to_anonymous_clients(api_client, world):
    response = api_client.get("/api/v1/claims/", {"status": "draft"})

    assert response.json()["results"] == []


def test_a_token_authenticates_an_api_client(editor):
    anonymous = APIClient()
    token = anonymous.post(
        "/api/v1/auth/token/", {"username": "alice", "password": "correct horse battery staple"}
    ).json()["token"]
    draft = ClaimFactory(status="draft")
    with_token = APIClient(HTTP_AUTHORIZATION=f"Token {token}")

    assert with_token.get(f"/api/v1/claims/{draft.id}/").status_code == 200
    assert anonymous.get(f"/api/v1/claims/{draft.id}/").status_code == 404


def test_a_session_authenticates_a_browser(journalist):
    browser = APIClient(enforce_csrf_checks=True)
    browser.login(username="bob", password="correct horse battery staple")

    assert browser.get("/api/v1/sources/").status_code == 200
    # A session write without the CSRF token is refused.
    assert browser.post("/api/v1/sources/", {"name": "x"}).status_code == 403
