from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from sources.models import Document
from tests.conftest import iso
from tests.errors import error_body, messages
from tests.factories import DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    assert response.status_code == 200, response.data
    return [item["title"] for item in response.json()["results"]]


def test_an_editor_creates_a_document_and_its_body_is_hashed(editor_client):
    reuters = SourceFactory(name="Reuters")
    body = "Turkish troops are in Azerbaijan for a training exercise."

    response = editor_client.post(
        "/api/v1/documents/",
        {
            "title": "Turkish troops in Azerbaijan for joint military drills",
            "kind": "article",
            "url": "https://news.example.org/troops",
            "publisher": reuters.id,
            "published_at": "2021-01-25T09:30:00Z",
            "language": "en",
            "body": body,
        },
        format="json",
    )

    assert response.status_code == 201, response.data
    document = Document.objects.get()
    assert response.json() == {
        "id": document.id,
        "title": "Turkish troops in Azerbaijan for joint military drills",
        "kind": "article",
        "url": "https://news.example.org/troops",
        "publisher": reuters.id,
        "publisher_name": "Reuters",
        "published_at": "2021-01-25T09:30:00Z",
        "retrieved_at": None,
        "language": "en",
        "content_hash": hashlib.sha256(body.encode()).hexdigest(),
        "archive_url": "",
        "created_at": iso(document.created_at),
        "updated_at": iso(document.updated_at),
        "body": body,
    }


def test_a_document_may_have_no_publisher(editor_client):
    response = editor_client.post("/api/v1/documents/", {"title": "Unsigned", "publisher": None}, format="json")

    assert response.status_code == 201, response.data
    assert (response.json()["publisher"], response.json()["publisher_name"]) == (None, None)


def test_an_editor_patches_a_document(editor_client):
    document = DocumentFactory(title="Old title")

    response = editor_client.patch(f"/api/v1/documents/{document.id}/", {"title": "New title", "language": "az"})

    assert response.status_code == 200, response.data
    document.refresh_from_db()
    assert (document.title, document.language) == ("New title", "az")


def test_a_duplicate_url_is_a_400_on_url(editor_client):
    DocumentFactory(url="https://news.example.org/same")

    response = editor_client.post("/api/v1/documents/", {"title": "Again", "url": "https://news.example.org/same"})

    assert list(messages(response)) == ["url"]


def test_a_bad_language_tag_is_a_400_on_language(editor_client):
    response = editor_client.post("/api/v1/documents/", {"title": "Doc", "language": "english!"})

    assert messages(response) == {
        "language": ["'english!' is not a BCP-47 language tag such as 'en', 'az' or 'pt-BR'."]
    }


def test_documents_cannot_be_deleted_over_the_api(editor_client):
    document = DocumentFactory()

    error_body(editor_client.delete(f"/api/v1/documents/{document.id}/"), 405, "method_not_allowed")
    assert Document.objects.filter(pk=document.pk).exists()


def test_the_list_leaves_bodies_out(journalist_client):
    DocumentFactory(body="long text")

    item = journalist_client.get("/api/v1/documents/").json()["results"][0]

    assert "body" not in item


def test_the_list_is_newest_first_with_undated_documents_last(journalist_client):
    DocumentFactory(title="Undated", published_at=None)
    DocumentFactory(title="Older", published_at=dt.datetime(2020, 9, 1, tzinfo=dt.UTC))
    DocumentFactory(title="Newer", published_at=dt.datetime(2021, 1, 25, tzinfo=dt.UTC))

    assert titles(journalist_client.get("/api/v1/documents/")) == ["Newer", "Older", "Undated"]


def test_filters_on_publisher_language_dates_and_title(journalist_client):
    reuters = SourceFactory(name="Reuters")
    DocumentFactory(
        title="Troops in Azerbaijan", publisher=reuters, published_at=dt.datetime(2021, 1, 25, tzinfo=dt.UTC)
    )
    DocumentFactory(title="Qoşunlar Azərbaycanda", language="az", published_at=dt.datetime(2020, 9, 1, tzinfo=dt.UTC))

    assert titles(journalist_client.get("/api/v1/documents/", {"publisher": reuters.id})) == ["Troops in Azerbaijan"]
    assert titles(journalist_client.get("/api/v1/documents/", {"language": "az"})) == ["Qoşunlar Azərbaycanda"]
    assert titles(journalist_client.get("/api/v1/documents/", {"published_after": "2021-01-01T00:00:00Z"})) == [
        "Troops in Azerbaijan"
    ]
    assert titles(journalist_client.get("/api/v1/documents/", {"published_before": "2021-01-01"})) == [
        "Qoşunlar Azərbaycanda"
    ]
    assert titles(journalist_client.get("/api/v1/documents/", {"search": "TROOPS"})) == ["Troops in Azerbaijan"]


def test_the_documents_list_is_a_fixed_number_of_queries(journalist_client, django_assert_num_queries):
    for _ in range(6):
        DocumentFactory()  # each with its own publisher

    # roles, count, page with publishers
    with django_assert_num_queries(3):
        response = journalist_client.get("/api/v1/documents/")

    assert len({d["publisher_name"] for d in response.json()["results"]}) == 6
