"""The claim page costs the same however big the claim's graph: a fixed number of
queries, and a page of bounded size (the latest hops and appearances, a picture and a
tree of bounded parts, each with a note of what it leaves out and a link to the rest)."""

from __future__ import annotations

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from claims.admin import MAX_DRAWN_EDGES, MAX_DRAWN_NODES, MAX_TREE_ROWS, QUOTE_CHARS
from claims.models import Appearance, Attribution, Claim, Evidence, Statement
from claims.services import HopInput, chain_record
from sources.models import Document, Source
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory
from tests.formdata import filled

pytestmark = pytest.mark.django_db

LONG_QUOTE = "The ministry said so. " * 220  # 4,840 characters


def graph(claim: Claim, nodes: int, fan: int = 3, appearances: int = 0) -> int:
    """A layered graph of ``nodes`` statements, each citing the next ``fan`` ones (so
    the chains are exponentially many and as long as the graph), written in bulk; and
    ``appearances`` documents the claim appears in. Answers the number of edges."""
    document = DocumentFactory(title="The article")
    sources = Source.objects.bulk_create([Source(name=f"Outlet {i}", kind="outlet") for i in range(nodes)])
    statements = Statement.objects.bulk_create([Statement(claim=claim, source=s) for s in sources])
    edges = [
        Attribution(
            claim=claim,
            statement=statements[i],
            upstream=statements[j],
            relation="citing",
            verified=(i + j) % 2 == 0,
        )
        for i in range(nodes)
        for j in range(i + 1, min(nodes, i + 1 + fan))
    ]
    Attribution.objects.bulk_create(edges, batch_size=2000)
    first = (statements[0].pk, statements[1].pk) if nodes > 1 else None
    Evidence.objects.bulk_create(
        [
            Evidence(
                attribution=e,
                claim=claim,
                document=document,
                quote=LONG_QUOTE
                if (e.statement_id, e.upstream_id) == first
                else f"As outlet {e.upstream_id} reported ({e.statement_id}).",
                relation="citing",
            )
            for e in edges
        ],
        batch_size=2000,
    )
    documents = Document.objects.bulk_create(
        [Document(title=f"Reprint {i}", url=f"https://reprints.example.org/{claim.pk}/{i}") for i in range(appearances)]
    )
    Appearance.objects.bulk_create([Appearance(claim=claim, document=d, quote=LONG_QUOTE) for d in documents])
    return len(edges)


def claim_page(user, claim: Claim):
    client = Client()
    client.force_login(user)
    return client.get(reverse("admin:claims_claim_change", args=[claim.pk]))


# session, user, roles; the claim and its topics; permissions (user's, groups'); the latest
# appearances, hops and reviews elsewhere (one each); the trace (one); a content type.
CLAIM_PAGE_QUERIES = 12


@pytest.mark.parametrize(("nodes", "appearances"), [(2, 0), (4, 1), (40, 10), (400, 60), (1500, 200)])
def test_the_claim_page_takes_the_same_queries_however_big_the_graph(
    editor, nodes, appearances, django_assert_num_queries
):
    claim = ClaimFactory()
    graph(claim, nodes, appearances=appearances)
    client = Client()
    client.force_login(editor)
    ContentType.objects.clear_cache()  # the same count whichever test ran before
    with django_assert_num_queries(CLAIM_PAGE_QUERIES):
        response = client.get(reverse("admin:claims_claim_change", args=[claim.pk]))
    assert response.status_code == 200


def test_a_claim_of_twelve_thousand_hops_is_a_page_the_size_of_one_of_a_thousand(editor):
    small, big = ClaimFactory(), ClaimFactory()
    assert graph(small, 400, appearances=60) == 1194
    assert graph(big, 4001, appearances=600) == 11997
    small_page, big_page = claim_page(editor, small), claim_page(editor, big)
    # The same parts, bounded: only the numbers in the notes differ.
    assert len(big_page.content) < 500_000
    assert abs(len(big_page.content) - len(small_page.content)) < 2_000
    assert LONG_QUOTE not in big_page.content.decode()  # quotes are cut short (QUOTE_CHARS)


def test_a_big_graph_shows_the_latest_hops_and_appearances_and_links_to_all_of_them(editor):
    claim = ClaimFactory()
    edges = graph(claim, 400, appearances=60)
    response = claim_page(editor, claim)
    page = response.content.decode()

    hops = response.context["inline_admin_formsets"][1].formset
    latest = list(Attribution.objects.filter(claim=claim).order_by("-id").values_list("id", flat=True)[:50])
    assert [form.instance.pk for form in hops.initial_forms] == latest
    assert f"Showing the latest 50 of {edges} attribution hops." in " ".join(page.split())
    appearances = response.context["inline_admin_formsets"][0].formset
    assert len(appearances.initial_forms) == 50
    assert "Showing the latest 50 appearances." in " ".join(page.split())

    # The links list them all, filtered by the claim.
    client = Client()
    client.force_login(editor)
    for url, model in [(hops.all_url, Attribution), (appearances.all_url, Appearance)]:
        assert f'href="{url}"' in page
        listed = client.get(url)
        assert listed.status_code == 200, url
        assert listed.context["cl"].result_count == model.objects.filter(claim=claim).count()
        other = ClaimFactory()
        assert client.get(url.replace(f"claim={claim.pk}", f"claim={other.pk}")).context["cl"].result_count == 0


def test_a_big_graph_is_drawn_as_its_first_chains_with_a_note_of_what_is_left_out(editor):
    claim = ClaimFactory()
    edges = graph(claim, 400)
    response = claim_page(editor, claim)
    drawn = response.context["trace_graph"]
    assert len(drawn["nodes"]) == MAX_DRAWN_NODES
    assert len(drawn["edges"]) == MAX_DRAWN_EDGES
    assert (drawn["nodes_total"], drawn["edges_total"], drawn["truncated"]) == (400, edges, True)
    # What is drawn is the beginning of the first chain the tree lists.
    first_chain = [hop.statement_id for hop in response.context["trace"].chains[0]]
    assert [node.statement_id for node in drawn["nodes"]] == first_chain[:MAX_DRAWN_NODES]
    text = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())
    assert f"Showing {MAX_DRAWN_NODES} of 400 sources and {MAX_DRAWN_EDGES} of {edges} hops" in text
    assert len(response.context["trace_tree"]) == MAX_TREE_ROWS
    assert f"the tree below shows their first {MAX_TREE_ROWS} rows; all the hops are listed on their own page" in text
    assert all(len(row["quote"]) <= QUOTE_CHARS for row in response.context["trace_tree"])


def test_a_graph_that_fits_is_drawn_whole_without_a_note(editor, seed_like_chain):
    response = claim_page(editor, seed_like_chain["claim"])
    drawn = response.context["trace_graph"]
    assert (len(drawn["nodes"]), len(drawn["edges"]), drawn["truncated"]) == (4, 3, False)
    page = response.content.decode()
    assert "trace-graph-truncated" not in page
    assert "Showing the latest" not in page


def test_many_origins_are_named_up_to_ten_then_counted(editor):
    claim = ClaimFactory()
    outlet = SourceFactory(name="Outlet")
    for i in range(25):
        chain_record(
            claim=claim,
            hops=[HopInput(source=outlet, relation="citing"), HopInput(source=SourceFactory(name=f"O{i:02}"))],
        )
    text = " ".join(re.sub(r"<[^>]+>", " ", claim_page(editor, claim).content.decode()).split())
    assert "25 origins (O00, O01, O02, O03, O04, O05, O06, O07, O08, O09 and 15 more)" in text


def test_the_claim_of_a_big_graph_saves_from_its_page(editor):
    claim = ClaimFactory(text="Before.")
    graph(claim, 200, appearances=60)
    client = Client()
    client.force_login(editor)
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    data = filled(client.get(url).content.decode(), "claim_form", text="After.")
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    claim.refresh_from_db()
    assert claim.text == "After."
    assert Attribution.objects.filter(claim=claim).count() == 594  # the hops not shown are kept
