"""Workflow and integrity rules enforced by the services and the database."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction

from claims.models import Claim, ClaimStatus, Topic
from claims.services import HopInput, chain_record, claim_create, claim_publish, claim_retract, claim_update
from sources.models import Document, Source
from sources.services import document_create, source_create, source_delete, source_update
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_publishing_a_claim_stamps_when():
    claim = claim_create(text="Troops arrived on Monday.")
    assert claim.status == ClaimStatus.DRAFT and claim.published_at is None
    chain_record(claim=claim, hops=[HopInput(source=SourceFactory())])

    claim_publish(claim=claim, confirm=["no_rating", "single_origin"])

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED
    assert claim.published_at is not None


def test_a_retracted_claim_cannot_be_published_again_without_review():
    claim = claim_retract(claim=ClaimFactory(status=ClaimStatus.PUBLISHED))

    with pytest.raises(ValidationError) as error:
        claim_publish(claim=claim)
    assert error.value.message_dict == {"status": ["A retracted claim cannot become published."]}


def test_claims_are_never_deleted_even_by_raw_sql():
    claim = ClaimFactory()
    with pytest.raises(DatabaseError, match="Cannot delete"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM claims_claim WHERE id = %s", [claim.id])
    assert Claim.objects.filter(id=claim.id).exists()


def test_an_event_range_must_not_end_before_it_starts():
    with pytest.raises(ValidationError) as error:
        claim_create(text="x", event_start="2020-09-27", event_end="2020-09-01")
    assert error.value.message_dict == {"event_end": ["The event cannot end before it starts."]}


def test_claim_text_is_required_and_bounded():
    with pytest.raises(ValidationError) as error:
        claim_create(text="")
    assert "text" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        claim_create(text="x" * 2001)
    assert "text" in error.value.message_dict


def test_topics_are_set_through_the_service():
    topic = Topic.objects.create(name="Military", slug="military")
    claim = claim_create(text="Drills began.", topics=[topic])
    claim_update(claim=claim, topics=[])
    assert list(claim.topics.all()) == []


def test_a_source_cannot_become_its_own_ancestor():
    government = SourceFactory(name="Government")
    ministry = SourceFactory(name="Ministry", parent=government)

    with pytest.raises(ValidationError) as error:
        source_update(source=government, parent=ministry)
    assert error.value.message_dict == {"parent": ["Ministry is already below Government: that would make a loop."]}


def test_aliases_are_trimmed_and_deduplicated():
    source = source_create(name="RIA Novosti", aliases=[" RIA ", "ria", "", "RIA news agency"])
    assert source.aliases == ["RIA", "RIA news agency"]


def test_source_search_matches_name_and_aliases_case_insensitively():
    ria = source_create(name="RIA Novosti", aliases=["Russia Today News Agency"])
    source_create(name="Reuters")
    assert list(Source.objects.search("novosti")) == [ria]
    assert list(Source.objects.search("today news")) == [ria]
    assert list(Source.objects.search("100%")) == []


def test_source_search_takes_the_words_in_any_order():
    ministry = source_create(name="Ministry of Defence of Azerbaijan", aliases=["MoD"])
    source_create(name="Ministry of Foreign Affairs of Azerbaijan")
    assert list(Source.objects.search("defence ministry")) == [ministry]
    assert list(Source.objects.search("  azerbaijan   mod ")) == [ministry]
    assert list(Source.objects.search("defence ministry armenia")) == []
    # Words past the eighth narrow nothing: a pasted paragraph is not a thousand scans.
    assert list(Source.objects.search("ministry " * 7 + "defence " + "armenia " * 500)) == [ministry]


def test_a_source_in_use_cannot_be_deleted():
    publisher = SourceFactory(name="Outlet")
    DocumentFactory(publisher=publisher)
    with pytest.raises(ValidationError) as error:
        source_delete(source=publisher)
    assert error.value.messages == ["Outlet is used by documents as their publisher; it cannot be deleted."]


def test_wikidata_ids_are_unique_and_well_formed():
    source_create(name="Reuters", wikidata_qid="Q130879")
    with pytest.raises(ValidationError):
        source_create(name="Reuters again", wikidata_qid="Q130879")
    with pytest.raises(ValidationError):
        source_create(name="Bad", wikidata_qid="130879")


def test_document_hash_follows_the_body():
    document = document_create(title="Drills", body="Turkish troops are in Azerbaijan.")
    assert document.content_hash == Document.hash_body("Turkish troops are in Azerbaijan.")
    assert len(document.content_hash) == 64


def test_language_must_be_a_bcp47_tag():
    with pytest.raises(ValidationError) as error:
        document_create(title="Drills", language="english please")
    assert "language" in error.value.message_dict


def test_the_database_refuses_a_blank_claim_even_without_the_service():
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.create(text="")
