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
    r"alleged|alleges|insisted|insists|suggested|suggests|argued|argues|warned|warns|stressed|stresses|"
    r"explained|explains|acknowledged|acknowledges|admitted|admits|estimated|estimates|reiterated|reiterates|"
    r"tweeted|tweets|ruled|rules|testified|testifies|concluded|concludes)"
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
    (re.compile(r",?\s*(?:which|who)\s+(?:in\s+turn\s+)?(?:cited|quoted|cites|quotes)\s+", re.I), CITING),
    (re.compile(r",?\s*(?:which|who)\s+(?:was\s+)?citing\s+", re.I), CITING),
    (re.compile(r",?\s*citing\s+", re.I), CITING),
    (re.compile(r",?\s*(?:with\s+reference\s+to|referring\s+to)\s+", re.I), CITING),
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
    r"that is all for|that's all for|this article was updated|when using the materials|is obligatory\.?$|"
    r"^(?:photos?|pictures?|images?|video|credits?|share|related|update|updated|editor'?s note|read also|see also|"
    r"also read)\s*:|^(?:watch|listen to)\b|\b(?:send|write|email|tell) (?:it |them )?(?:to )?us\b|^write to\b|"
    r"^(?:have|got|seen) a (?:[\w ]{0,20})?(?:story|tip|claim)\b|contributed to this report|\bcopyright\b|"
    r"may not be (?:published|reproduced)|reproduction of (?:the )?materials|refresh this page|^all times are\b|"
    r"^for immediate release$|^#{3,}$|^(?:media |press )?contacts?\s*:|^topics?\s*:|^tags?\s*:|^comments\s*\(\d+\)$|"
    r"^sign up (?:to|for)\b|(?-i:^By [A-Z][\w’'-]+ [A-Z][\w’'-]+(?: and [A-Z][\w’'-]+ [A-Z][\w’'-]+)?\.?$)|"
    r"^-*\s*with assistance from\b|^to contact the (?:reporter|editor)s?\b|^forwarded by\b|unsubscribe|"
    r"^correction\s*:|^clarification\s*:|(?-i:^[A-Z][A-Z ’'&-]{2,40}\.?$)|edited for length and clarity|"
    r"^the article was translated from\b|^follow (?:the|our|us)\b|comments are closed|in your inbox|^sign up\b|"
    r"^see (?:the )?(?:full|all|more|our)\b|"
    r"^(?:photographs?|photos?|pictures?|video|illustrations?) by\b|^this (?:article|story) is (?:part|one) of\b|"
    r"^\(?(?:reporting|writing|editing|additional reporting|translated from [\w ]+) by\b|^\(.*\)\.?$)",
    re.I,
)
# A wire story's dateline: "BAKU, July 13 (Caspian Wire) - ", "GENEVA - ".
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z .'-]+(?:,[^-–—]{1,40})?|[A-Z][\w .'-]*,[^-–—()]{1,30}\([^)]{1,40}\)|"
    r"[A-Z][\w .'-]*,\s+\d{1,2}\s+[A-Z][a-z]+(?:\s+\d{4})?|[A-Z][A-Z .'-]+\s*\([^)]{1,40}\))\s[-–—]+\s+"
)


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
    # Names the sentence describes ("Levon Arakelyan, the governor of Tavush,"): a later
    # "the governor" is the same source.
    described: tuple[tuple[str, str], ...] = ()


# "Levon Arakelyan, the governor of Tavush," / "Deputy Minister Arsen Melkonyan".
_DESCRIBED = re.compile(
    r"(?P<name>[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)+),\s+(?P<description>(?:(?:the|a|an)\s+|who\s+)[a-z][^,]{2,200}?),"
)
# "Gheorghe Bivol, 74," (a name and an age): a later "he" is that person.
_AGED = re.compile(r"(?P<name>[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)+),\s+\d{1,3},")
# A sentence whose subject denies or rejects something: "it" in the next is that subject.
_DENYING = re.compile(r"^(?P<name>[A-Z][^,]{2,60}?)\s+(?:denies|denied|rejects|rejected|dismisses|dismissed)\b")


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


# Words around a source's name that are not its name: how it spoke ("on condition of
# anonymity", "in an interview"), what it issued ("a statement from"), which report of
# it ("an earlier Hraparak story").
_CIRCUMSTANCE = re.compile(
    r"\s+(?:on condition of anonymity|in an interview(?: with [^,]+)?|by (?:tele)?phone|in a written reply\b.*)$", re.I
)
_ISSUED = re.compile(
    r"^(?:(?:a|an|the)\s+)?(?:(?:preliminary|official|final|initial)\s+)?(?:statement|press release|post|report|"
    r"results|figures|data|statistics|numbers|documents?|"
    r"press service|press office)\s+(?:(?:released|published|issued|compiled|posted)\s+)?(?:from|by|of)\s+",
    re.I,
)
_REPORT_OF = re.compile(
    r"^(?:an?|the)\s+(?:earlier|previous|original|later|first)\s+(?P<name>.+?)\s+(?:story|report|article|post|piece)$",
    re.I,
)


def _clean_mention(text: str) -> str:
    text = _LEADING.sub("", text.strip(' ,;:."“”()–—-'))
    text = _MENTION_END.sub("", text).strip(' ,;:."“”()–—-')
    text = _ISSUED.sub("", _CIRCUMSTANCE.sub("", text))
    # "a statement posted on the ministry's website": the ministry; "the state-run Anadolu Agency".
    text = re.sub(
        r"^(?:a|an|the)\s+(?:statement|post|notice)\s+(?:posted|published)\s+on\s+(.+?)['’]s\s+(?:website|site|page)$",
        r"\1",
        text,
    )
    text = re.sub(r"^(?:the\s+)?(?:state-run|state-owned|official)\s+(?=[A-Z])", "", text)
    text = re.sub(r"^(.+?)['’]s\s+(?:office|press office|press service|administration)$", r"\1", text)
    # "Both Baku and Yerevan": two origins; the first is taken (a chain has one).
    both = re.match(r"^Both\s+(.+?)\s+and\s+", text)
    if both:
        text = both.group(1)
    report = _REPORT_OF.match(text)
    if report:
        text = report.group("name")
    return re.sub(rf"(?:\s+(?:has|have|had))?\s+(?:{SAYING}|informed)$", "", text)


def _named(who: str) -> str:
    """Who a subject names: "Its mayor, Gohar Sargsyan," is Gohar Sargsyan; "South
    Caucasus Railway, the Russian-owned operator," is the railway."""
    parts = [part.strip() for part in who.split(",") if part.strip()]
    if len(parts) >= 2 and re.match(r"(?:its|his|her|their|the|a|an|our)\b", parts[0], re.I) and parts[1][:1].isupper():
        return _clean_mention(parts[1])
    return _clean_mention(who)


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
    r"|\s+(?:today|yesterday|overnight|earlier|later|the next day|the day before|a day later)"
    r"|\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))?"
)
# Where or how it was said, after the verb: "during a visit to the site", "in a written
# reply to questions from the Courier", "on Telegram".
WHERE = r"(?:during|at|in|after|before|while|on|to|via|outside|near|inside|following|from)"
CIRCUMSTANCE = rf"(?:\s+{WHERE}\s+[^,]{{1,80}}?)?"
# The article's own words for itself (its publisher): "our agency", "our correspondent", "me".
OURSELVES = re.compile(
    r"(?:we|us|me|I|researchers|(?:our|this)\s+(?:agency|newspaper|correspondent|reporters?|website|channel|outlet|"
    r"team|newsroom|editors?|researchers))",
    re.I,
)
RELAYING = r",\s*(?:citing|quoting)\s+[^,]+,|,\s*(?:which|who)\s+(?:in\s+turn\s+)?(?:cited|quoted)\s+[^,]+,"
# A description or a name set off by commas after the subject: "South Caucasus Railway,
# the Russian-owned operator of Armenia's network,"; "Its mayor, Gohar Sargsyan,".
APPOSITIVE = (
    r",\s*(?:(?:the|a|an|its|his|her|their)\s[^,]{1,160}|[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,3}|"
    r"(?:which|who|whose)\s(?!(?:in\s+turn\s+)?(?:cited|quoted|cites|quotes)\b)[^,]{1,160}|"
    r"(?:in|during|at)\s[^,]{1,80}),"
)
# Labels before a colon that are not who speaks ("Photo:", "Update:", "My take:").
_NOT_SPEAKERS = {
    "photo", "photos", "update", "note", "correction", "related", "share", "topics", "tags", "source", "sources",
    "watch", "listen", "read more", "read also", "see also", "editor's note", "my take", "our verdict", "verdict",
    "the bottom line", "bottom line", "background", "context", "why it matters", "what's next", "media contact",
}  # fmt: skip
# Words a subject does not end with when the verb is a noun ("The two reports only ...").
_NOT_A_SOURCE_END = {
    "two", "three", "four", "both", "these", "those", "such", "the", "its", "their", "his", "her", "our", "some",
    "many", "several", "other", "earlier", "previous", "later", "new", "media", "news", "press", "first", "latest",
}  # fmt: skip

_TAIL = re.compile(
    rf",\s*(?P<who>[^,]+?)\s+(?:(?:has|have|had)\s+)?(?P<verb>{SAYING}|informed){WHEN}{CIRCUMSTANCE}"
    r"(?P<rest>(?:,.*?|\s+(?:with\s+reference\s+to|referring\s+to|citing|quoting)\s.*?)?)[.!?\"”]*$"
)
_TAIL_TOLD = re.compile(
    rf",\s*(?:as\s+)?(?P<who>[^,]+?(?:,\s*[^,]+?,)?)\s+(?P<verb>told)\s+(?P<whom>(?:me|us)(?=\s+(?:as|while|when|after|in|at|on|by)\b)|[^,]+?)"
    rf"(?:{WHEN}[.!?\"”]*$|(?<=me)\s.*$|(?<=us)\s.*$)"
)
_TAIL_AS = re.compile(r",\s*(?:as\s+|it\s+was\s+)(?:reported|cited|stated)\s+by\s+(?P<who>.+?)[.!?\"”]*$", re.I)
_TAIL_ACCORDING = re.compile(r",\s*(?P<link>according\s+to\s+|per\s+)(?P<who>.+?)[.!?\"”]*$", re.I)
# "<claim>,” said Armen Petrosyan, the head of the rescue service." (the verb first)
_TAIL_INVERTED = re.compile(
    r",[”\"]?\s*(?P<verb>said|says|added|adds|wrote|writes|announced|stated|confirmed|reported)\s+(?!to\b)"
    r"(?P<who>(?:[A-Z]|the\s|a\s|an\s)[^,]*?(?:,.*?)?)[.!?\"”]*$"
)
# "<claim>, our agency was informed by diplomatic sources." (the publisher was told)
_TAIL_INFORMED = re.compile(
    rf",\s*{OURSELVES.pattern}\s+"
    r"(?:was|were|has been|have been|had been)\s+(?P<verb>informed|told)\s+(?:about\s+[^,]*?\s+)?(?:by|from)\s+"
    r"(?P<who>.+?)[.!?\"”]*$",
    re.I,
)
# "<claim>, the spokeswoman Ani Badalyan was cited by the Armenpress agency as saying."
_TAIL_CITED_AS = re.compile(
    r",\s*(?P<who>[^,]+?)\s+(?:was|were|is|are)\s+(?P<verb>cited|quoted)\s+(?:by\s+(?P<relay>[^,]+?)\s+as\s+saying|"
    r"as\s+saying\s+by\s+(?P<relay_after>[^,]+?)(?:,[^,]*)?)[.!?\"”]*$"
)
# "“<claim>,” the governor said, “<more>”": a quote split around who said it.
_SPLIT_QUOTE = re.compile(
    r"^[“\"](?P<first>[^”\"]+?),[”\"]\s+(?P<who>[^,“”\"]+?)\s+(?P<verb>said|says|added|adds),\s+"
    r"[“\"](?P<rest>.+?)[”\"]?$"
)
# "(via TASS)" at the end: the publisher had it from TASS.
_VIA = re.compile(r"\s*(?:\(via\s+(?P<via>[^)]+)\)|\[(?P<credit>[A-Z][^\]]{1,60})\])(?P<end>[.!?\"”]*)$", re.I)
_HEAD = re.compile(
    rf"^(?P<who>[A-Z][^,]*?(?:{RELAYING}|{APPOSITIVE})?)\s+(?:(?:has|have|had)\s+)?(?P<verb>{SAYING}){WHEN}"
    r"(?:\s+in\s+(?:comments|remarks|an interview|a statement|an emailed statement|a written statement)\s+to\s+"
    r"(?P<whom>[A-Z][^,]*?)\s+that\s+|\s+to\s+(?P<whom_to>[A-Z][^,]*?)\s+that\s+|"
    rf"(?:\s+{WHERE}\s+[^,]{{1,80}}?)\s+that\s+|"
    rf"(?P<link>{RELAYING})?\s+(?:that\s+)?)(?P<claim>.+)$"
)
_HEAD_TOLD = re.compile(
    rf"^(?P<who>[A-Z][^,]*?(?:{APPOSITIVE})?)\s+(?:(?:has|have|had)\s+)?told\s+(?!reporters\b|journalists\b)"
    rf"(?P<whom>me|us|[^,]+?(?:{APPOSITIVE})?)\s+(?:that\s+|(?<=me )|(?<=us ))(?P<claim>.+)$"
)
# "Kartli Post learned from the State Electrosystem that <claim>."
_HEAD_LEARNED = re.compile(
    r"^(?P<who>[A-Z][^,]*?)\s+(?:has\s+)?(?:learned|learnt|was told|has been told)\s+(?:by|from)\s+(?P<whom>[^,]+?)\s+"
    r"that\s+(?P<claim>.+)$"
)
# "X: <claim>", a headline's or a bullet's attribution ("Shahbazov: Azerbaijan to raise ...").
_HEADLINED = re.compile(r"^(?:[•*–-]\s*)?(?P<who>[A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+){0,3}):\s+(?P<claim>[A-Z].+)$")
# "It was stated by the ministry's spokeswoman Maria Zakharova that <claim>."
_HEAD_IT_WAS = re.compile(
    r"^It\s+(?:was|has been|had been)\s+(?P<verb>stated|reported|announced|said|noted|claimed|confirmed)\s+by\s+"
    r"(?P<who>.+?)\s+that\s+(?P<claim>.+)$"
)
_HEAD_QUOTED = re.compile(
    r"^(?P<who>[A-Z][^,]*?)\s+quoted\s+(?P<whom>[^,]+?)\s+as\s+saying\s+(?:that\s+)?(?P<claim>.+)$"
)
_PASSIVE = re.compile(r"\b(?:was|were|is|are|been|be|being)\b", re.I)
_HEAD_ACCORDING = re.compile(
    r"^(?P<link>According\s+to\s+|Per\s+)(?P<who>[^,]+(?:,\s*(?:which|who)[^,]+)*),\s*(?P<claim>.+)$"
)

Chain = list[tuple[str, str | None, str]]


def attribute(sentence: str) -> tuple[str, Chain, list[str]] | None:
    """The claim part of a sentence and the chain its attribution names (the
    publisher's hop first), or None when the sentence attributes nothing."""
    body = _LEAD_IN.sub("", _PREFIX.sub("", _DATELINE.sub("", sentence.rstrip())))
    if body[:1].islower():
        # "In a statement, it says ...": read as a sentence; the text's own words kept.
        found = attribute(body[0].upper() + body[1:])
        return None if found is None else _as_written(found, body)
    # "..., his brother told the Herald, but the ministry said ...": the first clause's.
    first, but, _ = body.partition(", but ")
    if but:
        found = _tail(first.rstrip(".") + ".")
        if found is not None:
            return found
    via = _VIA.search(body)
    if via is not None:
        found = attribute(body[: via.start()] + via.group("end"))
        # The publisher had it from the agency, which had it from whoever the rest names.
        had = via.group(0).strip(" ()")
        claim, chain, cues = found if found is not None else (body[: via.start()], [("", None, "")], [])
        return (
            claim,
            [
                ("", CITING, had),
                (_clean_mention(via.group("via") or via.group("credit")), chain[0][1], had),
                *chain[1:],
            ],
            [
                "via",
                *cues,
            ],
        )
    split = _SPLIT_QUOTE.match(body)
    if split:
        said = body[split.end("first") : split.end("verb")].strip(' ,”"')
        claim = f"{split.group('first')}, {split.group('rest')}"
        return claim, _publisher([(_named(split.group("who")), None, said)], REPORTED, said), [split.group("verb")]
    found = _tail(body)
    if found is not None:
        # Attributions within attributions: "<claim>, the ministry said, as reported by
        # Anadolu"; "<claim>, a diplomat told RIA, Reuters reported"; "<the ministry
        # denied any build-up>, the Times said". The inner source is further up.
        claim, chain, cues = found
        return _within(claim, chain, cues, _tail(claim) or _said_within(claim))
    found = _head(body)
    if found is not None:
        # "Munteanu says <the ministry has told him that ...>": the ministry is further up.
        claim, chain, cues = found
        return _within(claim, chain, cues, _told_within(claim))
    return None


def _within(claim: str, chain: Chain, cues: list[str], inner) -> tuple[str, Chain, list[str]]:
    """The chain continued by an attribution found within its claim, if any."""
    if inner is None:
        return claim, chain, cues
    claim, upstream, more = inner
    # Told something ("a diplomat told RIA"): the reporter relays RIA's report.
    relation = CITING if len(upstream) > 1 and upstream[1][1] == SAID_TO else upstream[0][1]
    return claim, _join(chain, upstream[1:], relation), [*cues, *more]


# Before a sentence: a live blog's time, a flag; "In a post on X," / "In a statement,".
_PREFIX = re.compile(r"^(?:\d{1,2}[:.]\d{2}\s*[-–—]+\s*)?(?:(?:BREAKING|UPDATE|LATEST|JUST IN|URGENT)\s*:\s*)?")
_LEAD_IN = re.compile(
    r"^In\s+(?:a|an|its|his|her|their)\s+(?:[\w-]+\s+){0,2}(?:post|statement|tweet|interview|message|letter|video|"
    r"report|briefing)\b[^,]{0,60},\s*|^(?:Noting|Adding|Stressing|Recalling)\s+that\s+[^,]+,\s*|"
    r"^In\s+[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)?,\s*(?=(?:the\s+)?[A-Z]?[\w’'-]+)",
    re.I,
)


def _as_written(found: tuple[str, Chain, list[str]], body: str) -> tuple[str, Chain, list[str]]:
    """A sentence read with its first letter raised, given back in the text's words."""
    claim, chain, cues = found
    lowered = [
        (
            mention if mention in body else mention[:1].lower() + mention[1:],
            relation,
            quote if quote in body else quote[:1].lower() + quote[1:],
        )
        for mention, relation, quote in chain
    ]
    return claim, lowered, cues


def _tail(body: str) -> tuple[str, Chain, list[str]] | None:
    match = _TAIL_INFORMED.search(body)
    if match:
        chain, cues = _chain(match.group("who"))
        if chain:
            informed = body[match.start() : match.start("who")].strip(" ,")
            relation = INFORMED_BY if match.group("verb") == "informed" else SAID_TO
            return body[: match.start()], [("", relation, body[match.start() :].strip(" ,.")), *chain], [informed]
    match = _TAIL_CITED_AS.search(body)
    if match:
        who = _clean_mention(match.group("who"))
        relay = _clean_mention(match.group("relay") or match.group("relay_after"))
        cited = body[match.start("who") :].strip(" .")
        if who and relay:
            relation = QUOTING if match.group("verb") == "quoted" else CITING
            return (
                body[: match.start()],
                [("", REPORTED, cited), (relay, relation, cited), (who, None, cited)],
                [
                    f"was {match.group('verb')} by",
                    "as saying",
                ],
            )
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
    # Not "<subject>, says <the ministry has told him that ...>": a that-clause is what was told.
    if match and re.search(r"\bthat\b", match.group("whom")):
        match = None
    if match and len(match.group("who").split()) <= 14 and len(match.group("whom").split()) <= 8:
        # "<claim>, the governor told the Associated Press": the reporter is who was told.
        whom, who = _clean_mention(match.group("whom")), _named(match.group("who"))
        told = body[match.start("who") : match.end("whom")]
        if whom and who:
            return body[: match.start()], _told(who, whom, told), ["told"]
    match = _TAIL.search(body)
    if match and len(match.group("who").split()) <= 8:
        chain, cues = _chain(body[match.start("who") : match.end("verb")] + match.group("rest"))
        relay = _RELAYED_IN.search(body[match.end("verb") : match.start("rest")])
        if chain and relay:  # "said in remarks broadcast by Imedi TV": Imedi TV relays it
            said = body[match.start("who") : match.start("rest")].strip()
            told = _told(chain[0][0], _clean_mention(relay.group("relay")), said)
            return (
                body[: match.start()],
                [*told[:-1], (chain[0][0], chain[0][1], said), *chain[1:]],
                [
                    match.group("verb"),
                    *cues,
                ],
            )
        if chain:
            said = body[match.start("who") : match.end("verb")]
            return body[: match.start()], _publisher(chain, REPORTED, said), [match.group("verb"), *cues]
    match = _TAIL_INVERTED.search(body)
    # Not a head that relays ("RIA Novosti, quoting a diplomat, said <claim>").
    relaying_head = re.fullmatch(rf"[A-Z][^,]*?(?:{RELAYING})", body[: match.start()] + ",") if match else None
    clause = match and re.search(
        r"\b(?:had|has|have|was|were|is|are|will|would|could|should|did|does|do)\b", match.group("who").split(",")[0]
    )
    if match and len(match.group("who").split()) <= 14 and not relaying_head and not clause:
        who = _clean_mention(match.group("who"))
        said = body[match.start("verb") :].strip(" .")
        if who:
            return body[: match.start()], _publisher([(who, None, said)], REPORTED, said), [match.group("verb")]
    return None


# Where it was said, naming who carried it: "in remarks broadcast by Imedi TV", "in an
# interview with Bloomberg".
_RELAYED_IN = re.compile(
    r"\bin\s+(?:(?:remarks|comments|an interview|a statement)\s+(?:broadcast|published|aired|carried)\s+(?:by|on)|"
    r"an interview with|remarks to|comments to)\s+(?P<relay>[A-Z][^,]*?)"
    r"(?:\s+(?:on|late on|early on)\s+[A-Z]\w+day\b.*)?$"
)


def _told(who: str, whom: str, told: str) -> Chain:
    """``who`` told ``whom``: the publisher relays whom's report, or was told itself ("me", "us")."""
    if OURSELVES.fullmatch(whom):
        return [("", SAID_TO, told), (who, None, told)]
    if whom[:1].islower() and not re.match(r"(?:the|a|an)\s+[A-Z]|(?:him|her|them)$", whom):
        # An audience ("shippers", "the ministry's weekly briefing"), not a reporter relaying it.
        return _publisher([(who, None, told)], REPORTED, told)
    return _publisher([(whom, SAID_TO, told), (who, None, told)], REPORTED, told)


def _relayed(chain: Chain, claim: str, cues: list[str]) -> tuple[str, Chain, list[str]]:
    """A claim that ends by saying whence its source had it ("..., citing Yeni Şafak,
    which in turn cited an earlier Hraparak story"): the chain continued."""
    match = re.search(r",\s*(?:citing|quoting)\s+.+$", claim)
    if match is None:
        return claim, chain, cues
    upstream, more = _chain("Source" + match.group(0).rstrip('.!?"”'))  # "Source": whoever cites
    if len(upstream) < 2:
        return claim, chain, cues
    return claim[: match.start()], _join(chain, upstream[1:], upstream[0][1]), [*cues, *more]


def _head(body: str) -> tuple[str, Chain, list[str]] | None:
    body = re.sub(r"^[•*]\s*", "", body)  # a bullet
    match = _HEAD_LEARNED.match(body)
    if match and len(match.group("who").split()) <= 6:
        learned = body[: match.end("whom")]
        who, whom = _clean_mention(match.group("who")), _clean_mention(match.group("whom"))
        return (
            match.group("claim"),
            [("", INFORMED_BY, learned), (who, INFORMED_BY, learned), (whom, None, learned)],
            ["learned from"],
        )
    match = _HEADLINED.match(body)
    if match and match.group("who").casefold() not in _NOT_SPEAKERS:
        said = body[: match.end("who") + 1]
        return match.group("claim"), _publisher([(match.group("who"), None, said)], REPORTED, said), [":"]
    match = _HEAD_IT_WAS.match(body)
    if match:
        chain, cues = _chain(match.group("who"))
        if chain:
            said = body[: match.end("who")]
            return match.group("claim"), _publisher(chain, REPORTED, said), [f"It was {match.group('verb')} by", *cues]
    match = _HEAD_ACCORDING.match(body)
    if match:
        chain, cues = _chain(match.group("who"))
        if chain:
            cue = body[: match.end("who")]
            return match.group("claim"), _publisher(chain, ACCORDING_TO, cue), ["According to", *cues]
    match = _HEAD_TOLD.match(body)
    if match and len(match.group("who").split()) <= 8 and len(match.group("whom").split()) <= 8:
        # "The minister told Bloomberg that <claim>": the reporter is who was told.
        who, whom = _named(match.group("who")), _clean_mention(match.group("whom"))
        told = body[: match.end("whom")]
        if who and whom:
            return _relayed(_told(who, whom, told), match.group("claim"), ["told"])
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
    # Not a passive ("The date was first reported by RIA"): its subject is not a source;
    # nor a noun taken for the verb ("The two reports only confirm each other").
    who = match.group("who") if match else ""
    if (
        match
        and len(_named(who).split()) <= 12
        and len(who.split()) <= 40
        and not _PASSIVE.search(who.split(",")[0])
        and who.split()[-1].casefold() not in _NOT_A_SOURCE_END
    ):
        said = body[: match.end("verb")]
        whom = match.group("whom") or match.group("whom_to")
        if whom:  # "claimed in comments to TASS that", "confirmed to ENA that": TASS, ENA were told
            told = body[: match.end("whom" if match.group("whom") else "whom_to")]
            return _relayed(_told(_named(who), _clean_mention(whom), told), match.group("claim"), [match.group("verb")])
        if match.group("link"):  # verbatim: "Haqqin reported, citing Daily Sabah," when the cue follows the verb
            chain, cues = _chain(body[: match.end("link")])
        elif re.search(RELAYING, who + ","):
            chain, cues = _chain(who)
        else:  # a subject, maybe with a description or a name set off by commas
            chain, cues = ([(_named(who), None, who)], []) if _named(who) else ([], [])
        if chain:
            return _relayed(_publisher(chain, REPORTED, said), match.group("claim"), [match.group("verb"), *cues])
    return None


def _join(chain: Chain, upstream: Chain, relation: str | None) -> Chain:
    """``chain`` (ending at its last source) continued by ``upstream``."""
    *head, (mention, _, quote) = chain
    return [*head, (mention, relation, quote), *upstream]


_WITHIN = re.compile(
    rf"^(?P<who>[A-Z][^,]*?)\s+(?:(?:has|have|had)\s+)?(?P<verb>{SAYING}|denied|denies|rejected|rejects|"
    r"calls on|called on|urged|urges|appealed to|appeals to)"
    r"\s+(?:that\s+)?(?P<rest>.+)$"
)


def _said_within(claim: str) -> tuple[str, Chain, list[str]] | None:
    """A claim that is itself somebody's statement ("the ministry denied any
    build-up"): what they said (a denial stays whole), and who said it."""
    return _told_within(claim) or _stated_within(claim)


def _told_within(claim: str) -> tuple[str, Chain, list[str]] | None:
    """A claim that tells who had it from whom ("the education ministry has told him that
    ..."): what was told, and the chain of the telling."""
    told = _HEAD_TOLD.match(claim[:1].upper() + claim[1:])  # read as a sentence
    if not told or len(told.group("who").split()) > 8 or len(told.group("whom").split()) > 4:
        return None
    who = _named(told.group("who"))
    if claim.startswith(who[:1].lower() + who[1:]):
        who = who[:1].lower() + who[1:]  # the text's own words
    return told.group("claim"), _told(who, told.group("whom"), claim[: told.end("whom")]), ["told"]


def _stated_within(claim: str) -> tuple[str, Chain, list[str]] | None:
    match = _WITHIN.match(claim)
    if not match or len(match.group("who").split()) > 8 or _PASSIVE.search(match.group("who")):
        return None
    who = _clean_mention(match.group("who"))
    if not who:
        return None
    said = claim[: match.end("verb")]
    denial = match.group("verb").startswith(("den", "rej", "call", "urg", "appeal"))
    return (claim if denial else match.group("rest")), [("", REPORTED, said), (who, None, said)], [match.group("verb")]


def _publisher(chain, relation, quote):
    """The chain with the publisher's hop in front: it got the claim from the first
    source named, as ``quote`` says ("Reuters reported", "according to the ministry")."""
    return [("", relation, quote), *chain]


def propose(body: str, published: date | None = None) -> list[Proposed]:
    """Every sentence of the body as a proposed claim with its chain, and its event's
    date resolved against ``published`` (the article's day, if known)."""
    proposals: list[Proposed] = []
    for paragraph in paragraphs(body):
        # An interview's answer ("Seitkali: ..."): every sentence of it the speaker's.
        label = _SPEAKER.match(paragraph)
        speaker = label.group("who") if label and label.group("who").casefold() not in _NOT_SPEAKERS else ""
        opened: list[int] = []  # a quote's first sentences, attributed where it ends
        for index, sentence in enumerate(sentences(paragraph)):
            read = sentence[label.end() :] if speaker and index == 0 else sentence
            found = attribute(read)
            if speaker:
                found = _spoken_by(speaker, label.group(0).strip(" :"), read, found)
            proposal = _proposal(sentence, read, found, published)
            if proposal is None:
                continue
            if found is None and read.lstrip().startswith("“") and "”" not in read:
                opened.append(len(proposals))
            elif found is not None and opened and "”" in read:
                for at in opened:
                    proposals[at] = replace(proposals[at], hops=proposal.hops)
                opened = []
            proposals.append(proposal)
    return _follow_across_sentences(proposals)


def _spoken_by(speaker: str, label: str, read: str, found) -> tuple[str, Chain, list[str]]:
    """What an interview's speaker said: their own claim, or one they attribute further."""
    claim, chain, cues = found if found is not None else (read, [("", None, read)], [])
    return claim, [("", REPORTED, label), (speaker, chain[0][1], label), *chain[1:]], [":", *cues]


def _proposal(sentence: str, read: str, found, published: date | None) -> Proposed | None:
    claim, chain, cues = found if found is not None else (read, [("", None, sentence)], [])
    claim_text = _claim_text(claim)
    if not claim_text:
        return None
    hops = tuple(Hop(mention, relation, quote) for mention, relation, quote in chain)
    # The last source named is the origin: it cites nobody.
    hops = (*hops[:-1], Hop(hops[-1].mention, None, hops[-1].quote))
    # The document's words: the claim's, or the sentence's where the claim joins two parts
    # (a quote split around who said it).
    quote = claim.strip(" ,") if claim.strip(" ,") in sentence else sentence
    described = tuple((m.group("name"), m.group("description")) for m in _DESCRIBED.finditer(sentence))
    described += tuple((m.group("name"), "") for m in _AGED.finditer(sentence))
    denying = _DENYING.match(_PREFIX.sub("", sentence)) if found is None else None
    described += ((denying.group("name"), ""),) if denying else ()
    return Proposed(sentence, quote, claim_text, hops, tuple(cues), event_date(quote, published), described)


_SPEAKER = re.compile(r"^(?P<who>[A-Z][\w’'.-]+(?:\s+[A-Z][\w’'.-]+){0,2}):\s+(?=[A-Z“\"])")


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
        # Not a chain that has come back to a source already on it (a loop, closed).
        earlier = {hop.mention.casefold() for hop in proposal.hops[:-1]}
        looped = last.mention.casefold() in earlier
        continuations = beyond.get(last.mention.casefold(), set()) if len(proposal.hops) > 1 and not looped else set()
        if len(continuations) == 1:
            (continuation,) = continuations
            proposal = replace(proposal, hops=(*proposal.hops[:-1], *continuation))
        result.append(proposal)
    return result
