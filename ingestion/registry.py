"""Which known source a mention names: "Russia’s RIA news agency" is RIA Novosti,
"Azerbaijan’s defence ministry" the Ministry of Defence of Azerbaijan.

A mention resolves by, in turn: a name or alias with the same key
(``sources.models.name_key``: case, accents and punctuation aside); the same once
a leading article and a country's possessive are dropped ("the", "Russia’s"); the
source whose name and aliases share most of the mention's words (word stems, so
"Armenian" meets "Armenia"), when one does clearly. Anything else ("border guards",
"an official") is a source the registry does not know: None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from sources.models import Source, name_key

from .extraction import OURSELVES, Hop, Proposed

_DROP = re.compile(r"^(?:the|a|an)\s+|^[A-Z][\w-]*(?:’s|'s)\s+", re.I)
_STOP = {"the", "of", "a", "an", "and", "for", "news", "agency", "s"}


# Words that may stand before a name in a mention of that source ("Kremlin spokesman
# Dmitry Peskov"); other words make it a mention of something else ("a draft document
# seen by The Daily Ledger" is not the Ledger).
TITLES = {
    "spokesman", "spokeswoman", "spokesperson", "minister", "president", "prime", "foreign", "defence", "defense",
    "deputy", "chief", "head", "director", "general", "ambassador", "envoy", "governor", "mayor", "adviser",
    "advisor", "senior", "former", "acting", "secretary", "press", "official", "the", "of", "for", "ministry",
    "representative", "chairman", "chairwoman", "commander", "leader", "aide", "assistant", "officer", "member",
    "presidential", "parliamentary", "opposition", "regional", "military", "border", "police", "state",
    "admiral", "rear", "vice", "colonel", "major", "captain", "lieutenant", "relations", "public",
    "and", "akim", "natural", "resources", "energy", "economy", "development", "sustainable",
}  # fmt: skip

# Somebody unnamed within an organisation ("an official in Armenia’s economy ministry",
# "a source at the airport") is not the organisation: a source of its own, unknown.
_UNNAMED = re.compile(
    r"^(?:an?|one|two|three|several|some)\s+(?:[\w-]+\s+)?(?:officials?|sources?|diplomats?|officers?|employees?|"
    r"members?|persons?|people|residents?|witness(?:es)?|staffers?)\s+(?:in|at|from|close to|familiar with|within|"
    r"inside|of|with)\b|^(?:an?|one|two|three|several|some)\s+(?:[\w-]+\s+){0,2}(?:officials?|sources?|"
    r"diplomats?|officers?|employees?|executives?|staffers?)$",
    re.I,
)


def _titled(mention: str, name: str) -> bool:
    names = {word.casefold() for word in re.findall(r"\w+", name)}
    rest = [word for word in re.findall(r"[\w’']+", mention) if word.casefold() not in names]
    # A possessive names whose title it is ("the foreign ministry's spokeswoman").
    return all(word[0].isupper() or word.casefold().removesuffix("’s").removesuffix("'s") in TITLES for word in rest)


@dataclass(frozen=True)
class Known:
    key: object  # what the caller knows the source by (an id, a name)
    name: str
    aliases: tuple[str, ...] = ()


def _stems(text: str) -> frozenset[str]:
    # Seven letters: "Armenian" meets "Armenia", "minister" does not meet "ministry".
    return frozenset(word[:7] for word in re.findall(r"\w+", text.casefold()) if word not in _STOP)


@dataclass
class Registry:
    sources: list[Known]
    _by_key: dict[str, Known] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        for source in self.sources:
            for name in (source.name, *source.aliases):
                self._by_key.setdefault(name_key(name), source)

    def resolve(self, mention: str, recent: list[Known] = ()) -> Known | None:
        """The source ``mention`` names; ``recent``, the sources the text named before
        it (the latest first), for "the ministry" after "the Azerbaijani defence ministry"."""
        text = mention.strip()
        if _UNNAMED.match(text):
            return None
        described = re.fullmatch(r"(?:the|this)\s+([a-zA-Z][\w\s-]*)", text, re.I)
        # "the minister", "the Minister" (a title), not "the Times" (a name).
        capitals = re.findall(r"\b[A-Z]\w*", described.group(1)) if described else []
        if described and all(word.casefold() in TITLES for word in capitals):
            head = _stems(described.group(1).split()[-1])
            for source in recent:
                if head and any(head <= _stems(name) for name in (source.name, *source.aliases)):
                    return source
        while text:
            found = self._by_key.get(name_key(text))
            if found is not None:
                return found
            shorter = _DROP.sub("", text, count=1)
            if shorter == text:
                break
            text = shorter
        return self._by_words(mention)

    def _by_words(self, mention: str) -> Known | None:
        wanted = _stems(mention)
        if not wanted:
            return None
        # A name whose every word the mention holds ("Kremlin spokesman Dmitry Peskov"):
        # the one with the most words, if only one has that many.
        # The name that ends the mention first (its head: "Turkish Energy Minister
        # Alparslan Bayraktar" is Bayraktar, not the ministry), then the longest.
        last = _stems(re.findall(r"\w+", mention)[-1]) if re.search(r"\w", mention) else frozenset()
        within = sorted(
            (
                ((bool(last & _stems(name)), len(_stems(name))), source)
                for source in self.sources
                for name in (source.name, *source.aliases)
                if len(_stems(name)) >= 2 and _stems(name) <= wanted and _titled(mention, name)
            ),
            key=lambda pair: pair[0],
            reverse=True,
        )
        # A name after an organisation's ("the press secretary of the Ministry of Economy
        # Hasmik Vardanyan") is somebody of it: not the organisation.
        words = re.findall(r"[\w’']+", mention)
        if (
            within
            and words[-1][0].isupper()
            and not any(last & _stems(name) for name in (within[0][1].name, *within[0][1].aliases))
        ):
            return None
        if within and (len(within) == 1 or within[1][0] < within[0][0] or within[1][1] == within[0][1]):
            return within[0][1]
        scored = []
        for source in self.sources:
            best = max(
                (len(wanted & _stems(name)) / len(wanted | _stems(name)) for name in (source.name, *source.aliases)),
                default=0.0,
            )
            scored.append((best, source))
        scored.sort(key=lambda pair: -pair[0])
        if not scored or scored[0][0] < 0.6 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
            return None
        return scored[0][1]


class SourceRegistry:
    """The same resolution against the sources in the database, a mention at a time:
    the sources one of its keys names (the ``name_keys`` index), else the few whose
    names hold its words (``Source.objects.search``, trigram-indexed), judged as
    ``Registry`` judges them. A source is ``Known(source.pk, ...)``. Each mention's
    candidates, and each word's, are read once: an article names the same source
    again and again."""

    candidates = 20  # sources a mention's words may offer, at most

    def __init__(self) -> None:
        self._read: dict[str, list[Known]] = {}
        self._searched: dict[str, list[Known]] = {}

    def resolve(self, mention: str, recent: list[Known] = ()) -> Known | None:
        if mention not in self._read:
            self._read[mention] = self._candidates(mention)
        known = self._read[mention]
        recent = list(recent)
        return Registry(known + [source for source in recent if source not in known]).resolve(mention, recent)

    def _candidates(self, mention: str) -> list[Known]:
        forms, text = [], mention.strip()
        while text and text not in forms:
            forms.append(text)
            text = _DROP.sub("", text, count=1)
        keys = [key for key in dict.fromkeys(map(name_key, forms)) if key]
        named = [
            Known(source.pk, source.name, tuple(source.aliases))
            for source in Source.objects.only("id", "name", "aliases").filter(name_keys__overlap=keys)[
                : self.candidates
            ]
        ]
        # Its words as ``Registry`` compares them: no possessive, the first seven letters
        # ("Azerbaijan’s" is Azerbaijan, "Armenian" meets "Armenia").
        words = [
            word.removesuffix("’s").removesuffix("'s")[:7]
            for word in re.findall(r"[\w’']+", mention)
            if len(word) >= 3 and word.casefold() not in _STOP
        ]
        if not named and words:
            # Sources whose names hold all its words; else any of its capitalised words
            # (a title before a name: "Kremlin spokesman Dmitry Peskov").
            named = self._search(" ".join(words))
            for word in [word for word in words if word[0].isupper()] if not named else []:
                named = [*named, *self._search(word)]  # the cached lists stay as read
        return list(dict.fromkeys(named))

    def _search(self, words: str) -> list[Known]:
        """The sources whose names hold ``words``; none when more than ``candidates`` do:
        words that many names hold ("Service", "Border") tell no source apart, and
        sorting thousands of names to keep 20 took 400 ms at 200,000 sources."""
        if words not in self._searched:
            found = list(Source.objects.search(words).only("id", "name", "aliases").order_by()[: self.candidates + 1])
            self._searched[words] = (
                [Known(source.pk, source.name, tuple(source.aliases)) for source in found]
                if len(found) <= self.candidates
                else []
            )
        return self._searched[words]


# Words that make a name an organisation's, not a person's, for "he" and "it".
_ORGANISATION = {
    "ministry", "service", "agency", "news", "press", "committee", "mission", "government", "council", "department",
    "railway", "railways", "office", "union", "bank", "company", "group", "party", "army", "forces", "police",
    "court", "parliament", "assembly", "centre", "center", "institute", "monitor", "times", "post", "herald",
    "courier", "tv", "radio", "broadcasting", "wire", "novosti", "kremlin", "sources", "officials",
}  # fmt: skip


def _person(known: Known) -> bool:
    words = re.findall(r"[\w’'-]+", known.name)
    return (
        2 <= len(words) <= 4
        and all(w[0].isupper() for w in words)
        and not {w.casefold() for w in words} & _ORGANISATION
    )


def resolve_chain(
    proposed: Proposed, registry: Registry | SourceRegistry, recent: list[Known], publisher: Known | None
) -> list[tuple[Hop, Known | None]]:
    """Each hop of a proposal with the source it names (``publisher`` for the publisher's
    own; ``Known(None, words)`` for one the registry does not know), read in the
    article's order: ``recent`` holds the sources named so far, the latest first, each
    known also by the words that named or described it, so that a later "the governor",
    "the official" or "he" is the same source. A hop naming the source of the hop before
    it ("told the Courier" in the Courier's story) is that hop: it is left out, and how
    it got the claim kept."""
    for name, description in proposed.described:
        known = registry.resolve(name, recent) or Known(None, name)
        recent.insert(0, replace(known, aliases=(*known.aliases, description)))
    chain: list[tuple[Hop, Known | None]] = []
    for hop in proposed.hops:
        known = _resolve_hop(hop.mention, registry, recent, publisher)
        if hop.mention and known is None:
            known = Known(None, _person_named(hop.mention) or hop.mention)
        if hop.mention and known is not publisher:
            recorded = known
            recent.insert(0, replace(recorded, aliases=(*recorded.aliases, hop.mention)))
        if chain and known is not None and known.key is not None and (chain[-1][1] or Known(None, "")).key == known.key:
            before, _ = chain.pop()
            hop = replace(hop, mention=before.mention, quote=before.quote)
        chain.append((hop, known))
    return chain


def _person_named(mention: str) -> str:
    """The person a long mention ends with ("the press secretary of the ministry Hasmik
    Vardanyan": Hasmik Vardanyan), or ""."""
    words = mention.split()
    if len(words) < 4 or not {word.casefold() for word in words[:-2]} & _PERSON_TITLES:
        return ""
    name = Known(None, " ".join(words[-2:]))
    return name.name if _person(name) else ""


# Titles that only a person holds.
_PERSON_TITLES = {
    "secretary", "spokesman", "spokeswoman", "spokesperson", "minister", "president", "adviser", "advisor",
    "ambassador", "envoy", "governor", "mayor", "director", "head", "chief", "representative", "chairman",
    "chairwoman", "commander", "aide", "officer", "deputy", "admiral", "colonel", "captain", "lieutenant",
    "editor", "editor-in-chief", "founder", "lawyer", "attorney", "judge", "prosecutor", "mp", "senator",
    "candidate", "leader",
}  # fmt: skip


def _resolve_hop(mention: str, registry, recent: list[Known], publisher: Known | None) -> Known | None:
    if not mention or OURSELVES.fullmatch(mention.strip()):
        return publisher
    pronoun = mention.strip().casefold()
    if pronoun in ("he", "she", "it", "they", "him", "her", "them"):
        # The latest person named for he or she; the latest organisation for it and they.
        return next((known for known in recent if _person(known) == (pronoun in ("he", "she", "him", "her"))), None)
    known = registry.resolve(mention, recent)
    if known is None and re.fullmatch(r"[A-Z][\w’'-]+", mention.strip()):
        # A surname alone ("Yalçındağ said"): the person of that name named before.
        known = next((k for k in recent if _person(k) and k.name.split()[-1] == mention.strip()), None)
    return known
