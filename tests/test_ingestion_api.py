"""Importing an article over the API and deciding its proposals (ingestion/api.py,
ingestion/services.py): what an editor gets, what a second import changes (nothing),
what hostile input gets, and what accepting writes."""

from __future__ import annotations

import pytest
import yaml

from claims.models import Appearance, Claim, Statement
from ingestion.models import Proposal
from sources.models import Document
from tests.factories import ClaimFactory, SourceFactory
from tests.test_extraction import SEED

pytestmark = pytest.mark.django_db

BODY = yaml.safe_load(SEED.read_text(encoding="utf-8"))["document"]["body"]
TROOPS = "Turkish troops are in Azerbaijan for a training exercise with the Azerbaijani military."


def imported(client, **fields):
    return client.post("/api/v1/documents/import/", fields, format="json")


def test_an_article_gives_a_proposal_a_sentence_with_its_chain_resolved(editor_client, registry):
    response = imported(editor_client, text=BODY, title="Turkish troops", publisher=registry["outlet"].pk)

    assert response.status_code == 201, response.json()
    body = response.json()
    troops = next(p for p in body["proposals"] if p["claim_text"] == TROOPS)
    assert [(hop["source"], hop["relation"]) for hop in troops["hops"]] == [
        (registry["outlet"].pk, "reported"),
        (registry["reuters"].pk, "citing"),
        (registry["ria"].pk, "informed_by"),
        (registry["ministry"].pk, None),
    ]
    assert troops["status"] == "pending" and troops["claim"] is None
    assert body["document"]["title"] == "Turkish troops"
    assert len(body["proposals"]) == Proposal.objects.count() > 10
    assert not Claim.objects.exists()  # nothing is a claim until an editor accepts it


def test_importing_the_same_article_again_changes_nothing(editor_client, registry):
    first = imported(editor_client, text=BODY, publisher=registry["outlet"].pk).json()
    again = imported(editor_client, text=BODY, publisher=registry["outlet"].pk)

    assert again.status_code == 200
    assert again.json() == first
    assert (Document.objects.count(), Proposal.objects.count()) == (1, len(first["proposals"]))


def test_a_saved_page_is_read_without_its_boilerplate(editor_client, registry):
    html = (
        "<html><head><title>Troops | The Outlet</title>"
        '<meta property="article:published_time" content="2021-06-23T10:00:00Z"></head><body>'
        "<nav>Home | World | Sport</nav><article><h1>Turkish troops in Azerbaijan</h1>"
        f"<p>{TROOPS[:-1]}, Reuters reported.</p>"
        "<p>The new drills began on Monday and have already seen the deployment of drones, Reuters said.</p>"
        "</article><footer>Subscribe to our newsletter. © 2021 The Outlet</footer></body></html>"
    )

    response = imported(editor_client, html=html, publisher=registry["outlet"].pk)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["document"]["title"] == "Turkish troops in Azerbaijan"
    assert body["proposals"][0]["claim_text"] == TROOPS
    assert not any("Subscribe" in p["sentence"] or "Home" in p["sentence"] for p in body["proposals"])
    drills = body["proposals"][1]
    assert (drills["event_start"], drills["event_approximate"]) == ("2021-06-21", False)  # the Monday before


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "text"),
        ({"text": "Troops crossed the river.", "html": "<p>Troops crossed the river.</p>"}, "text"),
        ({"text": "x" * 500_001}, "text"),
        ({"text": "Troops crossed the river.", "publisher": 999_999}, "publisher"),
        ({"text": "Troops crossed the river.", "url": "javascript:alert(1)"}, "url"),
        ({"html": "<html><body><nav>Menu</nav></body></html>"}, "html"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(editor_client, fields, field):
    response = imported(editor_client, **fields)

    assert response.status_code == 400, response.json()
    assert field in {item["field"] for item in response.json()["errors"]}
    assert not Document.objects.exists()


@pytest.mark.parametrize(("who", "expected"), [("journalist_client", 403), ("api_client", 401)])
def test_only_editors_import(request, who, expected):
    assert imported(request.getfixturevalue(who), text="Troops crossed the river.").status_code == expected


def test_a_documents_proposals_are_listed_in_order(editor_client, auditor_client, registry):
    document = imported(editor_client, text=BODY, publisher=registry["outlet"].pk).json()["document"]

    listed = auditor_client.get(f"/api/v1/documents/{document['id']}/proposals/", {"page_size": 3}).json()

    assert listed["count"] == Proposal.objects.count()
    assert [p["id"] for p in listed["results"]] == list(
        Proposal.objects.order_by("position").values_list("id", flat=True)[:3]
    )
    assert auditor_client.get("/api/v1/documents/999999/proposals/").status_code == 404


def test_accepting_writes_the_claim_its_appearance_and_its_chain_once(editor_client, registry):
    proposals = imported(editor_client, text=BODY, publisher=registry["outlet"].pk).json()["proposals"]
    troops = next(p for p in proposals if p["claim_text"] == TROOPS)

    response = editor_client.post(f"/api/v1/proposals/{troops['id']}/accept/", {}, format="json")
    again = editor_client.post(f"/api/v1/proposals/{troops['id']}/accept/", {}, format="json")

    assert response.status_code == 201, response.json()
    trace = response.json()
    assert trace["claim"]["text"] == TROOPS and trace["claim"]["status"] == "draft"
    assert {o["name"] for o in trace["origins"]} == {"Ministry of Defence of Azerbaijan"}
    assert Statement.objects.filter(claim_id=trace["claim"]["id"]).count() == 4
    assert Appearance.objects.get(claim_id=trace["claim"]["id"]).quote == troops["quote"]
    assert again.status_code == 400 and "accepted already" in again.json()["detail"]
    assert Proposal.objects.get(pk=troops["id"]).claim_id == trace["claim"]["id"]


def test_a_hop_the_registry_does_not_know_needs_a_source_before_accepting(editor_client, registry):
    proposal = imported(
        editor_client, text="No civilians were hurt, border guards said.", publisher=registry["outlet"].pk
    ).json()["proposals"][0]
    guards = SourceFactory(name="State Border Service")
    url = f"/api/v1/proposals/{proposal['id']}/accept/"

    refused = editor_client.post(url, {}, format="json")
    hops = [{**hop, "source": hop["source"] or guards.pk} for hop in proposal["hops"]]
    accepted = editor_client.post(url, {"hops": hops, "claim_text": "No civilians were hurt."}, format="json")

    assert refused.status_code == 400 and "border guards" in refused.json()["detail"]
    assert accepted.status_code == 201, accepted.json()
    assert accepted.json()["claim"]["text"] == "No civilians were hurt."
    assert [o["name"] for o in accepted.json()["origins"]] == ["State Border Service"]


def test_accepting_into_an_existing_claim_adds_an_appearance_not_a_claim(editor_client, registry):
    existing = ClaimFactory(text="Troops are in Azerbaijan.", status="draft")
    proposal = imported(
        editor_client, text=f"{TROOPS[:-1]}, Reuters reported.", publisher=registry["outlet"].pk
    ).json()["proposals"][0]

    response = editor_client.post(f"/api/v1/proposals/{proposal['id']}/accept/", {"claim": existing.pk}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["claim"]["id"] == existing.pk
    assert Claim.objects.count() == 1
    assert existing.appearances.count() == 1


def test_rejecting_decides_it_and_a_decided_proposal_stays_decided(editor_client, journalist_client, registry):
    proposal = imported(editor_client, text="Troops crossed the river.", publisher=registry["outlet"].pk).json()[
        "proposals"
    ][0]
    url = f"/api/v1/proposals/{proposal['id']}"

    assert journalist_client.post(f"{url}/reject/").status_code == 403
    assert editor_client.post(f"{url}/reject/").json()["status"] == "rejected"
    assert editor_client.post(f"{url}/accept/", {}, format="json").status_code == 400
    assert editor_client.post("/api/v1/proposals/999999/reject/").status_code == 404
    assert not Claim.objects.exists()


def test_the_command_imports_a_file_once_and_lists_its_proposals(tmp_path, registry):
    from io import StringIO

    from django.core.management import CommandError, call_command

    article = tmp_path / "troops.txt"
    article.write_text(BODY, encoding="utf-8")
    out, again = StringIO(), StringIO()

    call_command(
        "import_document", str(article), publisher=registry["outlet"].pk, published_at="2021-06-23", stdout=out
    )
    call_command("import_document", str(article), publisher=registry["outlet"].pk, stdout=again)

    assert out.getvalue().startswith("Imported document ")
    assert (
        f"{TROOPS}  [(publisher) > Reuters > Russia’s RIA news agency > Azerbaijan’s defence ministry]"
        in out.getvalue()
    )
    assert again.getvalue().startswith("Already imported, unchanged: document ")
    assert Document.objects.count() == 1
    with pytest.raises(CommandError, match="No source has the id 999999"):
        call_command("import_document", str(article), publisher=999999, stdout=StringIO())
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_document", str(tmp_path / "missing.txt"), stdout=StringIO())
    with pytest.raises(CommandError, match="--published-at"):
        call_command("import_document", str(article), published_at="yesterday", stdout=StringIO())


def test_has_this_been_checked_finds_claims_like_a_text_that_the_asker_may_read(api_client, editor_client):
    published = ClaimFactory(text="Turkish troops are in Azerbaijan for a joint exercise.")
    draft = ClaimFactory(text="Turkish troops are in Azerbaijan for drills.", status="draft")
    ClaimFactory(text="Prices of gas fell in Europe.")

    public = api_client.get("/api/v1/claims/similar/", {"text": "Are Turkish troops in Azerbaijan?"}).json()
    editors = editor_client.get("/api/v1/claims/similar/", {"text": "Turkish troops Azerbaijan", "limit": 1}).json()

    assert [c["id"] for c in public["results"]] == [published.pk]
    assert public["results"][0]["search"]["score"] > 0
    assert len(editors["results"]) == 1 and editors["results"][0]["id"] in (published.pk, draft.pk)
    assert api_client.get("/api/v1/claims/similar/").status_code == 400
    assert api_client.get("/api/v1/claims/similar/", {"text": "x" * 2001}).status_code == 400
    assert api_client.get("/api/v1/claims/similar/", {"text": "troops", "limit": 0}).status_code == 400


def test_proposals_are_for_those_who_may_know_a_confidential_source(
    editor_client, journalist_client, auditor_client, api_client
):
    # A proposal puts a source's id beside the text's words for it: here, a
    # confidential source's name.
    insider = SourceFactory(name="Colonel Nazarov", confidential=True, public_description="An officer")
    outlet = SourceFactory(name="The Outlet")
    document = imported(
        editor_client, text="The convoy left at dawn, Colonel Nazarov said.", publisher=outlet.pk
    ).json()["document"]
    url = f"/api/v1/documents/{document['id']}/proposals/"

    assert auditor_client.get(url).json()["results"][0]["hops"][1]["source"] == insider.pk
    assert editor_client.get(url).json()["count"] == 1
    assert journalist_client.get(url).status_code == 403
    assert api_client.get(url).status_code == 401


def test_an_article_too_long_to_review_is_refused_whole(editor_client, registry):
    response = imported(editor_client, text="Troops crossed the river at dawn. " * 401, publisher=registry["outlet"].pk)

    assert response.status_code == 400
    assert "401 sentences; import at most 400" in response.json()["detail"]
    assert not Document.objects.exists() and not Proposal.objects.exists()


def test_an_article_naming_a_source_again_reads_its_candidates_once(django_assert_max_num_queries, registry):
    from ingestion.registry import SourceRegistry

    sources = SourceRegistry()
    sources.resolve("Russia’s RIA news agency")

    with django_assert_max_num_queries(0):
        assert sources.resolve("Russia’s RIA news agency").key == registry["ria"].pk
