from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from claims.services import HopInput, chain_record
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def editor(db):
    return UserFactory(username="alice", roles=["editor"], is_staff=True)


@pytest.fixture
def journalist(db):
    return UserFactory(username="bob", roles=["journalist"])


@pytest.fixture
def auditor(db):
    return UserFactory(username="carol", roles=["auditor"], is_staff=True)


@pytest.fixture
def outsider(db):
    """Logged in, but in no role group."""
    return UserFactory(username="charlie")


@pytest.fixture
def client_for(api_client):
    """``client_for(user)``: an API client authenticated as that user."""

    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def seed_like_chain(db):
    """The seed's troops claim: article → Reuters → RIA → Ministry of Defence of Azerbaijan."""
    government = SourceFactory(name="Government of Azerbaijan", kind="government", country="AZ")
    publisher = SourceFactory(name="The article's publisher")
    reuters = SourceFactory(name="Reuters", kind="news_agency")
    ria = SourceFactory(name="RIA Novosti", kind="news_agency", aliases=["RIA"], country="RU")
    ministry = SourceFactory(
        name="Ministry of Defence of Azerbaijan", kind="government", parent=government, country="AZ"
    )
    document = DocumentFactory(title="Turkish troops in Azerbaijan for joint military drills", publisher=None)
    claim = ClaimFactory(text="Turkish troops are in Azerbaijan for a joint training exercise.")
    chain_record(
        claim=claim,
        document=document,
        quote="Turkish troops are in Azerbaijan for a training exercise with the Azerbaijani military",
        hops=[
            HopInput(source=publisher, relation="reported", quote="..., Reuters reported."),
            HopInput(source=reuters, relation="citing", quote="Reuters said, citing Russia’s RIA news agency"),
            HopInput(source=ria, relation="informed_by", quote="which was informed about the exercise"),
            HopInput(source=ministry),
        ],
    )
    return {
        "claim": claim,
        "document": document,
        "publisher": publisher,
        "reuters": reuters,
        "ria": ria,
        "ministry": ministry,
        "government": government,
    }
