from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pghistory.models
import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from pyld import jsonld

from claims.interop.claimreview import rating_from_review
from claims.interop.claimreview_import import MAX_IMPORT_BYTES, claimreview_import, read_markup
from claims.models import Appearance, Claim, ClaimStatus, ForeignReview, Rating, Statement
from claims.services import HopInput, appearance_record, chain_record
from sources.models import Document, Source
from tests.errors import detail, error_body, messages
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory

DATA = Path(__file__).parent / "data"
SCHEMA = "http://schema.org/"
CONTEXT = json.loads((DATA / "schemaorg-context.jsonld").read_text())
pytestmark = pytest.mark.django_db

ORG = {"name": "Example Checks", "url": "https://checks.example.org/"}


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.FACTCHECK_PUBLIC_URL = "https://factcheck.example.org"
    settings.FACTCHECK_ORGANIZATION = ORG


def offline_loader(url: str, options=None) -> dict:
    """Serves the schema.org context from tests/data; anything else would need the network."""
    if url.rstrip("/") in {"https://schema.org", "http://schema.org"}:
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": CONTEXT}
    raise RuntimeError(f"The tests do not use the network; asked for {url}")


def build_reviewed() -> dict:
    """The seed's troops claim (article → Reuters → RIA → ministry), rated, published,
    appearing in two dated documents."""
    government = SourceFactory(name="Government of Azerbaijan", kind="government")
    ministry = SourceFactory(
        name="Ministry of Defence of Azerbaijan",
        kind="government",
        parent=government,
        wikidata_qid="Q2564434",
        url="https://mod.gov.az/",
    )
    reuters = SourceFactory(name="Reuters", kind="news_agency")
    ria = SourceFactory(name="RIA Novosti", kind="news_agency")
    article = DocumentFactory(
        title="Turkish troops in Azerbaijan for joint military drills",
        url="https://news.example.org/troops",
        publisher=None,
        published_at=datetime(2021, 2, 2, 9, 0, tzinfo=UTC),
    )
    claim = ClaimFactory(
        text="Turkish troops are in Azerbaijan for a joint training exercise.",
        rating=Rating.TRUE,
        rating_explanation="The ministry confirmed the exercise.",
        published_at=datetime(2021, 2, 3, 12, 0, tzinfo=UTC),
    )
    chain_record(
        claim=claim,
        document=article,
        quote="Turkish troops are in Azerbaijan for a training exercise",
        hops=[
            HopInput(source=SourceFactory(name="The article's publisher"), relation="reported"),
            HopInput(source=reuters, relation="citing"),
            HopInput(source=ria, relation="informed_by"),
            HopInput(source=ministry),
        ],
    )
    outlet = SourceFactory(name="Daily Example")
    earlier = DocumentFactory(
        title="Turkish soldiers arrive for drills",
        url="https://daily.example.org/drills",
        publisher=outlet,
        published_at=datetime(2021, 2, 1, 18, 30, tzinfo=UTC),
    )
    appearance_record(claim=claim, document=earlier, quote="Turkish soldiers arrived in Azerbaijan for drills.")
    return {"claim": claim, "document": article, "earlier": earlier, "outlet": outlet, "ministry": ministry}


@pytest.fixture
def reviewed(db) -> dict:
    return build_reviewed()


def page_review() -> dict:
    """The ClaimReview in tests/data/claimreview_page.html, as parsed JSON."""
    return read_markup((DATA / "claimreview_page.html").read_text())[1]


def event_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if issubclass(model, pghistory.models.Event) and not model._meta.proxy and model._meta.managed
    }


def row_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Claim, Appearance, Statement, Document, Source)}


# --- export ----------------------------------------------------------------------------------


def test_claimreview_of_a_rated_claim_is_exactly_the_markup_google_asks_for(api_client, reviewed):
    claim = reviewed["claim"]
    response = api_client.get(f"/api/v1/claims/{claim.pk}/claimreview/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    daily = {"@type": "Organization", "name": "Daily Example"}
    earlier = {
        "@type": "CreativeWork",
        "headline": "Turkish soldiers arrive for drills",
        "url": "https://daily.example.org/drills",
        "datePublished": "2021-02-01T18:30:00+00:00",
        "author": daily,
    }
    assert response.json() == {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": f"https://factcheck.example.org/api/v1/claims/{claim.pk}/",
        "claimReviewed": "Turkish troops are in Azerbaijan for a joint training exercise.",
        "reviewRating": {
            "@type": "Rating",
            "alternateName": "True",
            "ratingValue": 5,
            "bestRating": 5,
            "worstRating": 1,
        },
        "author": {"@type": "Organization", "name": "Example Checks", "url": "https://checks.example.org/"},
        "datePublished": "2021-02-03",
        "dateModified": Claim.objects.get(pk=claim.pk).updated_at.isoformat(),
        "inLanguage": "en",
        "reviewBody": "The ministry confirmed the exercise.",
        "itemReviewed": {
            "@type": "Claim",
            "author": {
                "@type": "Organization",
                "name": "Ministry of Defence of Azerbaijan",
                "url": "https://mod.gov.az/",
                "sameAs": "https://www.wikidata.org/wiki/Q2564434",
            },
            "datePublished": "2021-02-01T18:30:00+00:00",
            "appearance": [
                earlier,
                {
                    "@type": "CreativeWork",
                    "headline": "Turkish troops in Azerbaijan for joint military drills",
                    "url": reviewed["document"].url,
                    "datePublished": "2021-02-02T09:00:00+00:00",
                },
            ],
            "firstAppearance": earlier,
        },
    }


def test_claimreview_expands_to_schema_org_terms_with_pyld(api_client, reviewed):
    claim = reviewed["claim"]
    review = api_client.get(f"/api/v1/claims/{claim.pk}/claimreview/").json()

    [node] = jsonld.expand(review, {"documentLoader": offline_loader})

    def value(node, term):
        [item] = node[SCHEMA + term]
        return item.get("@value", item.get("@id"))

    assert node["@type"] == [SCHEMA + "ClaimReview"]
    assert value(node, "claimReviewed") == claim.text
    assert value(node, "url") == f"https://factcheck.example.org/api/v1/claims/{claim.pk}/"
    assert value(node, "datePublished") == "2021-02-03"
    [rating] = node[SCHEMA + "reviewRating"]
    assert rating["@type"] == [SCHEMA + "Rating"]
    assert [value(rating, t) for t in ("ratingValue", "bestRating", "worstRating", "alternateName")] == [
        5,
        5,
        1,
        "True",
    ]
    [author] = node[SCHEMA + "author"]
    assert author["@type"] == [SCHEMA + "Organization"]
    assert value(author, "name") == "Example Checks"
    [item] = node[SCHEMA + "itemReviewed"]
    assert item["@type"] == [SCHEMA + "Claim"]
    [claim_author] = item[SCHEMA + "author"]
    assert value(claim_author, "sameAs") == "https://www.wikidata.org/wiki/Q2564434"
    assert [value(a, "url") for a in item[SCHEMA + "appearance"]] == [
        "https://daily.example.org/drills",
        reviewed["document"].url,
    ]
    [first] = item[SCHEMA + "firstAppearance"]
    assert value(first, "url") == "https://daily.example.org/drills"
    assert value(first, "headline") == "Turkish soldiers arrive for drills"
    [publisher] = first[SCHEMA + "author"]
    assert value(publisher, "name") == "Daily Example"


def test_unproven_claim_has_a_label_but_no_number_on_the_scale(api_client):
    claim = ClaimFactory(rating=Rating.UNPROVEN)
    review = api_client.get(f"/api/v1/claims/{claim.pk}/claimreview/").json()
    assert review["reviewRating"] == {"@type": "Rating", "alternateName": "Unproven"}


def test_claim_not_yet_rated_says_so_and_has_no_item_author_without_a_chain(api_client):
    claim = ClaimFactory(rating="")
    review = api_client.get(f"/api/v1/claims/{claim.pk}/claimreview/").json()
    assert review["reviewRating"] == {"@type": "Rating", "alternateName": "Not rated"}
    assert review["itemReviewed"] == {"@type": "Claim"}
    assert "datePublished" not in review


def test_claimreview_lists_every_origin_as_an_author(api_client):
    claim = ClaimFactory()
    outlet, person, agency = (
        SourceFactory(name="Outlet"),
        SourceFactory(name="Jane Roe", kind="person"),
        SourceFactory(name="Agency", kind="news_agency"),
    )
    chain_record(claim=claim, hops=[HopInput(source=outlet), HopInput(source=person)])
    chain_record(claim=claim, hops=[HopInput(source=outlet), HopInput(source=agency)])
    review = api_client.get(f"/api/v1/claims/{claim.pk}/claimreview/").json()
    assert review["itemReviewed"]["author"] == [
        {"@type": "Organization", "name": "Agency"},
        {"@type": "Person", "name": "Jane Roe"},
    ]


def test_anonymous_clients_get_no_claimreview_of_a_draft_but_journalists_do(api_client, client_for, journalist):
    draft = ClaimFactory(status=ClaimStatus.DRAFT)
    error_body(api_client.get(f"/api/v1/claims/{draft.pk}/claimreview/"), 404, "not_found")
    assert client_for(journalist).get(f"/api/v1/claims/{draft.pk}/claimreview/").status_code == 200


def test_claimreview_of_an_unknown_claim_is_404(api_client, db):
    error_body(api_client.get("/api/v1/claims/999999/claimreview/"), 404, "not_found")


def test_claimreview_takes_four_queries_however_many_appearances(api_client, reviewed, django_assert_num_queries):
    claim = reviewed["claim"]
    for i in range(5):
        appearance_record(claim=claim, document=DocumentFactory(), quote=f"quote {i}")
    # The claim, its appearances with documents and publishers, the trace, the origin sources.
    with django_assert_num_queries(4):
        response = api_client.get(f"/api/v1/claims/{claim.pk}/claimreview/")
    assert len(response.json()["itemReviewed"]["appearance"]) == 7


# --- rating labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "rating"),
    [
        ("False", Rating.FALSE),
        ("Pants on fire", Rating.FALSE),
        ("PANTS ON FIRE!", Rating.FALSE),
        ("Mostly false", Rating.MOSTLY_FALSE),
        ("mostly-false", Rating.MOSTLY_FALSE),
        ("Misleading", Rating.MOSTLY_FALSE),
        ("Half true", Rating.MIXED),
        ("Half-True", Rating.MIXED),
        ("Mixture", Rating.MIXED),
        ("Mostly true", Rating.MOSTLY_TRUE),
        ("True", Rating.TRUE),
        ("  true ", Rating.TRUE),
        ("Unproven", Rating.UNPROVEN),
        ("Not rated", None),
    ],
)
def test_textual_ratings_map_onto_our_scale_whatever_their_case(label, rating):
    assert rating_from_review({"@type": "Rating", "alternateName": label}) == rating


def test_a_known_label_wins_over_the_number():
    assert rating_from_review({"alternateName": "False", "ratingValue": 5}) == Rating.FALSE


@pytest.mark.parametrize(
    ("value", "best", "worst", "rating"),
    [
        (1, 5, 1, Rating.FALSE),
        (3, 5, 1, Rating.MIXED),
        (5, None, None, Rating.TRUE),
        ("4", "5", "1", Rating.MOSTLY_TRUE),
        (0, 10, 0, Rating.FALSE),
        (7, 10, 0, Rating.MOSTLY_TRUE),
        (10, 10, 0, Rating.TRUE),
        (2, 1, 7, Rating.MOSTLY_TRUE),  # a scale where the low number is the good end
    ],
)
def test_an_unknown_label_falls_back_to_the_number_scaled_onto_one_to_five(value, best, worst, rating):
    node = {"alternateName": "Four Pinocchios?", "ratingValue": value}
    if best is not None:
        node.update(bestRating=best, worstRating=worst)
    assert rating_from_review(node) == rating


@pytest.mark.parametrize(
    ("node", "message"),
    [
        ({"alternateName": "Satire"}, "Unknown rating label 'Satire' and no ratingValue to scale"),
        ({"ratingValue": 9}, "ratingValue 9 is outside 1..5."),
        ({"ratingValue": "high"}, "'high' is not a number."),
        ({"ratingValue": 3, "bestRating": 3, "worstRating": 3}, "bestRating and worstRating must differ."),
        ("False", "reviewRating must be an object with alternateName or ratingValue."),
    ],
)
def test_a_rating_that_cannot_be_mapped_is_refused_with_a_reason(node, message):
    with pytest.raises(ValidationError) as caught:
        rating_from_review(node)
    assert caught.value.message_dict["reviewRating"][0].startswith(message)


# --- import -----------------------------------------------------------------------------------------


def test_exported_review_imported_into_an_empty_database_gives_back_the_same_claim(api_client, db):
    with transaction.atomic():
        claim = build_reviewed()["claim"]
        review = api_client.get(f"/api/v1/claims/{claim.pk}/claimreview/").json()
        transaction.set_rollback(True)
    assert row_counts() == {"Claim": 0, "Appearance": 0, "Statement": 0, "Document": 0, "Source": 0}

    [result] = claimreview_import(review)

    assert result.action == "created"
    imported = result.claim
    assert (imported.text, imported.rating, imported.rating_explanation, imported.status) == (
        "Turkish troops are in Azerbaijan for a joint training exercise.",
        Rating.TRUE,
        "The ministry confirmed the exercise.",
        ClaimStatus.DRAFT,
    )
    [author] = Statement.objects.filter(claim=imported).select_related("source")
    assert (author.source.name, author.source.kind, author.source.wikidata_qid, author.source.url) == (
        "Ministry of Defence of Azerbaijan",
        "organisation",
        "Q2564434",
        "https://mod.gov.az/",
    )
    documents = [
        (a.document.url, a.document.title, a.document.published_at, a.document.publisher and a.document.publisher.name)
        for a in Appearance.objects.filter(claim=imported).select_related("document__publisher").order_by("id")
    ]
    assert documents == [
        (
            "https://daily.example.org/drills",
            "Turkish soldiers arrive for drills",
            datetime(2021, 2, 1, 18, 30, tzinfo=UTC),
            "Daily Example",
        ),
        (
            "https://news.example.org/troops",
            "Turkish troops in Azerbaijan for joint military drills",
            datetime(2021, 2, 2, 9, 0, tzinfo=UTC),
            None,
        ),
    ]
    # Exported again, it says what the original said; it is a draft, so it has no
    # publication date yet and only someone with a role may read it.
    error_body(api_client.get(f"/api/v1/claims/{imported.pk}/claimreview/"), 404, "not_found")
    api_client.force_authenticate(UserFactory(is_superuser=True))
    again = api_client.get(f"/api/v1/claims/{imported.pk}/claimreview/").json()
    expected = {k: v for k, v in review.items() if k not in {"url", "datePublished", "dateModified"}}
    assert {k: v for k, v in again.items() if k not in {"url", "dateModified"}} == expected


def test_importing_the_same_review_twice_changes_nothing_the_second_time(reviewed):
    review = page_review()
    [first] = claimreview_import(review)
    rows, events = row_counts(), event_counts()
    updated_at = Claim.objects.get(pk=first.claim.pk).updated_at

    [second] = claimreview_import(copy.deepcopy(review))

    assert (second.claim.pk, second.action, second.changes) == (first.claim.pk, "unchanged", [])
    assert row_counts() == rows
    assert event_counts() == events
    assert Claim.objects.get(pk=first.claim.pk).updated_at == updated_at


def test_our_own_exported_review_imported_back_leaves_the_claim_untouched(api_client, reviewed):
    claim = reviewed["claim"]
    review = api_client.get(f"/api/v1/claims/{claim.pk}/claimreview/").json()
    rows, events = row_counts(), event_counts()

    [result] = claimreview_import(review)

    assert (result.claim.pk, result.action) == (claim.pk, "unchanged")
    assert (row_counts(), event_counts()) == (rows, events)


def test_a_revised_review_updates_their_record_and_leaves_our_claim_alone(db):
    [first] = claimreview_import(page_review())
    revised = page_review()
    revised["reviewRating"] = {"@type": "Rating", "alternateName": "Half true"}
    revised["itemReviewed"]["appearance"].append({"@type": "CreativeWork", "url": "https://other.example.net/a"})
    claim_before = Claim.objects.get(pk=first.claim.pk)

    [second] = claimreview_import(revised)

    assert (second.claim.pk, second.review.pk) == (first.claim.pk, first.review.pk)
    assert second.action == "updated"
    assert second.changes == ["review rating", "review rating_label", "review appearances"]
    review = ForeignReview.objects.get()
    assert (review.rating, review.rating_label) == (Rating.MIXED, "Half true")
    assert review.appearances == ["https://blog.example.com/bridge", "https://other.example.net/a"]
    # Our claim (a draft the first import created) is as it was: no new appearance, no rating.
    claim = Claim.objects.get(pk=first.claim.pk)
    assert (claim.rating, claim.updated_at) == ("", claim_before.updated_at)
    assert not Document.objects.filter(url="https://other.example.net/a").exists()


def test_an_import_never_changes_one_of_our_published_claims(reviewed):
    claim = reviewed["claim"]
    before = Claim.objects.get(pk=claim.pk)
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": f"https://factcheck.example.org/api/v1/claims/{claim.pk}/",
        "author": {"@type": "Organization", "name": "Another Checker"},
        "claimReviewed": "Turkish troops are in Azerbaijan for joint drills.",
        "reviewRating": {"@type": "Rating", "alternateName": "False"},
        "reviewBody": "We think otherwise.",
    }
    [theirs] = claimreview_import(review)
    # The same text as our claim, from someone else: linked to it, never applied to it.
    [same_text] = claimreview_import({**review, "url": "https://other.example.org/check", "claimReviewed": claim.text})

    after = Claim.objects.get(pk=claim.pk)
    assert (after.text, after.rating, after.rating_explanation, after.status, after.updated_at) == (
        before.text,
        before.rating,
        before.rating_explanation,
        before.status,
        before.updated_at,
    )
    assert (theirs.claim.pk, same_text.claim.pk) == (claim.pk, claim.pk)
    assert sorted(ForeignReview.objects.filter(claim=claim).values_list("author", "rating")) == [
        ("Another Checker", "false"),
        ("Another Checker", "false"),
    ]


def test_our_own_review_coming_back_different_changes_nothing_and_says_so(reviewed):
    claim = reviewed["claim"]
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": f"https://factcheck.example.org/api/v1/claims/{claim.pk}/",
        "claimReviewed": "Turkish troops are in Azerbaijan for joint drills.",
        "reviewRating": {"@type": "Rating", "alternateName": "True"},
    }
    [result] = claimreview_import(review)
    assert (result.claim.pk, result.action, result.changes, result.review) == (
        claim.pk,
        "unchanged",
        ["kept ours: text"],
        None,
    )
    claim.refresh_from_db()
    assert claim.text == "Turkish troops are in Azerbaijan for a joint training exercise."


def test_html_page_markup_is_imported_from_its_json_ld_script(db):
    [result] = claimreview_import((DATA / "claimreview_page.html").read_bytes())

    claim = result.claim
    assert result.action == "created"
    # A new draft claim, unrated: the verdict is theirs, on their review.
    assert (claim.text, claim.rating, claim.rating_explanation, claim.status) == (
        "The city sold the old bridge to a private company.",
        "",
        "",
        ClaimStatus.DRAFT,
    )
    review = result.review
    assert (
        review.author,
        review.author_url,
        review.url,
        review.rating,
        review.rating_label,
        review.review_body,
        review.date_published,
    ) == (
        "Example Fact Checkers",
        "https://factchecker.example.org/",
        "https://factchecker.example.org/checks/bridge-sold",
        Rating.FALSE,
        "Pants on Fire!",
        "The bridge is still owned by the city; the sale was a rumour.",
        datetime(2024, 3, 2, tzinfo=UTC),
    )
    [statement] = claim.statements.select_related("source")
    assert (statement.source.name, statement.source.kind, statement.source.wikidata_qid) == (
        "Jane Roe",
        "person",
        "Q4115189",
    )
    [appearance] = claim.appearances.select_related("document__publisher")
    document = appearance.document
    assert (document.url, document.title, document.published_at, document.publisher.name, appearance.quote) == (
        "https://blog.example.com/bridge",
        "They sold our bridge",
        datetime(2024, 2, 27, 8, 30, tzinfo=UTC),
        "Example Blog",
        "The city sold the old bridge to a private company.",
    )
    assert result.changes == ["author Jane Roe", "appearance https://blog.example.com/bridge"]


def test_import_reuses_sources_and_documents_already_known(db):
    jane = SourceFactory(name="J. Roe", wikidata_qid="Q4115189")
    blog = DocumentFactory(url="https://blog.example.com/bridge", title="Kept title")
    [result] = claimreview_import((DATA / "claimreview_page.html").read_text())
    assert [s.source_id for s in result.claim.statements.all()] == [jane.pk]
    assert [a.document_id for a in result.claim.appearances.all()] == [blog.pk]
    assert Document.objects.get(pk=blog.pk).title == "Kept title"
    assert Source.objects.filter(name="Jane Roe").count() == 0


def test_prefixed_and_graph_wrapped_markup_is_understood(db):
    markup = {
        "@context": {"schema": "http://schema.org/"},
        "@graph": [
            {"@type": "schema:WebPage", "schema:name": "A page"},
            {
                "@type": "http://schema.org/ClaimReview",
                "schema:claimReviewed": "Water boils at 50 degrees at sea level.",
                "schema:reviewRating": {"@type": "schema:Rating", "schema:alternateName": "False"},
            },
        ],
    }
    [result] = claimreview_import(markup)
    assert (result.claim.text, result.review.rating) == ("Water boils at 50 degrees at sea level.", Rating.FALSE)


# --- the API and the command ------------------------------------------------------------------------


def test_editors_import_a_json_body_and_a_second_post_changes_nothing(client_for, editor):
    review = json.loads(json.dumps(_minimal_review()))
    client = client_for(editor)

    first = client.post("/api/v1/claimreview/import/", review, format="json")
    claim = Claim.objects.get(text="The moon is made of cheese.")
    assert first.status_code == 201
    record = ForeignReview.objects.get(claim=claim)
    assert first.json() == {
        "results": [
            {
                "claim": claim.pk,
                "text": "The moon is made of cheese.",
                "review": record.pk,
                "action": "created",
                "changes": [],
            }
        ]
    }
    assert record.imported_by == editor
    assert claim.created_by == editor

    second = client.post("/api/v1/claimreview/import/", review, format="json")
    assert second.status_code == 200
    assert second.json()["results"][0]["action"] == "unchanged"


def test_editors_upload_an_html_page(client_for, editor):
    with open(DATA / "claimreview_page.html", "rb") as page:
        response = client_for(editor).post("/api/v1/claimreview/import/", {"file": page}, format="multipart")
    assert response.status_code == 201
    assert response.json()["results"][0]["text"] == "The city sold the old bridge to a private company."


def test_journalists_and_anonymous_clients_cannot_import(api_client, client_for, journalist):
    refused = client_for(journalist).post("/api/v1/claimreview/import/", _minimal_review(), format="json")
    error_body(refused, 403, "permission_denied")
    anonymous = api_client.post("/api/v1/claimreview/import/", _minimal_review(), format="json")
    error_body(anonymous, 401, "not_authenticated")
    assert Claim.objects.count() == 0


def _minimal_review(**changes) -> dict:
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": "https://checks.example.net/moon",
        "claimReviewed": "The moon is made of cheese.",
        "reviewRating": {"@type": "Rating", "alternateName": "False"},
    }
    review.update(changes)
    return {k: v for k, v in review.items() if v is not None}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            _minimal_review(claimReviewed=None),
            {"claimReviewed": ["ClaimReview 1 has no claimReviewed: the claim's text is required."]},
        ),
        (
            _minimal_review(**{"@type": "NewsArticle"}),
            {"@type": ["No node with @type ClaimReview (found @type NewsArticle)."]},
        ),
        ([], {"@type": ["No node with @type ClaimReview."]}),
        (
            _minimal_review(reviewRating={"alternateName": "Satire"}),
            {"reviewRating": ["Unknown rating label 'Satire' and no ratingValue to scale; known labels: "]},
        ),
        (
            _minimal_review(itemReviewed={"@type": "Claim", "appearance": [{"url": "javascript:alert(1)"}]}),
            {"itemReviewed.appearance[0].url": ["'javascript:alert(1)' is not an http(s) URL."]},
        ),
        (
            _minimal_review(itemReviewed={"appearance": {"url": "https://a.example/x", "datePublished": "last week"}}),
            {"itemReviewed.appearance[0].datePublished": ["'last week' is not an ISO 8601 date or date-time."]},
        ),
        (
            _minimal_review(datePublished="0001-01-01T00:00:00+14:00"),
            {"datePublished": ["0001-01-01T00:00:00+14:00 is not a plausible date: use a year from 1000 to 8999."]},
        ),
        (
            _minimal_review(claimReviewed="x" * 2001),
            {"claimReviewed": ["Ensure this value has at most 2000 characters (it has 2001)."]},
        ),
    ],
)
def test_bad_review_is_refused_with_400_and_a_field_message(client_for, editor, body, errors):
    response = client_for(editor).post("/api/v1/claimreview/import/", body, format="json")
    data = messages(response)
    assert set(data) == set(errors)
    for key, expected in errors.items():
        assert len(data[key]) == len(expected)
        assert data[key][0].startswith(expected[0])
    assert Claim.objects.count() == 0


def test_a_date_with_an_offset_postgresql_cannot_read_is_stored_in_utc(client_for, editor):
    body = _minimal_review(datePublished="2024-03-01T23:00:00-21:03")

    response = client_for(editor).post("/api/v1/claimreview/import/", body, format="json")

    assert response.status_code == 201
    [review] = ForeignReview.objects.all()
    assert review.date_published == datetime(2024, 3, 2, 20, 3, tzinfo=UTC)


def test_malformed_json_is_refused_with_400(client_for, editor):
    response = client_for(editor).post(
        "/api/v1/claimreview/import/", '{"@type": "ClaimReview", ', content_type="application/json"
    )
    assert detail(response, 400, "parse_error").startswith("JSON parse error")


def test_a_page_with_malformed_markup_is_refused_with_400(client_for, editor, tmp_path):
    page = tmp_path / "page.html"
    page.write_text('<html><script type="application/ld+json">{"@type": "ClaimReview",</script></html>')
    with open(page, "rb") as upload:
        response = client_for(editor).post("/api/v1/claimreview/import/", {"file": upload}, format="multipart")
    ((field, (message,)),) = messages(response).items()
    assert field == "input"
    assert message.startswith("Malformed JSON-LD in script block 1: ")


def test_a_page_without_markup_is_refused_with_400(client_for, editor, tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<html><body>No markup here</body></html>")
    with open(page, "rb") as upload:
        response = client_for(editor).post("/api/v1/claimreview/import/", {"file": upload}, format="multipart")
    assert messages(response) == {"input": ['The page has no <script type="application/ld+json"> markup.']}


def test_oversized_input_is_refused_with_400_before_it_is_parsed(client_for, editor):
    body = _minimal_review(reviewBody="x" * MAX_IMPORT_BYTES)
    response = client_for(editor).post("/api/v1/claimreview/import/", body, format="json")
    ((field, (message,)),) = messages(response).items()
    assert field == "input"
    assert message.startswith("The request is ")
    assert message.endswith(f"the limit is {MAX_IMPORT_BYTES} bytes.")


def test_a_multipart_post_without_a_file_is_refused_with_400(client_for, editor):
    response = client_for(editor).post("/api/v1/claimreview/import/", {"other": "x"}, format="multipart")
    assert messages(response) == {"file": ["Upload the JSON-LD or HTML page in the 'file' field."]}


def test_import_command_reports_what_it_created_then_that_nothing_changed(db, capsys):
    page = str(DATA / "claimreview_page.html")
    call_command("import_claimreview", page)
    claim = Claim.objects.get()
    assert capsys.readouterr().out == (
        f"{page}: created claim {claim.pk} (The city sold the old bridge to a private company.): "
        "author Jane Roe, appearance https://blog.example.com/bridge\n"
    )
    call_command("import_claimreview", page)
    assert capsys.readouterr().out == (
        f"{page}: unchanged claim {claim.pk} (The city sold the old bridge to a private company.)\n"
    )


def test_import_command_names_the_file_and_the_problem_and_fails(db, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"@type": "ClaimReview", "reviewRating": {"alternateName": "False"}}')
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_minimal_review()))
    with pytest.raises(CommandError, match=r"^1 of 2 file\(s\) could not be imported\.$"):
        call_command("import_claimreview", str(bad), str(good))
    output = capsys.readouterr()
    assert output.err == f"{bad}: claimReviewed: ClaimReview 1 has no claimReviewed: the claim's text is required.\n"
    assert Claim.objects.get().text == "The moon is made of cheese."


def test_json_nested_too_deeply_is_refused_with_400_not_a_crash(client_for, editor):
    body = '{"@type": "ClaimReview", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    response = client_for(editor).post("/api/v1/claimreview/import/", body, content_type="application/json")
    assert detail(response, 400, "parse_error") == "JSON parse error - nested too deeply."


def test_an_uploaded_file_nested_too_deeply_is_refused_with_400(client_for, editor, tmp_path):
    page = tmp_path / "deep.json"
    page.write_text('{"@type": "ClaimReview", "x": ' + "[" * 5000 + "]" * 5000 + "}")
    with open(page, "rb") as upload:
        response = client_for(editor).post("/api/v1/claimreview/import/", {"file": upload}, format="multipart")
    assert messages(response) == {"input": ["The JSON-LD is nested too deeply."]}
