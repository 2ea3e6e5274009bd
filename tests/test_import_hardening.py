"""Imports under attack: ClaimReview imports racing each other, numbers no float
holds, a review's address claimed by someone else; seed loads that must find a
renamed or merged source and must never undo an editor's verdict.

The race tests run their requests on threads with connections of their own (see
``tests/test_races.py``); their data commits (``committed_db``)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pghistory
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command

from claims.interop.claimreview_import import claimreview_import
from claims.models import Claim, ClaimStatus, ForeignReview
from claims.seeding import _edited_since_seeded
from claims.services import claim_update, source_merge
from sources.models import Document, Source
from sources.services import source_update
from tests.factories import ClaimFactory, SourceFactory, UserFactory
from tests.test_races import editor_client, together

SEEDS = Path(settings.BASE_DIR) / "seeds"
TROOPS = "Turkish troops are in Azerbaijan for a joint training exercise with the Azerbaijani military."
CONCLUDED = "The TurAz Eagle exercise concluded"


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.FACTCHECK_PUBLIC_URL = "https://factcheck.example.org"
    settings.FACTCHECK_ORGANIZATION = {"name": "Example Checks", "url": "https://checks.example.org/"}


def review(key: str, **changes) -> dict:
    """A foreign review that names an author (with a URL), and an appearance with its publisher."""
    node = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": f"https://checks.example.net/{key}",
        "author": {"@type": "Organization", "name": "Checkers United"},
        "claimReviewed": f"The claim {key} about the bridge.",
        "reviewRating": {"@type": "Rating", "alternateName": "False"},
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": "Person", "name": f"Speaker {key}", "url": f"https://people.example.org/{key}"},
            "appearance": [
                {
                    "@type": "CreativeWork",
                    "url": f"https://news.example.org/{key}",
                    "author": {"@type": "Organization", "name": f"Paper {key}"},
                }
            ],
        },
    }
    node.update(changes)
    return node


def post_import(client, body):
    return client.post("/api/v1/claimreview/import/", body, format="json")


# --- races: every lock in one call ---------------------------------------------------------------


@pytest.mark.usefixtures("committed_db")
def test_two_imports_of_the_same_reviews_in_opposite_orders_never_deadlock():
    rounds = 15
    for round_ in range(rounds):
        a, b = review(f"a{round_}"), review(f"b{round_}")
        one, other = editor_client(), editor_client()
        answers = together(
            lambda one=one, a=a, b=b: post_import(one, [a, b]),
            lambda other=other, a=a, b=b: post_import(other, [b, a]),
        )
        assert [x.status_code for x in answers if x.status_code not in {200, 201}] == [], (
            round_,
            [x.json() for x in answers],
        )
        # One import created everything, the other found it.
        assert sorted(x.status_code for x in answers) == [200, 201], round_
        for key in (f"a{round_}", f"b{round_}"):
            assert ForeignReview.objects.filter(url=f"https://checks.example.net/{key}").count() == 1
            assert Source.objects.filter(name__in=[f"Speaker {key}", f"Paper {key}"]).count() == 2
            assert Document.objects.filter(url=f"https://news.example.org/{key}").count() == 1


@pytest.mark.usefixtures("committed_db")
def test_imports_naming_one_author_url_under_four_spellings_at_once_make_one_source():
    for round_ in range(5):
        url = f"https://mfa.example.gov/{round_}"
        spellings = [f"{name} {round_}" for name in ("Foreign Ministry", "Ministry of Foreign Affairs", "MFA", "MoFA")]

        def one(i: int, url=url, round_=round_, spellings=spellings) -> object:
            author = {"@type": "Organization", "name": spellings[i % 4], "url": url}
            node = review(f"mfa{round_}-{i}")
            node["itemReviewed"] = {"@type": "Claim", "author": author}
            return claimreview_import(node)

        results = together(*[lambda i=i: one(i) for i in range(12)])
        assert [r for r in results if isinstance(r, Exception)] == []
        # As twelve imports one after another would: the first creates it, the others find it by URL.
        assert Source.objects.filter(url=url).count() == 1, round_


# --- numbers no float holds --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rating", "message"),
    [
        ({"ratingValue": 10**400}, "ratingValue 10000000000000000000…0000000000 (401 characters) is too large"),
        ({"ratingValue": 3, "bestRating": 10**400}, "bestRating 1000000000"),
        ({"ratingValue": "9" * 400, "bestRating": "9" * 401}, "is too large a number"),
        (
            {"ratingValue": 1e308, "bestRating": 1e308, "worstRating": -1e308},
            "bestRating 1e+308 and worstRating -1e+308 are too far apart to scale.",
        ),
        ({"ratingValue": True}, "true is not a number. ratingValue takes a JSON number"),
        ({"ratingValue": 3, "bestRating": False}, "false is not a number. bestRating takes"),
        ({"ratingValue": "٣"}, "'٣' is not a number."),
        ({"ratingValue": "3_0", "bestRating": 50}, "'3_0' is not a number."),
        ({"ratingValue": "1e2", "bestRating": 500}, "'1e2' is not a number."),
        ({"ratingValue": " inf"}, "' inf' is not a number."),
        ({"ratingValue": [3]}, "[3] is not a number."),
    ],
)
def test_a_rating_number_past_a_float_or_not_plainly_a_number_is_a_400_saying_so(db, rating, message):
    body = review("numbers", reviewRating={"@type": "Rating", "alternateName": "Four Pinocchios?", **rating})
    response = post_import(editor_client(), body)
    assert response.status_code == 400
    assert message in str(response.json())
    assert not ForeignReview.objects.exists()


@pytest.mark.parametrize(
    ("rating", "verdict"),
    [
        ({"ratingValue": "4"}, "mostly_true"),
        ({"ratingValue": " 3.5 ", "bestRating": "5.0", "worstRating": ".5"}, "mostly_true"),
        ({"ratingValue": 1e2, "bestRating": 100, "worstRating": 0}, "true"),
        ({"ratingValue": -1e307, "bestRating": 1e307, "worstRating": -1e307}, "false"),
    ],
)
def test_plain_decimal_numbers_are_still_read(db, rating, verdict):
    [result] = claimreview_import(review("plain", reviewRating={"@type": "Rating", **rating}))
    assert result.review.rating == verdict


def test_an_integer_of_thousands_of_digits_in_an_uploaded_file_is_a_400(db):
    text = json.dumps(review("digits")).replace('"alternateName": "False"', '"ratingValue": ' + "7" * 5000)
    with pytest.raises(ValidationError) as caught:
        claimreview_import(text.encode())
    assert "Malformed JSON-LD in the input" in str(caught.value)


# --- a review's address is its publisher's ----------------------------------------------------------


def test_another_author_at_a_known_review_address_is_refused_and_the_record_is_kept(db):
    [first] = claimreview_import(review("x", author={"@type": "Organization", "name": "OrgX"}))
    other_claim = ClaimFactory(text="A claim of ours about something else.")
    impostor = review(
        "x",
        author={"@type": "Organization", "name": "Impostor Org"},
        claimReviewed=other_claim.text,
        reviewRating={"@type": "Rating", "alternateName": "True"},
    )

    response = post_import(editor_client(), impostor)

    assert response.status_code == 400
    assert "was imported by OrgX" in str(response.json())
    assert "this one says it is by Impostor Org" in str(response.json())
    record = ForeignReview.objects.get()
    assert (record.author, record.rating, record.claim_id) == ("OrgX", "false", first.claim.pk)


def test_a_revised_review_stays_with_its_claim_even_when_its_text_now_reads_like_another(db):
    [first] = claimreview_import(review("y"))
    other_claim = ClaimFactory(text="A claim of ours about something else.")
    claims = Claim.objects.count()
    revised = review(
        "y",
        author={"@type": "Organization", "name": "CHECKERS UNITED"},  # the same publisher, spelled its other way
        claimReviewed=other_claim.text,
        reviewRating={"@type": "Rating", "alternateName": "True"},
    )

    [second] = claimreview_import(revised)

    assert (second.review.pk, second.claim.pk, second.action) == (first.review.pk, first.claim.pk, "updated")
    assert "review claim_reviewed" in second.changes
    record = ForeignReview.objects.get()
    assert (record.claim_id, record.claim_reviewed, record.rating) == (first.claim.pk, other_claim.text, "true")
    assert Claim.objects.count() == claims
    assert not other_claim.foreign_reviews.exists()


# --- seeds: sources found however they were renamed ---------------------------------------------


def load_seeds(*args: str) -> str:
    out = io.StringIO()
    call_command("load_seeds", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db) -> str:
    return load_seeds()


@pytest.mark.parametrize("update", [[], ["--update"]])
def test_a_seed_source_merged_into_another_is_found_by_its_alias_and_left_as_merged(seeded, update):
    ria = Source.objects.get(name="RIA Novosti")
    rossiya = SourceFactory(name="Rossiya Segodnya", kind="news_agency", description="The state media group.")
    source_merge(keep=rossiya, merge=ria)
    rossiya.refresh_from_db()
    kept = (rossiya.aliases, rossiya.description, rossiya.url)

    output = load_seeds(*update)

    assert "  sources: 0 created, 4 unchanged, 1 kept as edited" in output
    assert "source 'RIA Novosti' (now 'Rossiya Segodnya'): kept as edited" in output
    assert "renamed or merged since, so --update leaves it" in output
    assert not Source.objects.filter(name="RIA Novosti").exists()
    rossiya.refresh_from_db()
    assert (rossiya.aliases, rossiya.description, rossiya.url) == kept
    assert "RIA Novosti" in rossiya.aliases


def test_a_renamed_seed_source_is_found_by_its_former_name_and_never_made_again(seeded):
    government = Source.objects.get(name="Government of Azerbaijan")
    source_update(source=government, name="Azerbaijani Government")
    events = Source.pgh_event_model.objects.count()

    assert "  sources: 0 created, 5 unchanged" in load_seeds()
    assert Source.pgh_event_model.objects.count() == events

    load_seeds("--update")
    assert Source.objects.count() == 5
    assert not Source.objects.filter(name="Government of Azerbaijan").exists()
    assert Source.objects.get(name="Ministry of Defence of Azerbaijan").parent == government


def test_a_seed_source_is_found_by_its_wikidata_qid_whatever_it_is_called_now(seeded):
    reuters = Source.objects.get(wikidata_qid="Q130879")
    Source.objects.filter(pk=reuters.pk).update(name="Thomson Reuters", name_keys=["thomsonreuters"])
    assert "  sources: 0 created, 5 unchanged" in load_seeds()
    assert Source.objects.count() == 5


# --- seeds: --update never undoes an editor -----------------------------------------------------------


def test_update_never_unrates_a_published_claim_an_editor_rated(seeded):
    claim = Claim.objects.get(text=TROOPS)
    response = editor_client().patch(
        f"/api/v1/claims/{claim.pk}/",
        {"rating": "false", "rating_explanation": "The ministry denied it."},
        format="json",
    )
    assert response.status_code == 200

    output = load_seeds("--update")

    claim.refresh_from_db()
    assert (claim.status, claim.rating, claim.rating_explanation) == ("published", "false", "The ministry denied it.")
    assert "  claims: 0 created, 18 unchanged, 1 kept as edited" in output
    assert (
        "rating, rating_explanation differ from the seed; an editor changed the claim since the seeds wrote it"
    ) in output


def seed_copy(tmp_path: Path, *replacements: tuple[str, str]) -> str:
    text = (SEEDS / "000_f448ad022973d20f.yaml").read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new, 1)
    (tmp_path / "000.yaml").write_text(text, encoding="utf-8")
    return str(tmp_path)


def test_update_applies_what_changed_in_the_file_names_each_field_and_never_sets_a_published_verdict(seeded, tmp_path):
    folder = seed_copy(
        tmp_path,
        ("event: {start: 2020-08-10}", "event: {start: 2020-08-11}"),
        (f"  - text: {TROOPS}\n", f"  - text: {TROOPS}\n    rating: mostly_true\n"),
    )
    concluded = Claim.objects.get(text__startswith=CONCLUDED)
    troops = Claim.objects.get(text=TROOPS)

    assert "  claims: 0 created, 17 unchanged, 2 kept as edited" in load_seeds("--dir", folder)
    output = load_seeds("--dir", folder, "--update")

    assert "  claims: 0 created, 1 updated, 17 unchanged, 1 kept as edited" in output
    assert [line for line in output.splitlines() if "from the seed" in line] == [
        f"  000.yaml: claims[8] “{concluded.text}”: updated event_start from the seed"
    ]
    assert "kept rating as it is (the claim is published; a verdict is for editors to change)" in output
    concluded.refresh_from_db()
    troops.refresh_from_db()
    assert str(concluded.event_start) == "2020-08-11"
    assert troops.rating == ""


def test_update_never_blanks_a_rating_the_seeds_wrote_on_a_draft(seeded, tmp_path):
    claim = Claim.objects.get(text__startswith=CONCLUDED)
    with pghistory.context(seed_load=True):  # as if an earlier seed file had rated this draft
        claim_update(claim=claim, status=ClaimStatus.IN_REVIEW, rating="true", rating_explanation="Checked.")
    output = load_seeds("--update")
    claim.refresh_from_db()
    assert (claim.rating, claim.rating_explanation) == ("true", "Checked.")
    assert "kept rating, rating_explanation as it is (the seed would blank it" in output


def test_claims_loaded_by_the_command_before_the_seed_mark_still_count_as_the_seeds(db):
    never = ClaimFactory()  # written outside any load: not the seeds'
    with pghistory.context(app="command", command="load_seeds"):
        ours, editors = ClaimFactory(), ClaimFactory()
    with pghistory.context(app="api", user=UserFactory().pk):
        claim_update(claim=editors, rating="false")
    assert _edited_since_seeded([ours, editors, never]) == {editors.pk, never.pk}
