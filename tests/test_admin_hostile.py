"""The admin under hostile query strings: every changelist, filter, search, ordering
and autocomplete answered without a server error, whatever the value."""

from __future__ import annotations

import html
import itertools
import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from claims.models import Appearance, Attribution, Claim
from claims.services import HopInput, chain_record
from sources.models import Document, Source
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, TopicFactory, UserFactory
from tests.formdata import filled

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


# --- lookups the filters do not use; values the database or Python refuse --------------------


@pytest.fixture(params=["editor", "superuser"])
def staff(request):
    if request.param == "editor":
        return UserFactory(roles=["editor"], is_staff=True)
    return UserFactory(is_superuser=True, is_staff=True)


def staff_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


REPORTED = [
    "/admin/sources/document/?published_at__year=99999",
    "/admin/sources/document/?published_at__year=0",
    "/admin/sources/document/?retrieved_at__year=10000",
    "/admin/sources/document/?published_at__year__gte=99999",
    "/admin/claims/claim/?created_at__year=99999",
    "/admin/sources/document/?language__regex=(",
    "/admin/sources/document/?language__iregex=%5B",
]
# Lookups no filter of ours builds, each with values that break it.
FOREIGN_LOOKUPS = {
    "year": ["99999", "0", "9999"],
    "year__gte": ["99999"],
    "month": ["13", "0"],
    "day": ["32"],
    "date": ["99999-01-01"],
    "regex": ["(", "[", "*"],
    "iregex": ["[", "a{99999}"],
    "contains": ["x"],
    "istartswith": ["x"],
    "search": ["a & | b"],
    "trigram_similar": ["x"],
    "id__regex": ["("],
    "len": ["-1"],
}


def test_the_reported_lookups_are_refused_not_a_server_error(staff):
    client = staff_client(staff)
    ClaimFactory()
    DocumentFactory()
    for url in REPORTED:
        response = client.get(url)
        assert response.status_code == 400, (url, response.status_code)
    # The list itself still opens afterwards (nothing was left broken).
    assert client.get("/admin/sources/document/").status_code == 200


def test_no_lookup_the_filters_do_not_use_reaches_the_database(staff):
    client = staff_client(staff)
    claim = ClaimFactory()
    hops = [HopInput(source=SourceFactory(), relation="citing"), HopInput(source=SourceFactory())]
    chain_record(claim=claim, hops=hops)
    DocumentFactory()
    tried = 0
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        # Every field of the model, not only the filtered ones: Django allows any of them.
        fields = [f.name for f in model._meta.get_fields() if f.concrete or f.is_relation]
        for field, (lookup, values) in itertools.product(fields, FOREIGN_LOOKUPS.items()):
            for value in values:
                response = client.get(url, {f"{field}__{lookup}": value})
                assert response.status_code in (200, 302, 400, 403), (url, field, lookup, value)
                tried += 1
    assert tried > 1000


def test_every_filter_link_of_every_changelist_still_filters(staff):
    """The lookups the filters do use keep working: each link in each list's filter
    sidebar opens the filtered list (not the ?e=1 redirect, not a 400)."""
    client = staff_client(staff)
    claim = ClaimFactory()
    claim.topics.set([TopicFactory()])
    document = DocumentFactory(published_at="2020-10-05T10:00:00Z", retrieved_at="2020-10-06T10:00:00Z")
    chain_record(
        claim=claim,
        document=document,
        quote="Quoted.",
        hops=[HopInput(source=SourceFactory(country="AZ"), relation="citing"), HopInput(source=SourceFactory())],
    )
    followed = 0
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        page = client.get(url)
        if page.status_code == 403:
            continue
        assert page.status_code == 200, url
        sidebar = page.content.decode().partition('id="changelist-filter"')[2]
        for query in set(re.findall(r'href="(\?[^"]*)"', sidebar)):
            response = client.get(url + html.unescape(query))
            assert response.status_code == 200, (url, query, response.status_code)
            followed += 1
    assert followed > 40


def test_a_value_the_database_refuses_sends_the_editor_back_to_the_list(staff, monkeypatch):
    """Should a lookup get through that fails in the database or before it, the list answers
    as to any bad lookup: back to the unfiltered list with ?e=1, the transaction unharmed."""
    from sources.admin import DocumentAdmin

    monkeypatch.setattr(DocumentAdmin, "lookup_allowed", lambda self, lookup, value, request=None: True)
    client = staff_client(staff)
    DocumentFactory()
    for query in ["language__regex=(", "published_at__year=99999", "retrieved_at__year=0"]:
        response = client.get(f"/admin/sources/document/?{query}")
        assert response.status_code == 302, query
        assert response["Location"].endswith("?e=1")
    assert client.get("/admin/sources/document/").status_code == 200


# --- forms shown again with a value that cannot be a key in an autocomplete field ----------------

KEYS = ["abc", "1.5", "-1", "0", "²", "١٢", "9" * 30, "1e3", " 1", "1,2,3"]


def autocomplete_fields_of(page: str) -> list[str]:
    """The names of the autocomplete (select2) fields of a rendered admin form (of a
    formset's rows, the first only)."""
    names = re.findall(r'<select name="([^"]+)"[^>]*data-ajax--url', page)
    return sorted({name for name in names if not re.search(r"-[1-9][0-9]*-", name)})


def test_a_form_shown_again_with_a_non_key_in_an_autocomplete_field_is_not_a_server_error(staff):
    client = staff_client(staff)
    claim = ClaimFactory()
    topics = [TopicFactory(name=f"Topic {i}") for i in range(3)]
    source = SourceFactory(parent=SourceFactory())
    document = DocumentFactory(publisher=source)
    edges = chain_record(
        claim=claim,
        document=document,
        quote="Quoted.",
        hops=[HopInput(source=source, relation="citing"), HopInput(source=SourceFactory())],
    ).edges
    existing = {Claim: claim, Source: source, Document: document, Attribution: edges[0]}
    existing[Appearance] = Appearance.objects.get(claim=claim)
    names = ",".join(f"Topic {i}" for i in range(200))
    seen: set[str] = set()
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages = [reverse(f"{prefix}_add")]
        if model in existing:
            pages.append(reverse(f"{prefix}_change", args=[existing[model].pk]))
        for url in pages:
            page = client.get(url)
            if page.status_code != 200:
                continue
            for field in autocomplete_fields_of(page.content.decode()):
                seen.add(f"{model._meta.model_name}.{field}")
                for value in [*KEYS, names]:
                    data = filled(page.content.decode(), f"{model._meta.model_name}_form", **{field: value})
                    response = client.post(url, data)
                    assert response.status_code in (200, 302), (url, field, value, response.status_code)
    assert {
        "document.publisher",
        "source.parent",
        "claim.topic_list",
        "claim.chain-document",
        "claim.hop-0-source",
        "appearance.document",
        "attribution.evidence-0-document",
    } <= seen
    assert set(claim.topics.all()) <= set(topics)  # nothing named by a non-key was saved


def test_the_reported_autocomplete_values_are_shown_as_form_errors(staff):
    client = staff_client(staff)
    parent = SourceFactory(name="Parent")
    document = {"title": "T", "kind": "article", "language": "en"}
    claim = {"text": "A claim.", "language": "en", "status": "draft"}
    cases = [
        ("/admin/sources/document/add/", {**document, "publisher": "abc"}),
        ("/admin/sources/document/add/", {**document, "publisher": "1.5"}),
        ("/admin/sources/source/add/", {"name": "N", "kind": "outlet", "parent": "abc"}),
        ("/admin/claims/claim/add/", {**claim, "chain-document": "abc"}),
        ("/admin/claims/claim/add/", {**claim, "topic_list": ",".join(["Name"] * 500)}),
    ]
    for url, data in cases:
        response = client.post(url, data)
        assert response.status_code == 200, (url, data)
        assert "errornote" in response.content.decode(), (url, data)
    # A real choice is still shown as chosen when the form comes back for another reason.
    response = client.post("/admin/sources/source/add/", {"name": "", "kind": "outlet", "parent": parent.pk})
    assert f'<option value="{parent.pk}" selected>Parent' in response.content.decode()


# --- actions on a selection that names no record -----------------------------------------------


def test_an_action_on_a_selection_of_non_keys_is_refused_with_a_message(staff):
    client = staff_client(staff)
    claim = ClaimFactory(status="draft")
    SourceFactory()
    DocumentFactory()
    tried = 0
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        page = client.get(url)
        if page.status_code != 200:
            continue
        actions = re.findall(r'<option value="([a-z_]+)">', page.content.decode().partition('name="action"')[2])
        for action, value, index in itertools.product(actions, [*KEYS, "x" * 3000], [None, "0"]):
            data = {"action": action, "_selected_action": [value]}
            if index is not None:
                data["index"] = index
            response = client.post(url, data, follow=True)
            assert response.status_code == 200, (url, action, value)
            assert "not a" in " ".join(str(m) for m in response.context["messages"]), (url, action, value)
            tried += 1
    assert tried > 50
    # A good id beside a bad one: nothing done either.
    client.post("/admin/claims/claim/", {"action": "publish", "_selected_action": [claim.pk, "abc"]})
    claim.refresh_from_db()
    assert claim.status == "draft"
    response = client.post("/admin/claims/claim/", {"action": "publish", "_selected_action": "abc"}, follow=True)
    assert "The selection names something that is not a claim; nothing was done." in response.content.decode()
