"""Name keys: what duplicate checks and source searches compare. Letters NFKD leaves
whole (ı ø ł đ æ œ) and Cyrillic or Greek letters that look Latin must not hide a
duplicate; names that only share a transliteration stay apart."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from claims.services import HopInput, chain_record
from sources.models import Source, name_key, name_keys
from tests.factories import ClaimFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Anadolu Ajansı", "ANADOLU AJANSI"),
        ("Anadolu Ajansı", "anadolu ajansi"),
        ("İstanbul", "Istanbul"),
        ("Søren Łukasz", "Soren Lukasz"),
        ("Đorđe", "Dorde"),
        ("Æsir Œuvre", "AEsir oeuvre"),
        ("Straße", "STRASSE"),
        ("Þór", "Thor"),
        ("Gəncə", "Gence"),
        ("Erdoğan", "Erdogan"),
        ("R.I.A.", "ria"),
        ("R\u0406\u0410", "RIA"),  # Cyrillic І and А among Latin letters
        ("\u0412\u0412\u0421", "BBC"),  # all Cyrillic, every letter a look-alike
        ("\u0392\u0392C", "bbc"),  # Greek capital betas
        ("Ho\u0432oc\u0442\u0438", "Новости"),  # a Cyrillic name spelled partly with Latin look-alikes
        ("Новости", "НОВОСТИ"),
    ],
)
def test_names_that_read_the_same_have_the_same_key(one, other):
    assert name_key(one) == name_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        # A transliteration is another name (an editor records it as an alias), not a look-alike.
        ("РИА Новости", "RIA Novosti"),
        ("Москва", "Moskva"),
        ("Anadolu Ajansı", "Anadolu Ajanslı"),
    ],
)
def test_names_that_read_differently_keep_different_keys(one, other):
    assert name_key(one) != name_key(other)


def test_keys_are_lower_case_letters_and_digits_only():
    for name in ["Anadolu Ajansı", "Søren Łukasz", "R\u0406\u0410 1", "Ministry of Defence (Azerbaijan)"]:
        key = name_key(name)
        assert key == key.casefold()
        assert all(ch.isalnum() for ch in key)
    # A Cyrillic name keeps its letters that look like no Latin one.
    assert name_key("Новости") == "hoboctи"


@pytest.mark.parametrize(
    ("existing", "typed"),
    [
        ({"name": "Anadolu Ajansı"}, "ANADOLU AJANSI"),
        ({"name": "RIA"}, "R\u0406\u0410"),
        ({"name": "Polish Press", "aliases": ["Søren Łukasz"]}, "Soren Lukasz"),
        ({"name": "BBC"}, "\u0412\u0412\u0421"),
    ],
)
def test_a_look_alike_of_a_source_name_or_alias_is_refused_as_a_duplicate(editor_client, existing, typed):
    source = SourceFactory(**existing)
    response = editor_client.post("/api/v1/sources/", {"name": typed}, format="json")
    assert response.status_code == 400
    assert f"is already {source.name} (source {source.pk}" in str(response.json())
    assert Source.objects.count() == 1


def test_the_sources_filter_and_the_search_find_a_source_by_a_look_alike_spelling(editor_client):
    agency = SourceFactory(name="Anadolu Ajansı")
    claim = ClaimFactory(text="The ferry left Izmir at dawn.")
    chain_record(claim=claim, hops=[HopInput(source=agency)])
    ClaimFactory(text="Another claim entirely.")

    found = editor_client.get("/api/v1/claims/", {"search": "ANADOLU AJANSI"})
    assert found.status_code == 200
    assert [c["id"] for c in found.json()["results"]] == [claim.pk]
    filtered = editor_client.get("/api/v1/claims/", {"source": "ANADOLU AJANSI"})
    assert filtered.status_code == 200
    assert [c["id"] for c in filtered.json()["results"]] == [claim.pk]


def test_the_migration_recomputes_every_stored_key_without_a_history_event(capsys):
    migration = importlib.import_module("sources.migrations.0007_name_keys_fold_look_alikes")
    agency = SourceFactory(name="Anadolu Ajansı", aliases=["AA", "R\u0406\u0410 wire"])
    duplicate = SourceFactory(name="ANADOLU AJANSI")
    untouched = SourceFactory(name="Reuters")
    # As the keys were before: ı kept, the Cyrillic letters kept.
    Source.objects.filter(pk=agency.pk).update(name_keys=["anadoluajansı", "aa", "rіаwire"])
    events = Source.pgh_event_model.objects.count()

    migration.refill_name_keys(apps, SimpleNamespace(connection=connection))

    stored = dict(Source.objects.values_list("id", "name_keys"))
    assert stored[agency.pk] == ["anadoluajansi", "aa", "riawire"]
    assert stored[agency.pk] == name_keys(agency.name, agency.aliases)
    assert stored[duplicate.pk] == ["anadoluajansi"]
    assert stored[untouched.pk] == ["reuters"]
    assert Source.pgh_event_model.objects.count() == events
    # The duplicate the old keys hid is named, for an editor to merge or confirm.
    assert f"sources [{agency.pk}, {duplicate.pk}] share the name key 'anadoluajansi'" in capsys.readouterr().out
