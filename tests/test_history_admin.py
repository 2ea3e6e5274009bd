"""The admin's history page and the record as it stood: newest first, names instead of
ids, word diffs, filters, who may open them, and what a page costs."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pghistory
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from claims.models import Attribution, Claim, ClaimStatus, Evidence
from claims.services import HopInput, chain_record, claim_update
from core.admin import DIFF_CONTEXT, word_diff
from sources.services import source_update
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, TopicFactory, UserFactory
from tests.test_admin import claim_form_data

pytestmark = pytest.mark.django_db


def client_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def history_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_history", args=[obj.pk])


def as_of_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_as_of", args=[obj.pk])


def text_of(response) -> str:
    """The page's visible text, tags stripped and spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def entries(response) -> list:
    return list(response.context["entries"])


def what(response) -> list[tuple[str, str]]:
    return [(e.headline, e.label) for e in entries(response)]


@pytest.fixture
def staff_journalist(db):
    return UserFactory(username="dave", roles=["journalist"], is_staff=True)


# --- order and names ------------------------------------------------------------------------


def test_newest_first(auditor):
    claim = ClaimFactory(text="Version 1.")
    for n in (2, 3):
        Claim.objects.filter(pk=claim.pk).update(text=f"Version {n}.")

    rows = entries(client_as(auditor).get(history_url(claim)))

    assert [(e.action, [(c.before, c.after) for c in e.changes]) for e in rows[:2]] == [
        ("update", [("Version 2.", "Version 3.")]),
        ("update", [("Version 1.", "Version 2.")]),
    ]
    assert rows[-1].headline == "Created claim"


def test_newest_first_across_transactions(committed_db):
    auditor = UserFactory(is_superuser=True, is_staff=True)
    claim = ClaimFactory(text="First.")
    chain_record(claim=claim, hops=[HopInput(source=SourceFactory(name="Reuters"))])
    claim_update(claim=claim, text="Second.")

    rows = entries(client_as(auditor).get(history_url(claim)))

    assert [(e.headline, e.label) for e in rows] == [
        ("Changed claim", ""),
        ("Added source in the graph", "Reuters"),
        ("Created claim", ""),
    ]
    assert rows[0].at > rows[1].at > rows[2].at


def test_a_change_saved_in_the_admin_says_who_where_and_what_in_words(editor, auditor):
    claim = ClaimFactory(status=ClaimStatus.DRAFT, text="Troops arrived.")
    client_as(editor).post(
        reverse("admin:claims_claim_change", args=[claim.pk]), claim_form_data(claim, status="in_review")
    )

    response = client_as(auditor).get(history_url(claim))

    latest = entries(response)[0]
    assert (latest.actor, latest.app, latest.headline) == ("alice", "admin", "Changed claim")
    assert [(c.field, c.before, c.after) for c in latest.changes] == [("status", "Draft", "In review")]
    assert '<th scope="row">status</th>' in response.content.decode()


def test_hops_statements_appearances_and_topics_are_named_as_an_editor_would(auditor, seed_like_chain):
    claim = seed_like_chain["claim"]
    claim_update(claim=claim, topics=[TopicFactory(name="Military drills")])
    edge = Attribution.objects.get(claim=claim, upstream__source=seed_like_chain["ministry"])
    edge.verified = True
    edge.save()

    response = client_as(auditor).get(history_url(claim))

    # One test transaction: every change has the same time, the hops' and their evidence's last.
    assert what(response)[:4] == [
        ("Added evidence", f"“{quote}” in “Turkish troops in Azerbaijan for joint military drills”, for {hop}")
        for quote, hop in [
            ("which was informed about the exercise", "RIA Novosti informed by Ministry of Defence of Azerbaijan"),
            ("Reuters said, citing Russia’s RIA news agency", "Reuters citing RIA Novosti"),
            ("..., Reuters reported.", "The article's publisher reported by Reuters"),
        ]
    ] + [("Changed hop", "RIA Novosti informed by Ministry of Defence of Azerbaijan")]
    assert set(what(response)) >= {
        ("Added topic", "Military drills"),
        ("Added hop", "Reuters citing RIA Novosti"),
        ("Added hop", "The article's publisher reported by Reuters"),
        ("Added source in the graph", "RIA Novosti"),
        ("Added appearance", "in “Turkish troops in Azerbaijan for joint military drills”"),
    }
    page = text_of(response)
    assert not re.search(r"statement \d", page) and "informed_by" not in page
    # The hop's fields name its ends, and its evidence's the hop and the document, not their ids.
    added = next(e for e in entries(response) if e.label == "Reuters citing RIA Novosti")
    assert [(c.field, c.after) for c in added.changes][:3] == [
        ("statement", "Reuters"),
        ("upstream", "RIA Novosti"),
        ("relation", "citing"),
    ]
    evidence = next(e for e in entries(response) if e.label.endswith("for Reuters citing RIA Novosti"))
    assert [(c.field, c.after) for c in evidence.changes if c.field in ("attribution", "document")] == [
        ("attribution", "Reuters citing RIA Novosti"),
        ("document", "“Turkish troops in Azerbaijan for joint military drills”"),
    ]


def test_a_source_renamed_or_deleted_since_is_named_as_now_or_from_its_last_event(auditor):
    claim = ClaimFactory()
    ria, defunct = SourceFactory(name="RIA"), SourceFactory(name="Defunct agency")
    chain_record(claim=claim, hops=[HopInput(source=ria, relation="citing"), HopInput(source=defunct)])
    source_update(source=ria, name="RIA Novosti")
    Attribution.objects.filter(claim=claim).delete()
    claim.statements.filter(source=defunct).delete()
    defunct.delete()

    labels = [label for _, label in what(client_as(auditor).get(history_url(claim)))]

    assert {"Defunct agency (deleted)", "RIA Novosti citing Defunct agency (deleted)"} <= set(labels)


def test_a_confidential_source_is_named_on_the_history_page_for_the_cleared(auditor, editor):
    claim = ClaimFactory()
    informant = SourceFactory(name="Colonel Secretov", confidential=True, public_description="An officer")
    chain_record(
        claim=claim, hops=[HopInput(source=SourceFactory(name="Wire"), relation="citing"), HopInput(source=informant)]
    )

    for user in (auditor, editor):
        assert "Wire citing Colonel Secretov" in text_of(client_as(user).get(history_url(claim)))


def test_document_and_source_pages_name_their_references_too(auditor):
    agency = SourceFactory(name="Anadolu Agency")
    document = DocumentFactory(title="Drills", publisher=SourceFactory(name="Old publisher"))
    document.publisher = agency
    document.save()
    ministry = SourceFactory(name="Ministry of Defence")
    ministry.parent = SourceFactory(name="Government of Azerbaijan")
    ministry.save()

    document_change = entries(client_as(auditor).get(history_url(document)))[0]
    ministry_change = entries(client_as(auditor).get(history_url(ministry)))[0]

    assert [(c.field, c.before, c.after) for c in document_change.changes] == [
        ("publisher", "Old publisher", "Anadolu Agency")
    ]
    assert [(c.field, c.before, c.after) for c in ministry_change.changes] == [
        ("parent", "—", "Government of Azerbaijan")
    ]


# --- word diffs -------------------------------------------------------------------------------

LONG = (
    "Turkish troops are in Azerbaijan for a training exercise with the Azerbaijani military, "
    "Reuters reported, citing Russia's RIA news agency, which was informed by the ministry."
)


def test_a_long_text_is_compared_word_by_word(auditor):
    claim = ClaimFactory(text=LONG)
    claim_update(claim=claim, text=LONG.replace("a training exercise", "a joint training exercise"))

    change = entries(client_as(auditor).get(history_url(claim)))[0].changes[0]

    assert change.field == "text"
    assert "<ins>joint</ins>" in change.words
    assert "<del>" not in change.words
    assert "Turkish troops are in Azerbaijan for a <ins>joint</ins> training exercise" in change.words


def test_html_in_a_diff_is_shown_as_text_never_run(auditor):
    claim = ClaimFactory(text=LONG)
    claim_update(claim=claim, text=LONG + ' <script>alert("x")</script> <b>bold</b>')

    response = client_as(auditor).get(history_url(claim))

    page = response.content.decode()
    assert "<script>alert" not in page and "<b>bold" not in page
    assert "<ins>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;</ins>" in page


def test_html_in_a_short_value_is_escaped_too(auditor):
    claim = ClaimFactory(text="<i>short</i>")
    claim_update(claim=claim, text="<img src=x onerror=alert(1)>")

    page = client_as(auditor).get(history_url(claim)).content.decode()

    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_word_diff_marks_removed_and_added_words_and_shortens_what_did_not_change():
    before = " ".join(f"w{i}" for i in range(100))
    after = before.replace("w50", "fifty").replace("w99", "").strip()

    diff = str(word_diff(before, after))

    assert "<del>w50</del> <ins>fifty</ins>" in diff or "<del>w50</del><ins> fifty</ins>" in diff
    assert "<del>w99</del>" in diff
    # Long unchanged stretches keep only DIFF_CONTEXT words beside each change.
    assert "w0 " not in diff and "w10 " not in diff and "…" in diff
    assert f"w{50 - DIFF_CONTEXT}" in diff and f"w{50 - DIFF_CONTEXT - 1} " not in diff


def test_word_diff_of_a_huge_text_stays_fast_and_small():
    body = " ".join(f"word{i}" for i in range(200_000))
    diff = str(word_diff(body, body.replace("word100000 ", "changed ")))

    assert "<del>word100000</del>" in diff and "<ins>changed</ins>" in diff
    assert len(diff) < 1_000


def test_word_diff_escapes_everything():
    assert str(word_diff("a <b>", "a <i>")) == "a <del>&lt;b&gt;</del> <ins>&lt;i&gt;</ins>"


# --- filters ----------------------------------------------------------------------------------


def test_filter_by_person(auditor):
    erin, frank = UserFactory(username="erin"), UserFactory(username="frank")
    claim = ClaimFactory(status=ClaimStatus.DRAFT)
    with pghistory.context(user=erin.pk, app="admin"):
        claim_update(claim=claim, status=ClaimStatus.IN_REVIEW)
    with pghistory.context(user=frank.pk, app="admin"):
        claim_update(claim=claim, rating="false")
    client = client_as(auditor)

    everyone = client.get(history_url(claim))
    by_erin = client.get(history_url(claim), {"actor": str(erin.pk)})
    by_nobody = client.get(history_url(claim), {"actor": "none"})

    assert everyone.context["actors"] == [
        (str(erin.pk), "erin"),
        (str(frank.pk), "frank"),
        ("none", "nobody known (scripts, the shell)"),
    ]
    assert [(e.actor, e.action) for e in entries(by_erin)] == [("erin", "update")]
    assert [(e.actor, e.action) for e in entries(by_nobody)] == [(None, "insert")]
    assert by_erin.context["entries"].paginator.count == 1


def test_filter_by_field(auditor, seed_like_chain):
    claim = seed_like_chain["claim"]
    claim_update(claim=claim, status=ClaimStatus.IN_REVIEW)
    claim_update(claim=claim, text="Reworded.")
    Attribution.objects.filter(claim=claim).update(relation="according_to")
    client = client_as(auditor)

    text = client.get(history_url(claim), {"field": "text"})
    relation = client.get(history_url(claim), {"field": "relation"})

    assert [(e.action, [c.field for c in e.changes]) for e in entries(text)] == [
        ("update", ["text"]),
        # An insert lists the fields that hold something.
        ("insert", ["text", "status", "event approximate", "language"]),
    ]
    # Inserts of hops and of their evidence list their relation; the bulk update changed the three hops.
    assert [e.headline for e in entries(relation)] == ["Added evidence"] * 3 + ["Changed hop"] * 3 + ["Added hop"] * 3


def test_filters_it_cannot_use_are_said_and_left_out(auditor):
    claim = ClaimFactory()
    client = client_as(auditor)

    for params in ({"actor": "1 OR 1=1"}, {"field": "password"}, {"field": "text'--"}, {"p": "x"}):
        response = client.get(history_url(claim), params)
        assert response.status_code == 200
        assert [e.action for e in entries(response)] == ["insert"]
    assert "has no such field" in text_of(client.get(history_url(claim), {"field": "password"}))


def test_pages_keep_the_filters(auditor):
    claim = ClaimFactory()
    for i in range(60):
        Claim.objects.filter(pk=claim.pk).update(text=f"Edit {i}")

    response = client_as(auditor).get(history_url(claim), {"field": "text"})

    assert response.context["entries"].paginator.count == 61
    assert 'href="?p=2&amp;field=text"' in response.content.decode()


# --- who may read it ----------------------------------------------------------------------------


def test_editors_and_auditors_open_the_history_and_the_record_as_it_stood(editor, auditor):
    claim = ClaimFactory()
    moment = {"at": "2999-01-01T00:00:00Z"}

    for user in (editor, auditor):
        client = client_as(user)
        assert client.get(history_url(claim)).status_code == 200
        assert client.get(as_of_url(claim), moment).status_code == 200
        assert (
            'class="historylink"' in client.get(reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
        )


def test_journalists_and_users_without_a_role_do_not(staff_journalist, journalist, outsider):
    claim = ClaimFactory()
    outsider.is_staff = True
    outsider.save()

    for user in (staff_journalist, journalist, outsider):
        client = client_as(user)
        for url in (history_url(claim), as_of_url(claim) + "?at=2999-01-01T00:00:00Z"):
            response = client.get(url)
            assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_editor_without_the_change_permission_does_not(editor):
    from django.contrib.auth.models import Group

    # Editors open the history of what they may edit: take that right away and the page closes.
    group = Group.objects.get(name="editor")
    group.permissions.remove(*group.permissions.filter(codename="change_claim"))
    claim = ClaimFactory()

    assert client_as(editor).get(history_url(claim)).status_code == 403
    assert client_as(editor).get(as_of_url(claim), {"at": "2999-01-01T00:00:00Z"}).status_code == 403


# --- the record as it stood ---------------------------------------------------------------------


def db_now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def test_the_claim_as_of_between_two_edits_shows_the_old_text_and_the_old_graph(committed_db):
    auditor = UserFactory(is_superuser=True, is_staff=True)
    reuters, ria, ministry = (SourceFactory(name=n) for n in ("Reuters", "RIA Novosti", "Ministry of Defence"))
    drills = TopicFactory(name="Military drills")
    claim = ClaimFactory(text="Turkish troops are in Azerbaijan.", status=ClaimStatus.DRAFT)
    claim_update(claim=claim, topics=[drills])
    chain_record(
        claim=claim,
        document=DocumentFactory(title="Troops in Azerbaijan"),
        quote="Turkish troops are in Azerbaijan",
        hops=[HopInput(source=reuters, relation="citing"), HopInput(source=ria)],
    )
    between = db_now()
    claim_update(
        claim=claim, text="Turkish troops are in Azerbaijan for joint drills.", status=ClaimStatus.IN_REVIEW, topics=[]
    )
    chain_record(claim=claim, hops=[HopInput(source=ria, relation="informed_by"), HopInput(source=ministry)])
    client = client_as(auditor)

    then = client.get(as_of_url(claim), {"at": between.isoformat()})
    now = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))

    assert then.status_code == 200
    page = text_of(then)
    assert f"As of {between:%Y-%m-%d %H:%M:%S}" in page and "read-only" in page
    assert "Turkish troops are in Azerbaijan." in page and "joint drills" not in page
    assert then.context["record"]["claim"].status == "draft"
    assert then.context["record"]["topics"] == ["Military drills"]
    assert [name for name, _, _ in then.context["record"]["appearances"]] == ["“Troops in Azerbaijan”"]
    assert [o.name for o in then.context["trace"].origins] == ["RIA Novosti"]
    assert "Ministry of Defence" not in page
    assert [o.name for o in now.context["trace"].origins] == ["Ministry of Defence"]
    # Nothing on it to change or save.
    assert "<form" not in then.content.decode().split('id="content-main"')[1]


def test_each_entry_links_to_the_record_as_of_its_moment(committed_db):
    auditor = UserFactory(is_superuser=True, is_staff=True)
    claim = ClaimFactory(text="Old wording.")
    claim_update(claim=claim, text="New wording.")
    client = client_as(auditor)

    newest, oldest = entries(client.get(history_url(claim)))
    old = client.get(oldest.as_of_url)
    new = client.get(newest.as_of_url)

    assert old.context["record"]["claim"].text == "Old wording."
    assert new.context["record"]["claim"].text == "New wording."


def test_before_the_claim_existed_there_is_nothing_to_show(auditor):
    claim = ClaimFactory()
    created = entries(client_as(auditor).get(history_url(claim)))[0].at

    response = client_as(auditor).get(as_of_url(claim), {"at": (created - timedelta(seconds=1)).isoformat()})

    assert response.status_code == 404
    assert "did not exist at that moment" in text_of(response)


def test_a_moment_that_is_not_one_goes_back_to_the_history_with_a_message(auditor):
    claim = ClaimFactory()
    client = client_as(auditor)

    for at in ("yesterday", "", "99999-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00-23:59"):
        response = client.get(as_of_url(claim), {"at": at})
        assert response.status_code == 302 and response["Location"] == history_url(claim)
    assert "not a moment" in text_of(client.get(as_of_url(claim), {"at": "x"}, follow=True))


def test_a_source_as_it_stood(committed_db):
    auditor = UserFactory(is_superuser=True, is_staff=True)
    source = SourceFactory(name="RIA", kind="news_agency", parent=SourceFactory(name="Rossiya Segodnya"))
    between = db_now()
    source_update(source=source, name="RIA Novosti")

    response = client_as(auditor).get(as_of_url(source), {"at": between.isoformat()})

    fields = dict(response.context["record"]["fields"])
    assert (fields["Name"], fields["Kind"], fields["Parent"]) == ("RIA", "News agency", "Rossiya Segodnya")


# --- what a page costs --------------------------------------------------------------------------


def history_of(entries_wanted: int):
    document = DocumentFactory(title="Drills")
    claim = ClaimFactory()
    chain_record(
        claim=claim,
        document=document,
        quote="troops",
        hops=[
            HopInput(source=SourceFactory(name="Reuters"), relation="citing"),
            HopInput(source=SourceFactory(name="RIA")),
        ],
    )
    edge = Attribution.objects.get(claim=claim)
    for i in range(entries_wanted - 6):
        Evidence.objects.filter(attribution=edge).update(quote=f"quote {i}")
    return claim


@pytest.mark.parametrize("size", [6, 500])
def test_a_history_page_costs_the_same_however_long_the_history(auditor, django_assert_num_queries, size):
    claim = history_of(size)
    client = client_as(auditor)
    client.get(history_url(claim))  # the session and the user's permissions, read once

    # Session, user, roles; the claim (and its topics); the user's permissions (may they
    # change it?); the people who changed it; the count and the page; the names on it
    # (statements' sources, documents, sources).
    with django_assert_num_queries(13):
        response = client.get(history_url(claim))

    assert response.context["entries"].paginator.count == size
    assert len(entries(response)) == min(size, 50)


def test_a_reader_not_cleared_for_confidential_sources_would_get_ids_not_names(seed_like_chain):
    # Nobody but the cleared reads a history today; were that to change, names stay out.
    from claims.history import claim_history
    from core.access import Viewer

    claim = seed_like_chain["claim"]
    journalist = claim_history(claim.pk).for_viewer(Viewer(roles=frozenset({"journalist"})))
    auditor = claim_history(claim.pk).for_viewer(Viewer(roles=frozenset({"auditor"})))

    assert not any("RIA Novosti" in e.summary or e.label or e.named for e in journalist)
    assert any("Reuters citing RIA Novosti" in e.summary for e in auditor)
