"""Search of claims, in every language they are written in: one home for how a
searcher's words become a query, which claims match and in what order. The API's
filter and the admin both call it.

Searchers type web-search syntax (words, "a phrase", -not, or). PostgreSQL's
``websearch_to_tsquery`` reads it, but some inputs make it fail instead of
matching nothing (a run of hyphens overflows its stack: "tsquery stack too
small", a 500). So the input is first rewritten from its tokens: words, quoted
phrases and their negations, "or" only between terms, at most ``MAX_TERMS``.

How claims match (the SQL functions are migration 0008's):

- each claim's text is indexed in its own language (a stemmer for the languages in
  ``CONFIGS``, ``simple`` for the rest), accents folded; quotes in every language.
  The query is read in each language asked for (all of them by default), so
  "истребитель" finds "истребители" and "asker" finds "askerleri";
- a claim matches when it holds any of the words, or one spelled nearly alike
  (by trigram similarity, from the dictionary of the words claims hold,
  ``SearchWord``: helicoptre for helicopters), or a place's other name
  (``PLACE_NAMES``: Shushi for Shusha), or cites a source of that name, and none
  of the -excluded words;
- results come best first: the share of the searcher's words a claim holds (in its
  text or its quotes, near spellings counting by their similarity), then full-text
  rank, then the newest; among the ``RANKED`` newest claims each way of matching
  finds, so that a common word costs what a rare one does.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import combinations

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, F, IntegerField, QuerySet, TextField
from django.db.models.expressions import RawSQL

from core.access import Viewer
from sources.models import Source, name_key

MAX_TERMS = 32
# Languages with a stemmer, by their BCP-47 primary tag; every other language is
# searched by its exact (accent-folded) word forms. Migration 0008 made the same list.
CONFIGS = {"en": "english", "ru": "russian", "tr": "turkish", "hy": "armenian"}
LANGUAGE_NAMES = {"en": "English", "ru": "Russian", "tr": "Turkish", "hy": "Armenian"}
FALLBACK = "simple"
# Words this long or longer are also looked for by near spellings.
FUZZY_MIN_LENGTH = 4
FUZZY_THRESHOLD = 0.4
MAX_FUZZY_WORDS = 8
# The near spellings looked for, at most, of each word: the nearest first.
NEAR_WORDS = 10
# A search ranks at most this many of the newest claims each way of matching finds
# (their words, their quotes, a near spelling, a source named): a word that half the
# claims hold is ranked among its newest claims, not all of them.
RANKED = 200
# How many of the newest claims a search reads through before it looks at older ones
# by the indexes alone (see ``_newest``).
RECENT = 20_000
# One place, several names: transliterations and the names each side uses.
PLACE_NAMES = [
    ["Shusha", "Shushi", "Şuşa", "Шуша", "Շուշի"],
    ["Ganja", "Gandja", "Ganca", "Gəncə", "Гянджа", "Գանձակ"],
    ["Karabakh", "Qarabağ", "Karabağ", "Карабах", "Artsakh", "Արցախ"],
    ["Stepanakert", "Khankendi", "Xankəndi", "Степанакерт", "Ստեփանակերտ"],
    ["Baku", "Bakı", "Баку", "Բաքու"],
    ["Yerevan", "Erevan", "Ереван", "Երևան"],
    ["Nakhchivan", "Nakhichevan", "Naxçıvan", "Нахичевань", "Նախիջևան"],
    ["Lachin", "Laçın", "Berdzor", "Лачин", "Բերձոր"],
    ["Aghdam", "Ağdam", "Агдам", "Ակն"],
    ["Fuzuli", "Füzuli", "Физули", "Varanda"],
    ["Kalbajar", "Kəlbəcər", "Karvachar", "Кельбаджар", "Քարվաճառ"],
    ["Tbilisi", "Tiflis", "Тбилиси", "Թբիլիսի"],
]


def web_search_text(text: str) -> str:
    """``text`` reduced to what web-search syntax means by it, safe for PostgreSQL:
    ``'---"Ganja   airport" or or F-16!'`` becomes ``'-"Ganja airport" or F-16'``."""
    terms: list[str] = []
    i, n = 0, len(text)
    while i < n and len(terms) < MAX_TERMS * 2:
        if text[i].isspace():
            i += 1
            continue
        negated = False
        while i < n and text[i] == "-":  # a run of minus signs is one "not"
            negated, i = True, i + 1
        if i < n and text[i] == '"':
            end = text.find('"', i + 1)
            end = n if end == -1 else end
            words = re.findall(r"\w+", text[i + 1 : end])
            term = '"' + " ".join(words) + '"' if words else ""
            i = end + 1
        else:
            end = i
            while end < n and not text[end].isspace() and text[end] != '"':
                end += 1
            # Words keep their inner hyphens ("F-16"); other punctuation separates words.
            words = [re.sub("-+", "-", w) for w in re.findall(r"\w+(?:-+\w+)*", text[i:end])]
            i = end
            if len(words) == 1 and words[0].lower() == "or" and not negated:
                if terms and terms[-1] != "or":
                    terms.append("or")
                continue
            terms += [("-" if negated else "") + word for word in words]
            continue
        if term:
            terms.append(("-" if negated else "") + term)
    while terms and terms[-1] == "or":
        terms.pop()
    return " ".join(terms)


def fold(text: str) -> str:
    """Lower case without accents, as ``fc_fold`` makes it (ə and ı included)."""
    text = text.replace("ə", "e").replace("Ə", "E").replace("ı", "i")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(ch))


_PLACES = {fold(name): group for group in PLACE_NAMES for name in group}


def language_of(text: str) -> str:
    """The language a text is likely in, of those with a stemmer, by its letters alone
    (Cyrillic, Armenian, Turkish's own letters); English otherwise."""
    if re.search("[\u0400-\u04ff]", text):
        return "ru"
    if re.search("[\u0530-\u058f]", text):
        return "hy"
    if re.search("[ğĞışŞİ]", text):
        return "tr"
    return "en"


def config_for(language: str) -> str:
    """The text search configuration a text in ``language`` is indexed with."""
    return "fc_" + CONFIGS.get(language.split("-")[0].lower(), FALLBACK)


@dataclass(frozen=True)
class Term:
    """What the searcher asked for once: a word or a phrase, with the place's other names."""

    spellings: tuple[str, ...]

    @property
    def fuzzy(self) -> str | None:
        """The word to look for by near spellings too (a phrase or a short word: none)."""
        word = self.spellings[0]
        return word if len(self.spellings) == 1 and len(word) >= FUZZY_MIN_LENGTH and word.isalpha() else None


@dataclass(frozen=True)
class Search:
    """A search, read: what to look for, what to leave out, in which configurations."""

    text: str
    terms: tuple[Term, ...]
    excluded: tuple[str, ...]
    configs: tuple[str, ...]
    languages: tuple[str, ...]

    @classmethod
    def read(cls, typed: str, languages: list[str] | None = None) -> Search | None:
        """None when there is nothing to search for; a ValidationError when the searcher
        must change something to find anything."""
        text = web_search_text(typed)
        if not text:
            return None
        tokens = re.findall(r'-?"[^"]*"|\S+', text)
        terms, excluded = [], []
        for piece in tokens:
            if piece == "or":
                continue
            if piece.startswith("-"):
                excluded.append(piece[1:])
                continue
            group = _PLACES.get(fold(piece.strip('"')))
            terms.append(Term(tuple(dict.fromkeys([piece, *(group or [])]))))
        if not terms:
            raise ValidationError("Give at least one word to look for: -word only leaves claims out.")
        languages = sorted({tag.split("-")[0].lower() for tag in languages or []})
        if languages:
            configs = tuple(dict.fromkeys(config_for(tag) for tag in languages))
        else:
            configs = tuple(f"fc_{name}" for name in [*CONFIGS.values(), FALLBACK])
        return cls(text, tuple(dict.fromkeys(terms)), tuple(excluded), configs, tuple(languages))

    # --- SQL, each piece with its parameters

    def tsquery(self, words: list[str]) -> tuple[str, list[str]]:
        """Any of ``words`` (web-search syntax), read in each configuration."""
        return self.tsquery_of("%s", [" or ".join(words)])

    def tsquery_of(self, text_sql: str, params: list) -> tuple[str, list]:
        """Like ``tsquery``, of the web-search text an SQL expression makes."""
        parts = [f"websearch_to_tsquery('public.{config}'::regconfig, fc_prep({text_sql}))" for config in self.configs]
        return "(" + " || ".join(parts) + ")", params * len(parts)

    def held(self) -> tuple[str, list[str]]:
        """Any word asked for (its spellings and places' other names), exclusions aside."""
        return self.tsquery([word for term in self.terms for word in term.spellings])

    def wanted(self) -> tuple[str, list[str]]:
        """Any word asked for, and none of the excluded ones."""
        sql, params = self.held()
        if self.excluded:
            not_sql, not_params = self.tsquery(list(self.excluded))
            return f"({sql} && !!{not_sql})", params + not_params
        return sql, params

    def check_meaningful(self) -> None:
        """Words too common to be indexed (the, и, ve) make an empty query in their
        language: say so, rather than answer with nothing and no reason."""
        stemmed = [config for config in self.configs if config != f"fc_{FALLBACK}"]
        if not stemmed:
            return
        text = " or ".join(word for term in self.terms for word in term.spellings)
        counts = ", ".join(
            f"numnode(websearch_to_tsquery('public.{config}'::regconfig, fc_prep(%s)))" for config in stemmed
        )
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {counts}", [text] * len(stemmed))
            for config, count in zip(stemmed, cursor.fetchone(), strict=True):
                if count == 0:
                    language = next(code for code, name in CONFIGS.items() if f"fc_{name}" == config)
                    raise ValidationError(
                        f"{self.text!r} holds only words too common to search for in {LANGUAGE_NAMES[language]} "
                        "(such as 'the' or 'and'): add a word that says what the claim is about."
                    )


def claim_search(claims: QuerySet, search: Search, viewer: Viewer) -> QuerySet:
    """``claims`` that match ``search``, annotated with ``search_score`` (an integer:
    higher is better) and ``search_snippet`` (the words that matched, marked)."""

    wanted, wanted_params = search.wanted()
    visible_quote = "" if viewer.sees_confidential else _PUBLIC_QUOTE
    # Each way a claim can match, as a condition on the claim: ``_newest`` takes the
    # newest RANKED of ``claims`` (its filters included) that meet it, so that neither
    # a rare nor a common word reads every claim.
    # The words' ways come twice: with the excluded words left out, for the newest
    # claims; without, for older ones (see ``_newest``), where the index cannot leave
    # a word out cheaply ("troops -Turkish" read every claim holding "troops" when
    # none of the newest had one without "Turkish"). The exclusion is checked again
    # on what they find, below.
    held, held_params = search.held()

    # Among the newest claims, each is read and checked (its vector wrapped, so that no
    # index serves the check): the full-text index would read every claim and quote
    # holding a common word or phrase ("Turkish troops": 46,000 claims, 69,000 quotes)
    # to find the few hundred among the newest. The older claims are found by the index.
    def in_text(query: str, params: list, *, recent: bool = False) -> tuple[str, list]:
        vector = 'coalesce("claims_claim"."search_vector", \'\')' if recent else '"claims_claim"."search_vector"'
        return f"{vector} @@ {query}", params

    def in_quotes(query: str, params: list, *, recent: bool = False) -> tuple[str, list]:
        window, window_params = (" AND a.claim_id > %s", [floor]) if recent else ("", [])
        vector = "coalesce(a.search_vector, '')" if recent else "a.search_vector"
        return (
            'EXISTS (SELECT 1 FROM claims_appearance a WHERE a.claim_id = "claims_claim"."id"'
            f"{window} AND {vector} @@ {query}{visible_quote})",
            [*window_params, *params],
        )

    # Where the newest claims begin (see ``_newest``).
    floor = (claims.model._default_manager.order_by("-id").values_list("id", flat=True).first() or 0) - RECENT
    # Each way: its condition on the newest claims, on the newest without the searcher's
    # exclusions (gauging how common the words are), and on older ones (see ``_newest``).
    ways = [
        (
            way(wanted, wanted_params, recent=True),
            way(held, held_params, recent=True),
            way(held, held_params),
        )
        for way in (in_text, in_quotes)
    ]
    # Near spellings: words of claims' texts spelled nearly alike (``SearchWord``, a
    # dictionary a trigram index serves), then the claims holding them, as a way of its
    # own; only when the other ways find few (see below).
    fuzzy = [term.fuzzy for term in search.terms if term.fuzzy][:MAX_FUZZY_WORDS]
    near_ways = []
    if fuzzy:
        near_sql, near_params = search.tsquery_of(_NEAR_WORDS, [fuzzy, NEAR_WORDS])
        newest_near = in_text(near_sql, near_params, recent=True)
        near_ways.append((newest_near, newest_near, in_text(near_sql, near_params)))
    # Sources named by a word or by all the words (name keys: "ria", "RIA Novosti"), or
    # whose name holds all the words ("Nazarov"), as the access policy lets the viewer
    # search them (a confidential source by its public description only).
    words = [term.spellings[0].strip('"') for term in search.terms]
    keys = list(dict.fromkeys(key for key in map(name_key, [*words, " ".join(words)]) if len(key) >= 2))
    visible_source = "" if viewer.sees_confidential else " AND NOT s.confidential"

    def citing(sources_sql: str, params: list, *, recent: bool = False) -> tuple[str, list]:
        # Among the newest claims, by the statements' (source, claim) index: an agency
        # 128,000 claims cite had every one of its statements read.
        window, window_params = (" AND st.claim_id > %s", [floor]) if recent else ("", [])
        return (
            'EXISTS (SELECT 1 FROM claims_statement st WHERE st.claim_id = "claims_claim"."id"'
            f"{window} AND st.source_id IN ({sources_sql}))",
            [*window_params, *params],
        )

    def named(sources_sql: str, params: list) -> tuple:
        newest = citing(sources_sql, params, recent=True)
        return newest, newest, citing(sources_sql, params)

    for key in keys[:MAX_FUZZY_WORDS]:
        ways.append(
            named(f"SELECT s.id FROM sources_source s WHERE s.name_keys @> ARRAY[%s]::varchar[]{visible_source}", [key])
        )
    # Words the trigram index can look for (three letters or more): shorter ones would
    # make it read every source's name ("a b c" took a second at 200,000 sources), and a
    # short name ("UN") is found by its key above.
    long_words = [word for word in words if len(word) >= 3]
    if long_words and len(" ".join(long_words)) >= FUZZY_MIN_LENGTH:
        sources_sql, sources_params = (
            Source.objects.search(" ".join(long_words), viewer).values("id").query.sql_with_params()
        )
        ways.append(named(sources_sql, list(sources_params)))
    compiled = [_newest(claims, *way, floor) for way in ways]
    union = " UNION ".join(f"({sql})" for sql, _ in compiled)
    union_params = [param for _, params in compiled for param in params]
    if near_ways:
        # Near spellings only when the words themselves find few claims: a word claims
        # hold needs none, and its near spellings would only add worse matches.
        near = [_newest(claims, *way, floor) for way in near_ways]
        union = f"WITH found AS MATERIALIZED ({union}) SELECT id FROM found UNION " + " UNION ".join(
            f"(SELECT id FROM ({sql}) near WHERE (SELECT count(*) FROM found) < %s)" for sql, _ in near
        )
        for _, params in near:
            union_params += [*params, RANKED]
    # An array (computed once) rather than IN: the few thousand ids at most are read by
    # their key, where a join could read every claim.
    matching = claims.filter(
        RawSQL(f'"claims_claim"."id" = ANY(ARRAY({union}))', union_params, output_field=BooleanField())
    )
    if search.excluded:
        # Checked on the few claims found, not by listing every claim that holds an
        # excluded word ("troops -Turkish" listed 100,000 claims holding "Turkish": a second).
        not_sql, not_params = search.tsquery(list(search.excluded))
        matching = matching.exclude(
            RawSQL(
                f'"claims_claim"."search_vector" @@ {not_sql} OR EXISTS (SELECT 1 FROM claims_appearance a '
                f'WHERE a.claim_id = "claims_claim"."id" AND a.search_vector @@ {not_sql}{visible_quote})',
                not_params * 2,
                output_field=BooleanField(),
            )
        )

    # The claim's text and its quotes as one document, built once per claim (in a
    # derived table of the scalar subquery) and ranked against each term.
    document = (
        "(SELECT claims_claim.search_vector || coalesce((SELECT fc_tsvector_agg(a.search_vector) "
        f"FROM claims_appearance a WHERE a.claim_id = claims_claim.id{visible_quote}), ''::tsvector) AS doc)"
    )
    coverage, coverage_params = [], []
    for term in search.terms:
        term_sql, term_params = search.tsquery(list(term.spellings))
        if term.fuzzy in fuzzy:
            # A near spelling counts by how near it is, from nothing at the threshold to
            # all (for the words looked up by near spellings: measuring one on a claim's
            # text is the dearest part of ranking it, so a 30-word search measures 8).
            coverage.append(
                f"CASE WHEN d.doc @@ {term_sql} THEN 1.0 ELSE greatest(word_similarity(fc_fold(%s), "
                "fc_fold(claims_claim.text)) - %s, 0) / (1 - %s) END"
            )
            coverage_params += [*term_params, term.fuzzy, FUZZY_THRESHOLD, FUZZY_THRESHOLD]
        else:
            coverage.append(f"CASE WHEN d.doc @@ {term_sql} THEN 1.0 ELSE 0 END")
            coverage_params += term_params
    # An integer, so that a page's cursor holds it exactly: the share of the terms
    # found in the text or the quotes, then the full-text rank of the claim's own
    # words (normalised to 0..1), so its own wording outranks a quote's.
    score = (
        f"(SELECT round(100000 * ({' + '.join(coverage)}) / {len(search.terms)})::bigint * 100000"
        f" + round(99999 * ts_rank_cd(claims_claim.search_vector, {wanted}, 32))::bigint FROM {document} AS d)"
    )
    # Why the claim matched: its text with the words marked, or else the first quote
    # that matched. Text is HTML-escaped first, so only <mark> is markup.
    headline = _HEADLINE
    snippet = (
        f"CASE WHEN claims_claim.search_vector @@ {wanted} THEN {headline.format('claims_claim.text', wanted)} "
        f"ELSE coalesce((SELECT {headline.format('a.quote', wanted)} FROM claims_appearance a "
        f"WHERE a.claim_id = claims_claim.id AND a.search_vector @@ {wanted}{visible_quote} ORDER BY a.id LIMIT 1), "
        "fc_escape(claims_claim.text)) END"
    )
    return matching.annotate(
        search_score=RawSQL(score, coverage_params + wanted_params, output_field=IntegerField()),
        search_snippet=RawSQL(snippet, wanted_params * 4, output_field=TextField()),
    ).order_by(F("search_score").desc(), "-id")


# A text with the words of a tsquery marked; the text is HTML-escaped first, so only <mark>
# is markup. Formatted with the text's SQL and the tsquery's.
_HEADLINE = (
    "ts_headline(fc_config(claims_claim.language), fc_escape({}), {}, 'StartSel=<mark>, StopSel=</mark>, "
    'MaxFragments=3, MaxWords=30, MinWords=12, FragmentDelimiter=" … "\')'
)


def _newest(
    claims: QuerySet, recent: tuple[str, list], gauge: tuple[str, list], older: tuple[str, list], floor: int
) -> tuple[str, list]:
    """The newest ``RANKED`` of ``claims`` meeting a condition, whatever the planner
    guesses of how many claims meet it: among the newest ``RECENT`` claims (ids above
    ``floor``) those meeting ``recent``; then older claims, read from the indexes,
    meeting ``older`` (the same condition, or one without the searcher's exclusions,
    which the indexes serve), only when fewer than ``RANKED`` of the newest claims meet
    ``gauge`` (the words without the exclusions: so only for words few claims hold;
    "troops -Turkish" where every recent claim with "troops" has "Turkish" would
    otherwise read every claim holding "troops"). Each is (SQL, parameters)."""

    def newest_meeting(condition: tuple[str, list]) -> tuple[str, list]:
        # ``floor`` is a number, not a subquery: the planner then knows how few claims
        # lie above it, and reads them by key.
        met = claims.filter(RawSQL(*condition, output_field=BooleanField()), id__gt=floor)
        return met.order_by("-id").values("id")[:RANKED].query.sql_with_params()

    # By id + 0: not by the key's index, whose walk for a rare condition reads every claim.
    oldest = (
        claims.filter(RawSQL(*older, output_field=BooleanField()))
        .alias(newest_first=F("id") + 0)
        .filter(newest_first__lte=floor)
        .order_by("-newest_first")
        .values("id")[:RANKED]
    )
    recent_sql, recent_params = newest_meeting(recent)
    older_sql, older_params = oldest.query.sql_with_params()
    if gauge == recent:
        gauged, gauge_params = "recent", []
    else:
        gauge_sql, gauge_params = newest_meeting(gauge)
        gauged, gauge_params = f"({gauge_sql}) gauge", list(gauge_params)
    sql = (
        f"WITH recent AS MATERIALIZED ({recent_sql}) SELECT id FROM recent UNION ALL "
        f"SELECT id FROM ({older_sql}) older WHERE (SELECT count(*) FROM {gauged}) < %s"
    )
    return sql, [*recent_params, *older_params, *gauge_params, RANKED]


# The near spellings (``NEAR_WORDS`` a word at most) of the words in the array given,
# as web-search text ("helicopter or helicopters"); NULL when there are none.
_NEAR_WORDS = """(
    SELECT string_agg(near.word, ' or ') FROM unnest(%s::text[]) AS typed(word)
    CROSS JOIN LATERAL (
        SELECT w.word FROM claims_searchword w WHERE w.word %%> public.fc_fold(typed.word)
        ORDER BY word_similarity(public.fc_fold(typed.word), w.word) DESC, w.word LIMIT %s
    ) near
)"""


# Quotes from a confidential source's own documents are withheld, so not searched either.
_PUBLIC_QUOTE = (
    " AND NOT EXISTS (SELECT 1 FROM sources_document d JOIN sources_source p ON p.id = d.publisher_id "
    "WHERE d.id = a.document_id AND p.confidential)"
)


def prefix_match(typed: str) -> RawSQL | None:
    """For the admin's search box and autocomplete: claims holding words that start
    with each typed word ("Turk troo"), in any language; None when nothing is typed."""
    words = re.findall(r"\w+", typed)[:MAX_TERMS]
    if not words:
        return None
    raw = " & ".join(f"{word}:*" for word in words)
    configs = [f"fc_{name}" for name in [*CONFIGS.values(), FALLBACK]]
    parts = [f"to_tsquery('public.{config}'::regconfig, %s)" for config in configs]
    return RawSQL(
        f'"claims_claim"."search_vector" @@ ({" || ".join(parts)})', [raw] * len(parts), output_field=BooleanField()
    )


# --- Claims that say the same as a text ------------------------------------------------------
# An import's proposals, and "has this been checked?" (GET /claims/similar/), ask it of a
# whole sentence rather than a searcher's few words: the claims, and the quotes of claims,
# that share most of its words (a place under any of its names), scored by how many of
# the two texts' words they share and how alike the texts are spelled. A candidate must
# hold about half of the text's rarest words, so that the full-text index reads the
# posting lists of rare words only, whatever the corpus's size.

# A candidate holds about half of this many of the text's rarest words.
SIMILAR_RARE = 6
# A word held by fewer than this share of the claims is rare: a candidate holds one of
# the text's rare words, when it has any, so that the full-text index walks their short
# lists only (not the 56,000 claims with "drone" at 1,000,000 claims).
RARE_SHARE = 0.005
# Candidates scored for one text, at most (a text of common words only: "troops arrived").
SIMILAR_CANDIDATES = 500
# Out of 100: below it a claim is not said to say the same.
SIMILAR_MIN_SCORE = 40
# A text is compared by this many of its first characters.
SIMILAR_CHARACTERS = 400


@dataclass(frozen=True)
class Similar:
    """The claims that say what a text says: (claim id, score out of 100), best first;
    and the text's words as a tsquery (any of them), to mark them in a snippet."""

    matches: list[tuple[int, int]]
    words: str


def similar_claims(texts: list[str], viewer: Viewer, *, language: str = "en", limit: int = 5) -> list[Similar]:
    """For each of ``texts`` (read in ``language``), the claims ``viewer`` may read that
    say the same, in their text or a quote: two queries, whatever the number of texts.
    A text is compared by its first ``SIMILAR_CHARACTERS`` characters (a claim is a
    sentence; scoring a page of words against each candidate took seconds)."""
    config = config_for(language)
    texts = [text[:SIMILAR_CHARACTERS] for text in texts]
    units_of, claims, quotes = _units(texts, config)
    parts, params = [], []
    for index, units in enumerate(units_of):
        if units:
            sql, part_params = _similar_to(index, texts[index], units, claims, quotes, viewer, limit)
            parts.append(sql)
            params += part_params
    found: dict[int, list[tuple[int, int]]] = {}
    if parts:
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            for index, claim_id, score in cursor.fetchall():
                found.setdefault(index, []).append((claim_id, score))
    return [
        Similar(sorted(found.get(index, []), key=lambda match: (-match[1], -match[0])), _any_of(units))
        for index, units in enumerate(units_of)
    ]


# A unit is what the text says once: a word's lexeme, or the lexemes of a place's names.
Unit = tuple[str, ...]


@dataclass(frozen=True)
class _Counts:
    """Of a table's search vectors: the share of rows holding each of their commonest
    lexemes (the planner's statistics, which ANALYZE keeps: a lexeme not listed is rarer
    than every one listed), and how many rows there are."""

    share_of: dict[str, float]
    rows: float

    def share(self, unit: Unit) -> float:
        return min(sum(self.share_of.get(lexeme, 0.0) for lexeme in unit), 1.0)


def _units(texts: list[str], config: str) -> tuple[list[list[Unit]], _Counts, _Counts]:
    """Each text's lexemes in ``config`` (stop words left out), a place's names as one
    unit; and how common they are among claims and among quotes (a quote is indexed in
    every language, so its words are counted apart)."""
    names = [name for group in PLACE_NAMES for name in group]
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH common AS (SELECT tablename, x.lexeme, x.share FROM pg_stats, "
            "unnest(most_common_elems::text::text[], most_common_elem_freqs) AS x(lexeme, share) "
            "WHERE schemaname = current_schema() AND tablename IN ('claims_claim', 'claims_appearance') "
            "AND attname = 'search_vector') "
            "SELECT coalesce(array_agg(l.lexeme) FILTER (WHERE l.lexeme IS NOT NULL), '{}'), "
            "coalesce(array_agg(coalesce(claims.share, 0)) FILTER (WHERE l.lexeme IS NOT NULL), '{}'), "
            "coalesce(array_agg(coalesce(quotes.share, 0)) FILTER (WHERE l.lexeme IS NOT NULL), '{}'), "
            "(SELECT reltuples FROM pg_class WHERE oid = 'claims_claim'::regclass), "
            "(SELECT reltuples FROM pg_class WHERE oid = 'claims_appearance'::regclass) "
            "FROM unnest(%s::text[]) WITH ORDINALITY AS t(txt, i) "
            f"LEFT JOIN LATERAL unnest(to_tsvector('public.{config}'::regconfig, fc_prep(t.txt))) l ON true "
            "LEFT JOIN common claims ON claims.tablename = 'claims_claim' AND claims.lexeme = l.lexeme "
            "LEFT JOIN common quotes ON quotes.tablename = 'claims_appearance' AND quotes.lexeme = l.lexeme "
            "GROUP BY t.i ORDER BY t.i",
            [[*texts, *names]],
        )
        rows = cursor.fetchall()
    lexemes = [row[0] for row in rows]
    place_of: dict[str, Unit] = {}
    start = len(texts)
    for group in PLACE_NAMES:
        unit = tuple(sorted({lexeme for row in lexemes[start : start + len(group)] for lexeme in row}))
        place_of.update((lexeme, unit) for lexeme in unit)
        start += len(group)
    units = [list(dict.fromkeys(place_of.get(lexeme, (lexeme,)) for lexeme in row)) for row in lexemes[: len(texts)]]
    claims, quotes = (
        _Counts(
            {lexeme: value for row in rows for lexeme, value in zip(row[0], row[column], strict=True)},
            max(float(rows[0][column + 2]), 0.0),
        )
        for column in (1, 2)
    )
    return units, claims, quotes


def _candidates(units: list[Unit], counts: _Counts) -> str:
    """A tsquery that rows saying what ``units`` say meet, and few others: about half
    of its rarest words, and one of its rare words when it has any."""
    # The rarest words first (a longer word when the statistics know neither).
    ranked = sorted(units, key=lambda unit: (counts.share(unit), -len(unit[0])))
    size = min(len(ranked), SIMILAR_RARE)
    needed = size if size <= 2 else (size + 1) // 2
    # More of them when so many rows would hold that many that scoring them would cost
    # more than the index (words independent, as the statistics can only say): more of
    # the rarest, then all of more words.
    while counts.rows * _holding_at_least(needed, [counts.share(unit) for unit in ranked[:size]]) > (
        SIMILAR_CANDIDATES
    ):
        if needed < size:
            needed += 1
        elif size < len(ranked):
            size, needed = size + 1, needed + 1
        else:
            break
    rare = ranked[:size]
    candidates = " | ".join(
        "(" + " & ".join(_tsquery_unit(unit) for unit in chosen) + ")" for chosen in combinations(rare, needed)
    )
    rarest = [unit for unit in rare if counts.share(unit) < RARE_SHARE]
    # One of them, when holding ``needed`` words does not imply it already.
    if rarest and len(rarest) <= len(rare) - needed:
        candidates = f"({' | '.join(map(_tsquery_unit, rarest))}) & ({candidates})"
    return candidates


def _similar_to(
    index: int, text: str, units: list[Unit], claims: _Counts, quotes: _Counts, viewer: Viewer, limit: int
) -> tuple[str, list]:
    """The SQL of one text's matches: rows (index, claim id, score).

    A row's shared words are counted by merging vectors (its lexemes with the text's and
    its places' other names: those the merge does not add are shared), which costs next
    to nothing; the ``SIMILAR_CANDIDATES`` sharing most are then scored, those with the
    fewest other words first (an exact copy among thousands sharing all its words)."""
    lexemes = sorted({lexeme for unit in units for lexeme in unit})
    text_vector = " ".join(_quoted(lexeme) for lexeme in lexemes)
    shared = "(length({vector}) + %s - length({vector} || %s::tsvector))"
    spelled = "similarity(fc_fold({text}), fc_fold(%s))"
    published = "" if viewer.reads_unpublished else " AND c.status = 'published'"
    public_quote = "" if viewer.sees_confidential else _PUBLIC_QUOTE
    join = " JOIN claims_claim c ON c.id = a.claim_id" if published else ""
    # A claim: the words both hold over the words of both (Dice), then spelling (trigrams).
    # A quote, indexed in every language: the share of the text's words it holds.
    sql = (
        "(SELECT %s, claim_id, max(score) AS best FROM ("
        "(SELECT best.claim_id, round(70.0 * 2 * least(shared, %s) / (%s + greatest(words, 1)) "
        f"+ 30.0 * {spelled.format(text='c.text')})::int AS score FROM ("
        f"SELECT c.id AS claim_id, {shared.format(vector='c.search_vector')} AS shared, "
        "length(c.search_vector) AS words FROM claims_claim c "
        f"WHERE c.search_vector @@ %s::tsquery{published} ORDER BY 2 DESC, 3, 1 DESC LIMIT %s"
        ") best JOIN claims_claim c ON c.id = best.claim_id) UNION ALL "
        f"(SELECT best.claim_id, round(70.0 * least(shared, %s) / %s + 30.0 * {spelled.format(text='a.quote')})::int "
        f"FROM (SELECT a.id, a.claim_id, {shared.format(vector='a.search_vector')} AS shared "
        "FROM claims_appearance a WHERE a.search_vector @@ %s::tsquery "
        "ORDER BY 3 DESC, length(a.search_vector), 2 DESC LIMIT %s"
        f") best JOIN claims_appearance a ON a.id = best.id{join} WHERE true{published}{public_quote})"
        ") found GROUP BY claim_id HAVING max(score) >= %s ORDER BY best DESC, claim_id DESC LIMIT %s)"
    )
    merged = [len(lexemes), text_vector]
    return sql, [
        *[index, len(units), len(units), text, *merged, _candidates(units, claims), SIMILAR_CANDIDATES],
        *[len(units), len(units), text, *merged, _candidates(units, quotes), SIMILAR_CANDIDATES],
        *[SIMILAR_MIN_SCORE, limit],
    ]


def _holding_at_least(needed: int, shares: list[float]) -> float:
    """The chance that a claim holds at least ``needed`` of words it holds with these
    chances, independently."""
    holding = [1.0] + [0.0] * len(shares)  # holding[k]: the chance of exactly k so far
    for chance in shares:
        for k in range(len(holding) - 1, 0, -1):
            holding[k] = holding[k] * (1 - chance) + holding[k - 1] * chance
        holding[0] *= 1 - chance
    return sum(holding[needed:])


def _quoted(lexeme: str) -> str:
    """A lexeme as tsquery or tsvector text: taken as it is, not parsed again."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsquery_unit(unit: Unit) -> str:
    quoted = [_quoted(lexeme) for lexeme in unit]
    return quoted[0] if len(quoted) == 1 else "(" + " | ".join(quoted) + ")"


def _any_of(units: list[Unit]) -> str:
    return " | ".join(_tsquery_unit(unit) for unit in units)


def similar_snippet(similar: Similar) -> RawSQL:
    """A claim's text with the words it shares with the text ``similar`` is of marked."""
    return RawSQL(_HEADLINE.format("claims_claim.text", "%s::tsquery"), [similar.words], output_field=TextField())
