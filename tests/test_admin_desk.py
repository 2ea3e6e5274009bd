"""The editor's desk, document first, through the test client: the document page lists
its claims and sources; a claim is started from one of its sentences, prefilled; hops
name their own documents; a missing source is added from the chain form's "+"."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from claims.forms import document_sentences
from claims.models import Appearance, Attribution, Claim, ClaimStatus, Statement
from claims.services import HopInput, chain_record
from sources.models import Document, Source, SourceKind
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory
from tests.formdata import filled

pytestmark = pytest.mark.django_db

BODY = """Turkish troops are in Azerbaijan for a training exercise, Reuters reported.

The drills began on Monday, Reuters said, citing Russia's RIA news agency. Gen. Smith was not there.
"""
TROOPS = "Turkish troops are in Azerbaijan for a training exercise, Reuters reported."


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def document_url(document: Document) -> str:
    return reverse("admin:sources_document_change", args=[document.pk])


def add_claim_url(document: Document, sentence: int | None = None) -> str:
    url = reverse("admin:claims_claim_add") + f"?document={document.pk}"
    return url if sentence is None else f"{url}&sentence={sentence}"


@pytest.fixture
def article(db) -> Document:
    return DocumentFactory(
        title="Turkish troops in Azerbaijan", publisher=SourceFactory(name="Caspian Courier"), body=BODY
    )


# --- sentences -------------------------------------------------------------------------------


def test_a_body_is_cut_into_sentences_not_at_initials_abbreviations_or_a_wrapped_line():
    body = (
        'He said "Yes." Then J. Smith left on Aug. 10 for the U.S. Army base.\n'
        "Both countries have held\nland drills.\n\nBackground\nThe war ended! Did it? Да. Нет."
    )
    assert document_sentences(body) == [
        'He said "Yes."',
        "Then J. Smith left on Aug. 10 for the U.S. Army base.",
        "Both countries have held land drills.",
        "Background",
        "The war ended!",
        "Did it?",
        "Да.",
        "Нет.",
    ]


def test_a_long_body_lists_its_first_sentences_only():
    assert len(document_sentences("One sentence here. " * 1000, limit=400)) == 400


# --- the document page -------------------------------------------------------------------------


@pytest.fixture
def document_with_claims(article):
    """The article: quoted by two claims, and evidence (at its second sentence) of a hop
    of a third claim, recorded from another document."""
    reuters, ria = SourceFactory(name="Reuters", kind="news_agency"), SourceFactory(name="RIA Novosti")
    quoted = []
    for i in range(2):
        claim = ClaimFactory(text=f"Claim {i} of the article.", status=ClaimStatus.DRAFT if i else "published")
        chain_record(
            claim=claim,
            document=article,
            quote=TROOPS,
            hops=[HopInput(source=article.publisher, relation="citing", quote="Reuters reported"), HopInput(reuters)],
        )
        quoted.append(claim)
    elsewhere = ClaimFactory(text="A claim from another article.")
    chain_record(
        claim=elsewhere,
        document=DocumentFactory(title="Another article"),
        quote="Drills began.",
        hops=[
            HopInput(source=reuters, relation="citing", quote="citing RIA", document=article),
            HopInput(source=ria),
        ],
    )
    return {"quoted": quoted, "evidenced": elsewhere, "reuters": reuters, "ria": ria}


def test_the_document_page_lists_its_claims_with_status_and_link_and_its_sources(editor, article, document_with_claims):
    response = client_as(editor).get(document_url(article))
    assert response.status_code == 200
    claims = response.context["document_claims"]
    expected = [*document_with_claims["quoted"], document_with_claims["evidenced"]]
    assert [c.pk for c in claims] == sorted((c.pk for c in expected), reverse=True)  # newest first
    assert {c.text: c.appears for c in claims} == {
        "Claim 0 of the article.": True,
        "Claim 1 of the article.": True,
        "A claim from another article.": False,
    }
    page = response.content.decode()
    section = page[page.index('id="document-claims"') : page.index('id="document-sources"')]
    for claim in claims:
        assert reverse("admin:claims_claim_change", args=[claim.pk]) in section
    assert "Draft" in section and "Published" in section and "evidence of a hop" in section
    # The publisher, and both ends of the hop the document evidences.
    assert {s.name for s in response.context["document_sources"]} == {"Caspian Courier", "Reuters", "RIA Novosti"}
    sources = page[page.index('id="document-sources"') :]
    assert reverse("admin:sources_source_change", args=[document_with_claims["ria"].pk]) in sources
    assert re.search(r"Caspian Courier</a></td>\s*<td>News outlet</td>\s*<td>publisher</td>", sources)
    assert add_claim_url(article) in page


def test_the_document_page_costs_the_same_queries_for_one_claim_or_many(editor, article, django_assert_num_queries):
    client = client_as(editor)
    agency = SourceFactory(name="Agency")

    def add_claims(n: int) -> None:
        for _ in range(n):
            source = SourceFactory()
            chain_record(
                claim=ClaimFactory(),
                document=article,
                quote=TROOPS,
                hops=[HopInput(source=source, relation="citing", quote="said"), HopInput(agency)],
            )

    add_claims(1)
    client.get(document_url(article))  # warm: the session, content types
    # session, user, roles, the document, 2 for permissions, its claims, its sources, and the
    # publisher's autocomplete choice.
    with django_assert_num_queries(QUERIES := 9):
        client.get(document_url(article))
    add_claims(30)
    with django_assert_num_queries(QUERIES):
        response = client.get(document_url(article))
    assert len(response.context["document_claims"]) == 31
    assert len(response.context["document_sources"]) == 33  # publisher, agency, 31 sources


def test_a_document_with_more_claims_than_listed_links_to_all_of_them(editor, article, monkeypatch):
    from claims.admin import DocumentAdmin

    monkeypatch.setattr(DocumentAdmin, "shown", 2)
    agency = SourceFactory(name="Agency")
    for _ in range(3):
        chain_record(claim=ClaimFactory(), document=article, quote=TROOPS, hops=[HopInput(agency)])
    client = client_as(editor)
    response = client.get(document_url(article))
    assert len(response.context["document_claims"]) == 2
    assert response.context["document_claims_more"]
    listed = client.get(response.context["document_claims_url"])
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 3


def test_the_claims_list_filters_by_document(editor, article, document_with_claims):
    client = client_as(editor)
    response = client.get(reverse("admin:claims_claim_changelist") + f"?document={article.pk}")
    assert {c.pk for c in response.context["cl"].result_list} == {
        *(c.pk for c in document_with_claims["quoted"]),
        document_with_claims["evidenced"].pk,
    }
    assert client.get(reverse("admin:claims_claim_changelist") + "?document=abc").status_code == 302  # ?e=1


def test_an_auditor_reads_the_lists_without_the_add_claim_link_or_button(auditor, article, document_with_claims):
    response = client_as(auditor).get(document_url(article))
    assert len(response.context["document_claims"]) == 3
    page = response.content.decode()
    assert "add-claim-link" not in page and "_addclaim" not in page


# --- a claim from the document ---------------------------------------------------------------


def test_the_claim_form_from_a_document_lists_its_sentences_and_starts_the_chain_at_its_publisher(editor, article):
    response = client_as(editor).get(add_claim_url(article))
    assert response.status_code == 200
    sentences = response.context["document_sentences"]
    assert [s["text"] for s in sentences] == [
        TROOPS,
        "The drills began on Monday, Reuters said, citing Russia's RIA news agency.",
        "Gen. Smith was not there.",
    ]
    assert sentences[1]["url"] == f"?document={article.pk}&sentence=2"
    chain_form, hops = response.context["chain_form"], response.context["hop_formset"]
    assert chain_form["document"].value() == article.pk
    assert hops.forms[0]["source"].value() == article.publisher.pk
    assert hops.forms[1]["source"].value() is None
    assert response.context["adminform"].form["language"].value() == "en"


def test_a_sentence_picked_without_javascript_fills_the_text_and_the_quote(editor, article):
    response = client_as(editor).get(add_claim_url(article, sentence=1))
    form = response.context["adminform"].form
    assert form["text"].value() == TROOPS
    assert response.context["chain_form"]["quote"].value() == TROOPS
    assert response.context["document_sentences"][0]["picked"]


def test_the_prefilled_form_saved_as_it_is_records_the_claim_its_appearance_and_its_first_hop(editor, article):
    client = client_as(editor)
    url = add_claim_url(article, sentence=1)
    page = client.get(url).content.decode()
    response = client.post(url, filled(page, "claim_form", _continue="1"))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    claim = Claim.objects.get()
    assert claim.text == TROOPS
    appearance = Appearance.objects.get(claim=claim)
    assert (appearance.document, appearance.quote) == (article, TROOPS)
    assert [s.source for s in Statement.objects.filter(claim=claim)] == [article.publisher]


def test_a_three_hop_chain_from_the_document_is_recorded_with_one_save(editor, article):
    reuters, ministry = SourceFactory(name="Reuters"), SourceFactory(name="Ministry of Defence")
    client = client_as(editor)
    url = add_claim_url(article, sentence=1)
    page = client.get(url).content.decode()
    data = filled(
        page,
        "claim_form",
        **{
            "hop-0-relation": "citing",
            "hop-0-quote": "Reuters reported",
            "hop-1-source": str(reuters.pk),
            "hop-1-relation": "citing",
            "hop-2-source": str(ministry.pk),
            "_continue": "1",
        },
    )
    response = client.post(url, data)
    assert response.status_code == 302
    claim = Claim.objects.get()
    edges = Attribution.objects.filter(claim=claim).order_by("id")
    assert [(e.statement.source.name, e.upstream.source.name) for e in edges] == [
        ("Caspian Courier", "Reuters"),
        ("Reuters", "Ministry of Defence"),
    ]
    assert response["Location"] == reverse("admin:claims_claim_change", args=[claim.pk]) + "#trace"


def test_an_error_shows_the_sentences_again_and_keeps_the_prefilled_chain_as_typed(editor, article):
    client = client_as(editor)
    url = add_claim_url(article, sentence=1)
    page = client.get(url).content.decode()
    # The publisher citing itself: refused, nothing saved, all of it shown again.
    data = filled(page, "claim_form", **{"hop-0-relation": "citing", "hop-1-source": str(article.publisher.pk)})
    response = client.post(url, data)
    assert response.status_code == 200
    assert not Claim.objects.exists()
    assert len(response.context["document_sentences"]) == 3
    assert response.context["adminform"].form["text"].value() == TROOPS
    hops = response.context["hop_formset"]
    assert hops.forms[0]["source"].value() == str(article.publisher.pk)
    assert "Caspian Courier cannot cite itself." in str(hops.forms[1].errors)


def test_save_and_add_another_goes_on_with_the_same_document(editor, article):
    client = client_as(editor)
    url = add_claim_url(article, sentence=1)
    page = client.get(url).content.decode()
    response = client.post(url, filled(page, "claim_form", _addanother="1"))
    assert response["Location"] == add_claim_url(article)


def test_sentences_already_quoted_by_a_claim_link_to_it(editor, article):
    claim = ClaimFactory()
    chain_record(claim=claim, document=article, quote="training exercise, Reuters", hops=[HopInput(article.publisher)])
    sentences = client_as(editor).get(add_claim_url(article)).context["document_sentences"]
    assert sentences[0]["claim_url"] == reverse("admin:claims_claim_change", args=[claim.pk])
    assert sentences[1]["claim_url"] is None


def test_the_claim_form_from_a_document_costs_the_same_queries_however_many_claims_it_has(
    editor, article, django_assert_num_queries
):
    client = client_as(editor)

    def quote(n: int) -> None:
        for _ in range(n):
            chain_record(claim=ClaimFactory(), document=article, quote=TROOPS, hops=[HopInput(article.publisher)])

    quote(1)
    client.get(add_claim_url(article))  # warm: the session, content types
    # session, user, roles, 2 for permissions, the document with its publisher, its quotes
    # (for "already a claim"), and the chain form's two prefilled choices (the document
    # and the publisher) as their autocompletes show them.
    with django_assert_num_queries(QUERIES := 9):
        client.get(add_claim_url(article))
    quote(20)
    with django_assert_num_queries(QUERIES):
        response = client.get(add_claim_url(article))
    assert response.context["document_sentences"][0]["claim_url"]


@pytest.mark.parametrize("value", ["abc", "999999", "-1", "1.5"])
def test_an_unknown_document_opens_the_plain_claim_form(editor, value):
    response = client_as(editor).get(reverse("admin:claims_claim_add") + f"?document={value}&sentence=x")
    assert response.status_code == 200
    assert "document_sentences" not in response.context


# --- the document form: save and go on to a claim; a new publisher by name ------------------


def document_form(**changes) -> dict[str, str]:
    return {
        "title": "Naval drills in the Caspian",
        "kind": "article",
        "publisher": "",
        "new_publisher": "",
        "new_publisher_kind": "outlet",
        "language": "en",
        "url": "https://caspian.example/drills",
        "archive_url": "",
        "published_at_0": "",
        "published_at_1": "",
        "retrieved_at_0": "",
        "retrieved_at_1": "",
        "body": BODY,
        **changes,
    }


def test_save_and_add_a_claim_goes_from_the_new_document_to_its_claim_form(editor):
    response = client_as(editor).post(reverse("admin:sources_document_add"), document_form(_addclaim="1"))
    document = Document.objects.get()
    assert response.status_code == 302
    assert response["Location"] == add_claim_url(document)


def test_a_new_publisher_named_on_the_document_form_is_added_as_a_source(editor):
    response = client_as(editor).post(
        reverse("admin:sources_document_add"),
        document_form(new_publisher="Caspian Courier", new_publisher_kind="outlet", _addclaim="1"),
    )
    assert response.status_code == 302
    document = Document.objects.select_related("publisher").get()
    assert (document.publisher.name, document.publisher.kind) == ("Caspian Courier", SourceKind.OUTLET)


def test_a_new_publisher_that_is_already_a_source_is_refused_on_its_field(editor):
    SourceFactory(name="Caspian Courier")
    response = client_as(editor).post(
        reverse("admin:sources_document_add"), document_form(new_publisher="caspian  courier")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["new_publisher"]
    assert "is already Caspian Courier" in errors[0]
    assert not Document.objects.exists() and Source.objects.count() == 1


def test_a_publisher_chosen_and_a_new_one_named_is_refused(editor):
    outlet = SourceFactory(name="Caspian Courier")
    response = client_as(editor).post(
        reverse("admin:sources_document_add"), document_form(publisher=str(outlet.pk), new_publisher="Other")
    )
    assert response.context["adminform"].form.errors == {
        "new_publisher": ["Choose the publisher from the list or name a new one, not both."]
    }


def test_a_documents_change_form_names_no_new_publisher(editor, article):
    page = client_as(editor).get(document_url(article)).content.decode()
    assert "id_new_publisher" not in page


# --- the chain form: documents per hop, a missing source added from its row ----------------


def test_each_hop_may_name_its_own_document_and_defaults_to_the_chains(editor, article):
    agency_report = DocumentFactory(title="The agency's report")
    reuters, ministry = SourceFactory(name="Reuters"), SourceFactory(name="Ministry")
    claim = ClaimFactory()
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    client = client_as(editor)
    page = client.get(url).content.decode()
    data = filled(
        page,
        "claim_form",
        **{
            "chain-document": str(article.pk),
            "chain-quote": TROOPS,
            "hop-0-source": str(article.publisher.pk),
            "hop-0-relation": "citing",
            "hop-0-quote": "Reuters reported",
            "hop-1-source": str(reuters.pk),
            "hop-1-relation": "citing",
            "hop-1-quote": "citing the ministry",
            "hop-1-document": str(agency_report.pk),
            "hop-2-source": str(ministry.pk),
        },
    )
    assert client.post(url, data).status_code == 302
    evidence = {
        e.statement.source.name: [(x.document.title, x.quote) for x in e.evidence.all()]
        for e in Attribution.objects.filter(claim=claim).select_related("statement__source")
    }
    assert evidence == {
        "Caspian Courier": [("Turkish troops in Azerbaijan", "Reuters reported")],
        "Reuters": [("The agency's report", "citing the ministry")],
    }


def test_a_document_on_the_origins_row_is_refused(editor, article):
    claim = ClaimFactory()
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    client = client_as(editor)
    page = client.get(url).content.decode()
    data = filled(page, "claim_form", **{"hop-0-source": str(article.publisher.pk), "hop-0-document": str(article.pk)})
    response = client.post(url, data)
    assert "leave its relation, quote, document and verified empty" in str(
        response.context["hop_formset"].forms[0].errors
    )


def test_each_hop_row_offers_the_plus_that_adds_a_source_in_a_popup(editor, article):
    page = client_as(editor).get(add_claim_url(article)).content.decode()
    popup = reverse("admin:sources_source_add") + "?_to_field=id&amp;_popup=1"
    for i in range(10):
        link = rf'<a class="related-widget-wrapper-link add-related" id="add_id_hop-{i}-source"\s+data-popup="yes"'
        assert re.search(rf'{link}\s+href="{re.escape(popup)}"', page), i


def test_without_the_right_to_add_sources_the_rows_offer_no_plus(article):
    from django.contrib.auth.models import Permission

    # Editor's rights but for adding sources.
    user = UserFactory(username="nadia", is_staff=True, roles=["editor"])
    user.groups.get().permissions.remove(Permission.objects.get(codename="add_source"))
    page = client_as(user).get(add_claim_url(article)).content.decode()
    assert 'id="add_id_hop-0-source"' not in page
    assert 'id="id_hop-0-source"' in page


def test_the_popup_adds_the_source_and_answers_with_no_inline_script(editor):
    response = client_as(editor).post(
        reverse("admin:sources_source_add") + "?_to_field=id&_popup=1",
        {"name": "Caspian Wire", "kind": "news_agency", "aliases": "", "_popup": "1", "_to_field": "id", "_save": "1"},
    )
    assert response.status_code == 200
    source = Source.objects.get(name="Caspian Wire")
    page = response.content.decode()
    assert f"&quot;value&quot;: &quot;{source.pk}&quot;" in page
    # Every script is a file of ours (the content security policy forbids inline ones).
    scripts = re.findall(r"<script\b([^>]*)>", page)
    assert scripts and all("src=" in attrs for attrs in scripts)
    assert "script-src 'self'" in response["Content-Security-Policy"]
