"""Full-text search: what the searcher types is rewritten from its tokens, so no
input makes PostgreSQL fail, and the words still find the claims."""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.models import Claim, SearchWord
from claims.search import CONFIGS, FUZZY_THRESHOLD, MAX_TERMS, config_for, web_search_text
from claims.services import HopInput, chain_record
from core.access import EVERYTHING
from tests.errors import messages
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory


@pytest.mark.parametrize(
    ("typed", "query"),
    [
        ("Ganja airport", "Ganja airport"),
        ('"Ganja   airport" troops', '"Ganja airport" troops'),
        ("troops -drones", "troops -drones"),
        ("---drones", "-drones"),
        ("-" * 500, ""),
        ("F-16 jets", "F-16 jets"),
        ("x------y", "x-y"),
        ("tanks or or drones", "tanks or drones"),
        ("or tanks or", "tanks"),
        ("a OR b", "a or b"),
        ('"unterminated phrase', '"unterminated phrase"'),
        ('""', ""),
        ("Erdoğan's visit!", "Erdoğan s visit"),
        ("-or", "-or"),
        ("(((Ganja)))", "Ganja"),
    ],
)
def test_typed_text_becomes_a_clean_web_search(typed, query):
    assert web_search_text(typed) == query


def test_the_number_of_terms_is_bounded():
    assert len(web_search_text(" ".join(f"w{i}" for i in range(500))).split()) == 2 * MAX_TERMS


@pytest.mark.django_db
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("-\"()|&!:*<> orxaF16ğ\\'\t\n"), max_size=400))
def test_no_input_makes_postgresql_fail(typed):
    with connection.cursor() as cursor:
        cursor.execute("SELECT websearch_to_tsquery('english', %s)", [web_search_text(typed)])


@pytest.mark.django_db
def test_search_finds_claims_by_their_words_and_a_run_of_hyphens_finds_nothing(api_client):
    troops = ClaimFactory(text="Turkish troops arrived at Ganja airport.")
    ClaimFactory(text="Drones were seen over Baku.")

    assert [c["id"] for c in api_client.get("/api/v1/claims/", {"search": "ganja -drones"}).json()["results"]] == [
        troops.pk
    ]
    hyphens = api_client.get("/api/v1/claims/", {"search": "-" * 500})
    assert hyphens.status_code == 200
    assert hyphens.json()["results"] == []
    assert list(Claim.objects.search("---")) == []


# --- in every language, ranked ----------------------------------------------------------


def found(client, search: str, **params) -> list[int]:
    response = client.get("/api/v1/claims/", {"search": search, **params})
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


@pytest.fixture
def region(db):
    """Claims about one story in the region's languages (none of them in the seeds)."""
    return {
        "ru": ClaimFactory(text="Турецкие истребители F-16 остались в аэропорту Гянджи.", language="ru"),
        "tr": ClaimFactory(text="Türk askerleri tatbikat için Azerbaycan'da, dedi Erdoğan.", language="tr"),
        "hy": ClaimFactory(text="Ադրբեջանը գրավեց Շուշի քաղաքը։", language="hy"),
        "az": ClaimFactory(text="Türkiyə qırıcıları Gəncə hava limanında qaldı.", language="az"),
        "en": ClaimFactory(text="Turkish F-16 fighter jets remained at Ganja airport in Azerbaijan.", language="en"),
        "shusha": ClaimFactory(
            text="In the Shusha Agreement, Turkey and Azerbaijan pledged closer ties.", language="en"
        ),
    }


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("истребитель", ["ru"]),  # another form of the word
        ("аэропорт Гянджа", ["ru", {"en", "az"}]),  # both words inflected; then Ganja's other names
        ("asker", ["tr"]),  # the Turkish stem of "askerleri"
        ("Erdogan", ["tr"]),  # accents folded
        ("Шуша", [{"hy", "shusha"}]),  # a place's other names, in Armenian and English
        ("Shushi", [{"hy", "shusha"}]),
        ("Gandja", [{"en", "ru", "az"}]),  # transliterations
        ("Ganca", [{"en", "ru", "az"}]),
        ("Gence", [{"az", "en", "ru"}]),  # the Azerbaijani schwa folded
        ("F16", [{"en", "ru"}]),  # "F-16" is one word
        ("Turkish jets Azerbaijan airport", ["en", "shusha"]),  # all four words first, in other words
    ],
)
def test_a_search_finds_the_claim_in_its_language_by_other_forms_and_spellings(search, expected, region, api_client):
    """``expected``: the claims in rank order, a set for those that tie (newest first among them)."""
    names = {claim.id: name for name, claim in region.items()}
    result = [names[claim_id] for claim_id in found(api_client, search)]

    position = 0
    for rank in expected:
        group = rank if isinstance(rank, set) else {rank}
        assert set(result[position : position + len(group)]) == group, result
        position += len(group)


def test_results_come_best_first_with_a_snippet_marking_the_words(region, api_client):
    response = api_client.get("/api/v1/claims/", {"search": "Turkish jets Azerbaijan airport"})

    results = response.json()["results"]
    assert [r["id"] for r in results][:2] == [region["en"].id, region["shusha"].id]
    scores = [r["search"]["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert results[0]["search"]["snippet"] == (
        "<mark>Turkish</mark> F-16 fighter <mark>jets</mark> remained at Ganja <mark>airport</mark> "
        "in <mark>Azerbaijan</mark>"
    )
    assert api_client.get("/api/v1/claims/").json()["results"][0]["search"] is None


def test_the_snippet_is_escaped_so_only_the_marks_are_markup(api_client, db):
    ClaimFactory(text='Ganja <script>alert("x")</script> & more')

    [result] = api_client.get("/api/v1/claims/", {"search": "Ganja"}).json()["results"]

    assert result["search"]["snippet"] == '<mark>Ganja</mark> &lt;script&gt;alert("x")&lt;/script&gt; &amp; more'


def test_a_claim_found_by_its_quote_shows_the_quote(api_client, db):
    claim = ClaimFactory(text="Jets stayed.")
    claim.appearances.create(document=DocumentFactory(), quote="F-16s remained at Ganja International Airport")

    [result] = api_client.get("/api/v1/claims/", {"search": "international"}).json()["results"]

    assert result["id"] == claim.id
    assert "<mark>International</mark>" in result["search"]["snippet"]


def test_the_language_filter_takes_several_tags_and_reads_the_search_in_them(region, api_client):
    assert found(api_client, "Гянджа", language="ru") == [region["ru"].id]
    assert set(found(api_client, "Ganja", language="ru,en")) == {region["ru"].id, region["en"].id}
    response = api_client.get("/api/v1/claims/?language=az&language=tr")
    assert {c["id"] for c in response.json()["results"]} == {region["az"].id, region["tr"].id}
    # "the" is no stop word in Turkish: read in Turkish it is just a word nothing holds.
    assert found(api_client, "the", language="tr") == []


def test_a_regional_tag_matches_its_language(api_client, db):
    brazil = ClaimFactory(text="Algo", language="pt-BR")
    ClaimFactory(text="Outro", language="pt")

    assert len(api_client.get("/api/v1/claims/", {"language": "pt"}).json()["results"]) == 2
    assert [c["id"] for c in api_client.get("/api/v1/claims/?language=pt-br").json()["results"]] == [brazil.id]


@pytest.mark.parametrize(
    ("search", "params", "message"),
    [
        ("the", {}, "'the' holds only words too common to search for in English"),
        ("и или", {}, "in Russian"),
        ("-drones", {}, "Give at least one word to look for: -word only leaves claims out."),
    ],
)
def test_a_search_that_cannot_find_anything_says_why(search, params, message, api_client, db):
    response = api_client.get("/api/v1/claims/", {"search": search, **params})

    ((field, (text,)),) = messages(response).items()
    assert field == "search"
    assert message in text


@pytest.mark.parametrize("language", ["english", "r", "ru_RU", ",".join(f"a{chr(97 + i)}" for i in range(11))])
def test_a_bad_language_is_a_400_naming_it(language, api_client, db):
    response = api_client.get("/api/v1/claims/", {"language": language})

    assert list(messages(response)) == ["language"]


def test_a_search_names_sources_and_never_a_confidential_one_to_the_public(api_client, client_for, editor):
    ria = SourceFactory(name="RIA Novosti", aliases=["RIA"])
    insider = SourceFactory(name="Colonel Nazarov", confidential=True, public_description="An officer")
    by_ria, by_insider = ClaimFactory(text="Troops arrived."), ClaimFactory(text="Jets left.")
    chain_record(claim=by_ria, hops=[HopInput(source=ria)])
    chain_record(claim=by_insider, hops=[HopInput(source=insider)])

    assert found(api_client, "RIA Novosti") == [by_ria.id]
    assert found(api_client, "ria") == [by_ria.id]
    assert found(api_client, "Nazarov") == []
    assert found(client_for(editor), "Nazarov") == [by_insider.id]


def test_short_words_name_a_source_by_its_name_not_by_letters_in_names(api_client, db):
    un, anadolu = SourceFactory(name="UN", aliases=["United Nations"]), SourceFactory(name="Anadolu Agency")
    by_un, by_anadolu = ClaimFactory(text="Observers arrived."), ClaimFactory(text="Jets left.")
    chain_record(claim=by_un, hops=[HopInput(source=un)])
    chain_record(claim=by_anadolu, hops=[HopInput(source=anadolu)])

    assert found(api_client, "UN") == [by_un.id]
    # Single letters are in every name: looking for them in names would read them all.
    assert found(api_client, "a n") == []
    assert found(api_client, "a anadolu") == [by_anadolu.id]


def test_pages_of_a_ranked_search_list_every_match_once_in_order(api_client, db):
    # Equal scores, and scores that differ, across page boundaries.
    for i in range(7):
        ClaimFactory(text="Ganja airport" + " and more words" * (i % 3))
    ClaimFactory(text="Ganja")
    everything = found(api_client, "Ganja airport", page_size=200)

    seen, url = [], "/api/v1/claims/?search=Ganja+airport&page_size=3"
    while url:
        body = api_client.get(url).json()
        seen += [item["id"] for item in body["results"]]
        url = body["next"]

    assert seen == everything
    assert len(seen) == 8


def test_the_admin_search_finds_words_as_they_are_typed_in_any_language(region, client):
    client.force_login(UserFactory(roles=["editor"], is_staff=True))

    response = client.get("/admin/claims/claim/", {"q": "истреб Гян"})

    assert list(response.context["cl"].result_list) == [region["ru"]]


def test_the_database_indexes_the_languages_the_search_reads_with_the_threshold_it_assumes(db):
    with connection.cursor() as cursor:
        for code, name in CONFIGS.items():
            cursor.execute("SELECT fc_config(%s)::text, fc_config(%s)::text", [code, f"{code.upper()}-XX"])
            assert cursor.fetchone() == (f"fc_{name}", f"fc_{name}")
        cursor.execute("SELECT fc_config('az')::text, current_setting('pg_trgm.word_similarity_threshold')")
        assert cursor.fetchone() == (config_for("az"), str(FUZZY_THRESHOLD))
    assert config_for("ru-RU") == "fc_russian"


def test_a_search_is_answered_from_the_indexes(region, db):
    """The candidates come from the GIN indexes (full text; trigrams for the dictionary of
    near spellings), not a scan of every claim."""
    from claims.search import Search, claim_search

    with connection.cursor() as cursor:
        # A small table is cheaper to read whole (or along its primary key): with both
        # ways off, the planner can only reach rows through an index with a condition.
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET enable_indexscan = off")
        query = claim_search(Claim.objects.all(), Search.read("Ganja airport"), EVERYTHING)
        sql, params = query.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_indexscan")
    assert "claim_search" in plan
    assert "searchword_trgm" in plan
    assert "appearance_search" in plan


def test_the_words_of_claims_texts_are_kept_for_near_spellings_as_they_are_written(db):
    claim = ClaimFactory(text="Helicopters landed near Ganja.")
    ids_before = ids_found("helicoptre")
    claim.text = "Paratroopers landed near Ganja."
    claim.save()

    words = set(SearchWord.objects.values_list("word", flat=True))
    assert {"helicopters", "landed", "near", "ganja", "paratroopers"} <= words
    assert ids_before == [claim.pk]
    # The old word stays in the dictionary; it finds nothing now.
    assert ids_found("helicoptre") == []
    assert ids_found("paratrooper") == [claim.pk]
    assert ids_found("paratropers") == [claim.pk]


# --- a common word costs what a rare one does ---------------------------------------------


@pytest.fixture
def small_windows(monkeypatch):
    """The search's bounds made small: it ranks at most 3 claims each way of matching
    finds, reading through the newest 10 claims before it looks at older ones."""
    from claims import search

    monkeypatch.setattr(search, "RANKED", 3)
    monkeypatch.setattr(search, "RECENT", 10)


def ids_found(text: str, claims=None) -> list[int]:
    return [c.pk for c in (claims or Claim.objects).search(text, EVERYTHING)]


@pytest.mark.django_db
def test_a_common_word_is_ranked_among_its_newest_claims(small_windows):
    made = [ClaimFactory(text=f"Drones seen over the border, report {i}.") for i in range(30)]
    found = ids_found("drones")
    # The newest 3 claims holding the word first (equal scores: newest first), and not
    # all 30: at most 3 more, those the near spellings' index offered first.
    assert found[:3] == [c.pk for c in reversed(made[-3:])]
    assert len(found) <= 6


@pytest.mark.django_db
def test_a_rare_word_is_found_in_old_claims_past_the_newest(small_windows):
    old = ClaimFactory(text="Helicopters landed near Aghdam.")
    for i in range(40):
        ClaimFactory(text=f"Drones seen over the border, report {i}.")
    assert ids_found("helicopters") == [old.pk]
    # And beside a new one, in the newest claims.
    new = ClaimFactory(text="Helicopters again.")
    assert sorted(ids_found("helicopters")) == [old.pk, new.pk]


@pytest.mark.django_db
def test_an_excluded_word_is_left_out_and_an_old_claim_without_it_found(small_windows):
    old = ClaimFactory(text="Helicopters landed near Aghdam.")
    for i in range(12):
        ClaimFactory(text=f"Drones seen over the border, report {i}.")
    also = ClaimFactory(text="Helicopters landed near Ganja.")
    quoted = ClaimFactory(text="Something landed.")
    quoted.appearances.create(document=DocumentFactory(), quote="Helicopters near Ganja, he said.")

    # A rare word: its older claims are looked for, and the exclusion holds in the text
    # and the quotes alike.
    assert ids_found("helicopters -Ganja") == [old.pk]
    assert sorted(ids_found("helicopters")) == sorted([old.pk, also.pk, quoted.pk])


@pytest.mark.django_db
def test_a_common_word_less_another_is_looked_for_among_the_newest_only(small_windows):
    older = [ClaimFactory(text=f"Turkish troops and drones, report {i}.") for i in range(3)]
    alone = ClaimFactory(text="Troops crossed the river.")
    for i in range(12):
        ClaimFactory(text=f"Turkish troops seen, report {i}.")

    # The newest 10 claims hold "troops" (more than 3 of them), all with "Turkish": the
    # word is common, so older claims are not read for one without it (that would read
    # every claim holding it); a rare word's older claims are (above).
    assert ids_found("troops -Turkish") == []
    assert alone.pk not in ids_found("troops -Turkish")
    assert ids_found("drones -river") == [c.pk for c in reversed(older)]  # rare: read in older claims
    # Among the newest, one without the word is found.
    fresh = ClaimFactory(text="Troops withdrew.")
    assert ids_found("troops -Turkish") == [fresh.pk]


@pytest.mark.django_db
def test_a_source_named_is_found_in_old_claims_and_new(small_windows):
    agency = SourceFactory(name="Caspian Wire", aliases=["CW"])
    old = ClaimFactory(text="Jets left.")
    chain_record(claim=old, hops=[HopInput(agency)])
    for i in range(15):
        ClaimFactory(text=f"Drones seen over the border, report {i}.")
    new = ClaimFactory(text="Jets returned.")
    chain_record(claim=new, hops=[HopInput(agency)])

    # By a word of its name, and by its alias (its name key).
    assert ids_found("caspian") == [new.pk, old.pk]
    assert ids_found("CW") == [new.pk, old.pk]


@pytest.mark.django_db
def test_filters_narrow_the_claims_before_the_newest_are_taken(small_windows, client):
    agency = SourceFactory(name="Caspian Wire")
    for i in range(15):
        ClaimFactory(text=f"Drones seen over the border, report {i}.", status="published")
    cited = ClaimFactory(text="Drones seen over the border, the wire said.", status="published")
    chain_record(claim=cited, hops=[HopInput(agency)])
    for i in range(15):
        ClaimFactory(text=f"Drones seen over the border, later report {i}.", status="published")
    # Among all claims it is not one of the newest with the word; among those citing the
    # agency it is the only one.
    assert cited.pk not in ids_found("drones")
    response = client.get("/api/v1/claims/", {"search": "drones", "source": agency.pk})
    assert [row["id"] for row in response.json()["results"]] == [cited.pk]
