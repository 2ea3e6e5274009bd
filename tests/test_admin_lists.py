"""Lists an editor can scan: the claims list's columns and filters read from the stored
trace summaries, the source page's claims relying on it, and sending them back to review."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from claims import services
from claims.admin import SourceAdmin
from claims.admin.filters import claim_languages
from claims.models import Claim, ClaimStatus
from claims.services import HopInput, chain_record
from tests.factories import ClaimFactory, SourceFactory
from tests.test_admin import client_as, messages_of, text_of

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:claims_claim_changelist"


@pytest.fixture
def desk(db) -> dict:
    """An agency relaying a ministry, an anonymous source, and claims of each shape."""
    gov = SourceFactory(name="Government", kind="government")
    ministry = SourceFactory(name="Ministry of Defence", kind="government", parent=gov)
    army = SourceFactory(name="General Staff", kind="military", parent=gov)
    agency = SourceFactory(name="RIA Novosti", kind="news_agency")
    outlet = SourceFactory(name="Daily Outlet")
    whisper = SourceFactory(name="A source in the ministry", kind="anonymous")
    secret = SourceFactory(name="Colonel X", kind="person", confidential=True, public_description="an officer")
    long_text = "Turkish troops are in Azerbaijan for a joint training exercise with the Azerbaijani military " * 2

    def claim(text, *chains, status=ClaimStatus.PUBLISHED):
        made = ClaimFactory(text=text, status=status)
        for hops in chains:
            chain_record(claim=made, hops=hops)
        return made

    said = {"relation": "citing", "quote": "said"}
    return {
        "gov": gov,
        "ministry": ministry,
        "army": army,
        "agency": agency,
        "outlet": outlet,
        "whisper": whisper,
        "secret": secret,
        # One organisation, two of its bodies: one independent origin.
        "troops": claim(
            long_text.strip(),
            [HopInput(outlet, **said), HopInput(agency, **said), HopInput(ministry)],
            [HopInput(outlet, **said), HopInput(army)],
        ),
        "rumour": claim("A rumour.", [HopInput(outlet, **said), HopInput(whisper)], status=ClaimStatus.DRAFT),
        # A checked hop no quote evidences, and an outlet that says it on its own.
        "two": claim(
            "Two sources.", [HopInput(agency, relation="citing", verified=True), HopInput(secret)], [HopInput(outlet)]
        ),
        "bare": ClaimFactory(text="Nobody said it yet."),
    }


def rows(response) -> list[Claim]:
    return list(response.context["cl"].result_list)


def row_html(response, claim: Claim) -> str:
    page = response.content.decode()
    start = page.index(f'<a href="/admin/claims/claim/{claim.pk}/change/')
    return page[start : page.index("</tr>", start)]


# --- the list's columns ---------------------------------------------------------------------------


def test_the_list_shows_the_whole_claim_its_origins_independence_and_flags(editor, desk):
    response = client_as(editor).get(reverse(CHANGELIST))
    assert response.status_code == 200
    troops = row_html(response, desk["troops"])
    # The words, wrapped in a column of their own, not cut at a dozen characters.
    assert desk["troops"].text in text_of(response)
    assert f'<th class="field-claim_text"><a href="/admin/claims/claim/{desk["troops"].pk}/change/">' in (
        response.content.decode()
    )
    assert "#result_list .field-claim_text { min-width: 13em; max-width: 32em; white-space: normal;" in (
        response.content.decode()
    )
    # Origins by name, each a link to its page; one organisation counts once.
    assert f'<a href="/admin/sources/source/{desk["army"].pk}/change/">General Staff</a>' in troops
    assert "Ministry of Defence" in troops
    assert '<td class="field-independent_origins">1</td>' in troops
    assert '<span class="flag-badge flag-single_origin" title=' in troops
    assert ">one origin</span>" in troops and ">unverified</span>" in troops
    rumour = row_html(response, desk["rumour"])
    assert "A source in the ministry</a> (anonymous)" in rumour
    assert '<td class="field-independent_origins">0</td>' in rumour
    assert ">anonymous</span>" in rumour
    # The admin names confidential sources: editors and auditors are cleared for them.
    two = row_html(response, desk["two"])
    assert "Colonel X</a> (confidential)" in two and "Daily Outlet" in two
    assert '<td class="field-independent_origins">2</td>' in two
    bare = row_html(response, desk["bare"])
    assert '<td class="field-origin_names">—</td>' in bare


def test_many_origins_are_named_up_to_three_then_counted(editor, desk):
    outlet, claim = desk["outlet"], ClaimFactory(text="Everyone says so.")
    for i in range(5):
        chain_record(
            claim=claim,
            hops=[HopInput(outlet, relation="citing", quote="q"), HopInput(SourceFactory(name=f"Origin {i}"))],
        )
    response = client_as(editor).get(reverse(CHANGELIST))
    assert "Origin 2</a> and 2 more" in row_html(response, claim)


@pytest.mark.parametrize("more", [0, 12])
def test_the_list_costs_the_same_queries_however_many_rows(editor, desk, django_assert_num_queries, more):
    for i in range(more):
        chain_record(
            claim=ClaimFactory(text=f"Claim {i}."),
            hops=[HopInput(desk["outlet"], relation="citing"), HopInput(SourceFactory(name=f"Origin {i}"))],
        )
    client = client_as(editor)
    # session, user, roles, 2 for permissions, count, rows (with their summaries), topics,
    # the page's origins by name, the topic and language filters' choices.
    with django_assert_num_queries(11):
        response = client.get(reverse(CHANGELIST))
    assert len(rows(response)) == 4 + more
    # Filtered by a flag and by a source, one more: the chosen source's name (and, in a
    # test's transaction, a savepoint around the filtered list: BaseAdmin).
    with django_assert_num_queries(12 + 2):
        client.get(reverse(CHANGELIST), {"flag": "unverified_hop", "source": desk["outlet"].pk})


# --- the list's filters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("single_origin", ["troops"]),
        ("anonymous_origin", ["rumour"]),
        ("unverified_hop", ["troops", "rumour"]),
        ("no_evidence", ["two"]),
        ("circular_reporting", []),
    ],
)
def test_the_list_filters_by_a_flag(editor, desk, flag, expected):
    response = client_as(editor).get(reverse(CHANGELIST), {"flag": flag})
    assert {c.pk for c in rows(response)} == {desk[name].pk for name in expected}


def test_the_flag_filter_offers_every_flag_as_its_badge(editor, desk):
    response = client_as(editor).get(reverse(CHANGELIST), {"flag": "anonymous_origin"})
    page = response.content.decode()
    assert '<details data-filter-title="flag" open>' in page
    assert '<li class="selected">\n    <a href="?flag=anonymous_origin">anonymous</a></li>' in page
    for label in ("one origin", "one relay", "loop", "no origin", "unverified", "no quote"):
        assert f">{label}</a></li>" in page


def test_the_list_filters_by_a_source_relied_on_anywhere_or_as_origin(editor, desk):
    client = client_as(editor)
    relies = client.get(reverse(CHANGELIST), {"source": desk["agency"].pk})
    originates = client.get(reverse(CHANGELIST), {"origin": desk["agency"].pk})
    by_ministry = client.get(reverse(CHANGELIST), {"origin": desk["ministry"].pk})
    assert {c.pk for c in rows(relies)} == {desk["troops"].pk, desk["two"].pk}
    assert rows(originates) == []
    assert rows(by_ministry) == [desk["troops"]]
    both = client.get(reverse(CHANGELIST), {"source": desk["agency"].pk, "flag": "no_evidence"})
    assert rows(both) == [desk["two"]]


def test_the_source_filter_is_an_autocomplete_box_keeping_the_other_filters(editor, desk):
    response = client_as(editor).get(reverse(CHANGELIST), {"source": desk["agency"].pk, "flag": "single_origin"})
    page = response.content.decode()
    start = page.index('id="source-filter-source"')
    form = page[start : page.index("</form>", start)]
    assert '<input type="hidden" name="flag" value="single_origin">' in form
    assert 'name="source"' in form and 'class="admin-autocomplete"' in form
    assert 'data-ajax--url="/admin/autocomplete/" data-app-label="claims" data-model-name="statement"' in form
    assert f'<option value="{desk["agency"].pk}" selected>RIA Novosti</option>' in form
    # The box's script and styles (the admin's select2) come with the list.
    assert "admin/js/autocomplete.js" in page and "admin/css/autocomplete.css" in page
    # What the box asks for: sources by name or alias.
    found = client_as(editor).get(
        reverse("admin:autocomplete"),
        {"term": "ria", "app_label": "claims", "model_name": "statement", "field_name": "source"},
    )
    assert [r["id"] for r in found.json()["results"]] == [str(desk["agency"].pk)]


def test_the_list_filters_by_the_languages_claims_are_written_in(editor, desk):
    russian = ClaimFactory(text="Турецкие истребители остались в Гяндже.", language="ru")
    ClaimFactory(text="Türk askerleri Azerbaycan'da.", language="tr")
    # Its choices come from a skip scan of the language index: the same as reading them all.
    assert claim_languages() == sorted(set(Claim.objects.values_list("language", flat=True))) == ["en", "ru", "tr"]
    response = client_as(editor).get(reverse(CHANGELIST), {"language": "ru"})
    assert rows(response) == [russian]
    page = response.content.decode()
    assert '<details data-filter-title="language" open>' in page
    assert [f'<a href="?language={tag}">{tag}</a>' in page for tag in ("en", "ru", "tr")] == [True] * 3
    # A language nobody writes in lists nothing; markup in it is only text.
    nothing = client_as(editor).get(reverse(CHANGELIST), {"language": "<b>xx</b>"})
    assert nothing.status_code == 200 and rows(nothing) == [] and "<b>xx</b>" not in nothing.content.decode()


def test_no_claims_no_languages(db):
    assert claim_languages() == []


@pytest.mark.parametrize("query", [{"flag": "nonsense"}, {"flag": "<b>"}, {"origin": "abc"}, {"source": "1.5"}])
def test_a_value_the_filters_do_not_know_goes_back_to_the_list(editor, desk, query):
    response = client_as(editor).get(reverse(CHANGELIST), query)
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_an_auditor_reads_the_columns_and_filters_too(auditor, desk):
    response = client_as(auditor).get(reverse(CHANGELIST), {"flag": "single_origin"})
    assert rows(response) == [desk["troops"]]
    assert "General Staff" in row_html(response, desk["troops"])


# --- the source page ----------------------------------------------------------------------------------


def source_page(user, source):
    return client_as(user).get(reverse("admin:sources_source_change", args=[source.pk]))


def section(response) -> str:
    page = response.content.decode()
    start = page.index('id="relying-claims"')
    return page[start : page.index("</section>", start)]


def test_the_source_page_counts_the_claims_relying_on_it_by_role_with_their_distance(editor, desk):
    response = source_page(editor, desk["agency"])
    text = text_of(response)
    assert "2 claims rely on RIA Novosti (1 as an intermediary, 1 as the reporter)." in text
    html = section(response)
    troops = html[html.index(f"/admin/claims/claim/{desk['troops'].pk}/change/") :]
    assert '<td class="role role-intermediary">intermediary</td>' in troops[: troops.index("</tr>")]
    assert '<td class="distance">1 hop down</td>' in troops[: troops.index("</tr>")]
    two = html[html.index(f"/admin/claims/claim/{desk['two'].pk}/change/") :]
    assert '<td class="distance">reports it</td>' in two[: two.index("</tr>")]
    assert f'href="/admin/claims/claim/?source={desk["agency"].pk}" class="relying-all"' in html
    assert f'href="/admin/claims/claim/?origin={desk["agency"].pk}" class="relying-origin"' in html
    assert "Send these claims back to review" in html
    ministry = text_of(source_page(editor, desk["ministry"]))
    assert "1 claim relies on Ministry of Defence (1 as their origin)." in ministry
    assert "No claim relies on Government." in text_of(source_page(editor, desk["gov"]))


def test_the_source_page_lists_the_latest_claims_and_links_to_all(editor, desk, monkeypatch):
    monkeypatch.setattr(SourceAdmin, "relying_shown", 1)
    monkeypatch.setattr(SourceAdmin, "relying_counted", 1)
    response = source_page(editor, desk["agency"])
    html = section(response)
    assert html.count("<tr>") == 1 + 1  # the header and the latest claim
    assert f"/admin/claims/claim/{desk['two'].pk}/change/" in html
    text = text_of(response)
    assert "More than 1 claims rely on RIA Novosti (of the latest 1:" in text
    assert "The latest 1: all of them in the list of claims." in text


@pytest.mark.parametrize("more", [0, 25])
def test_the_source_page_costs_the_same_queries_however_many_claims_rely_on_it(
    editor, desk, django_assert_num_queries, more
):
    for i in range(more):
        chain_record(claim=ClaimFactory(text=f"Claim {i}."), hops=[HopInput(desk["outlet"]), HopInput(desk["agency"])])
    client = client_as(editor)
    url = reverse("admin:sources_source_change", args=[desk["agency"].pk])
    client.get(url)  # the content types, read once and kept
    # session, user, roles, the source, 2 for permissions; the relying claims (the latest,
    # with the source's role and their summaries), their distances (their graphs in one
    # read) and the latest counted by role.
    with django_assert_num_queries(9):
        response = client.get(url)
    assert len(response.context["relying_claims"]) == min(2 + more, SourceAdmin.relying_shown)


def test_an_auditor_reads_the_section_without_the_button(auditor, desk):
    html = section(source_page(auditor, desk["agency"]))
    assert "2 claims rely on RIA Novosti" in html.replace("<strong>", "").replace("</strong>", "")
    assert "Send these claims back to review" not in html


# --- sending claims back to review ---------------------------------------------------------------------


def send_back_url(source) -> str:
    return reverse("admin:sources_source_send_back", args=[source.pk])


def test_sending_back_asks_first_saying_how_many_and_which(editor, desk):
    response = client_as(editor).get(send_back_url(desk["agency"]))
    assert response.status_code == 200
    text = text_of(response)
    assert "2 published claims rely on RIA Novosti (anywhere in their chains)." in text
    assert desk["two"].text in text
    assert 'value="Yes, send them back to review"' in response.content.decode()
    # Nothing moved yet.
    assert set(Claim.objects.filter(pk__in=[desk["troops"].pk, desk["two"].pk]).values_list("status", flat=True)) == {
        ClaimStatus.PUBLISHED
    }


def test_sending_back_moves_only_published_claims_and_the_history_says_who_and_why(editor, desk):
    outlet = desk["outlet"]
    retracted = ClaimFactory(text="Withdrawn.", status=ClaimStatus.RETRACTED)
    chain_record(claim=retracted, hops=[HopInput(outlet)])
    events_before = Claim.pgh_event_model.objects.count()
    client = client_as(editor)
    response = client.post(send_back_url(outlet))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:sources_source_change", args=[outlet.pk]) + "#relying-claims"
    statuses = dict(Claim.objects.values_list("pk", "status"))
    assert statuses[desk["troops"].pk] == statuses[desk["two"].pk] == ClaimStatus.IN_REVIEW
    assert statuses[desk["rumour"].pk] == ClaimStatus.DRAFT
    assert statuses[retracted.pk] == ClaimStatus.RETRACTED
    assert statuses[desk["bare"].pk] == ClaimStatus.PUBLISHED  # relies on nobody
    events = list(Claim.pgh_event_model.objects.order_by("pgh_id").select_related("pgh_context")[events_before:])
    assert sorted(e.pgh_obj_id for e in events) == sorted([desk["troops"].pk, desk["two"].pk])
    for event in events:
        assert event.status == ClaimStatus.IN_REVIEW
        assert event.pgh_context.metadata["user"] == editor.pk
        assert event.pgh_context.metadata[services.SENT_BACK_FOR] == outlet.pk
    followed = client.get(response["Location"])
    assert "2 published claims relying on Daily Outlet sent back to review." in messages_of(followed)


def test_sending_back_goes_a_batch_at_a_time_and_says_when_some_remain(editor, desk):
    sent = services.claims_send_back(relying_on=desk["outlet"], limit=1)
    assert [c.pk for c in sent.claims] == [desk["two"].pk]  # the newest first
    assert sent.remaining
    sent = services.claims_send_back(relying_on=desk["outlet"], limit=1)
    assert [c.pk for c in sent.claims] == [desk["troops"].pk]
    assert not sent.remaining
    assert services.claims_send_back(relying_on=desk["outlet"]).claims == []


def test_only_editors_send_claims_back(auditor, desk):
    client = client_as(auditor)
    assert client.get(send_back_url(desk["agency"])).status_code == 403
    assert client.post(send_back_url(desk["agency"])).status_code == 403
    assert Claim.objects.get(pk=desk["two"].pk).status == ClaimStatus.PUBLISHED
    assert Client().post(send_back_url(desk["agency"])).status_code == 302  # to the login page
    assert Claim.objects.get(pk=desk["two"].pk).status == ClaimStatus.PUBLISHED


def test_sending_back_an_unknown_source_is_a_404(editor, desk):
    client = client_as(editor)
    assert client.get("/admin/sources/source/999999/send-back/").status_code == 404
    assert client.get("/admin/sources/source/abc/send-back/").status_code == 404


def test_a_statement_removed_in_the_admin_takes_its_origin_off_the_claims_summary(editor, desk):
    from claims.models import Statement, TraceSummary

    lone = Statement.objects.get(claim=desk["two"], source=desk["outlet"])
    client = client_as(editor)
    response = client.post(reverse("admin:claims_statement_delete", args=[lone.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert TraceSummary.objects.get(claim=desk["two"]).origin_ids == [desk["secret"].pk]
    used = Statement.objects.get(claim=desk["two"], source=desk["agency"])
    client.post(
        reverse("admin:claims_statement_changelist"),
        {"action": "delete_selected", "_selected_action": [used.pk], "post": "yes"},
    )
    assert Statement.objects.filter(pk=used.pk).exists()  # part of a chain: Django protects it
