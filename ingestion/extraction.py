"""From an article's text to proposed claims and their attribution chains: pure
functions over strings, no database (``ingestion.registry`` resolves the names).

An article says who said what on whose authority in a few recurring shapes, and
this module reads those (English):

- a tail: "<claim>, Reuters reported." / "<claim>, Reuters said, citing Russia's
  RIA news agency, which was informed about it by the defence ministry.";
- a head: "Reuters reported that <claim>." / "According to the ministry, <claim>.";
- reversed: "<claim>, the ministry told RIA, Reuters reported.";
- passive: "<claim>, as reported by Reuters." / "<claim>, it was reported by RIA.".

Each cue ("citing", "according to", "informed by", ...) links the source named
before it to the one named after it, from the reporting end towards the origin.
A sentence with no cue is a claim the article states itself. Only words of the
text go into mentions and quotes; the claim's text is the sentence without its
attribution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from .dates import When, event_date

# Relations, as claims.models.Relation names them.
REPORTED, CITING, QUOTING, INFORMED_BY, ACCORDING_TO, SAID_TO = (
    "reported",
    "citing",
    "quoting",
    "informed_by",
    "according_to",
    "said_to",
)

# Longest first: "said in a statement" is one cue, not "said" and a claim "in a statement ...".
SAYING = (
    r"(?:said in a statement|says in a statement|told reporters|told journalists|reported|reports|said|says|"
    r"stated|states|announced|announces|claimed|claims|added|adds|wrote|writes|confirmed|confirms|noted|notes|"
    r"alleged|alleges|insisted|insists)"
)
# Cues that lead from the source named before them to the one named after.
LINKS = [
    (
        re.compile(
            r",?\s*(?:which|who)\s+(?:was|were|had been)\s+informed(?:\s+about\s+[^,]*?)?\s+(?:by|from)\s+", re.I
        ),
        INFORMED_BY,
    ),
    (re.compile(r",?\s*(?:which|who)\s+(?:was|were|had been)\s+told(?:\s+about\s+[^,]*?)?\s+by\s+", re.I), SAID_TO),
    (re.compile(r",?\s*informed\s+(?:about\s+[^,]*?\s+)?(?:by|from)\s+", re.I), INFORMED_BY),
    (re.compile(r",?\s*(?:which|who)\s+(?:cited|quoted)\s+", re.I), CITING),
    (re.compile(r",?\s*(?:which|who)\s+(?:was\s+)?citing\s+", re.I), CITING),
    (re.compile(r",?\s*citing\s+", re.I), CITING),
    (re.compile(r",?\s*quoting\s+", re.I), QUOTING),
    (re.compile(r",?\s*according\s+to\s+", re.I), ACCORDING_TO),
]
_LINK_ANY = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in LINKS), re.I)

# Words that end a mention: a clause after the name.
_MENTION_END = re.compile(r"\s*(?:,|;|\bwhich\b|\bwho\b|\bthat\b|\bin a statement\b|\bon\s+[A-Z][a-z]+day\b).*$")
_LEADING = re.compile(r"^(?:and|but|also|as|while)\s+", re.I)

# Lines that are the page's furniture, not the article.
JUNK = re.compile(
    r"(?:this block is broken or missing|enable the original module|subscribe|sign up for|newsletter|"
    r"all rights reserved|cookie|click here|read more|share this|follow us|advertisement|©|stay with us|"
    r"that is all for|that's all for|"
    r"^\(?(?:reporting|writing|editing|additional reporting|translated from [\w ]+) by\b|^\(.*\)\.?$)",
    re.I,
)
# A wire story's dateline: "BAKU, July 13 (Caspian Wire) - ", "GENEVA - ".
_DATELINE = re.compile(r"^[A-Z][A-Z .'-]+(?:,[^-–—]{1,40})?\s[-–—]+\s+")


@dataclass(frozen=True)
class Hop:
    """A source on the way from the reporting end to the origin. ``mention`` is the
    text's words for it ("" for the publisher, whom the text does not name);
    ``relation`` is how it got the claim from the next hop (None at the origin);
    ``quote`` the words that say so."""

    mention: str
    relation: str | None
    quote: str


@dataclass(frozen=True)
class Proposed:
    sentence: str
    quote: str
    claim_text: str
    hops: tuple[Hop, ...]  # the publisher first
    cues: tuple[str, ...]
    # When the claimed event happened, as the claim's own words date it (not when
    # it was said: "officials said on Wednesday").
    event: When | None = None


def paragraphs(body: str) -> list[str]:
    """The body's paragraphs, the page's furniture left out."""
    blocks = [" ".join(block.split()) for block in re.split(r"\n\s*\n|\n", body)]
    return [block for block in blocks if block and not JUNK.search(block)]


_ABBREVIATIONS = re.compile(
    r"\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Mr|Mrs|Ms|Dr|Gen|Col|Lt|St|No|U\.S|U\.K)\.$"
)


def sentences(paragraph: str) -> list[str]:
    """A paragraph's sentences (not split after "Aug." or "U.S.")."""
    parts, start = [], 0
    for match in re.finditer(r"[.!?][\"”’)]?(?=\s+[\"“‘(]?[A-Z0-9])", paragraph):
        candidate = paragraph[start : match.end()]
        if _ABBREVIATIONS.search(candidate) or re.search(r"\b[A-Z]\.$", candidate):
            continue
        parts.append(candidate.strip())
        start = match.end()
    rest = paragraph[start:].strip()
    if rest:
        parts.append(rest)
    return parts


def _clean_mention(text: str) -> str:
    text = _LEADING.sub("", text.strip(' ,;:."“”'))
    text = _MENTION_END.sub("", text).strip(' ,;:."“”')
    return re.sub(rf"(?:\s+(?:has|have|had))?\s+{SAYING}$", "", text)


def _through(raw: str, mention: str) -> str:
    """``raw`` up to the end of ``mention`` in it (verbatim)."""
    at = raw.find(mention)
    return raw[: at + len(mention)] if at >= 0 else raw


def _chain(attribution: str) -> tuple[list[tuple[str, str | None, str]], list[str]]:
    """The sources an attribution clause names, in order, each with the relation
    that leads to the next and the words that say so; and the cues found."""
    pieces, cues, position = [], [], 0
    for match in _LINK_ANY.finditer(attribution):
        pieces.append((attribution[position : match.start()], match.group(0)))
        position = match.end()
    pieces.append((attribution[position:], None))
    chain = []
    for index, (text, cue) in enumerate(pieces):
        mention = _clean_mention(text)
        if not mention:
            continue
        relation = None
        if cue is not None:
            relation = next(rel for pattern, rel in LINKS if pattern.fullmatch(cue) or pattern.match(cue))
            cues.append(cue.strip(" ,"))
        # The words that evidence this hop, verbatim: its mention, its cue, the next mention.
        following = pieces[index + 1][0] if index + 1 < len(pieces) else ""
        quote = (text + (cue or "") + (_through(following, _clean_mention(following)) if cue else "")).strip(" ,.")
        chain.append((mention, relation, quote))
    return chain, cues


# When it was said, after the verb: "said on Thursday", "said late on Monday".
WHEN = (
    r"(?:\s+(?:on|late on|early on|last|this|earlier on)\s+[A-Z]?\w+(?:\s+(?:morning|evening|night|afternoon))?"
    r"|\s+(?:today|yesterday|overnight|earlier))?"
)
RELAYING = r",\s*(?:citing|quoting)\s+[^,]+,"

_TAIL = re.compile(
    rf",\s*(?P<who>[^,]+?)\s+(?:(?:has|have|had)\s+)?(?P<verb>{SAYING}){WHEN}(?P<rest>(?:,.*?)?)[.!?\"”]*$"
)
_TAIL_TOLD = re.compile(rf",\s*(?P<who>[^,]+?)\s+(?P<verb>told)\s+(?P<whom>[^,]+?){WHEN}[.!?\"”]*$")
_TAIL_AS = re.compile(r",\s*(?:as\s+|it\s+was\s+)(?:reported|cited|stated)\s+by\s+(?P<who>.+?)[.!?\"”]*$", re.I)
_TAIL_ACCORDING = re.compile(r",\s*(?P<link>according\s+to\s+)(?P<who>.+?)[.!?\"”]*$", re.I)
_HEAD = re.compile(
    rf"^(?P<who>[A-Z][^,]*?(?:{RELAYING})?)\s+(?:(?:has|have|had)\s+)?(?P<verb>{SAYING}){WHEN}"
    rf"(?P<link>{RELAYING})?\s+(?:that\s+)?(?P<claim>.+)$"
)
_HEAD_TOLD = re.compile(
    r"^(?P<who>[A-Z][^,]*?)\s+told\s+(?!reporters\b|journalists\b)(?P<whom>[^,]+?)\s+that\s+(?P<claim>.+)$"
)
_HEAD_QUOTED = re.compile(
    r"^(?P<who>[A-Z][^,]*?)\s+quoted\s+(?P<whom>[^,]+?)\s+as\s+saying\s+(?:that\s+)?(?P<claim>.+)$"
)
_PASSIVE = re.compile(r"\b(?:was|were|is|are|been|be|being)\b", re.I)
_HEAD_ACCORDING = re.compile(r"^(?P<link>According\s+to\s+)(?P<who>[^,]+(?:,\s*(?:which|who)[^,]+)*),\s*(?P<claim>.+)$")

Chain = list[tuple[str, str | None, str]]


def attribute(sentence: str) -> tuple[str, Chain, list[str]] | None:
    """The claim part of a sentence and the chain its attribution names (the
    publisher's hop first), or None when the sentence attributes nothing."""
    body = sentence.rstrip()
    found = _tail(body)
    if found is not None:
        claim, chain, cues = found
        # Attributions within attributions: "<claim>, the ministry said, as reported by
        # Anadolu"; "<claim>, a diplomat told RIA, Reuters reported"; "<the ministry
        # denied any build-up>, the Times said". The inner source is further up.
        inner = _tail(claim) or _said_within(claim)
        if inner is not None:
            claim, upstream, more = inner
            # Told something ("a diplomat told RIA"): the reporter relays RIA's report.
            relation = CITING if len(upstream) > 1 and upstream[1][1] == SAID_TO else upstream[0][1]
            chain = _join(chain, upstream[1:], relation)
            cues += more
        return claim, chain, cues
    return _head(body)


def _tail(body: str) -> tuple[str, Chain, list[str]] | None:
    for pattern, relation in ((_TAIL_AS, REPORTED), (_TAIL_ACCORDING, ACCORDING_TO)):
        match = pattern.search(body)
        if match:
            chain, cues = _chain(match.group("who"))
            if chain:
                cue = body[match.start() : match.start("who")].strip(" ,")
                return (
                    body[: match.start()],
                    _publisher(chain, relation, body[match.start() :].strip(" ,.")),
                    [cue, *cues],
                )
    match = _TAIL_TOLD.search(body)
    if match and len(match.group("who").split()) <= 8 and len(match.group("whom").split()) <= 8:
        # "<claim>, the governor told the Associated Press": the reporter is who was told.
        whom, who = _clean_mention(match.group("whom")), _clean_mention(match.group("who"))
        told = body[match.start("who") : match.end("whom")]
        if whom and who:
            return (
                body[: match.start()],
                _publisher([(whom, SAID_TO, told), (who, None, told)], REPORTED, told),
                ["told"],
            )
    match = _TAIL.search(body)
    if match and len(match.group("who").split()) <= 8:
        chain, cues = _chain(body[match.start("who") : match.end("verb")] + match.group("rest"))
        if chain:
            said = body[match.start("who") : match.end("verb")]
            return body[: match.start()], _publisher(chain, REPORTED, said), [match.group("verb"), *cues]
    return None


def _head(body: str) -> tuple[str, Chain, list[str]] | None:
    match = _HEAD_ACCORDING.match(body)
    if match:
        chain, cues = _chain(match.group("who"))
        if chain:
            cue = body[: match.end("who")]
            return match.group("claim"), _publisher(chain, ACCORDING_TO, cue), ["According to", *cues]
    match = _HEAD_TOLD.match(body)
    if match and len(match.group("who").split()) <= 8 and len(match.group("whom").split()) <= 8:
        # "The minister told Bloomberg that <claim>": the reporter is who was told.
        who, whom = _clean_mention(match.group("who")), _clean_mention(match.group("whom"))
        told = body[: match.end("whom")]
        if who and whom:
            return (
                match.group("claim"),
                _publisher([(whom, SAID_TO, told), (who, None, told)], REPORTED, told),
                ["told"],
            )
    match = _HEAD_QUOTED.match(body)
    if match and len(match.group("who").split()) <= 8 and len(match.group("whom").split()) <= 8:
        who, whom = _clean_mention(match.group("who")), _clean_mention(match.group("whom"))
        quoted = body[: match.start("claim")].strip()
        if who and whom:
            return (
                match.group("claim"),
                _publisher([(who, QUOTING, quoted), (whom, None, quoted)], REPORTED, quoted),
                ["quoted"],
            )
    match = _HEAD.match(body)
    # Not a passive ("The date was first reported by RIA"): its subject is not a source.
    if match and len(match.group("who").split()) <= 12 and not _PASSIVE.search(match.group("who")):
        said = body[: match.end("verb")]
        # Verbatim: "Haqqin reported, citing Daily Sabah," when the cue follows the verb.
        chain, cues = _chain(body[: match.end("link")] if match.group("link") else match.group("who"))
        if chain:
            return match.group("claim"), _publisher(chain, REPORTED, said), [match.group("verb"), *cues]
    return None


def _join(chain: Chain, upstream: Chain, relation: str | None) -> Chain:
    """``chain`` (ending at its last source) continued by ``upstream``."""
    *head, (mention, _, quote) = chain
    return [*head, (mention, relation, quote), *upstream]


_WITHIN = re.compile(
    rf"^(?P<who>[A-Z][^,]*?)\s+(?:(?:has|have|had)\s+)?(?P<verb>{SAYING}|denied|denies|rejected|rejects)"
    r"\s+(?:that\s+)?(?P<rest>.+)$"
)


def _said_within(claim: str) -> tuple[str, Chain, list[str]] | None:
    """A claim that is itself somebody's statement ("the ministry denied any
    build-up"): what they said (a denial stays whole), and who said it."""
    match = _WITHIN.match(claim)
    if not match or len(match.group("who").split()) > 8 or _PASSIVE.search(match.group("who")):
        return None
    who = _clean_mention(match.group("who"))
    if not who:
        return None
    said = claim[: match.end("verb")]
    denial = match.group("verb").startswith(("den", "rej"))
    return (claim if denial else match.group("rest")), [("", REPORTED, said), (who, None, said)], [match.group("verb")]


def _publisher(chain, relation, quote):
    """The chain with the publisher's hop in front: it got the claim from the first
    source named, as ``quote`` says ("Reuters reported", "according to the ministry")."""
    return [("", relation, quote), *chain]


def propose(body: str, published: date | None = None) -> list[Proposed]:
    """Every sentence of the body as a proposed claim with its chain, and its event's
    date resolved against ``published`` (the article's day, if known)."""
    proposals = []
    for paragraph in paragraphs(body):
        for sentence in sentences(paragraph):
            found = attribute(sentence)
            if found is None:
                claim, chain, cues = sentence, [("", None, sentence)], []
            else:
                claim, chain, cues = found
            claim_text = _claim_text(claim)
            if not claim_text:
                continue
            hops = tuple(Hop(mention, relation, quote) for mention, relation, quote in chain)
            # The last source named is the origin: it cites nobody.
            hops = (*hops[:-1], Hop(hops[-1].mention, None, hops[-1].quote))
            quote = claim.strip(" ,")
            proposals.append(Proposed(sentence, quote, claim_text, hops, tuple(cues), event_date(quote, published)))
    return _follow_across_sentences(proposals)


def _claim_text(claim: str) -> str:
    text = _DATELINE.sub("", claim.strip(' ,;:"“”'))
    text = re.sub(r"^(?:that|But|And)\s+", "", text)
    if not text or len(text.split()) < 3:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _follow_across_sentences(proposals: list[Proposed]) -> list[Proposed]:
    """A source the article names as an origin ("Reuters reported") whose reports
    it attributes elsewhere to one chain alone ("Reuters said, citing RIA, which was
    informed by the ministry") is given that chain: it is the same report."""
    beyond: dict[str, set[tuple[Hop, ...]]] = {}
    for proposal in proposals:
        for index, hop in enumerate(proposal.hops[1:-1], start=1):
            # A source relaying another's reporting ("Reuters, citing RIA"), not one
            # told something for this claim alone ("a diplomat told RIA").
            if hop.relation in (CITING, QUOTING):
                beyond.setdefault(hop.mention.casefold(), set()).add(proposal.hops[index:])
    result = []
    for proposal in proposals:
        last = proposal.hops[-1]
        continuations = beyond.get(last.mention.casefold(), set()) if len(proposal.hops) > 1 else set()
        if len(continuations) == 1:
            (continuation,) = continuations
            proposal = replace(proposal, hops=(*proposal.hops[:-1], *continuation))
        result.append(proposal)
    return result
