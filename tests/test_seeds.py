"""The seed article as an editor extracted it, and the commands that load it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.postgres.search import SearchQuery
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from pghistory.models import Context
from rest_framework.authtoken.models import Token

from claims.models import Appearance, Attribution, Claim, ClaimStatus, Evidence, Statement
from claims.provenance import trace
from claims.services import claim_update
from sources.models import Document, Source

SEEDS = Path(settings.BASE_DIR) / "seeds"
ARTICLE = SEEDS / "000_f448ad022973d20f.txt"
EXTRACTION = SEEDS / "000_f448ad022973d20f.yaml"
PUBLISHER = "Unnamed publisher of “Turkish troops in Azerbaijan for joint military drills”"
TROOPS = "Turkish troops are in Azerbaijan for a joint training exercise with the Azerbaijani military."
JUNK = "This block is broken or missing"
# The claims the article attributes to Reuters, citing RIA, informed by the ministry.
VIA_RIA = {
    TROOPS,
    "The new joint Turkish-Azerbaijani military drills in Azerbaijan began on a Monday in 2021.",
    "Drones, helicopters and tanks have been deployed in the new joint Turkish-Azerbaijani drills in Azerbaijan.",
}


def load_seeds(*args: str) -> str:
    out = io.StringIO()
    call_command("load_seeds", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    """Rows of every table the seeds write to, their history events included."""
    models = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_label in {"sources", "claims"} and not m._meta.proxy
    ]
    counts = {m._meta.label: m.objects.count() for m in models}
    counts["pghistory.Context"] = Context.objects.count()
    return counts


def event_count() -> int:
    tracked = [Source, Document, Claim, Appearance, Statement, Attribution, Evidence]
    return sum(m.pgh_event_model.objects.count() for m in tracked)


@pytest.fixture
def seeded(db) -> str:
    return load_seeds()


def search(text: str) -> set[str]:
    return set(Claim.objects.filter(search_vector=SearchQuery(text, config="english")).values_list("text", flat=True))


# --- what gets loaded -----------------------------------------------------------


@pytest.fixture(scope="class")
def seeded_once(django_db_setup, django_db_blocker):
    """The seeds loaded once for a class of read-only tests, inside a transaction
    rolled back after the class, so later tests start from an empty database.
    Each test's own transaction nests inside it as a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        output = load_seeds()
        yield output
        transaction.set_rollback(True)


@pytest.mark.usefixtures("db")
class TestTheLoadedSeeds:
    def test_loading_the_seeds_reports_what_it_created(self, seeded_once):
        assert seeded_once.splitlines()[1:] == [
            "  sources: 5 created, 0 unchanged",
            "  topics: 4 created, 0 unchanged",
            "  documents: 1 created, 0 unchanged",
            "  claims: 19 created, 0 unchanged",
            "  chains: 19 created, 0 unchanged",
        ]

    def test_the_seeds_hold_the_article_its_sources_and_at_least_twelve_claims(self, seeded_once):
        assert Claim.objects.count() == 19
        assert Document.objects.count() == 1
        sources = {s.name: s for s in Source.objects.all()}
        assert sorted(sources) == sorted(
            [PUBLISHER, "Reuters", "RIA Novosti", "Ministry of Defence of Azerbaijan", "Government of Azerbaijan"]
        )
        assert (sources["Reuters"].kind, sources["Reuters"].wikidata_qid) == ("news_agency", "Q130879")
        ria = sources["RIA Novosti"]
        assert (ria.kind, ria.country, ria.aliases, ria.wikidata_qid) == (
            "news_agency",
            "RU",
            ["RIA", "RIA news agency"],
            "",
        )
        ministry = sources["Ministry of Defence of Azerbaijan"]
        assert (ministry.kind, ministry.country, ministry.parent) == (
            "government",
            "AZ",
            sources["Government of Azerbaijan"],
        )
        assert sources[PUBLISHER].kind == "outlet"
        assert list(Source.objects.search("RIA news agency")) == [ria]

    def test_the_document_is_the_article_without_its_scraping_junk(self, seeded_once):
        document = Document.objects.get()
        raw = ARTICLE.read_text(encoding="utf-8")
        title, _, text = raw.partition("\n")
        # The editor's cleaning: drop the junk line, plain spaces for non-breaking ones, no trailing blanks.
        paragraphs = [line.replace("\xa0", " ").rstrip() for line in text.splitlines() if not line.startswith(JUNK)]
        assert JUNK in raw
        assert JUNK not in document.body
        assert document.body == "\n".join(paragraphs).strip("\n")
        assert (document.title, document.url, document.language) == (title, "", "en")
        # Unnamed in the text, yet someone published it: the outlet known only as its publisher.
        assert document.publisher.name == f"Unnamed publisher of “{title}”"
        assert (document.published_at, document.retrieved_at) == (None, None)
        assert document.content_hash == Document.hash_body(document.body)

    def test_every_claim_appears_in_the_article_with_a_verbatim_quote(self, seeded_once):
        body = Document.objects.get().body
        appearances = list(Appearance.objects.select_related("claim"))
        assert len(appearances) == Claim.objects.count()
        assert {a.claim_id for a in appearances} == set(Claim.objects.values_list("id", flat=True))
        assert [a.quote for a in appearances if a.quote not in body] == []
        hop_quotes = list(Evidence.objects.values_list("quote", flat=True))
        assert len(hop_quotes) == 9
        assert [q for q in hop_quotes if not q or q not in body] == []

    def test_the_junk_line_never_becomes_a_claim(self, seeded_once):
        assert not Claim.objects.filter(text__icontains="broken or missing").exists()
        assert not Appearance.objects.filter(quote__icontains="broken or missing").exists()

    def test_claims_are_published_and_unrated_but_the_speculative_one_waits_in_review(self, seeded_once):
        statuses = dict(Claim.objects.values_list("text", "status"))
        in_review = [text for text, status in statuses.items() if status == ClaimStatus.IN_REVIEW]
        assert in_review == [
            "Military cooperation between Turkey and Azerbaijan under the Shusha Agreement may include "
            "joint production of drones in Azerbaijan."
        ]
        assert Claim.objects.filter(status=ClaimStatus.PUBLISHED, published_at__isnull=False).count() == 18
        assert not Claim.objects.exclude(rating="").exists()

    def test_event_dates_are_resolved_only_as_far_as_the_text_allows(self, seeded_once):
        def event(text_start: str) -> tuple:
            claim = Claim.objects.get(text__startswith=text_start)
            return (str(claim.event_start), str(claim.event_end), claim.event_approximate)

        assert event("The TurAz Eagle exercise concluded") == ("2020-08-10", "None", False)
        assert event("The 2020 Nagorno-Karabakh war lasted") == ("2020-09-27", "2020-11-10", False)
        assert event("On 15 June 2021") == ("2021-06-15", "None", False)
        assert event("Turkish air and ground forces took part") == ("2020-06-01", "2020-08-10", True)  # "last summer"
        assert event("The new joint") == ("2021-01-01", "2021-12-31", True)  # "on Monday", in 2021
        assert event("Turkey and Azerbaijan regularly") == ("None", "None", False)

    def test_the_troops_claim_traces_through_reuters_and_ria_to_the_ministry(self, seeded_once):
        result = trace(Claim.objects.get(text=TROOPS))
        assert [[(h.source.name, h.edge.relation if h.edge else None) for h in chain] for chain in result.chains] == [
            [
                (PUBLISHER, "reported"),
                ("Reuters", "citing"),
                ("RIA Novosti", "informed_by"),
                ("Ministry of Defence of Azerbaijan", None),
            ]
        ]
        assert [o.name for o in result.origins] == ["Ministry of Defence of Azerbaijan"]
        assert result.independent_origins == 1
        assert result.flag_codes == ["single_origin", "unverified_hop"]
        quotes = [h.edge.quote for h in result.chains[0] if h.edge]
        assert quotes == [
            "Turkish troops are in Azerbaijan for a training exercise with the Azerbaijani military, Reuters reported.",
            "Reuters said, citing Russia’s RIA news agency",
            "which was informed about the exercise from Azerbaijan’s defence ministry",
        ]

    def test_the_claims_the_article_states_itself_have_its_publisher_as_their_one_hop_origin(self, seeded_once):
        others = Claim.objects.exclude(text__in=VIA_RIA)
        assert others.count() == 16
        for claim in others:
            result = trace(claim)
            assert [[h.source.name for h in chain] for chain in result.chains] == [[PUBLISHER]], claim.text
            assert [o.name for o in result.origins] == [PUBLISHER]
        for text in VIA_RIA:
            assert [o.name for o in trace(Claim.objects.get(text=text)).origins] == [
                "Ministry of Defence of Azerbaijan"
            ]

    def test_search_for_ganja_finds_the_f16_claim(self, seeded_once):
        (text,) = search("Ganja")
        assert "F-16" in text
        assert "Ganja International Airport" in text

    def test_shushi_the_armenian_name_of_shusha_is_searchable(self, seeded_once):
        assert search("Shushi") == {
            "On 15 June 2021, Turkish President Recep Tayyip Erdogan and Azerbaijani President Ilham Aliyev signed "
            "the Shusha Agreement on Allied Relations in Shusha, which Armenians call Shushi, in Nagorno-Karabakh.",
            "Azerbaijan captured the city of Shusha (Shushi to Armenians) in Nagorno-Karabakh during the 2020 war.",
        }


# --- idempotence -------------------------------------------------------------------


def test_a_second_load_changes_nothing(seeded, django_assert_num_queries):
    rows, events = row_counts(), event_count()
    updated_at = dict(Claim.objects.values_list("id", "updated_at"))
    # Lookups in bulk: the count does not grow with the number of claims (two more: the load's
    # lock, and clearing its history context inside the test's transaction; one for the hops' evidence).
    with django_assert_num_queries(13):
        output = load_seeds()
    assert output.splitlines()[1:] == [
        "  sources: 0 created, 5 unchanged",
        "  topics: 0 created, 4 unchanged",
        "  documents: 0 created, 1 unchanged",
        "  claims: 0 created, 19 unchanged",
        "  chains: 0 created, 19 unchanged",
    ]
    assert row_counts() == rows
    assert event_count() == events
    assert dict(Claim.objects.values_list("id", "updated_at")) == updated_at


def test_a_claim_edited_after_loading_is_kept_as_edited_even_when_asked_to_update(seeded):
    claim = Claim.objects.get(text=TROOPS)
    claim_update(claim=claim, event_approximate=False)
    output = load_seeds()
    assert "  claims: 0 created, 18 unchanged, 1 kept as edited" in output
    assert "event_approximate differ from the seed" in output
    claim.refresh_from_db()
    assert claim.event_approximate is False

    # --update applies what changed in the files, never over an editor's change.
    output = load_seeds("--update")
    assert "  claims: 0 created, 18 unchanged, 1 kept as edited" in output
    assert "an editor changed the claim since the seeds wrote it, so --update leaves it" in output
    claim.refresh_from_db()
    assert claim.event_approximate is False


@pytest.mark.parametrize("update", [[], ["--update"]])
def test_a_retracted_seed_claim_stays_retracted_and_does_not_block_the_load(seeded, update):
    claim = Claim.objects.get(text=TROOPS)
    claim_update(claim=claim, status=ClaimStatus.RETRACTED)
    output = load_seeds(*update)
    assert "status kept as retracted (the seed says published" in output
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RETRACTED


def test_update_never_republishes_a_claim_an_editor_moved_back_to_review(seeded):
    claim = Claim.objects.get(text=TROOPS)
    claim_update(claim=claim, status=ClaimStatus.IN_REVIEW, rating="false")
    output = load_seeds("--update")
    claim.refresh_from_db()
    # The status and the rating stay the editor's.
    assert (claim.status, claim.rating) == (ClaimStatus.IN_REVIEW, "false")
    assert "status kept as in review" in output


def test_a_reworded_claim_is_found_again_by_its_quote(seeded):
    claim = Claim.objects.get(text=TROOPS)
    claim_update(claim=claim, text="Turkish troops are in Azerbaijan for a joint exercise.")
    count = Claim.objects.count()
    output = load_seeds()
    assert Claim.objects.count() == count
    assert "text differ from the seed" in output


def test_a_document_whose_seed_body_changed_is_kept_unless_asked_to_update(seeded, tmp_path):
    addition = "\n\n    An editor's addition.\n\nsources:"
    text = EXTRACTION.read_text(encoding="utf-8").replace("\n\nsources:", addition, 1)
    (tmp_path / "000.yaml").write_text(text, encoding="utf-8")
    output = load_seeds("--dir", str(tmp_path))
    assert "  documents: 0 created, 0 unchanged, 1 kept as edited" in output
    assert Document.objects.get().body.endswith("drones in Azerbaijan.")

    output = load_seeds("--dir", str(tmp_path), "--update")
    assert "  documents: 0 created, 1 updated, 0 unchanged" in output
    assert Document.objects.get().body.endswith("drones in Azerbaijan.\n\nAn editor's addition.")
    assert Document.objects.count() == 1


# --- bad files -----------------------------------------------------------------------


def write_seed(tmp_path: Path, old: str, new: str) -> Path:
    text = EXTRACTION.read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "000_bad.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


def test_a_quote_not_in_the_body_is_refused_naming_the_claim_and_field(db, tmp_path):
    path = write_seed(
        tmp_path,
        "    quote: Turkey and Azerbaijan regularly carry out",
        "    quote: Turkey and Armenia regularly carry out",
    )
    with pytest.raises(CommandError) as error:
        load_seeds("--dir", str(path))
    assert str(error.value) == (
        "Seed data not loaded (nothing was written):\n"
        "000_bad.yaml: claims[3] “Turkey and Azerbaijan regularly carry out joint military dr…”: "
        "quote: does not occur verbatim in the document body"
    )
    assert Claim.objects.count() == 0


def test_an_unknown_status_and_relation_are_refused_with_every_problem_listed(db, tmp_path):
    path = write_seed(tmp_path, "    status: in_review", "    status: pending")
    (path / "000_bad.yaml").write_text(
        (path / "000_bad.yaml").read_text(encoding="utf-8").replace("relation: citing", "relation: cites", 1)
    )
    with pytest.raises(CommandError) as error:
        load_seeds("--dir", str(path))
    assert str(error.value).splitlines()[1:] == [
        "000_bad.yaml: claims[0] “Turkish troops are in Azerbaijan for a joint training exerc…”: chain[1]: "
        "relation: 'cites' is not one of reported, citing, quoting, informed_by, according_to, said_to, "
        "translating, other",
        "000_bad.yaml: claims[18] “Military cooperation between Turkey and Azerbaijan under th…”: "
        "status: 'pending' is not one of draft, in_review, published, retracted",
    ]


def test_a_value_the_model_rejects_is_reported_with_its_item_and_nothing_is_written(db, tmp_path):
    path = write_seed(tmp_path, "    country: AZ\n    parent:", "    country: Azerbaijan\n    parent:")
    with pytest.raises(CommandError) as error:
        load_seeds("--dir", str(path))
    assert str(error.value).splitlines()[1] == (
        "000_bad.yaml: source 'Ministry of Defence of Azerbaijan': "
        "country: Use a two-letter ISO 3166-1 country code, e.g. AZ. "
        "Ensure this value has at most 2 characters (it has 10)."
    )
    assert Source.objects.count() == 0


def test_a_file_that_is_not_yaml_is_refused(db, tmp_path):
    (tmp_path / "broken.yaml").write_text("claims: [\n")
    with pytest.raises(CommandError, match=r"(?s)broken\.yaml: not valid YAML: .*line 2"):
        load_seeds("--dir", str(tmp_path))


def test_an_empty_seed_folder_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="holds no seed files"):
        load_seeds("--dir", str(tmp_path))


# --- demo users ------------------------------------------------------------------------


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The command is for local use: it runs only with DEBUG on, as `make run` has it.
    settings.DEBUG = True


def demo_users(*args: str) -> str:
    out = io.StringIO()
    call_command("demo_users", *args, stdout=out)
    return out.getvalue()


def test_demo_users_creates_the_three_roles_and_an_admin_with_tokens(db, fast_passwords, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-1")
    output = demo_users()
    users = {u.username: u for u in User.objects.prefetch_related("groups")}
    assert sorted(users) == ["admin", "auditor", "editor", "journalist"]
    assert {name: [g.name for g in u.groups.all()] for name, u in users.items()} == {
        "admin": [],
        "auditor": ["auditor"],
        "editor": ["editor"],
        "journalist": ["journalist"],
    }
    assert {name: (u.is_staff, u.is_superuser) for name, u in users.items()} == {
        "admin": (True, True),
        "auditor": (True, False),
        "editor": (True, False),
        "journalist": (False, False),
    }
    assert all(u.check_password("demo-password-1") for u in users.values())
    assert "http://127.0.0.1:8000/admin/" in output
    assert "http://127.0.0.1:8000/api/v1/docs/" in output
    assert output.count("demo-password-1") == 4
    for user in users.values():
        assert Token.objects.get(user=user).key in output

    rows = list(User.objects.order_by("id").values())
    assert demo_users() == output
    assert list(User.objects.order_by("id").values()) == rows


def test_demo_password_resets_the_password_of_existing_demo_users(db, fast_passwords, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    demo_users()
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-2")
    demo_users()
    assert all(u.check_password("demo-password-2") for u in User.objects.all())


def test_demo_users_twice_changes_nothing_and_shows_a_generated_password_once(db, fast_passwords, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    first = demo_users()
    editor_line = next(line for line in first.splitlines() if line.startswith("editor "))
    _, role, uses, password, _ = editor_line.split()
    assert (role, uses) == ("editor", "admin+API")
    assert next(line for line in first.splitlines() if line.startswith("journalist ")).split()[2] == "API"
    assert User.objects.get(username="editor").check_password(password)
    users = list(User.objects.order_by("id").values())
    tokens = list(Token.objects.order_by("key").values_list("key", "user_id"))

    second = demo_users()
    assert password not in second
    assert second.count("(unchanged; set DEMO_PASSWORD to reset)") == 4
    assert list(User.objects.order_by("id").values()) == users
    assert list(Token.objects.order_by("key").values_list("key", "user_id")) == tokens


def test_demo_users_refuses_to_run_with_debug_off_unless_forced(db, fast_passwords, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        demo_users()
    assert not User.objects.exists()
    demo_users("--force")
    assert User.objects.count() == 4
