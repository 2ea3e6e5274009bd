"""Two editors never overwrite each other silently: ETag and If-Match."""

from __future__ import annotations

import pytest

from claims.models import Claim
from sources.models import Source
from tests.errors import detail, error_body
from tests.factories import ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_a_claim_read_carries_its_version_and_a_save_with_it_succeeds(editor_client):
    claim = ClaimFactory(text="Drills began on Monday.")

    read = editor_client.get(f"/api/v1/claims/{claim.id}/")
    saved = editor_client.patch(
        f"/api/v1/claims/{claim.id}/", {"text": "Drills began on a Monday."}, HTTP_IF_MATCH=read["ETag"]
    )

    assert saved.status_code == 200
    assert saved["ETag"] != read["ETag"]
    assert editor_client.get(f"/api/v1/claims/{claim.id}/")["ETag"] == saved["ETag"]


def test_the_second_of_two_editors_who_read_the_same_version_is_refused(editor_client):
    claim = ClaimFactory(text="Drills began on Monday.")
    etag = editor_client.get(f"/api/v1/claims/{claim.id}/")["ETag"]
    first = editor_client.patch(f"/api/v1/claims/{claim.id}/", {"text": "First edit."}, HTTP_IF_MATCH=etag)

    second = editor_client.patch(f"/api/v1/claims/{claim.id}/", {"text": "Second edit."}, HTTP_IF_MATCH=etag)

    assert first.status_code == 200
    assert detail(second, 412, "changed_since_read") == (
        "This record was changed by someone else since you read it. "
        "GET it again, re-apply your change and send the new ETag in If-Match."
    )
    assert Claim.objects.get(pk=claim.pk).text == "First edit."


def test_a_client_that_sends_no_if_match_is_not_checked(editor_client):
    claim = ClaimFactory()
    response = editor_client.patch(f"/api/v1/claims/{claim.id}/", {"text": "Unconditional."})
    assert response.status_code == 200


def test_a_stale_delete_of_a_source_is_refused_and_the_source_stays(editor_client):
    source = SourceFactory(name="Interfax")
    etag = editor_client.get(f"/api/v1/sources/{source.id}/")["ETag"]
    editor_client.patch(f"/api/v1/sources/{source.id}/", {"country": "RU"})

    response = editor_client.delete(f"/api/v1/sources/{source.id}/", HTTP_IF_MATCH=etag)

    error_body(response, 412, "changed_since_read")
    assert Source.objects.filter(pk=source.pk).exists()


def test_a_document_edit_with_a_stale_version_is_refused(editor_client):
    from tests.factories import DocumentFactory

    document = DocumentFactory(title="Old title")
    etag = editor_client.get(f"/api/v1/documents/{document.id}/")["ETag"]
    editor_client.patch(f"/api/v1/documents/{document.id}/", {"title": "Someone else's title"})

    response = editor_client.patch(f"/api/v1/documents/{document.id}/", {"title": "Mine"}, HTTP_IF_MATCH=etag)

    error_body(response, 412, "changed_since_read")
    document.refresh_from_db()
    assert document.title == "Someone else's title"
