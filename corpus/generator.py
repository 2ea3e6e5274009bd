"""The synthetic corpus: claims, their sources, documents and attribution graphs, with
their history, in the shape real newsroom data has, at a million claims.

The shape (``generate``):

- sources used by a power law (Zipf): a few outlets publish most documents, a few
  origins (ministries, armed forces, spokespeople) stand behind most claims;
- eight wire agencies behind most chains (the second hop of most chains of two hops
  or more); governments, their ministries and armed forces as parents, so that
  origins sharing an organisation count once;
- chains of 1 to 10 hops; a claim with several chains that converge (on the same
  agency, often on the same origin); some loops (an origin citing back the agency
  that cites it) and anonymous origins; a few confidential sources;
- every hundredth claim published with a chain of 10 hops; a lattice-shaped graph (2
  wide, 10 to 40 layers) on claim 3 and every 5,000th after it; every 250th claim
  (the first one included) with exactly 50 entries of history: its own 50 minus its
  graph's rows in updates of its wording, status, rating and explanation;
- documents with bodies of a few paragraphs that hold the claims they publish and
  the words of each hop; appearances quoting the claims; ratings and statuses as
  editors leave them; texts in English, Russian and Turkish.

Everything is planned in Python from ``random.Random(seed)``: the same count and seed
give the same rows (the ids too, from an empty database). Rows are written with COPY,
a batch of claims per transaction, with the triggers off (``session_replication_role``
is ``replica``: a superuser's, the role that migrates), and their history events
written set-based afterwards with exactly the columns and values the triggers write
(``pgh_label`` 'insert' or 'update', the row's own time as ``pgh_created_at``, one
context for the whole run). With the triggers off the foreign keys are not checked
either: the plan only refers to rows it wrote. Each claim's trace summary is judged
by ``claims.provenance`` on the graph as planned (the graph written, not read back),
as the services would store it.

The secondary indexes of the tables filled (text search, trigrams, foreign keys,
history) are dropped before the load and built in bulk at its end, which is several
times faster than keeping them up row by row; primary keys and unique indexes stay.
Their definitions wait in a table of their own until each is built again, so that a
run stopped in any way leaves them listed, and the next run builds them first.
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate, pairwise
from typing import Any

import pghistory
from django.apps import apps
from django.db import connection, models, transaction

from claims import provenance
from claims.models import (
    Appearance,
    Attribution,
    Claim,
    ClaimTopic,
    Evidence,
    SearchWord,
    Statement,
    Topic,
    TraceSummary,
)
from sources.models import Document, Source, name_keys

from . import vocabulary as vocab

MAX_CLAIMS = 10_000_000
BATCH = 5_000  # claims a transaction (a constant: the plan's random draws do not depend on it)
HISTORY_ENTRIES = 50
HISTORY_EVERY = 250  # claims 1, 251, 501, ... have HISTORY_ENTRIES entries
DEEP_EVERY = 100  # claims 100, 200, ... are published with a chain of 10 hops
LATTICE_EVERY = 5_000  # claims 3, 5003, ... are lattices
LOOP_EVERY = 150  # claims 5, 155, ... have a loop (and a few others at random)
START = datetime(2019, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=6 * 365)
CONTEXT = {"app": "command", "command": "generate_corpus"}

# Shares, as weights.
CHAIN_LENGTHS = (22, 20, 26, 12, 7, 5, 3, 2, 1.5, 1.5)  # hops 1..10
CHAINS_PER_CLAIM = (65, 22, 9, 4)  # 1..4
STATUSES = (("published", 60), ("draft", 20), ("in_review", 15), ("retracted", 5))
RATINGS = (("false", 30), ("mostly_false", 20), ("mixed", 15), ("mostly_true", 15), ("true", 15), ("unproven", 5))
DOCUMENT_KINDS = (("article", 85), ("broadcast", 5), ("post", 5), ("report", 5))


class Zipf:
    """Draws from ``items`` with the k-th (1-based) weighted 1/k**s."""

    def __init__(self, items: Sequence[Any], rng: random.Random, s: float = 1.0) -> None:
        self.items, self.rng = list(items), rng
        self.cum = list(accumulate(1 / (k**s) for k in range(1, len(self.items) + 1)))
        self.total = self.cum[-1]

    def __call__(self) -> Any:
        return self.items[min(bisect(self.cum, self.rng.random() * self.total), len(self.items) - 1)]


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def _event_model(model: type[models.Model]) -> type[models.Model]:
    return apps.get_model(model._meta.app_label, f"{model.__name__}Event")


def tracked_columns(model: type[models.Model]) -> list[str]:
    """The columns the history triggers copy from a row of ``model`` (those of its event
    table, pghistory's own aside)."""
    return [f.column for f in _event_model(model)._meta.concrete_fields if not f.column.startswith("pgh_")]


# --- the plan -------------------------------------------------------------------------------------


@dataclass
class Tables:
    """Rows planned for one transaction, by table, as tuples in each table's COPY columns."""

    sources: list[tuple] = field(default_factory=list)
    documents: list[tuple] = field(default_factory=list)
    claims: list[tuple] = field(default_factory=list)
    claim_topics: list[tuple] = field(default_factory=list)
    appearances: list[tuple] = field(default_factory=list)
    statements: list[tuple] = field(default_factory=list)
    attributions: list[tuple] = field(default_factory=list)
    evidence: list[tuple] = field(default_factory=list)
    # Claims written with their whole history (insert and updates), as claim event rows.
    claim_events: list[tuple] = field(default_factory=list)
    # Each claim's graph as ``claims.provenance`` judges it: (claim id, statements, edges).
    graphs: list[tuple[int, dict[int, int], list[provenance.Edge]]] = field(default_factory=list)


COLUMNS = {
    "sources": (Source, "id name kind description aliases country url wikidata_qid reliability created_at "
                "updated_at parent_id confidential public_description name_keys"),
    "documents": (Document, "id title kind url publisher_id published_at retrieved_at language body content_hash "
                  "archive_url created_at updated_at"),
    "claims": (Claim, "id text status rating rating_explanation event_start event_end event_approximate language "
               "published_at created_at updated_at created_by_id"),
    "claim_topics": (ClaimTopic, "id claim_id topic_id"),
    "appearances": (Appearance, "id claim_id document_id quote created_at"),
    "statements": (Statement, "id claim_id source_id created_at"),
    "attributions": (Attribution, "id claim_id statement_id upstream_id relation verified created_at"),
    "evidence": (Evidence, "id attribution_id claim_id document_id quote relation created_at"),
}  # fmt: skip
CLAIM_COLUMNS = COLUMNS["claims"][1].split()


@dataclass
class Ids:
    """The next id of each table, from its sequence at the start (an empty database's: 1)."""

    next: dict[str, int]

    def take(self, table: str, n: int = 1) -> int:
        first = self.next[table]
        self.next[table] = first + n
        return first


@dataclass
class SourcePools:
    agencies: Zipf
    publishers: Zipf
    intermediaries: Zipf
    origins: Zipf
    anonymous: Zipf
    names: dict[int, str]  # as a document words them (a confidential source by its description)
    refs: dict[int, provenance.SourceRef]  # as a trace reads them, each with its top-level organisation


@dataclass
class OpenDocument:
    id: int
    publisher: int | None
    language: int
    created_at: datetime
    title: str
    paragraphs: list[str]
    claims: dict[int, int]  # claim -> its paragraph


class Planner:
    """Plans the corpus claim by claim; ``batch`` returns the rows of the next claims."""

    def __init__(self, *, claims: int, seed: int, ids: Ids, topic_ids: list[int]) -> None:
        self.total, self.ids, self.topic_ids = claims, ids, topic_ids
        self.rng = random.Random(seed)
        self.step = SPAN / max(claims, 1)
        self.done = 0

    # --- sources

    def sources(self) -> Tables:
        """Every source, planned once: a fifth as many as claims (at least 300)."""
        rng, out = self.rng, Tables()
        at = START - timedelta(days=30)
        names: dict[int, str] = {}
        by_kind: dict[str, list[int]] = {}
        parents: dict[int, int | None] = {}

        def add(name: str, kind: str, *, country: str = "", parent: int | None = None, description: str = "",
                aliases: list[str] | None = None, confidential: bool = False, public: str = "",
                reliability: str = "", url: str = "") -> int:  # fmt: skip
            sid = self.ids.take("sources")
            aliases = aliases or []
            created = at + timedelta(seconds=len(out.sources))
            out.sources.append(
                (sid, name, kind, description, aliases, country, url, "", reliability, created, created, parent,
                 confidential, public, name_keys(name, aliases))
            )  # fmt: skip
            names[sid] = public if confidential else name
            parents[sid] = parent
            by_kind.setdefault(kind, []).append(sid)
            return sid

        agencies = [
            add(name, "news_agency", country=country, reliability=rng.choice("ABB"),
                url=f"https://{name.split()[0].lower()}-wire.example.org", aliases=[name.split()[0].upper()])
            for name, country in vocab.AGENCIES
        ]  # fmt: skip
        ministries: dict[str, list[int]] = {}
        officials: list[int] = []
        for country in vocab.COUNTRIES:
            land = vocab.COUNTRY_NAMES[country]
            government = add(f"Government of {land}", "government", country=country)
            ministries[country] = [
                add(f"{ministry} of {land}", "government", country=country, parent=government)
                for ministry in vocab.MINISTRIES
            ]
            defence = ministries[country][0]
            officials += ministries[country]
            officials += [
                add(f"Armed Forces of {land}", "military", country=country, parent=defence),
                add(f"Border Service of {land}", "military", country=country, parent=defence),
            ]
        wanted = max(300, self.total // 5)
        publishers, others, anonymous = [], [], []
        while len(out.sources) < wanted:
            country = rng.choice(vocab.COUNTRIES)
            roll = rng.random()
            if roll < 0.55:
                n = len(publishers)
                name = f"{rng.choice(vocab.OUTLET_PLACES)} {rng.choice(vocab.OUTLET_WORDS)}"
                if n >= 50:
                    name += f" {n // 50}"
                publishers.append(
                    add(name, "outlet", country=country, url=f"https://outlet{n}.example.com",
                        reliability=rng.choice("BCCDDEF"))
                )  # fmt: skip
            elif roll < 0.80:
                name = f"{rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.LAST_NAMES)}"
                parent = rng.choice(ministries[country]) if rng.random() < 0.3 else None
                confidential = rng.random() < 0.02
                public = f"an official of {vocab.COUNTRY_NAMES[country]}" if confidential else ""
                officials.append(
                    add(name, "person", country=country, parent=parent, confidential=confidential, public=public,
                        description="spokesperson" if parent else "")
                )  # fmt: skip
            elif roll < 0.88:
                name = f"{rng.choice(vocab.ORGANISATIONS)} {vocab.COUNTRY_NAMES[country]}"
                others.append(add(name, "organisation", country=country))
            else:
                ministry = rng.randrange(len(vocab.MINISTRIES))
                described = rng.choice(vocab.ANONYMOUS).format(
                    ministry=vocab.MINISTRIES[ministry].lower(), country=vocab.COUNTRY_NAMES[country]
                )
                parent = ministries[country][ministry] if rng.random() < 0.2 else None
                confidential = rng.random() < 0.05
                anonymous.append(
                    add(described[0].upper() + described[1:], "anonymous", country=country, parent=parent,
                        description=described, confidential=confidential, public=described if confidential else "")
                )  # fmt: skip
        rng.shuffle(officials)

        def root(sid: int) -> int:
            while parents[sid] is not None:
                sid = parents[sid]
            return sid

        refs = {
            row[0]: provenance.SourceRef(
                id=row[0], name=row[1], kind=row[2], group_id=root(row[0]), confidential=row[12],
                public_description=row[13],
            )
            for row in out.sources
        }  # fmt: skip
        self.pools = SourcePools(
            agencies=Zipf(agencies, rng, 1.0),
            publishers=Zipf(publishers, rng, 1.1),
            intermediaries=Zipf(publishers[:2000] + others, rng, 1.0),
            origins=Zipf(officials + others, rng, 1.0),
            anonymous=Zipf(anonymous, rng, 0.8),
            names=names,
            refs=refs,
        )
        return out

    # --- claims

    def batch(self, size: int) -> Tables:
        out = Tables()
        self.open: dict[tuple[int | None, int], list[OpenDocument]] = {}
        self.documents: list[OpenDocument] = []
        for _ in range(min(size, self.total - self.done)):
            self.done += 1
            self._claim(self.done, out)
        for doc in self.documents:
            self._document(doc, out)
        return out

    def _chain(self, length: int, *, like: list[int] | None = None) -> list[int]:
        """``length`` sources, each once, from the reporting end to the origin."""
        p, rng = self.pools, self.rng
        chain = [p.publishers()]
        if length == 1:
            return chain
        if rng.random() < 0.85:  # a wire agency behind it, the same as the claim's first chain's most often
            agency = like[1] if like and len(like) > 2 and rng.random() < 0.7 else p.agencies()
            if agency not in chain:
                chain.append(agency)
        while len(chain) < length:
            last = len(chain) == length - 1
            if last and like and len(like) > 1 and rng.random() < 0.5:
                source = like[-1]  # converging on the same origin
            elif last:
                source = p.anonymous() if rng.random() < 0.06 else p.origins()
            else:
                source = p.agencies() if rng.random() < 0.15 else p.intermediaries()
            if source not in chain:
                chain.append(source)
        return chain

    def _lattice(self) -> list[tuple[int, int]]:
        """Edges between sources: a publisher citing both of the first layer, then each
        layer's two sources citing both of the next."""
        layers = self.rng.randint(10, 40)
        used = {self.pools.publishers()}
        top = next(iter(used))
        levels = []
        while len(levels) < layers:
            pair = (self.pools.intermediaries(), self.pools.origins())
            if pair[0] != pair[1] and not used & set(pair):
                used |= set(pair)
                levels.append(pair)
        edges = [(top, s) for s in levels[0]]
        for upper, lower in pairwise(levels):
            edges += [(a, b) for a in upper for b in lower]
        return edges

    def _claim(self, n: int, out: Tables) -> None:
        rng, ids = self.rng, self.ids
        cid = ids.take("claims")
        created = START + self.step * (n - 1) + timedelta(seconds=rng.randrange(60))
        lang = rng.choices(range(3), weights=vocab.LANGUAGE_WEIGHTS)[0]

        def wording() -> str:
            return vocab.claim_text(
                lang, rng.randrange(len(vocab.ACTORS)), rng.randrange(len(vocab.VERBS)),
                rng.randrange(len(vocab.OBJECTS)), rng.randrange(len(vocab.PLACES)), rng.randrange(len(vocab.WHEN)),
                rng.randint(2, 400),
            )  # fmt: skip

        text = wording()
        deep, with_history = n % DEEP_EVERY == 0, n % HISTORY_EVERY == 1
        lattice = n % LATTICE_EVERY == 3
        looped = n % LOOP_EVERY == 5 or rng.random() < 0.004
        status = "published" if deep else _weighted(rng, STATUSES)
        rated = {"published": 0.92, "retracted": 0.92, "in_review": 0.6, "draft": 0.2}[status]
        rating = _weighted(rng, RATINGS) if deep or rng.random() < rated else ""
        explanation = rng.choice(vocab.EXPLANATIONS) if rating and rng.random() < 0.85 else ""
        start = (created - timedelta(days=rng.randrange(60))).date()
        end = start + timedelta(days=rng.randrange(1, 10)) if rng.random() < 0.15 else None
        approximate = rng.random() < 0.1
        language = vocab.LANGUAGES[lang]

        # The graph: chains (or a lattice's edges), each reported in a document.
        edges: dict[tuple[int, int], list] = {}  # (down source, up source) -> [relation, verified, evidence...]
        order: list[int] = []  # sources in the order their statements are written
        if lattice:
            pairs = self._lattice()
            doc = self._document_for(pairs[0][0], lang, cid, created, text)
            chains = [([a, b], doc) for a, b in pairs]
        else:
            if deep:
                lengths = [10]
            elif with_history:
                lengths = [rng.randint(1, 4)]
            else:
                lengths = [
                    rng.choices(range(1, 11), weights=CHAIN_LENGTHS)[0]
                    for _ in range(rng.choices(range(1, 5), weights=CHAINS_PER_CLAIM)[0])
                ]
            if looped:
                lengths[0] = max(lengths[0], 3)
            chains, first = [], None
            for length in lengths:
                sources = self._chain(length, like=first)
                first = first or sources
                publisher = sources[0]
                if len(sources) > 1 and rng.random() < 0.03:
                    publisher = None  # the article does not say who published it; it starts at the agency
                    sources = sources[1:]
                chains.append((sources, self._document_for(publisher, lang, cid, created, text)))
            if looped and len(first) >= 3:
                chains.append(([first[-1], first[1]], chains[0][1]))  # the origin cites back the agency
        for sources, doc in chains:
            words = []
            for down, up in pairwise(sources):
                for s in (down, up):
                    if s not in order:
                        order.append(s)
                hop = edges.get((down, up))
                if hop is None:
                    relation = rng.choices(vocab.RELATIONS, weights=vocab.RELATION_WEIGHTS)[0]
                    hop = edges[(down, up)] = [relation, rng.random() < 0.3]
                relation = hop[0] if rng.random() < 0.8 else rng.choice(vocab.RELATIONS)
                quote = vocab.RELATION_WORDS[relation][lang].format(
                    down=self.pools.names[down], up=self.pools.names[up]
                )
                words.append(quote)
                if rng.random() < 0.97:  # a few hops without evidence
                    hop.append((doc.id, quote, relation))
            if len(sources) == 1 and sources[0] not in order:
                order.append(sources[0])
            if words:
                doc.paragraphs[doc.claims[cid]] += f" {'; '.join(words)}."
        # The claim and its rows, as one transaction would write them.
        topics = rng.sample(self.topic_ids, rng.choices((0, 1, 2), weights=(40, 45, 15))[0]) if self.topic_ids else []
        for topic in topics:
            out.claim_topics.append((ids.take("claim_topics"), cid, topic))
        seen_docs: list[int] = []
        for _, doc in chains:
            if doc.id not in seen_docs:
                seen_docs.append(doc.id)
                out.appearances.append((ids.take("appearances"), cid, doc.id, text, created))
        statement = {}
        for source in order:
            statement[source] = ids.take("statements")
            out.statements.append((statement[source], cid, source, created))
        evidence_rows = 0
        graph = []
        for (down, up), (relation, verified, *pieces) in edges.items():
            aid = ids.take("attributions")
            out.attributions.append((aid, cid, statement[down], statement[up], relation, verified, created))
            evidence = []
            for doc_id, quote, worded in dict.fromkeys(pieces):
                eid = ids.take("evidence")
                out.evidence.append((eid, aid, cid, doc_id, quote, worded, created))
                # The document is left out: a summary does not read it.
                evidence.append(provenance.EvidenceItem(id=eid, document=None, quote=quote, relation=worded))
                evidence_rows += 1
            graph.append(provenance.Edge(aid, statement[down], statement[up], relation, verified, tuple(evidence)))
        out.graphs.append((cid, {statement[source]: source for source in order}, graph))
        published_at = created if status in ("published", "retracted") else None
        row = [cid, text, status, rating, explanation, start, end, approximate, language, published_at, created,
               created, None]  # fmt: skip
        if not with_history:
            out.claims.append(tuple(row))
            return
        # Its history: inserted as a draft, then edited until HISTORY_ENTRIES entries in all.
        graph_rows = len(topics) + len(seen_docs) + len(order) + len(edges) + evidence_rows
        updates = HISTORY_ENTRIES - 1 - graph_rows
        col = {name: i for i, name in enumerate(CLAIM_COLUMNS)}
        row[col["status"]], row[col["rating"]], row[col["rating_explanation"]], row[col["published_at"]] = (
            "draft", "", "", None,
        )  # fmt: skip
        out.claim_events.append(("insert", created, *row))
        at = created
        for i in range(1, updates + 1):
            at += timedelta(minutes=rng.randint(5, 600))
            if i == updates:  # published in the end, rated and explained
                changes = {"status": "published", "published_at": at}
                if not row[col["rating"]]:
                    changes["rating"] = _weighted(rng, RATINGS)
                changes["rating_explanation"] = rng.choice(vocab.EXPLANATIONS) + f" (revision {i})"
            elif i == updates // 2:
                changes = {"status": "in_review"}
            else:
                changes = rng.choice(
                    [
                        {"text": wording()},
                        {"rating": _weighted(rng, RATINGS)},
                        {"rating_explanation": rng.choice(vocab.EXPLANATIONS) + f" (revision {i})"},
                        {"event_approximate": not row[col["event_approximate"]]},
                    ]
                )
            before = list(row)
            for name, value in changes.items():
                row[col[name]] = value
            if row == before:  # the same value drawn again: an update always changes something
                row[col["rating_explanation"]] = f"Reviewed again (revision {i})."
            row[col["updated_at"]] = at
            out.claim_events.append(("update", at, *row))
        out.claims.append(tuple(row))

    def _document_for(self, publisher: int | None, lang: int, claim: int, created: datetime, text: str) -> OpenDocument:
        """A document of this batch by the publisher in the language (a new one, or half
        the time one already planned that does not hold the claim yet)."""
        key = (publisher, lang)
        candidates = [d for d in self.open.get(key, ())[-3:] if claim not in d.claims]
        if candidates and self.rng.random() < 0.5:
            doc = self.rng.choice(candidates)
        else:
            title = f"{self.rng.choice(vocab.TITLE_WORDS[lang])}: {text[:-1]}"
            doc = OpenDocument(self.ids.take("documents"), publisher, lang, created, title[:500], [], {})
            self.open.setdefault(key, []).append(doc)
            self.documents.append(doc)
        if claim not in doc.claims:
            doc.claims[claim] = len(doc.paragraphs)
            doc.paragraphs.append(text)
        return doc

    def _document(self, doc: OpenDocument, out: Tables) -> None:
        rng = self.rng
        filler = vocab.FILLER[doc.language]
        paragraphs = list(doc.paragraphs)
        for _ in range(rng.randint(2, 4)):
            paragraphs.insert(rng.randint(1, len(paragraphs)), " ".join(rng.sample(filler, 3)))
        body = "\n\n".join(paragraphs)
        published = doc.created_at - timedelta(hours=rng.randint(1, 48))
        site = f"outlet{doc.publisher}" if doc.publisher else "unattributed"
        out.documents.append(
            (doc.id, doc.title, _weighted(rng, DOCUMENT_KINDS), f"https://{site}.example.net/{doc.id}",
             doc.publisher, published, doc.created_at, vocab.LANGUAGES[doc.language], body,
             Document.hash_body(body), "", doc.created_at, doc.created_at)
        )  # fmt: skip


# --- writing ----------------------------------------------------------------------------------------


def _copy(cursor, name: str, rows: list[tuple]) -> None:
    if not rows:
        return
    model, columns = COLUMNS[name]
    with cursor.copy(f'COPY "{model._meta.db_table}" ({", ".join(columns.split())}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def _write_events(cursor, name: str, first: int, last: int, context_id: str, skip: list[int] = ()) -> None:
    """The 'insert' events of the rows ``first``..``last`` of a table, as its insert trigger
    writes them: the row's tracked columns, its id, the context, and the time it was
    written (its ``created_at``; a claim's topic, which has none, its claim's)."""
    model = COLUMNS[name][0]
    table, events = model._meta.db_table, _event_model(model)._meta.db_table
    columns = tracked_columns(model)
    at, join = "t.created_at", ""
    if model is ClaimTopic:
        at, join = "c.created_at", "JOIN claims_claim c ON c.id = t.claim_id"
    listed = ", ".join(f'"{c}"' for c in columns)
    cursor.execute(
        f'INSERT INTO "{events}" (pgh_created_at, pgh_label, pgh_context_id, pgh_obj_id, {listed}) '
        f"SELECT {at}, 'insert', %s, t.id, {', '.join(f't.{c}' for c in columns)} "
        f'FROM "{table}" t {join} WHERE t.id BETWEEN %s AND %s AND t.id <> ALL(%s::bigint[]) ORDER BY t.id',
        [context_id, first, last, list(skip)],
    )


def _write(cursor, planned: Tables, context_id: str, phases: Phases) -> None:
    """One batch's rows, then their history, with the triggers off."""
    cursor.execute("SET LOCAL session_replication_role = replica")
    for name in COLUMNS:
        _copy(cursor, name, getattr(planned, name))
        phases.lap(f"copy {name}")
    if planned.claims:
        # What the claims' word trigger (off here) would have noted for search.
        cursor.execute(
            f'INSERT INTO "{SearchWord._meta.db_table}" (word) SELECT DISTINCT public.fc_words(text) '
            "FROM claims_claim WHERE id BETWEEN %s AND %s ON CONFLICT DO NOTHING",
            [planned.claims[0][0], planned.claims[-1][0]],
        )
        phases.lap("search words")
    history = sorted({row[2] for row in planned.claim_events})
    for name in COLUMNS:
        rows = getattr(planned, name)
        if rows:
            _write_events(cursor, name, rows[0][0], rows[-1][0], context_id, history if name == "claims" else ())
    phases.lap("insert events")
    if planned.claim_events:
        event = _event_model(Claim)._meta.db_table
        columns = ", ".join(CLAIM_COLUMNS)
        with cursor.copy(
            f'COPY "{event}" (pgh_label, pgh_created_at, {columns}, pgh_context_id, pgh_obj_id) FROM STDIN'
        ) as copy:
            for label, at, *row in planned.claim_events:
                copy.write_row((label, at, *row, context_id, row[0]))
    cursor.execute("SET LOCAL session_replication_role = origin")
    phases.lap("claim history")


def _judge(planned: Tables, sources: dict[int, provenance.SourceRef]) -> list[tuple[int, provenance.Summary]]:
    """Each claim's trace summary, judged by claims.provenance on the graph as planned
    (the graph written, not read back), as the services store it."""
    return [
        (claim_id, provenance.summary_of_graph(claim_id, statements=statements, sources=sources, edges=edges))
        for claim_id, statements, edges in planned.graphs
    ]


def _write_summaries(cursor, judged: list[tuple[int, provenance.Summary]]) -> None:
    table = TraceSummary._meta.db_table
    with cursor.copy(
        f'COPY "{table}" (claim_id, origin_ids, independent_origins, flags, chains, chains_exact) FROM STDIN'
    ) as copy:
        for claim_id, s in judged:
            copy.write_row((claim_id, s.origin_ids, s.independent_origins, s.flags, s.chains, s.chains_exact))


def _next_ids() -> Ids:
    nexts = {}
    with connection.cursor() as cursor:
        for name, (model, _) in COLUMNS.items():
            cursor.execute(
                f"SELECT coalesce(max(id), 0) + 1, pg_get_serial_sequence(%s, 'id') FROM \"{model._meta.db_table}\"",
                [model._meta.db_table],
            )
            top, sequence = cursor.fetchone()
            cursor.execute("SELECT last_value, is_called FROM " + sequence)
            last, called = cursor.fetchone()
            nexts[name] = max(top, last + 1 if called else last)
    return Ids(nexts)


def _advance_sequences(nexts: dict[str, int]) -> None:
    with connection.cursor() as cursor:
        for name, (model, _) in COLUMNS.items():
            if nexts[name] > 1:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [model._meta.db_table, nexts[name] - 1]
                )


def _ahead(make: Callable[[], Any], depth: int = 2) -> Iterator[Any]:
    """What ``make`` returns, call after call until None, made in a thread of its own up
    to ``depth`` items ahead of the reader (the plan of the next batches is made while the
    database writes this one; one thread, so made in the same order). Its exception is
    raised to the reader; closing the iterator stops the thread."""
    made: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> None:
        while not stop.is_set():
            try:
                made.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def work() -> None:
        try:
            while not stop.is_set():
                item = make()
                put(item)
                if item is None:
                    return
        except BaseException as exc:  # handed to the reader, who raises it
            put(exc)

    thread = threading.Thread(target=work, name="corpus-planner", daemon=True)
    thread.start()
    try:
        while (item := made.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _topics() -> list[int]:
    for name in vocab.TOPICS:
        Topic.objects.get_or_create(name=name, defaults={"slug": name.lower().replace(" ", "-")})
    return list(Topic.objects.filter(name__in=vocab.TOPICS).order_by("name").values_list("pk", flat=True))


def _record_context(context) -> str:
    """The run's row in the history's context table, as ``_pgh_attach_context()`` writes it
    on a trigger's first call (the same id and metadata pghistory hands the triggers)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO pghistory_context (id, metadata, created_at, updated_at) VALUES (%s, %s, NOW(), NOW()) "
            "ON CONFLICT (id) DO UPDATE SET metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at "
            "WHERE pghistory_context.metadata != EXCLUDED.metadata",
            [context.id, json.dumps(context.metadata, cls=pghistory.config.json_encoder())],
        )
    return str(context.id)


class Phases:
    """Wall time spent in each phase of a run, summed over its batches (``-v 2`` prints them)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._at = time.monotonic()

    def lap(self, name: str) -> None:
        """Charge the time since the last lap to ``name``."""
        now = time.monotonic()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._at
        self._at = now


@dataclass
class Result:
    claims: int
    sources: int
    seconds: float
    phases: dict[str, float] = field(default_factory=dict)


# --- indexes built after the load ---------------------------------------------------------------

# Where the definitions of the indexes dropped for a load wait until they are built
# again: written in the transaction that drops them, each row deleted in the one that
# builds its index, so that every index either exists or is listed here whatever stops
# a run; the table is dropped once empty.
DEFERRED = "corpus_deferred_index"
# Memory for each index build (the session's, for the builds only): a GIN index built in
# few passes is several times faster.
BUILD_MEMORY = "1GB"


def _filled_tables() -> list[str]:
    """The tables a run fills: the rows of ``COLUMNS``, their history, the trace summaries."""
    models_ = [model for model, _ in COLUMNS.values()]
    return [m._meta.db_table for m in [*models_, *map(_event_model, models_), TraceSummary]]


def defer_indexes() -> list[str]:
    """Drop the indexes of the tables a run fills that a load need not keep up row by row
    (all but primary keys, unique indexes and those of constraints: those still guard
    every row), their definitions recorded in ``DEFERRED`` in the same transaction.
    Built again by ``build_deferred_indexes`` in bulk, far faster than row by row (the
    text search and trigram GIN indexes above all)."""
    with transaction.atomic(), connection.cursor() as cursor:
        _checked_now()
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {DEFERRED} (name text PRIMARY KEY, definition text NOT NULL)")
        cursor.execute(
            f"INSERT INTO {DEFERRED} (name, definition) "
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ON CONFLICT (name) DO NOTHING RETURNING name",
            [_filled_tables()],
        )
        names = sorted(name for (name,) in cursor.fetchall())
        for name in names:
            cursor.execute(f"DROP INDEX {name}")
    return names


def _checked_now() -> None:
    """Check the deferred constraints of the rows written so far in the transaction (a
    table with checks pending can be given no index, nor lose one); they stay deferred
    for what follows. Nothing is pending between a run's transactions."""
    connection.check_constraints()


def build_deferred_indexes(say: Callable[[str], None] = lambda line: None) -> int:
    """Build every index ``defer_indexes`` dropped (a run's, or one that was stopped), each
    in a transaction of its own; returns how many were built."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [DEFERRED])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(f"SELECT name, definition FROM {DEFERRED} ORDER BY name")
        pending = cursor.fetchall()
        if pending:
            say(f"Building {len(pending)} indexes ...")
        cursor.execute("SELECT current_setting('maintenance_work_mem')")
        memory = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('maintenance_work_mem', %s, false)", [BUILD_MEMORY])
        try:
            for name, definition in pending:
                with transaction.atomic():
                    _checked_now()
                    cursor.execute("SELECT to_regclass(%s) IS NULL", [name])
                    if cursor.fetchone()[0]:
                        cursor.execute(definition)
                    cursor.execute(f"DELETE FROM {DEFERRED} WHERE name = %s", [name])
            with transaction.atomic():
                cursor.execute(f"DROP TABLE {DEFERRED}")
        finally:
            cursor.execute("SELECT set_config('maintenance_work_mem', %s, false)", [memory])
    return len(pending)


def generate(
    *,
    claims: int,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    say: Callable[[str], None] = lambda line: None,
) -> Result:
    """Write ``claims`` claims with their sources, documents, graphs and history (see the
    module's docstring). The caller checks the database holds no claims. Each batch is a
    transaction of its own (a savepoint inside the caller's). The secondary indexes of
    the tables filled are dropped first and built at the end, also when the run fails or
    is interrupted (and, should that build be stopped too, by ``build_deferred_indexes``
    on the next run)."""
    started = time.monotonic()
    phases = Phases()
    progress = progress or (lambda done, total: None)
    defer_indexes()
    phases.lap("drop indexes")
    try:
        sources = _load(claims=claims, seed=seed, progress=progress, phases=phases)
    except BaseException:
        say("Stopped: building the indexes dropped for the load again ...")
        try:
            build_deferred_indexes(say)
        except BaseException:
            say(f"The indexes listed in the table {DEFERRED} are still missing: the next generate_corpus builds them.")
        raise
    build_deferred_indexes(say)
    phases.lap("build indexes")
    with connection.cursor() as cursor:
        if not connection.in_atomic_block:
            cursor.execute("ANALYZE")
    phases.lap("analyze")
    return Result(claims=claims, sources=sources, seconds=time.monotonic() - started, phases=phases.seconds)


def _load(*, claims: int, seed: int, progress: Callable[[int, int], None], phases: Phases) -> int:
    """The rows, a batch a transaction; returns how many sources. The batches are planned
    and their summaries judged in a thread ahead of the writing (``-v 2`` shows that
    thread's time apart, as "... (alongside)")."""
    with pghistory.context(**CONTEXT, corpus_claims=claims, corpus_seed=seed) as context:
        with transaction.atomic():
            context_id = _record_context(context)
            ids = _next_ids()
            planner = Planner(claims=claims, seed=seed, ids=ids, topic_ids=_topics())
            planned = planner.sources()
            phases.lap("plan")
            with connection.cursor() as cursor:
                _write(cursor.connection.cursor(), planned, context_id, phases)
            sources = len(planned.sources)
            _advance_sequences(ids.next)
        phases.lap("commit")
        progress(0, claims)
        alongside = Phases()

        def plan() -> tuple[Tables, list, dict[str, int], int] | None:
            if planner.done >= claims:
                return None
            alongside.lap("wait (alongside)")
            planned = planner.batch(BATCH)
            alongside.lap("plan (alongside)")
            judged = _judge(planned, planner.pools.refs)
            alongside.lap("summaries: judge (alongside)")
            return planned, judged, dict(ids.next), planner.done

        with closing(_ahead(plan)) as batches:
            for planned, judged, nexts, done in batches:
                phases.lap("wait for the plan")
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        raw = cursor.connection.cursor()
                        _write(raw, planned, context_id, phases)
                        _write_summaries(raw, judged)
                        phases.lap("summaries: copy")
                    _advance_sequences(nexts)
                phases.lap("commit")
                progress(done, claims)
        phases.seconds.update(alongside.seconds)
    return sources
