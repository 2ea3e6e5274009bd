"""The synthetic corpus (``manage.py generate_corpus``): its shape, its history as the
triggers write it, trace summaries the check accepts, the same rows for the same seed."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from claims.history import CLAIM_PARTS, history_for
from claims.models import Claim, ClaimStatus
from claims.provenance import trace
from core.history import count_history
from corpus import generator
from corpus.generator import HISTORY_ENTRIES, HISTORY_EVERY, tracked_columns
from sources.models import Document, Source, name_keys
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db

CLAIMS = 400
GRAPH_TABLES = ("claims_claim_topics", "claims_appearance", "claims_statement", "claims_attribution", "claims_evidence")


def generate(claims: int = CLAIMS, seed: int = 7) -> str:
    out = StringIO()
    call_command("generate_corpus", claims=claims, seed=seed, quiet=True, stdout=out)
    return out.getvalue()


def rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def chains_of(claim_id: int) -> list[list[int]]:
    """The claim's chains (source ids, reporting end first), all of them."""
    chains = trace(claim_id, chain_limit=10_000).chains
    return [[hop.source.id for hop in chain if not hop.closes_loop] for chain in chains]


@pytest.fixture
def corpus() -> str:
    return generate()


def test_it_writes_the_claims_asked_for_with_sources_and_documents(corpus):
    assert f"{CLAIMS:,} claims" in corpus
    assert Claim.objects.count() == CLAIMS
    assert Source.objects.count() >= 300
    assert not Document.objects.filter(body="").exists()
    assert Document.objects.filter(body__contains="\n\n").count() == Document.objects.count()
    assert not Claim.objects.filter(appearances=None).exists()
    # Appearances quote the claim, and the document holds the words.
    assert rows(
        "SELECT count(*) FROM claims_appearance a JOIN sources_document d ON d.id = a.document_id "
        "WHERE strpos(d.body, a.quote) = 0"
    ) == [(0,)]
    # Each hop's evidence holds the document's words.
    assert rows(
        "SELECT count(*) FROM claims_evidence e JOIN sources_document d ON d.id = e.document_id "
        "WHERE strpos(d.body, e.quote) = 0"
    ) == [(0,)]
    assert {lang for (lang,) in rows("SELECT DISTINCT language FROM claims_claim")} == {"en", "ru", "tr"}


def test_sources_keys_and_documents_hashes_are_what_the_models_derive(corpus):
    for source in Source.objects.all():
        assert source.name_keys == name_keys(source.name, source.aliases)
    for document in Document.objects.all()[:50]:
        assert document.content_hash == Document.hash_body(document.body)


def test_the_shape_chains_agencies_loops_anonymous_lattices(corpus):
    lengths: Counter[int] = Counter()
    through_agency = total = 0
    agencies = set(Source.objects.filter(kind="news_agency").values_list("pk", flat=True))
    assert 5 <= len(agencies) <= 10
    for claim_id in Claim.objects.filter(pk__lte=Claim.objects.order_by("pk").first().pk + 150).values_list(
        "pk", flat=True
    ):
        for chain in chains_of(claim_id):
            lengths[len(chain)] += 1
            total += 1
            through_agency += bool(agencies & set(chain))
    assert set(range(1, 11)) <= set(lengths), lengths
    assert through_agency > total / 2  # a few agencies behind most chains
    flags = Counter(flag for (flag,) in rows("SELECT unnest(flags) FROM claims_tracesummary"))
    assert flags["circular_reporting"] > 0
    assert flags["anonymous_origin"] > 0
    assert flags["single_origin"] > 0
    # Convergence: claims with several chains meeting at a statement.
    assert (
        rows(
            "SELECT count(*) FROM (SELECT upstream_id FROM claims_attribution "
            "GROUP BY upstream_id HAVING count(*) > 1) x"
        )[0][0]
        > 0
    )
    # Published claims with a chain of 10 hops.
    deep = [c for c in Claim.objects.published() if any(len(chain) == 10 for chain in chains_of(c.pk))]
    assert deep
    # A lattice: 2 wide, 10 to 40 layers; its chains far more than its hops.
    lattice = rows(
        "SELECT claim_id, count(*) FROM claims_attribution GROUP BY claim_id ORDER BY count(*) DESC LIMIT 1"
    )[0]
    assert lattice[1] >= 2 + 4 * 9
    summary = rows("SELECT chains FROM claims_tracesummary WHERE claim_id = %s", [lattice[0]])[0][0]
    assert summary >= 2**10
    # Sources used by a power law: the most used outlet states many claims, most outlets few.
    uses = [n for (n,) in rows(
        "SELECT count(*) FROM claims_statement st JOIN sources_source s ON s.id = st.source_id "
        "WHERE s.kind = 'outlet' GROUP BY s.id ORDER BY 1 DESC"
    )]  # fmt: skip
    assert uses[0] >= 10 * uses[len(uses) // 2]
    assert Source.objects.filter(confidential=True).exists()


def test_statuses_and_ratings_are_as_editors_leave_them(corpus):
    statuses = Counter(Claim.objects.values_list("status", flat=True))
    assert set(statuses) == set(ClaimStatus.values)
    assert not Claim.objects.published().filter(published_at__isnull=True).exists()
    assert not Claim.objects.filter(status="draft", published_at__isnull=False).exists()
    assert Claim.objects.published().exclude(rating="").count() > statuses["published"] / 2


def test_some_claims_have_fifty_history_entries_read_as_the_api_reads_them(corpus):
    first = Claim.objects.order_by("pk").first().pk
    with_history = [first + i for i in range(0, CLAIMS, HISTORY_EVERY)]
    for claim_id in with_history:
        assert count_history(CLAIM_PARTS, claim_id) == HISTORY_ENTRIES
        entries = history_for(Claim(pk=claim_id))
        assert len(entries) == HISTORY_ENTRIES
        assert entries[0].action == "insert" and entries[0].model == "claim"
        updates = [e for e in entries if e.action == "update"]
        assert updates and all(e.diff for e in updates)
        assert {e.url for e in entries} == {"generate_corpus"} and {e.app for e in entries} == {"command"}
        # The row is its last event.
        claim = Claim.objects.get(pk=claim_id)
        last = updates[-1].diff
        assert claim.status == "published" and last["status"][1] == "published"
    # The others: one insert each, of the claim and of each row of its graph.
    other = first + 1
    assert (
        count_history(CLAIM_PARTS, other)
        == sum(rows(f"SELECT count(*) FROM {table} WHERE claim_id = %s", [other])[0][0] for table in GRAPH_TABLES) + 1
    )


def test_history_rows_are_what_the_triggers_write(corpus):
    """A claim made through the ORM, its triggers on, and a generated one have events with
    the same columns, and a generated row's insert event holds the row as it is."""
    made = ClaimFactory(text="Made through the ORM.")
    generated = Claim.objects.exclude(pk=made.pk).order_by("pk")[1]
    columns = ", ".join(tracked_columns(Claim))
    for table in ("claims_claimevent",):
        by_trigger = rows(f"SELECT to_jsonb(e)::text FROM {table} e WHERE pgh_obj_id = %s", [made.pk])
        by_corpus = rows(f"SELECT to_jsonb(e)::text FROM {table} e WHERE pgh_obj_id = %s", [generated.pk])
        by_trigger, by_corpus = [[(json.loads(r[0]),) for r in found] for found in (by_trigger, by_corpus)]
        assert len(by_trigger) == len(by_corpus) == 1
        assert by_trigger[0][0].keys() == by_corpus[0][0].keys()
        assert by_corpus[0][0]["pgh_label"] == "insert" and by_corpus[0][0]["pgh_context_id"]
    assert (
        rows(
            f"SELECT ({columns}) FROM claims_claim WHERE id = %s EXCEPT SELECT ({columns}) FROM claims_claimevent "
            "WHERE pgh_obj_id = %s",
            [generated.pk, generated.pk],
        )
        == []
    )
    # Every generated row has its insert event, in every tracked table.
    for table in ("sources_source", "sources_document", "claims_claim", "claims_claim_topics", "claims_appearance",
                  "claims_statement", "claims_attribution", "claims_evidence"):  # fmt: skip
        events = table.replace("_topics", "topic") + "event"
        assert rows(
            f"SELECT count(*) FROM {table} t WHERE NOT EXISTS (SELECT 1 FROM {events} e "
            "WHERE e.pgh_obj_id = t.id AND e.pgh_label = 'insert')"
        ) == [(0,)], table
    # An editor's change of a generated claim is recorded after the generated history.
    generated.text = "Reworded by an editor."
    generated.save()
    entries = history_for(generated)
    assert entries[-1].action == "update" and entries[-1].diff["text"][1] == "Reworded by an editor."


def test_trace_summaries_need_no_refresh(corpus):
    out = StringIO()
    call_command("refresh_trace_summaries", check=True, stdout=out)
    assert "Every trace summary matches" in out.getvalue()


def digest() -> str:
    """The corpus's content, ids counted from each table's first."""
    queries = [
        "SELECT name, kind, aliases, country, parent_id - (SELECT min(id) FROM sources_source), confidential "
        "FROM sources_source ORDER BY id",
        "SELECT title, body, publisher_id - (SELECT min(id) FROM sources_source), published_at FROM sources_document "
        "ORDER BY id",
        "SELECT text, status, rating, rating_explanation, event_start, event_end, language, published_at, updated_at "
        "FROM claims_claim ORDER BY id",
        "SELECT st.claim_id - (SELECT min(id) FROM claims_claim), st.source_id - (SELECT min(id) FROM sources_source) "
        "FROM claims_statement st ORDER BY id",
        "SELECT relation, verified, statement_id - (SELECT min(id) FROM claims_statement), "
        "upstream_id - (SELECT min(id) FROM claims_statement) FROM claims_attribution ORDER BY id",
        "SELECT quote, relation, document_id - (SELECT min(id) FROM sources_document) FROM claims_evidence ORDER BY id",
        "SELECT pgh_label, pgh_created_at, text, status FROM claims_claimevent ORDER BY pgh_obj_id, pgh_id",
        "SELECT ARRAY(SELECT o - (SELECT min(id) FROM sources_source) FROM unnest(origin_ids) o), flags, chains "
        "FROM claims_tracesummary ORDER BY claim_id",
    ]
    h = hashlib.sha256()
    for sql in queries:
        for row in rows(sql):
            h.update(repr(row).encode())
    return h.hexdigest()


class Discard(Exception):
    pass


def generated_digest(seed: int) -> str:
    try:
        with transaction.atomic():
            generate(200, seed)
            found = digest()
            raise Discard
    except Discard:
        return found


def test_the_same_seed_gives_the_same_corpus_and_another_seed_another():
    first, again, other = generated_digest(1), generated_digest(1), generated_digest(2)
    assert first == again
    assert first != other


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"claims": 0}, "--claims must be between 1 and 10,000,000, not 0."),
        ({"claims": -5}, "--claims must be between 1 and 10,000,000, not -5."),
        ({"claims": 10_000_001}, "--claims must be between 1 and 10,000,000, not 10,000,001."),
    ],
)
def test_bad_counts_are_refused_with_a_clear_message(options, message):
    with pytest.raises(CommandError) as refused:
        call_command("generate_corpus", quiet=True, **options)
    assert str(refused.value) == message
    assert not Claim.objects.exists()


def test_a_database_that_holds_claims_is_refused():
    ClaimFactory()
    with pytest.raises(CommandError, match=r"already holds claims.*fresh database"):
        call_command("generate_corpus", claims=10, quiet=True)
    assert Claim.objects.count() == 1


def test_the_count_is_required():
    with pytest.raises(CommandError, match="--claims"):
        call_command("generate_corpus")


def test_progress_goes_to_stderr_a_line_a_tenth(capsys):
    call_command("generate_corpus", claims=20, stdout=StringIO())
    err = capsys.readouterr().err
    assert "100% 20/20 claims" in err


INDEXES = (
    "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
    "WHERE indrelid::regclass::text ~ '^(claims|sources)_' ORDER BY 1"
)


def test_the_indexes_dropped_for_the_load_are_built_again():
    before = rows(INDEXES)
    assert any(name == "claim_search" for name, _ in before)
    generate(50)
    assert rows(INDEXES) == before
    assert rows("SELECT to_regclass(%s)", [generator.DEFERRED]) == [(None,)]


@pytest.mark.parametrize("where", ["_write_summaries", "_judge"])  # in the writing, in the planning thread
def test_a_run_that_fails_mid_way_builds_them_again(monkeypatch, where):
    before = rows(INDEXES)

    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(generator, where, fail)
    with pytest.raises(RuntimeError, match="the disk is full"):
        with transaction.atomic():  # the failed run's rows undone, as a test needs
            try:
                generate(50)
            finally:
                assert rows(INDEXES) == before
    assert rows(INDEXES) == before


def test_indexes_a_stopped_run_left_dropped_are_built_by_the_next_run():
    """A run killed before it could build them (as if by SIGKILL): they wait, listed, and the
    next run of the command builds them first, even one refused for the claims there."""
    before = rows(INDEXES)
    dropped = generator.defer_indexes()
    assert "claim_search" in dropped and "claims_statement_source_id_9d32cd1e" in dropped
    assert len(rows(INDEXES)) == len(before) - len(dropped)
    assert all(name not in dropped for name, _ in rows(INDEXES))  # primary keys and unique ones stay
    ClaimFactory()
    out = StringIO()
    with pytest.raises(CommandError, match="already holds claims"):
        call_command("generate_corpus", claims=10, quiet=True, stdout=out)
    assert f"{len(dropped)} indexes an earlier run had dropped" in out.getvalue()
    assert rows(INDEXES) == before
    assert rows("SELECT to_regclass(%s)", [generator.DEFERRED]) == [(None,)]


def test_the_search_dictionary_holds_every_word_the_claims_hold(corpus):
    # The trigger that notes them is off while the corpus is written: the generator notes them.
    missing = rows(
        "SELECT DISTINCT public.fc_words(text) AS word FROM claims_claim EXCEPT SELECT word FROM claims_searchword"
    )
    assert rows("SELECT count(*) FROM claims_searchword")[0][0] > 50
    assert missing == []
