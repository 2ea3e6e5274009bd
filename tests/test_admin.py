"""The Django admin for editors, journalists and auditors, through the test client."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from claims.models import Appearance, Attribution, Claim, ClaimStatus, Statement
from claims.services import HopInput, chain_record
from sources.models import Source
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, TopicFactory, UserFactory
from tests.formdata import filled

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_journalist(db):
    """A journalist marked as staff: the admin still turns them away (it shows
    confidential sources; journalists read through the API, redacted)."""
    return UserFactory(username="dave", roles=["journalist"], is_staff=True)


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def chain_post(document=None, quote: str = "", hops=()) -> dict[str, str]:
    """The chain form's POST data: hops as (source, relation, quote, verified)."""
    data = {
        "chain-document": str(document.pk) if document else "",
        "chain-quote": quote,
        "hop-TOTAL_FORMS": "10",
        "hop-INITIAL_FORMS": "0",
        "hop-MIN_NUM_FORMS": "0",
        "hop-MAX_NUM_FORMS": "10",
    }
    for i, (source, relation, hop_quote, verified) in enumerate(hops):
        data[f"hop-{i}-source"] = str(source.pk)
        data[f"hop-{i}-relation"] = relation
        data[f"hop-{i}-quote"] = hop_quote
        if verified:
            data[f"hop-{i}-verified"] = "on"
    return data


def text_of(response) -> str:
    """The page's visible text, tags stripped and spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    return re.sub(r" ([.,;:])(?=\s|$)", r"\1", text)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- changelists ------------------------------------------------------------------------


@pytest.fixture
def several_rows(db):
    """Three claims with topics and two-hop chains, so an N+1 would show."""
    agency = SourceFactory(name="Agency", parent=SourceFactory(name="Agency group"))
    for i in range(3):
        document = DocumentFactory(title=f"Report {i}")
        claim = ClaimFactory(text=f"Claim {i} about the exercise.")
        claim.topics.set([TopicFactory(), TopicFactory()])
        chain_record(
            claim=claim,
            document=document,
            quote=f"Claim {i}, the agency said.",
            hops=[HopInput(source=document.publisher, relation="citing", quote="said"), HopInput(source=agency)],
        )


@pytest.mark.parametrize(
    ("changelist", "queries"),
    [
        # session, user, roles, 2 for permissions, count, rows, then per changelist:
        ("claims_claim", 11),  # topics prefetch, origins' names, topic and language filter choices
        ("claims_appearance", 8),  # document language filter choices
        ("claims_statement", 8),  # source country filter choices
        ("claims_attribution", 7),
        ("claims_topic", 8),  # the full count (topics are few)
        ("sources_source", 8),  # country filter choices
        ("sources_document", 8),  # language filter choices
    ],
)
def test_changelists_load_for_an_editor_in_a_fixed_number_of_queries(
    editor, several_rows, django_assert_num_queries, changelist, queries
):
    client = client_as(editor)
    url = reverse(f"admin:{changelist}_changelist")
    with django_assert_num_queries(queries):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 3


def test_claim_changelist_shows_topics_without_a_query_per_claim(editor, several_rows, django_assert_num_queries):
    client = client_as(editor)
    url = reverse("admin:claims_claim_changelist")
    ClaimFactory.create_batch(5)
    with django_assert_num_queries(11):
        response = client.get(url)
    assert len(response.context["cl"].result_list) == 8


def test_source_search_matches_an_alias(editor):
    ria = SourceFactory(name="RIA Novosti", aliases=["RIA", "РИА Новости"])
    SourceFactory(name="Reuters")
    client = client_as(editor)
    response = client.get(reverse("admin:sources_source_changelist"), {"q": "риа"})
    assert list(response.context["cl"].result_list) == [ria]


def test_source_autocomplete_matches_an_alias_and_tells_namesakes_apart(editor):
    ria = SourceFactory(name="RIA Novosti", kind="news_agency", country="RU", aliases=["Russian news agency RIA"])
    SourceFactory(name="Interfax")
    client = client_as(editor)
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": "russian news", "app_label": "claims", "model_name": "statement", "field_name": "source"},
    )
    assert response.json()["results"] == [
        {"id": str(ria.pk), "text": "RIA Novosti — news agency, RU (also Russian news agency RIA)"}
    ]


def test_claim_search_matches_word_prefixes_in_the_text(editor):
    troops = ClaimFactory(text="Turkish troops are in Azerbaijan for a joint training exercise.")
    ClaimFactory(text="F-16s remained at Ganja International Airport.")
    client = client_as(editor)
    response = client.get(reverse("admin:claims_claim_changelist"), {"q": "turk troop"})
    assert list(response.context["cl"].result_list) == [troops]


def test_claim_changelist_filters_by_a_source_anywhere_in_the_chain(editor, seed_like_chain):
    ClaimFactory(text="A claim nobody attributed.")
    client = client_as(editor)
    url = reverse("admin:claims_claim_changelist")
    by_ria = client.get(url, {"source": seed_like_chain["ria"].pk})
    by_origin = client.get(url, {"origin": seed_like_chain["ministry"].pk})
    by_origin_ria = client.get(url, {"origin": seed_like_chain["ria"].pk})
    assert list(by_ria.context["cl"].result_list) == [seed_like_chain["claim"]]
    assert list(by_origin.context["cl"].result_list) == [seed_like_chain["claim"]]
    assert list(by_origin_ria.context["cl"].result_list) == []
    assert "RIA Novosti" in text_of(by_ria)


def test_claim_changelist_filter_by_an_unknown_source_lists_nothing(editor, seed_like_chain):
    response = client_as(editor).get(reverse("admin:claims_claim_changelist"), {"source": 999999})
    assert list(response.context["cl"].result_list) == []


def test_source_page_links_to_what_relies_on_it(editor, seed_like_chain):
    ria = seed_like_chain["ria"]
    response = client_as(editor).get(change_url(ria))
    page = response.content.decode()
    assert f'href="/api/v1/sources/{ria.pk}/dependents/"' in page
    assert f'href="/admin/claims/claim/?source={ria.pk}"' in page
    assert "What relies on this source?" in page


# --- saving through the services -----------------------------------------------------------


def test_editor_creates_a_claim_through_the_add_form(editor):
    topic = TopicFactory(name="Military exercises")
    response = client_as(editor).post(
        reverse("admin:claims_claim_add"),
        {
            "text": "Turkish troops are in Azerbaijan.",
            "language": "en",
            "topic_list": [str(topic.pk)],
            "status": "draft",
            "rating": "",
            "rating_explanation": "",
            "event_start": "",
            "event_end": "",
            "appearances-TOTAL_FORMS": "0",
            "appearances-INITIAL_FORMS": "0",
            "attributions-TOTAL_FORMS": "0",
            "attributions-INITIAL_FORMS": "0",
            "foreign_reviews-TOTAL_FORMS": "0",
            "foreign_reviews-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.text, claim.status, claim.created_by, list(claim.topics.all())) == (
        "Turkish troops are in Azerbaijan.",
        ClaimStatus.DRAFT,
        editor,
        [topic],
    )


def claim_form_data(claim: Claim, **changes) -> dict[str, str]:
    data = {
        "text": claim.text,
        "language": claim.language,
        "status": claim.status,
        "rating": claim.rating,
        "rating_explanation": claim.rating_explanation,
        "event_start": "",
        "event_end": "",
        "appearances-TOTAL_FORMS": "0",
        "appearances-INITIAL_FORMS": "0",
        "attributions-TOTAL_FORMS": "0",
        "attributions-INITIAL_FORMS": "0",
        "foreign_reviews-TOTAL_FORMS": "0",
        "foreign_reviews-INITIAL_FORMS": "0",
    }
    return {**data, **changes}


def test_a_status_change_the_workflow_forbids_is_shown_on_the_form(editor):
    claim = ClaimFactory(status=ClaimStatus.RETRACTED, text="An old claim.")
    response = client_as(editor).post(
        change_url(claim), claim_form_data(claim, status="published", text="An old claim, reworded.")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"status": ["A retracted claim cannot become published."]}
    # What the editor typed is still there, and nothing was saved.
    assert "An old claim, reworded." in response.content.decode()
    claim.refresh_from_db()
    assert (claim.status, claim.text) == (ClaimStatus.RETRACTED, "An old claim.")


def test_a_parent_loop_is_shown_on_the_source_form(editor):
    government = SourceFactory(name="Government")
    ministry = SourceFactory(name="Ministry", parent=government)
    response = client_as(editor).post(
        change_url(government), {"name": "Government", "kind": "government", "aliases": "", "parent": ministry.pk}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "parent": ["Ministry is already below Government: that would make a loop."]
    }
    government.refresh_from_db()
    assert government.parent is None


def test_source_aliases_are_cleaned_by_the_service(editor):
    response = client_as(editor).post(
        reverse("admin:sources_source_add"), {"name": "RIA Novosti", "kind": "news_agency", "aliases": "RIA, ria , РИА"}
    )
    assert response.status_code == 302
    assert Source.objects.get().aliases == ["RIA", "РИА"]


# --- the claim page: trace and chain form -----------------------------------------------------


def test_claim_page_shows_the_trace_tree_flags_and_graph(editor, seed_like_chain):
    response = client_as(editor).get(change_url(seed_like_chain["claim"]))
    text = text_of(response)
    assert "1 chain, 1 origin (Ministry of Defence of Azerbaijan), 1 independent." in text
    assert "single_origin The only chain leads to Ministry of Defence of Azerbaijan." in text
    assert (
        "The article's publisher └ reported by Reuters unverified ..., Reuters reported."
        " in Turkish troops in Azerbaijan for joint military drills"
    ) in text
    assert "└ informed by Ministry of Defence of Azerbaijan origin unverified" in text
    page = response.content.decode()
    assert page.count('<g class="node') == 4
    assert page.count('<g class="edge unverified">') == 3
    assert 'class="node kind-government origin"' in page


def test_claim_page_draws_convergent_chains_into_one_node_and_a_loop_as_a_back_edge(editor):
    claim = ClaimFactory()
    outlet, paper = SourceFactory(name="Outlet"), SourceFactory(name="Paper")
    reuters, ria = SourceFactory(name="Reuters"), SourceFactory(name="RIA Novosti")
    chain_record(claim=claim, hops=[HopInput(source=outlet, relation="citing"), HopInput(source=ria)])
    chain_record(
        claim=claim,
        hops=[
            HopInput(source=paper, relation="citing"),
            HopInput(source=reuters, relation="citing", verified=True),
            HopInput(source=ria),
        ],
    )
    chain_record(claim=claim, hops=[HopInput(source=ria, relation="citing"), HopInput(source=reuters)])
    graph = client_as(editor).get(change_url(claim)).context["trace_graph"]
    # Topology, not pixels: reporting ends in the first column, every other source to
    # their right, one node per source; of the two edges between RIA and Reuters, the
    # one that closes the loop is drawn going back.
    column = {node.name: node.column for node in graph["nodes"]}
    assert column["Outlet"] == column["Paper"] == 0 < min(column["RIA Novosti"], column["Reuters"])
    assert len(graph["nodes"]) == 4
    assert [(e.title, e.loop) for e in graph["edges"]] == [
        ("Outlet citing RIA Novosti (not verified)", False),
        ("Paper citing Reuters (not verified)", False),
        ("Reuters citing RIA Novosti", True),
        ("RIA Novosti citing Reuters (not verified)", False),
    ]


def test_recording_a_chain_from_the_claim_page_shows_it_in_the_trace(editor):
    claim = ClaimFactory(text="F-16s remained at Ganja International Airport.")
    document = DocumentFactory(title="Turkish troops in Azerbaijan", publisher=None)
    reuters = SourceFactory(name="Reuters", kind="news_agency")
    ria = SourceFactory(name="RIA Novosti", kind="news_agency")
    client = client_as(editor)
    response = client.post(
        change_url(claim),
        {
            **claim_form_data(claim),
            **chain_post(
                document=document,
                quote="F-16s remained at Ganja",
                hops=[(reuters, "citing", "Reuters said, citing RIA", True), (ria, "", "", False)],
            ),
            "_continue": "Save and record chain",
        },
        follow=True,
    )
    assert response.redirect_chain == [(change_url(claim) + "#trace", 302)]
    assert "Chain recorded: Reuters → RIA Novosti." in messages_of(response)
    text = text_of(response)
    assert (
        "Reuters └ citing RIA Novosti origin verified Reuters said, citing RIA in Turkish troops in Azerbaijan" in text
    )
    assert "single_origin The only chain leads to RIA Novosti." in text
    edge = Attribution.objects.get(claim=claim)
    assert (edge.statement.source, edge.upstream.source, edge.relation, edge.verified) == (reuters, ria, "citing", True)
    assert [(e.document, e.quote, e.relation) for e in edge.evidence.all()] == [
        (document, "Reuters said, citing RIA", "citing")
    ]
    assert Appearance.objects.get(claim=claim).quote == "F-16s remained at Ganja"


def test_self_citation_in_the_chain_form_is_an_error_next_to_what_was_typed(editor):
    claim = ClaimFactory()
    reuters = SourceFactory(name="Reuters")
    document = DocumentFactory(title="Wire story")
    response = client_as(editor).post(
        change_url(claim),
        {
            **claim_form_data(claim, text="Reworded while recording the chain."),
            **chain_post(
                document=document,
                quote="Reuters said so",
                hops=[(reuters, "citing", "Reuters said, citing Reuters", False), (reuters, "", "", False)],
            ),
        },
    )
    assert response.status_code == 200
    hops = response.context["hop_formset"]
    assert hops.forms[1].errors == {"source": ["Reuters cannot cite itself."]}
    page = response.content.decode()
    assert 'value="Reuters said, citing Reuters"' in page
    assert ">\nReuters said so</textarea>" in page
    assert f'<option value="{document.pk}" selected>Wire story</option>' in page
    # The claim's own edit is still in the form, and nothing was saved: neither of them.
    assert ">\nReworded while recording the chain.</textarea>" in page
    assert messages_of(response) == ["Nothing was saved: the chain has errors, shown below."]
    assert not Statement.objects.filter(claim=claim).exists()
    assert Claim.objects.get(pk=claim.pk).text == claim.text


def test_chain_form_asks_for_the_relation_between_hops_and_refuses_one_on_the_origin(editor):
    claim = ClaimFactory()
    reuters, ria = SourceFactory(name="Reuters"), SourceFactory(name="RIA Novosti")
    response = client_as(editor).post(
        change_url(claim),
        {**claim_form_data(claim), **chain_post(hops=[(reuters, "", "", False), (ria, "citing", "", False)])},
    )
    hops = response.context["hop_formset"]
    assert hops.forms[0].errors == {"relation": ["Say how Reuters got the claim from RIA Novosti."]}
    assert hops.forms[1].errors == {
        "__all__": [
            "The last hop is the origin: leave its relation, quote, document and verified empty, "
            "or add the hop it got the claim from."
        ]
    }
    assert not Statement.objects.filter(claim=claim).exists()


def test_chain_form_without_hops_says_what_is_missing(editor):
    claim = ClaimFactory()
    document = DocumentFactory()
    response = client_as(editor).post(
        change_url(claim), {**claim_form_data(claim), **chain_post(document=document, quote="The quote.")}
    )
    assert response.context["hop_formset"].non_form_errors() == [
        "Give at least one hop: the source that states the claim."
    ]


def test_an_empty_chain_form_saves_the_claim_alone(editor):
    claim = ClaimFactory(text="Before.")
    response = client_as(editor).post(change_url(claim), {**claim_form_data(claim, text="After."), **chain_post()})
    assert response.status_code == 302
    assert Claim.objects.get(pk=claim.pk).text == "After."
    assert not Statement.objects.filter(claim=claim).exists()


def test_one_save_records_the_claims_edits_and_its_chain_together(editor):
    claim = ClaimFactory(text="Before.", rating="")
    reuters, ria = SourceFactory(name="Reuters"), SourceFactory(name="RIA Novosti")
    response = client_as(editor).post(
        change_url(claim),
        {
            **claim_form_data(claim, text="After.", rating="false"),
            **chain_post(hops=[(reuters, "citing", "", False), (ria, "", "", False)]),
        },
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.text, claim.rating) == ("After.", "false")
    assert [s.source.name for s in Statement.objects.filter(claim=claim).order_by("id")] == ["Reuters", "RIA Novosti"]


def test_auditor_reads_the_claim_page_without_the_chain_form_and_cannot_post_a_chain(auditor, seed_like_chain):
    claim = seed_like_chain["claim"]
    reuters = seed_like_chain["reuters"]
    client = client_as(auditor)
    page = client.get(change_url(claim))
    posted = client.post(change_url(claim), {**claim_form_data(claim), **chain_post(hops=[(reuters, "", "", False)])})
    assert page.status_code == 200
    assert "Record a chain" not in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert "single_origin" in page.content.decode()
    assert posted.status_code == 403


def test_auditor_cannot_change_a_claim(auditor):
    claim = ClaimFactory(text="As it was.")
    response = client_as(auditor).post(change_url(claim), claim_form_data(claim, text="Changed."))
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.text == "As it was."


# --- actions and deletion -------------------------------------------------------------------


def run_action(client: Client, action: str, claims: list[Claim]):
    return client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": action, "_selected_action": [str(c.pk) for c in claims]},
        follow=True,
    )


def test_publish_action_publishes_and_reports_each_claim_it_cannot(editor):
    # Rated, explained, two independent origins through checked, quoted hops: nothing to
    # confirm, so no checklist page (tests/test_admin_publish.py has those).
    draft = ClaimFactory(status=ClaimStatus.DRAFT, text="A draft.", rating="true", rating_explanation="Seen.")
    outlet = SourceFactory()
    for origin in (SourceFactory(), SourceFactory()):
        chain_record(
            claim=draft, hops=[HopInput(source=outlet, relation="citing", quote="…", verified=True), HopInput(origin)]
        )
    retracted = ClaimFactory(status=ClaimStatus.RETRACTED, text="A retracted claim.")
    published = ClaimFactory(status=ClaimStatus.PUBLISHED, text="Already out.")
    response = run_action(client_as(editor), "publish", [draft, retracted, published])
    assert messages_of(response) == [
        "“A retracted claim.”: A retracted claim cannot become published.",
        "“Already out.” was already published.",
        "1 claim published.",
    ]
    statuses = {c.text: c.status for c in Claim.objects.all()}
    assert statuses == {"A draft.": "published", "A retracted claim.": "retracted", "Already out.": "published"}
    draft.refresh_from_db()
    assert draft.published_at is not None


def test_retract_action_retracts_claims(editor):
    claims = [ClaimFactory(status=ClaimStatus.PUBLISHED), ClaimFactory(status=ClaimStatus.IN_REVIEW)]
    response = run_action(client_as(editor), "retract", claims)
    assert messages_of(response) == ["2 claims retracted."]
    assert set(Claim.objects.values_list("status", flat=True)) == {"retracted"}


def test_claims_cannot_be_deleted_in_the_admin(editor, django_user_model):
    claim = ClaimFactory()
    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    for user in (editor, superuser):
        client = client_as(user)
        delete = client.get(reverse("admin:claims_claim_delete", args=[claim.pk]))
        changelist = client.get(reverse("admin:claims_claim_changelist"))
        assert delete.status_code == 403
        assert [name for name, _ in changelist.context["action_form"].fields["action"].choices] == [
            "",
            "publish",
            "retract",
        ]
    assert Claim.objects.filter(pk=claim.pk).exists()


def test_a_journalist_is_turned_away_from_the_admin_even_as_staff(staff_journalist):
    claim = ClaimFactory()
    client = client_as(staff_journalist)
    for url in (reverse("admin:index"), reverse("admin:claims_claim_changelist"), change_url(claim)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_an_auditor_reads_claims_without_actions_or_a_save_button(auditor):
    claim = ClaimFactory()
    client = client_as(auditor)
    changelist = client.get(reverse("admin:claims_claim_changelist"))
    page = client.get(change_url(claim))
    assert changelist.status_code == 200
    assert changelist.context["action_form"] is None
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert "Record a chain" not in page.content.decode()


# --- change history ---------------------------------------------------------------------------


# The history page and the record as it stood: tests/test_history_admin.py.


def loaded_version(response) -> str:
    return response.context["adminform"].form["loaded_version"].value()


def test_a_save_over_someone_elses_later_change_is_refused_once_and_keeps_what_was_typed(editor):
    from claims.services import claim_update

    claim = ClaimFactory(status=ClaimStatus.DRAFT, text="Drills began on Monday.")
    client = client_as(editor)
    opened = client.get(change_url(claim))
    assert 'name="loaded_version"' in opened.content.decode()
    claim_update(claim=Claim.objects.get(pk=claim.pk), text="Drills began on Monday, the ministry said.")

    refused = client.post(
        change_url(claim),
        claim_form_data(claim, text="My rewording.", loaded_version=loaded_version(opened)),
    )

    assert refused.status_code == 200
    assert "Someone else saved this claim" in refused.context["adminform"].form.non_field_errors()[0]
    assert "My rewording." in refused.content.decode()
    assert Claim.objects.get(pk=claim.pk).text == "Drills began on Monday, the ministry said."

    # Saving again after the warning is a deliberate overwrite.
    saved = client.post(
        change_url(claim),
        claim_form_data(claim, text="My rewording.", loaded_version=loaded_version(refused)),
    )
    assert saved.status_code == 302
    assert Claim.objects.get(pk=claim.pk).text == "My rewording."


def test_a_save_from_an_up_to_date_page_goes_through(editor):
    source = SourceFactory(name="Interfax")
    client = client_as(editor)
    opened = client.get(change_url(source))

    response = client.post(
        change_url(source),
        {
            "name": "Interfax",
            "kind": source.kind,
            "aliases": "",
            "description": "",
            "country": "RU",
            "url": "",
            "wikidata_qid": "",
            "reliability": "",
            "loaded_version": loaded_version(opened),
        },
    )

    assert response.status_code == 302
    source.refresh_from_db()
    assert source.country == "RU"


# --- two editors on one record ---------------------------------------------------------------


def test_two_editors_changing_different_fields_both_keep_their_change(editor):
    other = UserFactory(username="erin", roles=["editor"], is_staff=True)
    claim = ClaimFactory(status=ClaimStatus.DRAFT, text="Drills began on Monday.", rating="")
    alice, erin = client_as(editor), client_as(other)
    alice_page = alice.get(change_url(claim)).content.decode()
    erin_page = erin.get(change_url(claim)).content.decode()

    assert erin.post(change_url(claim), filled(erin_page, "claim_form", rating="false")).status_code == 302
    response = alice.post(change_url(claim), filled(alice_page, "claim_form", text="Drills began on Tuesday."))

    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.text, claim.rating) == ("Drills began on Tuesday.", "false")


def test_the_same_field_changed_twice_is_shown_side_by_side_and_nothing_is_reverted(editor):
    other = UserFactory(username="erin", roles=["editor"], is_staff=True)
    claim = ClaimFactory(status=ClaimStatus.DRAFT, text="Drills began on Monday.", rating="", language="en")
    alice, erin = client_as(editor), client_as(other)
    alice_page = alice.get(change_url(claim)).content.decode()
    erin_page = erin.get(change_url(claim)).content.decode()
    erin.post(change_url(claim), filled(erin_page, "claim_form", text="Erin's wording.", rating="false"))

    refused = alice.post(change_url(claim), filled(alice_page, "claim_form", text="Alice's wording.", language="az"))

    assert refused.status_code == 200
    [conflict] = refused.context["conflicts"]
    assert (conflict.label, conflict.opened, conflict.theirs, conflict.yours) == (
        "Text",
        "Drills began on Monday.",
        "Erin's wording.",
        "Alice's wording.",
    )
    page = refused.content.decode()
    assert 'id="save-conflict"' in page
    claim.refresh_from_db()
    assert (claim.text, claim.rating, claim.language) == ("Erin's wording.", "false", "en")
    # Erin's rating is now in Alice's form; saving again keeps Alice's text and language
    # (what her form shows) and Erin's rating.
    assert refused.context["adminform"].form["rating"].value() == "false"
    saved = alice.post(change_url(claim), filled(page, "claim_form"))
    assert saved.status_code == 302
    claim.refresh_from_db()
    assert (claim.text, claim.rating, claim.language) == ("Alice's wording.", "false", "az")


def test_a_long_document_travels_once_and_another_editors_new_body_is_kept(editor):
    other = UserFactory(username="erin", roles=["editor"], is_staff=True)
    body = "Войска прибыли в Гянджу. " * 12_000  # 300,000 characters, 550 kB of UTF-8
    document = DocumentFactory(title="Long report", body=body)
    alice, erin = client_as(editor), client_as(other)
    alice_page = alice.get(change_url(document)).content.decode()
    erin_page = erin.get(change_url(document)).content.decode()
    form = filled(alice_page, "document_form", title="Long report, retitled")
    # The body is in the form once, with a digest of it beside: not twice.
    assert sum(
        len(v) for values in form.values() for v in (values if isinstance(values, list) else [values])
    ) < 2 * len(body)

    new_body = body + "Дополнение."
    assert erin.post(change_url(document), filled(erin_page, "document_form", body=new_body)).status_code == 302
    assert alice.post(change_url(document), form).status_code == 302

    document.refresh_from_db()
    assert (document.title, document.body) == ("Long report, retitled", new_body)


def test_correcting_a_hop_in_the_admin_keeps_what_a_chain_recorded_meanwhile(editor):
    claim = ClaimFactory()
    reuters, ria = SourceFactory(name="Reuters"), SourceFactory(name="RIA Novosti")
    chain_record(claim=claim, hops=[HopInput(source=reuters, relation="citing"), HopInput(source=ria)])
    edge = Attribution.objects.get(claim=claim)
    client = client_as(editor)
    page = client.get(change_url(edge)).content.decode()
    # Meanwhile the same hop is recorded again, with a quote and checked.
    chain_record(
        claim=claim,
        hops=[HopInput(source=reuters, relation="citing", quote="Reuters said", verified=True), HopInput(source=ria)],
    )

    response = client.post(change_url(edge), filled(page, "attribution_form", relation="quoting"))

    assert response.status_code == 302
    edge.refresh_from_db()
    assert (edge.relation, edge.verified) == ("quoting", True)
    assert [e.quote for e in edge.evidence.all()] == ["Reuters said"]


def test_the_claim_pages_appearances_are_read_there_and_corrected_on_their_own_page(editor):
    claim = ClaimFactory()
    appearance = Appearance.objects.create(claim=claim, document=DocumentFactory(), quote="As first typed.")
    client = client_as(editor)
    claim_page = client.get(change_url(claim)).content.decode()
    assert "As first typed." in claim_page
    assert 'name="appearances-0-quote"' not in claim_page  # nothing to edit there
    page = client.get(change_url(appearance)).content.decode()
    Appearance.objects.filter(pk=appearance.pk).update(quote="Corrected by someone else.")
    response = client.post(change_url(appearance), filled(page, "appearance_form"))
    assert response.status_code == 302
    appearance.refresh_from_db()
    assert appearance.quote == "Corrected by someone else."
