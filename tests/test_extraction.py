"""Reading attribution chains out of an article's text (ingestion/extraction.py), the
names resolved against a registry (ingestion/registry.py), and the evaluation over the
annotated articles (ingestion/cases, ``manage.py evaluate_extraction``)."""

from __future__ import annotations

from datetime import date
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from ingestion.dates import When, event_date
from ingestion.evaluation import CASES, TARGETS, evaluate, load, proposals_of
from ingestion.extraction import attribute, paragraphs, propose, sentences
from ingestion.registry import Known, Registry

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_f448ad022973d20f.yaml"


def chain(sentence: str) -> tuple[str, list[tuple[str, str | None]]]:
    claim, hops, _ = attribute(sentence)
    return claim.strip(" ,"), [(mention, relation) for mention, relation, _ in hops]


@pytest.mark.parametrize(
    ("sentence", "claim", "hops"),
    [
        (
            "Troops are in Azerbaijan, Reuters reported.",
            "Troops are in Azerbaijan",
            [("", "reported"), ("Reuters", None)],
        ),
        (
            "Drills began, Reuters said, citing Russia’s RIA news agency, which was informed about the "
            "exercise from Azerbaijan’s defence ministry.",
            "Drills began",
            [("", "reported"), ("Reuters", "citing"), ("Russia’s RIA news agency", "informed_by"),
             ("Azerbaijan’s defence ministry", None)],
        ),
        (
            "According to the ministry, which cited border guards, shelling continued.",
            "shelling continued.",
            [("", "according_to"), ("the ministry", "citing"), ("border guards", None)],
        ),
        (
            "Ten prisoners will be exchanged, a Russian diplomat told RIA, Reuters reported.",
            "Ten prisoners will be exchanged",
            [("", "reported"), ("Reuters", "citing"), ("RIA", "said_to"), ("a Russian diplomat", None)],
        ),
        (
            "A depot was hit on Tuesday, the governor of Syunik told the Associated Press.",
            "A depot was hit on Tuesday",
            [("", "reported"), ("the Associated Press", "said_to"), ("the governor of Syunik", None)],
        ),
        (
            "The strike killed five, as reported by Anadolu Agency.",
            "The strike killed five",
            [("", "reported"), ("Anadolu Agency", None)],
        ),
        (
            "The night was quiet, Azerbaijan's defence ministry said, as reported by Anadolu.",
            "The night was quiet",
            [("", "reported"), ("Anadolu", "reported"), ("Azerbaijan's defence ministry", None)],
        ),
        (
            "Armenpress, citing the Armenian defence ministry, said no casualties were recorded.",
            "no casualties were recorded.",
            [("", "reported"), ("Armenpress", "citing"), ("the Armenian defence ministry", None)],
        ),
        (
            "Haqqin reported, citing Daily Sabah, that a delegation had visited Ganja.",
            "a delegation had visited Ganja.",
            [("", "reported"), ("Haqqin", "citing"), ("Daily Sabah", None)],
        ),
        (
            "Interfax quoted Mirzoyan as saying that a draft treaty was almost ready.",
            "a draft treaty was almost ready.",
            [("", "reported"), ("Interfax", "quoting"), ("Mirzoyan", None)],
        ),
        (
            "The ministry denied any build-up, the Times said.",
            "The ministry denied any build-up",
            [("", "reported"), ("the Times", "reported"), ("The ministry", None)],
        ),
        (
            "The European Union is preparing sanctions, officials said on Wednesday.",
            "The European Union is preparing sanctions",
            [("", "reported"), ("officials", None)],
        ),
        (
            "SOCAR said in a statement that it remained committed to the project.",
            "it remained committed to the project.",
            [("", "reported"), ("SOCAR", None)],
        ),
        (
            "Energy Minister Alparslan Bayraktar told Bloomberg that a deal could still be reached.",
            "a deal could still be reached.",
            [("", "reported"), ("Bloomberg", "said_to"), ("Energy Minister Alparslan Bayraktar", None)],
        ),
        (
            "Kremlin spokesman Dmitry Peskov told reporters that both ministers would attend.",
            "both ministers would attend.",
            [("", "reported"), ("Kremlin spokesman Dmitry Peskov", None)],
        ),
        (
            "The Kremlin has said that talks will resume.",
            "talks will resume.",
            [("", "reported"), ("The Kremlin", None)],
        ),
        (
            "Repairs will end in May, Deputy Minister Arsen Melkonyan said on Tuesday during a visit to the site.",
            "Repairs will end in May",
            [("", "reported"), ("Deputy Minister Arsen Melkonyan", None)],
        ),
        (
            "Its mayor, Gohar Sargsyan, told the Courier that two families had left.",
            "two families had left.",
            [("", "reported"), ("the Courier", "said_to"), ("Gohar Sargsyan", None)],
        ),
        (
            "An official in the economy ministry told me the route would carry a few trains.",
            "the route would carry a few trains.",
            [("", "said_to"), ("An official in the economy ministry", None)],
        ),
        (
            "Per Reuters, the first train rolled into Armenia on Saturday.",
            "the first train rolled into Armenia on Saturday.",
            [("", "according_to"), ("Reuters", None)],
        ),
        (
            "The line is years away, per Eurasianet, which cites customs officials.",
            "The line is years away",
            [("", "according_to"), ("Eurasianet", "citing"), ("customs officials", None)],
        ),
        (
            "South Caucasus Railway, the Russian-owned operator, says it ran the train (via TASS).",
            "it ran the train.",
            [("", "citing"), ("TASS", "reported"), ("South Caucasus Railway", None)],
        ),
        (
            "“The fire is under control,” the governor said, “but the wind may turn.”",
            "The fire is under control, but the wind may turn.",
            [("", "reported"), ("the governor", None)],
        ),
        (
            "“We have moved 120 people out,” said Armen Petrosyan, the head of the rescue service.",
            "“We have moved 120 people out",
            [("", "reported"), ("Armen Petrosyan", None)],
        ),
        (
            "“Our units did not open fire,” said a statement from Azerbaijan’s defence ministry.",
            "“Our units did not open fire",
            [("", "reported"), ("Azerbaijan’s defence ministry", None)],
        ),
        (
            "The ceremony may be held in December, our agency was informed by diplomatic sources.",
            "The ceremony may be held in December",
            [("", "informed_by"), ("diplomatic sources", None)],
        ),
        (
            "The side is ready to sign, the spokeswoman Ani Badalyan was cited by the Armenpress agency as saying.",
            "The side is ready to sign",
            [("", "reported"), ("the Armenpress agency", "citing"), ("the spokeswoman Ani Badalyan", None)],
        ),
        (
            "It was stated by the ministry's representative Maria Zakharova that Moscow will welcome any agreement.",
            "Moscow will welcome any agreement.",
            [("", "reported"), ("the ministry's representative Maria Zakharova", None)],
        ),
        (
            "The differences are small, a source in the ministry told Shirvan Press on condition of anonymity.",
            "The differences are small",
            [("", "reported"), ("Shirvan Press", "said_to"), ("a source in the ministry", None)],
        ),
        (
            "Hraparak reported the next day that a base would open, citing Yeni Şafak, which in turn cited an earlier "
            "Hraparak story.",
            "a base would open",
            [("", "reported"), ("Hraparak", "citing"), ("Yeni Şafak", "citing"), ("Hraparak", None)],
        ),
        (
            "Azerbaijan will pay a third, Minister Parviz Shahbazov said in remarks broadcast by Imedi TV on Thursday.",
            "Azerbaijan will pay a third",
            [("", "reported"), ("Imedi TV", "said_to"), ("Minister Parviz Shahbazov", None)],
        ),
        (
            "Kartli Post learned from the State Electrosystem that the tender will be announced in autumn.",
            "the tender will be announced in autumn.",
            [("", "informed_by"), ("Kartli Post", "informed_by"), ("the State Electrosystem", None)],
        ),
        (
            "• KazMunayGas says loadings are back to normal [Interfax-Kazakhstan].",
            "loadings are back to normal.",
            [("", "citing"), ("Interfax-Kazakhstan", "reported"), ("KazMunayGas", None)],
        ),
        (
            "A TPAO official confirmed to ENA that two wells would be drilled in March.",
            "two wells would be drilled in March.",
            [("", "reported"), ("ENA", "said_to"), ("A TPAO official", None)],
        ),
        (
            "They told shippers in March that one mooring point would stay shut.",
            "one mooring point would stay shut.",
            [("", "reported"), ("They", None)],
        ),
        (
            "“There were 40 children in every class,” says Elena Rotaru, 61, who has taught here for 35 years.",
            "“There were 40 children in every class",
            [("", "reported"), ("Elena Rotaru", None)],
        ),
        (
            "Ion Munteanu, the village mayor, says the education ministry has told him that the school will close.",
            "the school will close.",
            [("", "reported"), ("Ion Munteanu", "citing"), ("him", "said_to"), ("the education ministry", None)],
        ),
        (
            "In Ankara, the Turkish Foreign Ministry said in a statement that the protocol was an important step.",
            "the protocol was an important step.",
            [("", "reported"), ("the Turkish Foreign Ministry", None)],
        ),
        (
            "Shahbazov: Azerbaijan to raise gas exports to Europe.",
            "Azerbaijan to raise gas exports to Europe.",
            [("", "reported"), ("Shahbazov", None)],
        ),
        (
            "News.am, which cited a source at the airport, said 30 officers had flown to Moscow.",
            "30 officers had flown to Moscow.",
            [("", "reported"), ("News.am", "citing"), ("a source at the airport", None)],
        ),
    ],
)  # fmt: skip
def test_each_shape_of_attribution_gives_its_chain(sentence, claim, hops):
    assert chain(sentence) == (claim, hops)


@pytest.mark.parametrize(
    "sentence",
    [
        "Turkey and Azerbaijan regularly carry out joint military drills.",
        "The date was first reported by RIA, which cited a diplomatic source.",  # a passive subject
        "During that war, which lasted until Nov. 10, Azerbaijan seized large parts of the region.",
        "The two reports only confirm each other.",  # a noun, not the verb
    ],
)
def test_a_sentence_that_attributes_nothing_is_the_publishers_own(sentence):
    assert attribute(sentence) is None


def test_sentences_are_not_cut_after_abbreviations_and_junk_lines_are_dropped():
    body = "After the conclusion on Aug. 10, 2020, jets stayed. Mr. Aliyev spoke.\n\nThis block is broken or missing."

    assert paragraphs(body) == ["After the conclusion on Aug. 10, 2020, jets stayed. Mr. Aliyev spoke."]
    assert sentences(paragraphs(body)[0]) == [
        "After the conclusion on Aug. 10, 2020, jets stayed.",
        "Mr. Aliyev spoke.",
    ]


def test_the_seed_articles_reuters_chains_are_proposed_whole():
    seed = yaml.safe_load(SEED.read_text(encoding="utf-8"))
    by_text = {p.claim_text: p for p in propose(seed["document"]["body"])}
    troops = by_text["Turkish troops are in Azerbaijan for a training exercise with the Azerbaijani military."]
    drills = next(p for text, p in by_text.items() if text.startswith("The new drills began on Monday"))
    expected = [
        ("", "reported"),
        ("Reuters", "citing"),
        ("Russia’s RIA news agency", "informed_by"),
        ("Azerbaijan’s defence ministry", None),
    ]

    # The first sentence names Reuters alone; the second says whom Reuters cites.
    assert [(h.mention, h.relation) for h in troops.hops] == expected
    assert [(h.mention, h.relation) for h in drills.hops] == expected
    assert drills.hops[1].quote == "Reuters said, citing Russia’s RIA news agency"
    assert not any("broken or missing" in p.sentence for p in by_text.values())


def test_mentions_and_quotes_are_the_texts_own_words():
    for path in sorted(CASES.glob("*.yaml")):
        case = load(path)
        text = " ".join(case["body"].split())
        for proposal, _ in proposals_of(case):
            assert proposal.quote in proposal.sentence and proposal.sentence in text, (path.stem, proposal)
            for hop in proposal.hops:
                # A hop followed into another sentence keeps that sentence's words.
                assert hop.mention in text and hop.quote in text, (path.stem, hop)


def test_a_mention_resolves_by_name_alias_title_and_what_was_named_before():
    ria = Known(1, "RIA Novosti", ("RIA", "RIA news agency"))
    ministry = Known(2, "Ministry of Defence of Azerbaijan", ("Azerbaijani defence ministry",))
    peskov = Known(3, "Dmitry Peskov")
    ledger = Known(4, "The Daily Ledger")
    energy, bayraktar = (
        Known(5, "Ministry of Energy of Turkey", ("Turkish energy ministry",)),
        Known(6, "Alparslan Bayraktar"),
    )
    registry = Registry([ria, ministry, peskov, ledger, energy, bayraktar])

    assert registry.resolve("R.I.A.") is ria
    assert registry.resolve("Russia’s RIA news agency") is ria
    assert registry.resolve("the Azerbaijani defence ministry") is ministry
    assert registry.resolve("Kremlin spokesman Dmitry Peskov") is peskov
    assert registry.resolve("the foreign ministry's spokesman Dmitry Peskov") is peskov
    # The name the mention ends with is who it is, not the organisation its title names.
    assert registry.resolve("Turkish Energy Minister Alparslan Bayraktar") is bayraktar
    assert registry.resolve("the Turkish energy ministry") is energy
    assert registry.resolve("a draft document seen by The Daily Ledger") is None
    assert registry.resolve("border guards") is None
    assert registry.resolve("the ministry") is None
    assert registry.resolve("the ministry", recent=[peskov, ministry]) is ministry


def test_the_annotated_articles_meet_the_targets():
    scores, total = evaluate()

    assert len(scores) >= 12
    assert total.chain_recall >= TARGETS["chain_recall"]
    assert total.hop_precision >= TARGETS["hop_precision"]
    assert total.resolution >= TARGETS["resolution"]
    assert total.junk == 0


def test_the_evaluation_counts_what_is_missed():
    case = {
        "publisher": "Desk",
        "registry": [{"name": "Desk"}, {"name": "Reuters"}],
        "body": "Troops crossed the river, Reuters reported.\n\nJets landed at dawn.\n\nSubscribe to our newsletter.",
        # Annotated wrongly on purpose: the extractor cannot agree.
        "chains": [{"quote": "Troops crossed", "chain": ["Desk", "Reuters", "?a ministry"]}],
        "junk": ["Subscribe to our newsletter."],
    }
    from ingestion.evaluation import score_case

    score = score_case(case)

    assert (score.chains, score.chains_found) == (1, 0)
    assert (score.edges_annotated, score.edges_found, score.edges_proposed, score.edges_right) == (2, 1, 1, 1)
    assert (score.mentions, score.mentions_resolved, score.junk) == (1, 1, 0)


def test_the_command_prints_the_table_and_says_whether_the_targets_are_met():
    out = StringIO()
    call_command("evaluate_extraction", stdout=out)
    text = out.getvalue()

    assert "| 01_seed_article |" in text
    assert "| overall |" in text
    assert text.strip().endswith("Targets met.")


def test_the_command_refuses_a_case_that_is_not_there(tmp_path):
    with pytest.raises(CommandError, match="No such case"):
        call_command("evaluate_extraction", str(tmp_path / "missing.yaml"), stdout=StringIO())


# --- when the claimed event happened

PUBLISHED = date(2021, 6, 23)  # a Wednesday


@pytest.mark.parametrize(
    ("sentence", "published", "expected"),
    [
        ("The new drills began on Monday.", PUBLISHED, When(date(2021, 6, 21), date(2021, 6, 21), False)),
        ("Troops travelled to Turkey last week.", PUBLISHED, When(date(2021, 6, 14), date(2021, 6, 20), True)),
        ("Last summer, forces took part.", PUBLISHED, When(date(2020, 6, 1), date(2020, 8, 31), True)),
        ("Last summer, forces took part.", date(2021, 9, 10), When(date(2021, 6, 1), date(2021, 8, 31), True)),
        ("Last winter was cold.", PUBLISHED, When(date(2020, 12, 1), date(2021, 2, 28), True)),
        (
            "After its conclusion on Aug. 10, 2020, jets stayed.",
            None,
            When(date(2020, 8, 10), date(2020, 8, 10), False),
        ),
        ("On June 15, they signed.", PUBLISHED, When(date(2021, 6, 15), date(2021, 6, 15), False)),
        ("On June 30, they signed.", PUBLISHED, When(date(2020, 6, 30), date(2020, 6, 30), False)),
        ("On 27 September 2020 the war began.", None, When(date(2020, 9, 27), date(2020, 9, 27), False)),
        ("In 2020 the war began.", None, When(date(2020, 1, 1), date(2020, 12, 31), True)),
        ("It happened yesterday, not on Monday.", PUBLISHED, When(date(2021, 6, 22), date(2021, 6, 22), False)),
        ("The new drills began on Monday.", None, None),  # no year to place it in
        ("On February 30, nothing happened.", PUBLISHED, None),
        ("Nothing here is dated.", PUBLISHED, None),
    ],
)
def test_a_sentences_first_date_resolves_against_the_articles(sentence, published, expected):
    assert event_date(sentence, published) == expected


def test_a_proposal_is_dated_by_its_claim_not_by_when_it_was_said():
    (proposal,) = propose("Troops crossed the river last week, officials said on Wednesday.", PUBLISHED)

    assert proposal.event == When(date(2021, 6, 14), date(2021, 6, 20), True)


@pytest.mark.django_db
def test_mentions_resolve_against_the_sources_in_the_database(django_assert_max_num_queries):
    from ingestion.registry import SourceRegistry
    from tests.factories import SourceFactory

    ria = SourceFactory(name="RIA Novosti", aliases=["RIA", "RIA news agency"])
    ministry = SourceFactory(name="Ministry of Defence of Azerbaijan", aliases=["Azerbaijani defence ministry"])
    peskov = SourceFactory(name="Dmitry Peskov")
    SourceFactory(name="Dmitry Medvedev")
    registry = SourceRegistry()

    def resolved(mention: str, recent=()) -> int | None:
        known = registry.resolve(mention, list(recent))
        return known.key if known else None

    with django_assert_max_num_queries(3):
        assert resolved("Russia’s RIA news agency") == ria.pk
    assert resolved("the Azerbaijani defence ministry") == ministry.pk
    assert resolved("Kremlin spokesman Dmitry Peskov") == peskov.pk
    assert resolved("border guards") is None
    assert resolved("the ministry") is None
    assert resolved("the ministry", [Known(ministry.pk, ministry.name, tuple(ministry.aliases))]) == ministry.pk


def test_a_source_is_known_by_what_described_it_and_a_hop_to_the_publisher_is_the_publishers_own():
    from ingestion.registry import resolve_chain

    governor, outlet = Known(1, "Levon Arakelyan"), Known(2, "Ararat Broadcasting", ("ARB",))
    registry = Registry([governor, outlet])
    proposed = propose(
        "Levon Arakelyan, the governor of Tavush, flew over the area.\n\n"
        "The fire is under control, the governor said.\n\n"
        "“It started after the shooting,” a resident of Berdavan told ARB."
    )
    recent: list[Known] = []

    chains = [
        [(hop.mention, hop.relation, known) for hop, known in resolve_chain(p, registry, recent, outlet)]
        for p in proposed
    ]

    assert chains[1] == [
        ("", "reported", outlet),
        ("the governor", None, Known(1, "Levon Arakelyan", ("the governor of Tavush",))),
    ]
    # Not in the registry: known by its words only, with no key.
    assert chains[2] == [
        ("", "said_to", outlet),
        ("a resident of Berdavan", None, Known(None, "a resident of Berdavan")),
    ]


def test_furniture_is_told_from_short_sentences_of_the_article():
    body = (
        "Troops crossed the river.\n\nBy Monday the ceasefire held.\n\nONE TO WATCH\n\n"
        "By Leyla Mammadova and Tom Hale\n\n"
        "Share: X · Facebook\n\nRelated: Why the railway is closed\n\nCopyright 2025 Meridian Press.\n\n"
        "Have a story from your community? Write to us."
    )

    assert paragraphs(body) == ["Troops crossed the river.", "By Monday the ceasefire held."]


def test_an_interviews_answers_are_the_speakers_and_a_quote_is_attributed_where_it_ends():
    proposed = propose(
        "Transit: Was the consortium right about the repairs?\n\n"
        "Seitkali: Loadings fell by a third. Tengizchevroil moves crude by rail, as Reuters reported.\n\n"
        "“The cable will carry 1,300 megawatts. It will reach Europe directly,” – the Minister noted."
    )

    chains = {p.claim_text: [(hop.mention, hop.relation) for hop in p.hops] for p in proposed}
    assert chains["Loadings fell by a third."] == [("", "reported"), ("Seitkali", None)]
    assert chains["Tengizchevroil moves crude by rail."] == [
        ("", "reported"),
        ("Seitkali", "reported"),
        ("Reuters", None),
    ]
    assert chains["The cable will carry 1,300 megawatts."] == [("", "reported"), ("the Minister", None)]
