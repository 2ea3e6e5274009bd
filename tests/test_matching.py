"""Claims that say the same as a text (claims.search.similar_claims): what an import's
proposals list as matches and what GET /claims/similar/ answers. A match is a claim
that shares most of the text's words, in its own text or in a quote, in any case and
with a place under any of its names; the closest first; nothing unrelated."""

from __future__ import annotations

import itertools
import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from claims import search
from claims.search import _holding_at_least, language_of, similar_claims
from claims.services import appearance_record
from core.access import EVERYTHING, PUBLIC
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db

TROOPS = "Turkish troops are in Azerbaijan for a training exercise with the Azerbaijani military."


def matched(text: str, viewer=EVERYTHING, **options) -> list[int]:
    (similar,) = similar_claims([text], viewer, **options)
    return [claim_id for claim_id, _ in similar.matches]


def test_the_same_claim_in_other_words_and_case_is_matched_the_closest_first():
    same = ClaimFactory(text=TROOPS)
    close = ClaimFactory(text="Turkish troops arrived in Azerbaijan for a training exercise.")
    ClaimFactory(text="Gas prices fell in Europe on Monday.")
    ClaimFactory(text="Azerbaijan hosted a chess tournament.")  # one word in common

    (similar,) = similar_claims([TROOPS.upper()], EVERYTHING)

    assert [claim_id for claim_id, _ in similar.matches] == [same.pk, close.pk]
    assert similar.matches[0][1] == 100
    assert search.SIMILAR_MIN_SCORE <= similar.matches[1][1] < 100


def test_a_place_is_matched_under_any_of_its_names():
    shusha = ClaimFactory(text="Azerbaijani forces took control of Shusha after heavy fighting.")

    assert matched("Azerbaijani forces took control of Shushi after heavy fighting.") == [shusha.pk]
    assert matched("Azerbaijani forces took control of Şuşa after heavy fighting.") == [shusha.pk]


def test_a_claim_is_matched_by_a_quote_of_it_in_a_document():
    claim = ClaimFactory(text="A foreign military presence is in the country.")
    appearance_record(claim=claim, document=DocumentFactory(), quote=TROOPS)

    assert matched(TROOPS) == [claim.pk]


def test_a_reader_is_matched_only_with_what_they_may_read():
    draft = ClaimFactory(text=TROOPS, status="draft")
    hidden = ClaimFactory(text="A foreign military presence is in the country.", status="published")
    secret = SourceFactory(name="A ministry insider", confidential=True, public_description="An official")
    # A confidential source's own document: its quotes are withheld from the public.
    appearance_record(claim=hidden, document=DocumentFactory(publisher=secret), quote=TROOPS)

    assert set(matched(TROOPS)) == {draft.pk, hidden.pk}
    assert matched(TROOPS, PUBLIC) == []


def test_texts_are_matched_together_each_with_its_own_claims():
    troops = ClaimFactory(text=TROOPS)
    prices = ClaimFactory(text="Gas prices in Europe fell by a third in a month.")

    found = similar_claims([TROOPS, "the and of", "Gas prices in Europe fell by a third in a month."], EVERYTHING)

    assert [[claim_id for claim_id, _ in one.matches] for one in found] == [[troops.pk], [], [prices.pk]]
    assert found[1].words == ""  # only words too common to compare
    assert "'troop'" in found[0].words


def test_at_most_the_limit_are_given():
    for _ in range(4):
        ClaimFactory(text=TROOPS)

    assert len(matched(TROOPS, limit=2)) == 2


def test_common_words_ask_candidates_for_more_of_them_and_still_find_the_claim(monkeypatch):
    # Hundreds of claims hold the text's commoner words: the planner's statistics say
    # so, and a candidate must then hold more of the text's words; the claim that says
    # the same is still found, and no claim that shares a few words is listed.
    for number in range(300):
        ClaimFactory(text=f"Troops arrived at the border crossing number {number}.")
    target = ClaimFactory(text="Troops arrived at the border crossing near Lachin overnight.")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
    monkeypatch.setattr(search, "SIMILAR_CANDIDATES", 20)

    found = matched("Troops arrived overnight at the Lachin border crossing.")

    assert found[0] == target.pk
    assert len(found) == 1


def test_an_exact_copy_is_found_among_more_claims_sharing_its_words_than_are_scored(monkeypatch):
    # Every claim holds all the text's words: more qualify than are scored, and those
    # with the fewest other words are scored first.
    for number in range(300):
        ClaimFactory(text=f"Troops arrived at the border crossing number {number}.")
    copy = ClaimFactory(text="Troops arrived at the border crossing.")
    for number in range(30):
        ClaimFactory(text=f"Troops arrived at the border crossing number {number} again.")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim")
    monkeypatch.setattr(search, "SIMILAR_CANDIDATES", 20)

    (similar,) = similar_claims(["Troops arrived at the border crossing."], EVERYTHING)

    assert similar.matches[0] == (copy.pk, 100)


def test_the_chance_of_holding_enough_words():
    assert _holding_at_least(0, [0.5, 0.5]) == 1.0
    assert _holding_at_least(1, [0.5, 0.5]) == 0.75
    assert _holding_at_least(2, [0.5, 0.5]) == 0.25
    assert _holding_at_least(2, [1.0, 0.1, 0.0]) == pytest.approx(0.1)
    assert _holding_at_least(3, [0.5, 0.5]) == 0


def test_hostile_text_is_matched_or_refused_never_an_error(api_client):
    ClaimFactory(text=TROOPS, status="published")
    for text in ["'\\'' & | ! :* <->", "x" * 2000, "ö" * 500, "F-16 'troops' \\ Azerbaijan's"]:
        response = api_client.get("/api/v1/claims/similar/", {"text": text})
        assert response.status_code in (200, 400), (text, response.content[:200])
    response = api_client.get("/api/v1/claims/similar/", {"text": "the and of it"})
    assert response.status_code == 400
    assert "too common" in response.json()["errors"][0]["message"]


def test_has_this_been_checked_answers_with_scores_and_the_shared_words_marked(api_client):
    claim = ClaimFactory(text=TROOPS, status="published")

    body = api_client.get("/api/v1/claims/similar/", {"text": "Are Turkish troops in Azerbaijan for an exercise?"})

    (result,) = body.json()["results"]
    assert result["id"] == claim.pk
    assert search.SIMILAR_MIN_SCORE <= result["search"]["score"] <= 100
    assert "<mark>Turkish</mark> <mark>troops</mark>" in result["search"]["snippet"]


@given(st.lists(st.floats(min_value=0, max_value=1), max_size=8))
def test_holding_more_words_is_never_likelier(shares):
    chances = [_holding_at_least(needed, shares) for needed in range(len(shares) + 2)]

    assert chances[0] == pytest.approx(1.0)
    assert all(later <= earlier + 1e-9 for earlier, later in itertools.pairwise(chances))
    assert chances[len(shares)] == pytest.approx(math.prod(shares))
    assert chances[-1] == 0


def test_an_imports_queries_grow_with_its_sources_not_its_sentences():
    from ingestion.services import document_import
    from tests.test_ingestion_api import BODY

    SourceFactory(name="Reuters")
    with CaptureQueriesContext(connection) as once:
        document_import(text=BODY, publisher=SourceFactory(name="The Outlet"))
    with CaptureQueriesContext(connection) as twice:
        document_import(text=f"{BODY}\n\n{BODY}", publisher=SourceFactory(name="The Other Outlet"))

    assert len(twice.captured_queries) == len(once.captured_queries)


def test_has_this_been_checked_reads_a_text_in_the_language_its_letters_say(api_client):
    russian = ClaimFactory(text="Турецкие военные находятся в Азербайджане.", language="ru", status="published")
    turkish = ClaimFactory(text="Türk askerleri tatbikat için Şuşa'da bulunuyor.", language="tr", status="published")

    def found(**params):
        return [claim["id"] for claim in api_client.get("/api/v1/claims/similar/", params).json()["results"]]

    assert found(text="Турецкие военные в Азербайджане") == [russian.pk]
    assert found(text="Türk askerleri Şuşa'da tatbikat için bulunuyor") == [turkish.pk]
    assert found(text="Турецкие военные в Азербайджане", language="en") == []  # read as English: no stems shared


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Турецкие военные в Азербайджане", "ru"),
        ("Թուրքական զորքերը Ադրբեջանում են", "hy"),
        ("Türk askerleri Şuşa'da", "tr"),
        ("askerleri Iğdır'da", "tr"),
        ("İzmir'de tatbikat", "tr"),
        ("Turkish troops are in Azerbaijan", "en"),
        ("Is Iran involved, I wonder?", "en"),
        ("Gəncə airport", "en"),  # Azerbaijani letters alone: no stemmer, read as English
    ],
)
def test_a_texts_language_is_told_by_its_letters(text, language):
    assert language_of(text) == language


def test_at_most_five_are_given_by_default_equal_scores_the_newest_first():
    copies = [ClaimFactory(text=TROOPS).pk for _ in range(6)]

    (similar,) = similar_claims([TROOPS], EVERYTHING)

    assert similar.matches == [(pk, 100) for pk in sorted(copies, reverse=True)[:5]]


def test_the_higher_score_comes_first_whatever_the_ids():
    close = ClaimFactory(text="Turkish troops arrived in Azerbaijan for a training exercise.")
    same = ClaimFactory(text=TROOPS)
    closer = ClaimFactory(text="Turkish troops are in Azerbaijan for a training exercise with the military.")

    assert matched(TROOPS) == [same.pk, closer.pk, close.pk]


@pytest.mark.parametrize(("recorded", "asked"), [("Tbilisi", "Tiflis"), ("Ganja", "Gəncə"), ("Shusha", "Şuşa")])
def test_a_places_other_name_counts_as_the_same_word(recorded, asked):
    claim = ClaimFactory(text=f"Rockets hit an airport near {recorded} on Sunday night.")

    (other_name, other_place) = similar_claims(
        [
            f"Rockets hit an airport near {asked} on Sunday night.",
            "Rockets hit an airport near Berlin on Sunday night.",
        ],
        EVERYTHING,
    )

    assert other_name.matches[0][0] == claim.pk
    assert other_name.matches[0][1] > other_place.matches[0][1] + 5


def test_scores_stay_within_the_threshold_and_100_for_claims_and_quotes():
    half = ClaimFactory(text="Turkish troops trained with Azerbaijani pilots near Baku last spring.")
    quoted = ClaimFactory(text="A claim worded quite differently.")
    appearance_record(claim=quoted, document=DocumentFactory(), quote=f"{TROOPS} Officials in Baku said so on Monday.")

    (similar,) = similar_claims([TROOPS], EVERYTHING, limit=20)

    scores = dict(similar.matches)
    assert half.pk in scores and quoted.pk in scores
    assert all(search.SIMILAR_MIN_SCORE <= score <= 100 for score in scores.values())
    assert scores[half.pk] < 80  # shares four of its seven words, and has five of its own


def candidates(units, shares=None, rows=0.0):
    return search._candidates([(unit,) for unit in units], search._Counts(shares or {}, rows))


def test_a_candidate_holds_half_of_the_rarest_words_the_longest_first_when_nothing_is_known():
    assert candidates(["aa", "bbbb", "ccc"]) == "('bbbb' & 'ccc') | ('bbbb' & 'aa') | ('ccc' & 'aa')"
    assert candidates(["aa", "bbbb"]) == "('bbbb' & 'aa')"
    assert candidates(["solo"]) == "('solo')"
    seven = ["a1", "b22", "c333", "d4444", "e55555", "f666666", "g7777777"]
    assert candidates(seven).count("|") == 19  # three of the six longest: 20 ways
    assert "'a1'" not in candidates(seven)


def test_common_words_ask_for_more_of_them_then_for_all_of_more():
    half = {word: 0.5 for word in "abcdefgh"}
    # Four words each held by half of a million claims: all four, and no more to add.
    assert candidates(list("abcd"), half, 1_000_000) == "('a' & 'b' & 'c' & 'd')"
    # Eight: all six rarest are not few enough (15,625), so seven, then all eight (3,906).
    assert candidates(list("abcdefgh"), half, 1_000_000) == "('a' & 'b' & 'c' & 'd' & 'e' & 'f' & 'g' & 'h')"
    assert candidates(list("abcdefgh"), half, 50_000) == "('a' & 'b' & 'c' & 'd' & 'e' & 'f' & 'g')"  # 781, 390
    assert candidates(list("abcdefgh"), half, 20_000) == "('a' & 'b' & 'c' & 'd' & 'e' & 'f')"  # 312
    # Few claims: half of the six rarest is enough (328); twice as many: four of them (344).
    assert candidates(list("abcdef"), half, 500).count("|") == 19
    assert candidates(list("abcdef"), half, 1_000).count("|") == 14


def test_a_candidate_holds_one_of_the_rare_words_when_holding_enough_does_not_say_so():
    shares = {"rare": 0.001, **{word: 0.1 for word in "bcdef"}}

    found = candidates(["rare", *"bcdef"], shares, 1_000_000)

    assert found.startswith("('rare') & (")
    assert found.count("&") == 1 + 15 * 3  # four of six: 15 ways of four words


def test_the_rare_words_are_asked_for_whenever_the_others_could_make_up_enough():
    # Five of six needed: the five common ones alone would do, so one of the rare must be held.
    five = candidates(["rare", *"bcdef"], {"rare": 0.001, **{word: 0.2 for word in "bcdef"}}, 1_000_000)
    assert five.startswith("('rare') & (") and five.count("&") == 1 + 6 * 4
    # Two rare words, four of six needed.
    four = candidates(["r1", "r2", *"cdef"], {"r1": 0.001, "r2": 0.001, **{w: 0.2 for w in "cdef"}}, 200_000)
    assert four.startswith("('r1' | 'r2') & (") and four.count("&") == 1 + 15 * 3


def test_lexemes_are_quoted_as_they_are():
    assert search._quoted("it's") == "'it''s'"
    assert search._quoted("a\\b") == "'a\\\\b'"
    assert search._tsquery_unit(("shusha",)) == "'shusha'"
    assert search._tsquery_unit(("shusha", "shushi")) == "('shusha' | 'shushi')"
