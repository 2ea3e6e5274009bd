"""The admin under hostile query strings: every changelist, filter, search, ordering
and autocomplete answered without a server error, whatever the value."""

from __future__ import annotations

import itertools

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from claims.services import HopInput, chain_record
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

VALUES = [
    "",
    "²",  # a digit to str.isdigit(), not to int()
    "١٢٣",  # Arabic-Indic digits
    "9" * 30,  # past bigint
    "-1",
    "1.5",
    "abc",
    "2020-13-45",
    "true",
    "'; DROP TABLE claims_claim; --",
    "%",
    "\\",
    "x" * 3000,
    "\ufffd",  # what an undecodable byte becomes
]
# Every parameter of every changelist gets these; the search box gets them all.
SHARP = ["²", "9" * 30, "2020-13-45", "2020-01-01T00:00:00-21:03"]  # an offset PostgreSQL refuses


def hostile_params(model_admin) -> list[str]:
    names = {"q", "o", "p", "e", "all", "source", "origin", "_to_field", "_popup"}
    for spec in model_admin.list_filter:
        field = spec if isinstance(spec, str) else getattr(spec, "parameter_name", None)
        if field:
            names |= {field, f"{field}__exact", f"{field}__gte", f"{field}__lt", f"{field}__isnull", f"{field}__in"}
            names |= {f"{field}__id__exact"}
    return sorted(names)


def test_no_changelist_query_is_a_server_error():
    editor = UserFactory(roles=["editor"], is_staff=True)
    claim = ClaimFactory()
    chain_record(
        claim=claim, hops=[HopInput(source=SourceFactory(), relation="citing"), HopInput(source=SourceFactory())]
    )
    DocumentFactory()
    client = Client()
    client.force_login(editor)
    tried = 0
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        cases = [("q", value) for value in VALUES] + list(itertools.product(hostile_params(model_admin), SHARP))
        for name, value in cases:
            response = client.get(url, {name: value})
            assert response.status_code < 500, (url, name, value)
            tried += 1
    assert tried > 300


def test_no_autocomplete_query_is_a_server_error():
    editor = UserFactory(roles=["editor"], is_staff=True)
    SourceFactory(name="RIA Novosti", aliases=["RIA"])
    client = Client()
    client.force_login(editor)
    targets = [
        {"app_label": "claims", "model_name": "statement", "field_name": "source"},
        {"app_label": "claims", "model_name": "appearance", "field_name": "document"},
        {"app_label": "claims", "model_name": "claim", "field_name": "topics"},
        {"app_label": "sources", "model_name": "source", "field_name": "parent"},
    ]
    for target, value, extra in itertools.product(targets, VALUES, [{}, {"page": "²"}, {"page": "9" * 30}]):
        response = client.get(reverse("admin:autocomplete"), {**target, "term": value, **extra})
        assert response.status_code < 500, (target, value, extra)
    # A hostile target names no real model or field: refused, not crashed.
    for target in ({"app_label": "x", "model_name": "y", "field_name": "z"}, {"app_label": "claims"}):
        assert client.get(reverse("admin:autocomplete"), {**target, "term": "a"}).status_code in (403, 404)


def test_a_nul_in_an_admin_query_is_refused_with_a_message():
    editor = UserFactory(roles=["editor"], is_staff=True)
    client = Client()
    client.force_login(editor)
    response = client.get(reverse("admin:claims_claim_changelist") + "?q=%00")
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
