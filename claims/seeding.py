"""Seed data: what an editor extracted from a document, kept as YAML in ``seeds/``.

One file describes one document: the document itself, the sources and topics
its claims need, and the claims with their verbatim quotes and attribution
chains (see ``seeds/000_f448ad022973d20f.yaml`` for the format, with comments).

Loading goes through the services, so every row is validated and recorded in
the history like an editor's change (marked as the seeds' in its context). It is
idempotent: rows are found again by natural keys (a source by Wikidata QID, then
by its name or an alias, then by a name it had before an editor renamed it; a
document by URL or title; a claim by its text or its quote in the document) and
nothing is written when nothing differs. Rows that exist but differ from the
file were edited by someone since, or the file changed; they are kept as they
are unless ``update=True``, and even then a claim is changed only where the seeds
alone wrote it: never a claim an editor changed since (the history says who
wrote what), never a published claim's verdict, never a rating blanked. A source
found under another name (renamed, or merged into another) is the editors' and
is never overwritten. Chains are only ever added to (``chain_record`` merges and
never overwrites an edge).

Also here: the demo users for local use (``manage.py demo_users``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pghistory
import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Prefetch, Q
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.authtoken.models import Token

from core.locks import lock_keys
from core.roles import AUDITOR, EDITOR, JOURNALIST
from core.validators import in_utc
from sources.models import Document, DocumentKind, Reliability, Source, SourceKind, name_key
from sources.services import document_create, document_update, source_create, source_update

from .models import Appearance, Claim, ClaimStatus, ClaimTopic, Rating, Relation, Topic
from .services import HopInput, chain_record, claim_create, claim_publish_checklist, claim_update


class SeedError(Exception):
    """A seed file that cannot be loaded; the message names the file, the item and the field."""


# --- the file format, validated -----------------------------------------------


@dataclass(frozen=True)
class SourceSpec:
    name: str
    kind: str
    description: str
    aliases: list[str]
    country: str
    url: str
    wikidata_qid: str
    reliability: str
    parent: str | None


@dataclass(frozen=True)
class TopicSpec:
    slug: str
    name: str


@dataclass(frozen=True)
class HopSpec:
    source: str
    relation: str
    quote: str


@dataclass(frozen=True)
class ClaimSpec:
    label: str  # how errors name the claim
    text: str
    quote: str
    language: str
    status: str
    rating: str
    rating_explanation: str
    event_start: dt.date | None
    event_end: dt.date | None
    event_approximate: bool
    topics: list[str]
    chain: list[HopSpec]


@dataclass(frozen=True)
class DocumentSpec:
    title: str
    kind: str
    url: str
    archive_url: str
    publisher: str | None
    stated_by: str
    language: str
    published_at: dt.datetime | None
    retrieved_at: dt.datetime | None
    body: str


@dataclass(frozen=True)
class SeedFile:
    path: Path
    document: DocumentSpec
    sources: list[SourceSpec]
    topics: list[TopicSpec]
    claims: list[ClaimSpec]


class _Errors:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.messages: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.messages.append(f"{self.path.name}: {where}: {message}")

    def raise_if_any(self) -> None:
        if self.messages:
            raise SeedError("\n".join(self.messages))


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:59] + "…"


class _Fields:
    """Typed reads from one YAML mapping, collecting errors instead of failing at the first."""

    def __init__(self, data: Any, where: str, errors: _Errors, allowed: Iterable[str]) -> None:
        self.where, self.errors = where, errors
        if not isinstance(data, dict):
            errors.add(where, f"expected a mapping of fields, got {type(data).__name__}")
            data = {}
        self.data = data
        for key in data:
            if key not in allowed:
                errors.add(where, f"unknown field {key!r} (known: {', '.join(sorted(allowed))})")

    def error(self, key: str, message: str) -> None:
        self.errors.add(f"{self.where}: {key}", message)

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.error(key, "is required")
            return default
        if not isinstance(value, str):
            self.error(key, f"must be text, got {value!r}")
            return default
        value = value.strip()
        if required and not value:
            self.error(key, "must not be empty")
        return value

    def optional_name(self, key: str) -> str | None:
        return self.text(key) or None

    def choice(self, key: str, choices: list[str], *, default: str) -> str:
        value = self.text(key, default=default)
        if value not in choices:
            self.error(key, f"{value!r} is not one of {', '.join(c for c in choices if c)}")
            return default
        return value

    def text_list(self, key: str) -> list[str]:
        value = self.data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(key, f"must be a list of non-empty texts, got {value!r}")
            return []
        return [v.strip() for v in value]

    def boolean(self, key: str, *, default: bool = False) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.error(key, f"must be true or false, got {value!r}")
            return default
        return value

    def date(self, key: str) -> dt.date | None:
        value = self.data.get(key)
        if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
            return value
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed is None:
            self.error(key, f"must be a date like 2020-09-27, got {value!r}")
        return parsed

    def moment(self, key: str) -> dt.datetime | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            parsed = value
        elif isinstance(value, dt.date):
            parsed = dt.datetime.combine(value, dt.time())
        else:
            parsed = parse_datetime(value) if isinstance(value, str) else None
            if parsed is None:
                self.error(key, f"must be a date and time like 2021-06-21T10:00:00Z, got {value!r}")
                return None
        try:
            return in_utc(parsed)
        except ValidationError as error:
            self.error(key, error.messages[0])
            return None


def _list(data: Any, key: str, errors: _Errors) -> list:
    value = data.get(key) if isinstance(data, dict) else None
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add(key, f"must be a list, got {type(value).__name__}")
        return []
    return value


_SOURCE_FIELDS = {"name", "kind", "description", "aliases", "country", "url", "wikidata_qid", "reliability", "parent"}
_DOCUMENT_FIELDS = {
    "title",
    "kind",
    "url",
    "archive_url",
    "publisher",
    "stated_by",
    "language",
    "published_at",
    "retrieved_at",
    "body",
}
_CLAIM_FIELDS = {"text", "quote", "language", "status", "rating", "rating_explanation", "event", "topics", "chain"}
_EVENT_FIELDS = {"start", "end", "approximate"}
_HOP_FIELDS = {"source", "relation", "quote"}


def parse_seed_file(path: Path) -> SeedFile:
    """Read and check one seed file; raise SeedError listing every problem found."""
    errors = _Errors(path)
    try:
        with path.open(encoding="utf-8") as stream:
            data = yaml.safe_load(stream)
    except yaml.YAMLError as exc:
        raise SeedError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SeedError(f"{path.name}: expected a mapping with document, sources, topics and claims")
    for key in data:
        if key not in {"document", "sources", "topics", "claims"}:
            errors.add(key, "unknown section (known: document, sources, topics, claims)")

    sources = [_parse_source(i, item, errors) for i, item in enumerate(_list(data, "sources", errors))]
    source_names = {s.name for s in sources}
    seen: set[str] = set()
    for i, spec in enumerate(sources):
        if spec.name in seen:
            errors.add(f"sources[{i}] {spec.name!r}: name", "is listed twice")
        seen.add(spec.name)
        if spec.parent and spec.parent not in source_names:
            errors.add(f"sources[{i}] {spec.name!r}: parent", f"{spec.parent!r} is not among this file's sources")

    topics = [_parse_topic(i, item, errors) for i, item in enumerate(_list(data, "topics", errors))]
    topic_slugs = {t.slug for t in topics}

    document = _parse_document(data.get("document"), errors)
    for key in ("publisher", "stated_by"):
        name = getattr(document, key)
        if name and name not in source_names:
            errors.add(f"document: {key}", f"{name!r} is not among this file's sources")

    claims = []
    texts: set[str] = set()
    for i, item in enumerate(_list(data, "claims", errors)):
        claim = _parse_claim(i, item, document, errors)
        claims.append(claim)
        if claim.text in texts:
            errors.add(f"{claim.label}: text", "is listed twice")
        texts.add(claim.text)
        if claim.quote and claim.quote not in document.body:
            errors.add(f"{claim.label}: quote", "does not occur verbatim in the document body")
        for slug in claim.topics:
            if slug not in topic_slugs:
                errors.add(f"{claim.label}: topics", f"{slug!r} is not among this file's topics")
        for j, hop in enumerate(claim.chain):
            if hop.source not in source_names:
                errors.add(f"{claim.label}: chain[{j}].source", f"{hop.source!r} is not among this file's sources")
            if hop.quote and hop.quote not in document.body:
                errors.add(f"{claim.label}: chain[{j}].quote", "does not occur verbatim in the document body")
    if not claims:
        errors.add("claims", "the file holds no claims")
    errors.raise_if_any()
    return SeedFile(path=path, document=document, sources=sources, topics=topics, claims=claims)


def _parse_source(i: int, item: Any, errors: _Errors) -> SourceSpec:
    name = item.get("name") if isinstance(item, dict) else None
    f = _Fields(item, f"sources[{i}] {name!r}" if isinstance(name, str) else f"sources[{i}]", errors, _SOURCE_FIELDS)
    return SourceSpec(
        name=f.text("name", required=True),
        kind=f.choice("kind", SourceKind.values, default=SourceKind.OUTLET),
        description=f.text("description"),
        aliases=f.text_list("aliases"),
        country=f.text("country"),
        url=f.text("url"),
        wikidata_qid=f.text("wikidata_qid"),
        reliability=f.choice("reliability", ["", *Reliability.values], default=""),
        parent=f.optional_name("parent"),
    )


def _parse_topic(i: int, item: Any, errors: _Errors) -> TopicSpec:
    f = _Fields(item, f"topics[{i}]", errors, {"slug", "name"})
    return TopicSpec(slug=f.text("slug", required=True), name=f.text("name", required=True))


def _parse_document(item: Any, errors: _Errors) -> DocumentSpec:
    f = _Fields(item, "document", errors, _DOCUMENT_FIELDS)
    publisher = f.optional_name("publisher")
    stated_by = f.optional_name("stated_by") or publisher
    if stated_by is None:
        f.error("stated_by", "name the source that states what the document says (or give a publisher)")
    body = f.data.get("body")
    if not isinstance(body, str) or not body.strip():
        f.error("body", "is required: the document's text")
        body = ""
    return DocumentSpec(
        title=f.text("title", required=True),
        kind=f.choice("kind", DocumentKind.values, default=DocumentKind.ARTICLE),
        url=f.text("url"),
        archive_url=f.text("archive_url"),
        publisher=publisher,
        stated_by=stated_by or "",
        language=f.text("language", default="en"),
        published_at=f.moment("published_at"),
        retrieved_at=f.moment("retrieved_at"),
        body=body.strip("\n"),
    )


def _parse_claim(i: int, item: Any, document: DocumentSpec, errors: _Errors) -> ClaimSpec:
    text = item.get("text") if isinstance(item, dict) else None
    label = f"claims[{i}] “{_short(text.strip())}”" if isinstance(text, str) else f"claims[{i}]"
    f = _Fields(item, label, errors, _CLAIM_FIELDS)
    event = _Fields(f.data.get("event") or {}, f"{label}: event", errors, _EVENT_FIELDS)
    start, end = event.date("start"), event.date("end")
    if end is not None and (start is None or end < start):
        event.error("end", "needs a start on or before it")
    chain = []
    raw_chain = f.data.get("chain")
    if raw_chain is None:
        # Stated by the document itself: one hop, whose source is its origin.
        chain = [HopSpec(source=document.stated_by, relation="", quote="")]
    elif not isinstance(raw_chain, list) or not raw_chain:
        f.error("chain", "must be a list of hops from the reporting end to the origin")
    else:
        for j, raw_hop in enumerate(raw_chain):
            hop = _Fields(raw_hop, f"{label}: chain[{j}]", errors, _HOP_FIELDS)
            last = j == len(raw_chain) - 1
            relation = hop.choice("relation", ["", *Relation.values], default="")
            if not last and hop.data.get("relation") is None:
                hop.error("relation", "is required on every hop but the origin (the last)")
            if last and len(raw_chain) > 1 and (hop.data.get("relation") or hop.data.get("quote")):
                # The origin cites nobody, so there is no hop after it to describe.
                hop.error("relation", "the origin (the last hop) takes neither a relation nor a quote")
            chain.append(HopSpec(source=hop.text("source", required=True), relation=relation, quote=hop.text("quote")))
    return ClaimSpec(
        label=label,
        text=f.text("text", required=True),
        quote=f.text("quote", required=True),
        language=f.text("language", default=document.language or "en"),
        status=f.choice("status", ClaimStatus.values, default=ClaimStatus.DRAFT),
        rating=f.choice("rating", ["", *Rating.values], default=""),
        rating_explanation=f.text("rating_explanation"),
        event_start=start,
        event_end=end,
        event_approximate=event.boolean("approximate"),
        topics=f.text_list("topics"),
        chain=chain,
    )


# --- loading --------------------------------------------------------------------


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # exists but differs from the file; left as someone edited it

    def __str__(self) -> str:
        parts = [f"{self.created} created"]
        if self.updated:
            parts.append(f"{self.updated} updated")
        parts.append(f"{self.unchanged} unchanged")
        if self.kept:
            parts.append(f"{self.kept} kept as edited")
        return ", ".join(parts)


@dataclass
class SeedReport:
    files: list[str] = field(default_factory=list)
    sources: Tally = field(default_factory=Tally)
    topics: Tally = field(default_factory=Tally)
    documents: Tally = field(default_factory=Tally)
    claims: Tally = field(default_factory=Tally)
    chains: Tally = field(default_factory=Tally)
    notes: list[str] = field(default_factory=list)  # what was updated, and what differs in rows kept

    def lines(self) -> list[str]:
        return [f"{name}: {getattr(self, name)}" for name in ("sources", "topics", "documents", "claims", "chains")]


def seed_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise SeedError(f"{directory} is not a directory")
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        raise SeedError(f"{directory} holds no seed files (*.yaml)")
    return paths


def load_seed_dir(directory: Path, *, update: bool = False) -> SeedReport:
    """Load every ``*.yaml`` in the directory, in name order, all or nothing."""
    # Check every file before writing anything, so a bad file leaves no half-load.
    seeds = [parse_seed_file(path) for path in seed_files(directory)]
    report = SeedReport()
    # Every change a load makes says so in its history, which is how a later --update
    # tells what the seeds wrote from what an editor wrote since.
    with pghistory.context(**{SEED_CONTEXT: True}), transaction.atomic():
        # Loads take turns: a second load waits, then finds everything and changes nothing.
        lock_keys("load-seeds")
        for seed in seeds:
            _load(seed, report, update=update)
            report.files.append(seed.path.name)
    if connection.in_atomic_block:
        # pghistory hands the context to its triggers in settings that last as long as the
        # transaction: inside a caller's, they would mark the caller's later writes as the
        # seeds' too. (A load that fails leaves none: its savepoint's rollback undoes them.)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pghistory.context_id', '', true), "
                "set_config('pghistory.context_metadata', '', true)"
            )
    return report


def _differences(obj, values: dict[str, Any]) -> dict[str, Any]:
    changed = {}
    for name, value in values.items():
        if obj._meta.get_field(name).is_relation:
            # Compare keys, so an unchanged row costs no query for its related row.
            same = getattr(obj, f"{name}_id") == (value.pk if value is not None else None)
        else:
            same = getattr(obj, name) == value
        if not same:
            changed[name] = value
    return changed


def _service_call(where: str, call, **kwargs):
    """Run a service, naming the seed item in any validation error it raises."""
    try:
        return call(**kwargs)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items())
        else:
            detail = " ".join(exc.messages)
        raise SeedError(f"{where}: {detail}") from None


def _sync(
    where: str, obj, values: dict[str, Any], tally: Tally, report: SeedReport, *, update: bool, apply, why: str = ""
) -> None:
    changed = _differences(obj, values)
    if not changed:
        tally.unchanged += 1
    elif update:
        apply(changed)
        tally.updated += 1
        report.notes.append(f"{where}: updated {', '.join(sorted(changed))} from the seed")
    else:
        tally.kept += 1
        report.notes.append(f"{where}: kept as edited ({', '.join(sorted(changed))} differ from the seed{why})")


# The history context of a seed load (see load_seed_dir), and of loads run before it
# was set: ``manage.py load_seeds`` names its command in the context. Containment, not
# a key's value: that is NULL where the key is missing, and a NULL drops out of the
# exclude() below as well as out of the filter().
SEED_CONTEXT = "seed_load"
_BY_SEEDS = Q(pgh_context__metadata__contains={SEED_CONTEXT: True}) | Q(
    pgh_context__metadata__contains={"command": "load_seeds"}
)


def _edited_since_seeded(claims: Iterable[Claim]) -> set[int]:
    """The claims among ``claims`` that the seeds never wrote, or that someone else has
    changed since (a field or the topics, by any path: the history records every write)."""
    ids = [claim.pk for claim in claims]
    events = Claim.pgh_event_model.objects.filter(pgh_obj_id__in=ids)
    seeded = set(events.filter(_BY_SEEDS).values_list("pgh_obj_id", flat=True))
    others = set(events.exclude(_BY_SEEDS).values_list("pgh_obj_id", flat=True))
    topic_events = ClaimTopic.pgh_event_model.objects.filter(claim_id__in=ids).exclude(_BY_SEEDS)
    others.update(topic_events.values_list("claim_id", flat=True))
    return set(ids) - (seeded - others)


# What the loader never does to a claim, even one only the seeds wrote: a published
# claim's verdict is its editors' to change, and no verdict is blanked by a file.
_VERDICT = ("rating", "rating_explanation")


def _update_claim(
    where: str, claim: Claim, changed: dict[str, Any], topics: list[Topic] | None, report: SeedReport
) -> None:
    held = [
        name for name in _VERDICT if name in changed and (claim.status == ClaimStatus.PUBLISHED or not changed[name])
    ]
    applied = {name: value for name, value in changed.items() if name not in held}
    if held:
        reason = "the claim is published" if claim.status == ClaimStatus.PUBLISHED else "the seed would blank it"
        report.notes.append(f"{where}: kept {', '.join(held)} as it is ({reason}; a verdict is for editors to change)")
    if not applied and topics is None:
        report.claims.kept += 1
        return
    _service_call(where, claim_update, claim=claim, topics=topics, **applied)
    report.claims.updated += 1
    fields = sorted(applied) + (["topics"] if topics is not None else [])
    report.notes.append(f"{where}: updated {', '.join(fields)} from the seed")


def _load(seed: SeedFile, report: SeedReport, *, update: bool) -> None:
    name = seed.path.name
    sources = _load_sources(seed, report, update=update)
    topics = _load_topics(seed, report, update=update)
    document = _load_document(seed, sources, report, update=update)

    found = _find_claims(seed, document)
    edited: set[int] | None = None  # read once, when --update first needs it
    for spec in seed.claims:
        where = f"{name}: {spec.label}"
        values = {
            "language": spec.language,
            "rating": spec.rating,
            "rating_explanation": spec.rating_explanation,
            "event_start": spec.event_start,
            "event_end": spec.event_end,
            "event_approximate": spec.event_approximate,
        }
        wanted_topics = [topics[slug] for slug in spec.topics]
        claim = found.get(spec.text)
        new_status = None  # a new claim's status, set once its chain is recorded
        if claim is None:
            claim = _service_call(where, claim_create, text=spec.text, topics=wanted_topics, **values)
            new_status = spec.status
            report.claims.created += 1
        else:
            values.update(text=spec.text)
            changed = _differences(claim, values)
            topics_differ = {t.pk for t in claim.topics.all()} != {t.pk for t in wanted_topics}
            if claim.status != spec.status:
                # The workflow is the editors': a seed never publishes, retracts or reopens a
                # claim that exists (not even with --update), so a claim moved back to review
                # stays there and a retracted one neither blocks the load nor comes back.
                report.notes.append(
                    f"{where}: status kept as {claim.get_status_display().lower()} (the seed says "
                    f"{ClaimStatus(spec.status).label.lower()}; statuses are for editors to change)"
                )
            if update and (changed or topics_differ) and edited is None:
                edited = _edited_since_seeded(found.values())
            if not changed and not topics_differ:
                report.claims.unchanged += 1
            elif update and claim.pk not in edited:
                _update_claim(where, claim, changed, wanted_topics if topics_differ else None, report)
            else:
                report.claims.kept += 1
                fields = sorted(changed) + (["topics"] if topics_differ else [])
                why = "; an editor changed the claim since the seeds wrote it, so --update leaves it" if update else ""
                report.notes.append(f"{where}: kept as edited ({', '.join(fields)} differ from the seed{why})")
        _load_chain(where, claim, spec, document, sources, report)
        if new_status is not None and new_status != claim.status:
            # Published over its checklist (claims.services), judged on its chain: the seed file
            # is the editor's decision, and the history context records what it confirmed.
            confirm = [i.code for i in claim_publish_checklist(claim) if not i.blocking]
            claim = _service_call(where, claim_update, claim=claim, status=new_status, confirm=confirm)


def _find_sources(seed: SeedFile) -> dict[str, Source]:
    """The file's sources already in the database, by name in the file: found by Wikidata
    QID, then by name or alias (name keys, as ``source_find_or_create`` finds them), then
    by a name they had before an editor renamed them. A source renamed, or merged into
    another (whose aliases keep its names), is found again, never made twice."""
    keys = {spec.name: name_key(spec.name) for spec in seed.sources}
    qids = [spec.wikidata_qid for spec in seed.sources if spec.wikidata_qid]
    candidates = list(
        Source.objects.filter(
            Q(wikidata_qid__in=qids) | Q(name_keys__overlap=[k for k in keys.values() if k])
        ).order_by("id")
    )
    found = {}
    for spec in seed.sources:
        matches = (
            [s for s in candidates if spec.wikidata_qid and s.wikidata_qid == spec.wikidata_qid]
            or [s for s in candidates if s.name == spec.name]
            or [s for s in candidates if keys[spec.name] and keys[spec.name] in s.name_keys]
        )
        if matches:
            found[spec.name] = matches[0]
    missing = [spec.name for spec in seed.sources if spec.name not in found]
    if missing:
        # Renamed without keeping the old name as an alias: the history still has it.
        former = Source.pgh_event_model.objects.filter(name__in=missing).order_by("pgh_id")
        last_named = dict(former.values_list("name", "pgh_obj_id"))  # the latest source to bear each name
        sources = Source.objects.in_bulk(last_named.values())
        found.update({name: sources[pk] for name, pk in last_named.items() if pk in sources})
    return found


def _load_sources(seed: SeedFile, report: SeedReport, *, update: bool) -> dict[str, Source]:
    existing = _find_sources(seed)
    loaded: dict[str, Source] = {}
    pending = list(seed.sources)
    # Parents first; a parent loop inside the file leaves sources pending.
    while pending:
        ready = [s for s in pending if s.parent is None or s.parent in loaded]
        if not ready:
            names = ", ".join(s.name for s in pending)
            raise SeedError(f"{seed.path.name}: sources: the parents of {names} form a loop")
        for spec in ready:
            where = f"{seed.path.name}: source {spec.name!r}"
            values = {
                "kind": spec.kind,
                "description": spec.description,
                "aliases": spec.aliases,
                "country": spec.country,
                "url": spec.url,
                "wikidata_qid": spec.wikidata_qid,
                "reliability": spec.reliability,
                "parent": loaded[spec.parent] if spec.parent else None,
            }
            source = existing.get(spec.name)
            if source is None:
                source = _service_call(where, source_create, name=spec.name, **values)
                report.sources.created += 1
            elif source.name != spec.name:
                # Renamed, or merged into another source, by an editor: that source is the
                # editors' now, and the seed's values (its aliases, its description) would
                # overwrite theirs, so they are compared but never applied.
                _sync(
                    f"{where} (now {source.name!r})",
                    source,
                    values,
                    report.sources,
                    report,
                    update=False,
                    apply=None,
                    why="; renamed or merged since, so --update leaves it",
                )
            else:
                _sync(
                    where,
                    source,
                    values,
                    report.sources,
                    report,
                    update=update,
                    apply=lambda changed, s=source, w=where: _service_call(w, source_update, source=s, **changed),
                )
            loaded[spec.name] = source
            pending.remove(spec)
    return loaded


def _load_topics(seed: SeedFile, report: SeedReport, *, update: bool) -> dict[str, Topic]:
    existing = {t.slug: t for t in Topic.objects.filter(slug__in=[t.slug for t in seed.topics])}
    loaded = {}
    for spec in seed.topics:
        where = f"{seed.path.name}: topic {spec.slug!r}"
        topic = existing.get(spec.slug)
        if topic is None:
            # Topics are a plain vocabulary with no workflow, hence no service of their own.
            topic = Topic(slug=spec.slug, name=spec.name)
            _service_call(where, topic.full_clean)
            topic.save()
            report.topics.created += 1
        else:

            def rename(changed, topic=topic, where=where):
                topic.name = changed["name"]
                _service_call(where, topic.full_clean)
                topic.save(update_fields=["name"])

            _sync(where, topic, {"name": spec.name}, report.topics, report, update=update, apply=rename)
        loaded[spec.slug] = topic
    return loaded


def _load_document(seed: SeedFile, sources: dict[str, Source], report: SeedReport, *, update: bool) -> Document:
    spec = seed.document
    where = f"{seed.path.name}: document {spec.title!r}"
    values = {
        "title": spec.title,
        "kind": spec.kind,
        "url": spec.url,
        "archive_url": spec.archive_url,
        "publisher": sources[spec.publisher] if spec.publisher else None,
        "language": spec.language,
        "published_at": spec.published_at,
        "retrieved_at": spec.retrieved_at,
        "body": spec.body,
    }
    # Without a URL the title finds the document again, or the body if the title was edited.
    if spec.url:
        document = Document.objects.filter(url=spec.url).first()
    else:
        document = (
            Document.objects.filter(url="", title=spec.title).order_by("id").first()
            or Document.objects.filter(content_hash=Document.hash_body(spec.body)).order_by("id").first()
        )
    if document is None:
        document = _service_call(where, document_create, **values)
        report.documents.created += 1
    else:
        _sync(
            where,
            document,
            values,
            report.documents,
            report,
            update=update,
            apply=lambda changed: _service_call(where, document_update, document=document, **changed),
        )
    return document


def _find_claims(seed: SeedFile, document: Document) -> dict[str, Claim]:
    """The file's claims already in the database, by text; a claim whose text an
    editor has since reworded is found by its quote in this document instead."""
    related = (
        "topics",
        Prefetch("appearances", queryset=Appearance.objects.filter(document=document)),
        "statements",
        "attributions__evidence",
    )
    texts = [c.text for c in seed.claims]
    found = {c.text: c for c in Claim.objects.filter(text__in=texts).prefetch_related(*related)}
    missing = [c for c in seed.claims if c.text not in found]
    if missing and document.pk:
        taken = {c.pk for c in found.values()}
        by_quote: dict[str, list[int]] = {}
        for appearance in Appearance.objects.filter(document=document, quote__in=[c.quote for c in missing]):
            by_quote.setdefault(appearance.quote, []).append(appearance.claim_id)
        matches: dict[str, int] = {}
        for spec in missing:
            candidates = by_quote.get(spec.quote, [])
            # Only an unambiguous match: one appearance, of a claim no other entry has.
            if len(candidates) == 1 and candidates[0] not in taken:
                matches[spec.text] = candidates[0]
                taken.add(candidates[0])
        claims = Claim.objects.filter(pk__in=matches.values()).prefetch_related(*related).in_bulk()
        found.update({text: claims[pk] for text, pk in matches.items()})
    return found


def _load_chain(
    where: str, claim: Claim, spec: ClaimSpec, document: Document, sources: dict[str, Source], report: SeedReport
) -> None:
    hops = [
        HopInput(source=sources[h.source], relation=h.relation or Relation.ACCORDING_TO, quote=h.quote)
        for h in spec.chain
    ]
    statements = {s.source_id: s for s in claim.statements.all()}
    edges = {(e.statement_id, e.upstream_id): e for e in claim.attributions.all()}
    appearance = next((a for a in claim.appearances.all() if a.document_id == document.pk), None)

    ids = [statements[h.source.pk].pk if h.source.pk in statements else None for h in hops]
    pairs = list(itertools.pairwise(ids))
    complete = appearance is not None and None not in ids and all(pair in edges for pair in pairs)
    if not complete:
        _service_call(where, chain_record, claim=claim, hops=hops, document=document, quote=spec.quote)
        report.chains.created += 1
        return
    # Everything is there. chain_record never overwrites what an editor recorded,
    # so differences are reported, not applied.
    differ = [] if appearance.quote == spec.quote else ["quote"]
    for i, pair in enumerate(pairs):
        edge, hop = edges[pair], hops[i]
        # The seed's words must be among the hop's evidence (chains may have added more).
        if edge.relation != hop.relation or (hop.quote and hop.quote not in {e.quote for e in edge.evidence.all()}):
            differ.append(f"hop {hop.source.name} → {hops[i + 1].source.name}")
    if differ:
        report.chains.kept += 1
        report.notes.append(f"{where}: chain kept as recorded ({', '.join(differ)} differ from the seed)")
    else:
        report.chains.unchanged += 1


# --- demo users -------------------------------------------------------------------

# (username, role groups, staff: may log into the admin, superuser)
DEMO_USERS: tuple[tuple[str, tuple[str, ...], bool, bool], ...] = (
    ("editor", (EDITOR,), True, False),
    ("journalist", (JOURNALIST,), False, False),
    ("auditor", (AUDITOR,), True, False),
    ("admin", (), True, True),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    roles: tuple[str, ...]
    created: bool
    password: str | None  # given or generated by this run (None: unknown, left as it was)
    token: str


@transaction.atomic
def demo_users_ensure(*, password: str | None = None) -> list[DemoUser]:
    """The demo users with their groups, flags and API tokens; idempotent.

    A new user gets ``password`` or a generated one. An existing user keeps its
    password unless ``password`` is given and differs, so a second run writes
    nothing and a generated password is shown only once.
    """
    groups = {g.name: g for g in Group.objects.filter(name__in=[EDITOR, JOURNALIST, AUDITOR])}
    missing = {EDITOR, JOURNALIST, AUDITOR} - set(groups)
    if missing:
        raise SeedError(f"role groups {', '.join(sorted(missing))} are missing: run `manage.py migrate` first")
    User = get_user_model()
    result = []
    for username, roles, is_staff, is_superuser in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        created, new_password = user is None, None
        if user is None:
            new_password = password or secrets.token_urlsafe(12)
            user = User(username=username, is_staff=is_staff, is_superuser=is_superuser)
            user.set_password(new_password)
            user.save()
        else:
            changed = []
            if (user.is_staff, user.is_superuser, user.is_active) != (is_staff, is_superuser, True):
                user.is_staff, user.is_superuser, user.is_active = is_staff, is_superuser, True
                changed += ["is_staff", "is_superuser", "is_active"]
            if password:
                new_password = password
                if not user.check_password(password):
                    user.set_password(password)
                    changed.append("password")
            if changed:
                user.save(update_fields=changed)
        have = set(user.groups.values_list("name", flat=True))
        if set(roles) - have:
            user.groups.add(*(groups[r] for r in roles if r not in have))
        token, _ = Token.objects.get_or_create(user=user)
        result.append(DemoUser(username, roles, created, new_password, token.key))
    return result
