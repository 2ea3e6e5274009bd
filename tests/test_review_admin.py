"""The admin's review of an import (ingestion/admin.py): the document's text beside its
proposals with sources and cue words marked; accept, edit and accept, attach to a
match, reject, one at a time or ticked in bulk; what auditors and strangers get; what
a hostile form gets (a message, never a 500)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.test import Client

from claims.models import Appearance, Claim, Statement
from ingestion.models import Proposal
from ingestion.review import document_text, marked
from ingestion.services import document_import
from sources.models import Source
from tests.factories import ClaimFactory
from tests.test_ingestion_api import TROOPS

# The seed article as a page gave it: its last line is the page's furniture.
BODY = yaml.safe_load((Path(__file__).resolve().parent.parent / "ingestion/cases/01_seed_article.yaml").read_text())[
    "body"
]

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(registry):
    return document_import(text=BODY, title="Turkish troops", publisher=registry["outlet"]).document


def page_of(document) -> str:
    return f"/admin/ingestion/proposal/review/{document.pk}/"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def troops(document) -> Proposal:
    return Proposal.objects.get(document=document, claim_text=TROOPS)


def test_marking_escapes_the_text_and_marks_mentions_and_cues_the_longest_first():
    html = marked(
        "<b>Troops</b> came, Reuters said, citing RIA news agency & RIA.", ["RIA news agency", "RIA"], ["citing"]
    )

    assert html == (
        '&lt;b&gt;Troops&lt;/b&gt; came, Reuters said, <mark class="cue">citing</mark> '
        '<mark class="mention">RIA news agency</mark> &amp; <mark class="mention">RIA</mark>.'
    )


def test_marking_finds_a_mention_at_the_start_and_each_time_and_marks_touching_words_apart():
    html = marked("RIA said RIA citing RIA", ["RIA"], ["said", "citing"])

    assert html == (
        '<mark class="mention">RIA</mark> <mark class="cue">said</mark> <mark class="mention">RIA</mark> '
        '<mark class="cue">citing</mark> <mark class="mention">RIA</mark>'
    )
    assert marked("TASSsaid", ["TASS"], ["said"]) == '<mark class="mention">TASS</mark><mark class="cue">said</mark>'
    assert marked("saidTASS", ["TASS"], ["said"]) == '<mark class="cue">said</mark><mark class="mention">TASS</mark>'
    assert marked("Nothing named", [""], [""]) == "Nothing named"


def test_the_text_is_each_paragraph_escaped_with_its_sentences_linked_in_order():
    body = (
        "A <b>first</b> one. Then. A second one. Then.\n\n  Spaced   out   line.  \nSubscribe to our newsletter.\n"
        "The cookie factory closed."  # words the furniture has, in a sentence of the article
    )
    then = marked("Then.", [], ["Then"])
    sentences = [
        (1, "Then.", then),
        (2, "Then.", then),
        (3, "Spaced out line.", marked("Spaced out line.", [], [])),
        (4, "The cookie factory closed.", marked("The cookie factory closed.", [], [])),
    ]

    paragraphs = document_text(body, sentences)

    link = '<a class="proposal-sentence" href="#proposal-{0}" id="sentence-{0}">{1}</a>'
    then = '<mark class="cue">Then</mark>.'
    assert [str(p.html) for p in paragraphs] == [
        f"A &lt;b&gt;first&lt;/b&gt; one. {link.format(1, then)} A second one. {link.format(2, then)}",
        link.format(3, "Spaced out line."),
        "Subscribe to our newsletter.",
        link.format(4, "The cookie factory closed."),
    ]
    assert [p.left_out for p in paragraphs] == [False, False, True, False]


def test_the_text_links_each_sentence_to_its_proposal_and_dims_the_pages_furniture():
    paragraphs = document_text(
        "First claim here.  Second one too.\n\nSubscribe to our newsletter.",
        [
            (7, "First claim here.", marked("First claim here.", [], [])),
            (8, "Second one too.", marked("Second one too.", [], [])),
        ],
    )

    assert [p.left_out for p in paragraphs] == [False, True]
    assert 'href="#proposal-7"' in paragraphs[0].html and 'id="sentence-8"' in paragraphs[0].html


def test_the_page_shows_the_text_beside_the_proposals_with_sources_and_cues_marked(
    editor, document, django_assert_num_queries
):
    client = logged_in(editor)
    client.get(page_of(document))  # the session and the user read once, as on any page

    with django_assert_num_queries(8):
        response = client.get(page_of(document))

    assert response.status_code == 200
    html = response.content.decode()
    proposal = troops(document)
    assert f'id="proposal-{proposal.pk}"' in html and f'href="#proposal-{proposal.pk}"' in html
    assert '<mark class="mention">Reuters</mark>' in html
    assert '<mark class="cue">citing</mark>' in html
    assert '<mark class="mention">Azerbaijan’s defence ministry</mark>' in html
    assert 'class="left-out"' in html  # the seed's last line, the page's furniture
    assert html.count('class="proposal status-pending"') == Proposal.objects.filter(document=document).count()
    assert (
        "Review its import" in logged_in(editor).get(f"/admin/sources/document/{document.pk}/change/").content.decode()
    )


def test_accepting_with_the_claim_reworded_writes_a_draft_with_its_appearance_and_chain(editor, document, registry):
    proposal = troops(document)

    response = logged_in(editor).post(
        page_of(document),
        {"decide": f"accept:{proposal.pk}", f"p{proposal.pk}-claim_text": "Turkish troops are in Azerbaijan."},
        follow=True,
    )

    assert "1 proposal accepted." in response.content.decode()
    claim = Claim.objects.get()
    assert (claim.text, claim.status) == ("Turkish troops are in Azerbaijan.", "draft")
    assert Appearance.objects.filter(claim=claim, document=document).exists()
    assert set(Statement.objects.filter(claim=claim).values_list("source_id", flat=True)) == {
        registry[name].pk for name in ("outlet", "reuters", "ria", "ministry")
    }
    proposal.refresh_from_db()
    assert (proposal.status, proposal.claim_id, proposal.decided_by_id) == ("accepted", claim.pk, editor.pk)


def test_attaching_to_a_match_adds_the_appearance_to_the_claim_recorded_before(editor, registry):
    recorded = ClaimFactory(text=TROOPS)
    document = document_import(text=BODY, publisher=registry["outlet"]).document
    proposal = troops(document)
    assert proposal.matches[0]["claim"] == recorded.pk

    logged_in(editor).post(
        page_of(document), {"decide": f"accept:{proposal.pk}", f"p{proposal.pk}-attach": recorded.pk}
    )

    assert list(Claim.objects.values_list("pk", flat=True)) == [recorded.pk]
    assert Appearance.objects.filter(claim=recorded, document=document).exists()


def test_a_source_the_registry_lacks_is_chosen_or_added_as_the_text_names_it(editor, registry):
    document = document_import(
        text="Troops crossed the border at dawn, the Caspian Herald reported.", publisher=registry["outlet"]
    ).document
    (proposal,) = Proposal.objects.filter(document=document)
    assert [hop["source"] for hop in proposal.hops] == [registry["outlet"].pk, None]
    client = logged_in(editor)

    refused = client.post(page_of(document), {"decide": f"accept:{proposal.pk}"}, follow=True).content.decode()
    assert "Give a source for hop 1 (the Caspian Herald)" in refused
    client.post(page_of(document), {"decide": f"accept:{proposal.pk}", f"p{proposal.pk}-hop1-new": "1"})

    herald = Source.objects.get(name="Caspian Herald")  # the text's words, without "the"
    assert Statement.objects.filter(source=herald, claim__text__startswith="Troops crossed").exists()


def test_ticked_proposals_are_decided_together_one_refused_leaving_the_others_decided(editor, registry):
    document = document_import(
        text="Troops crossed the border at dawn, Reuters reported. Shelling was heard near the town, "
        "the Caspian Herald reported. Officials closed the airport for the night.",
        publisher=registry["outlet"],
    ).document
    crossed, shelling, airport = Proposal.objects.filter(document=document).order_by("position")

    response = logged_in(editor).post(
        page_of(document), {"bulk": "accept", "selected": [crossed.pk, shelling.pk, airport.pk]}, follow=True
    )

    html = response.content.decode()
    assert "2 proposals accepted." in html and "Caspian Herald" in html
    statuses = dict(Proposal.objects.filter(document=document).values_list("pk", "status"))
    assert statuses == {crossed.pk: "accepted", shelling.pk: "pending", airport.pk: "accepted"}
    logged_in(editor).post(page_of(document), {"bulk": "reject", "selected": [shelling.pk]})
    assert Proposal.objects.get(pk=shelling.pk).status == "rejected"
    assert Claim.objects.count() == 2


def test_a_forged_form_naming_hundreds_of_proposals_gets_one_message(editor, document):
    client = logged_in(editor)
    # Beyond Django's 1,000 fields a form is a 400 before any of it is read.
    too_many = client.post(page_of(document), {"bulk": "reject", "selected": [str(pk) for pk in range(5000)]})
    assert too_many.status_code == 400

    response = client.post(
        page_of(document), {"bulk": "reject", "selected": [str(pk) for pk in range(10**6, 10**6 + 900)]}, follow=True
    )

    (message,) = [str(m) for m in response.context["messages"]]
    assert message.startswith("Not this document's proposals, left alone: 1000000, 1000001") and message.endswith(
        "and more."
    )
    assert not Proposal.objects.exclude(status="pending").exists()


def test_a_proposal_decided_already_is_not_decided_again(editor, document):
    proposal = troops(document)
    client = logged_in(editor)
    client.post(page_of(document), {"decide": f"reject:{proposal.pk}"})

    response = client.post(page_of(document), {"decide": f"accept:{proposal.pk}"}, follow=True)

    assert "was rejected already; nothing was changed" in response.content.decode()
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"decide": "accept:abc"},
        {"decide": "explode:1"},
        {"bulk": "accept", "selected": ["x", "-1", "99999999999999999999"]},
        {"bulk": "accept", "selected": ["999999"]},
        {"decide": "accept:{pk}", "p{pk}-hop1-source": "Reuters"},
        {"decide": "accept:{pk}", "p{pk}-hop1-source": "999999999"},
        {"decide": "accept:{pk}", "p{pk}-hop1-relation": "whispered"},
        {"decide": "accept:{pk}", "p{pk}-attach": "999999999"},
        {"decide": "accept:{pk}", "p{pk}-claim_text": "Troops\x00 arrived"},
    ],
)
def test_a_hostile_form_gets_a_message_and_changes_nothing(editor, document, form):
    pk = troops(document).pk
    data = {key.format(pk=pk): value.format(pk=pk) if isinstance(value, str) else value for key, value in form.items()}

    response = logged_in(editor).post(page_of(document), data, follow=True)

    assert response.status_code == 200
    assert response.context["messages"] and not Claim.objects.exists()
    assert not Proposal.objects.exclude(status="pending").exists()


def test_auditors_read_the_review_and_decide_nothing_strangers_are_sent_to_log_in(
    auditor, journalist, document, client
):
    proposal = troops(document)
    as_auditor = logged_in(auditor)

    html = as_auditor.get(page_of(document)).content.decode()
    assert TROOPS in html and 'name="decide"' not in html and 'name="selected"' not in html
    assert as_auditor.post(page_of(document), {"decide": f"accept:{proposal.pk}"}).status_code == 404
    assert client.get(page_of(document)).status_code == 302
    assert logged_in(journalist).get(page_of(document)).status_code == 302
    assert logged_in(auditor).get("/admin/ingestion/proposal/review/999999/").status_code == 404
    assert Proposal.objects.get(pk=proposal.pk).status == "pending"


def test_the_proposals_list_links_each_to_its_documents_review(auditor, document):
    html = logged_in(auditor).get("/admin/ingestion/proposal/?status__exact=pending").content.decode()

    assert f"{page_of(document)}#proposal-{troops(document).pk}" in html
