"""Flags on a trace, each with a message in plain words that is true of the graph.

Worded from the judgement ``graph.build`` made (by statement id) and the source
names the trace carries, so a redacted trace gets messages that name only what
its viewer may see.
"""

from __future__ import annotations

from .graph import Flag, SourceRef, Trace

SINGLE_ORIGIN = "single_origin"
COMMON_INTERMEDIARY = "common_intermediary"
CIRCULAR_REPORTING = "circular_reporting"
NO_ORIGIN = "no_origin"
UNVERIFIED_HOP = "unverified_hop"
ANONYMOUS_ORIGIN = "anonymous_origin"
NO_EVIDENCE = "no_evidence"

FLAG_CODES = (
    SINGLE_ORIGIN,
    COMMON_INTERMEDIARY,
    CIRCULAR_REPORTING,
    NO_ORIGIN,
    UNVERIFIED_HOP,
    ANONYMOUS_ORIGIN,
    NO_EVIDENCE,
)

# Messages name at most this many sources, hops or loops, then say how many more.
NAMED = 5


def names(refs: list[SourceRef]) -> str:
    """ "A", "A and B", "A, B and C", "A, B, C, D, E and 3 more"."""
    unique = list({r.id: r for r in refs}.values())
    words = [r.name for r in unique[:NAMED]]
    if len(unique) > NAMED:
        words.append(f"{len(unique) - NAMED} more")
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _listing(items: list[str]) -> str:
    shown = items[:NAMED]
    more = f"; and {len(items) - NAMED} more" if len(items) > NAMED else ""
    return "; ".join(shown) + more


def chain_count(trace: Trace) -> str:
    n = trace.chains_total
    if not trace.chains_total_exact:
        return f"at least {n:,} chains"
    return "the only chain" if n == 1 else f"all {n:,} chains"


def _count(n: int, verb: str, plural: str) -> str:
    """ "1 runs", "3 run"."""
    return f"{n:,} {verb if n == 1 else plural}"


def _others(trace: Trace) -> str:
    """How the chains that miss the only named origin end: counted when the count is
    exact, else only which kinds of ending there are (every origin ends some chain,
    and any loop closes one)."""
    endings = trace.analysis.endings
    exact = trace.chains_total_exact
    parts = []
    if trace.unknown_origins:
        at = f"at {'an anonymous source' if len(trace.unknown_origins) == 1 else 'anonymous sources'}"
        parts.append(f"{_count(endings.anonymous, 'ends', 'end')} {at}" if exact else f"some end {at}")
    if trace.analysis.loops:
        parts.append(f"{_count(endings.loops, 'runs', 'run')} into a loop" if exact else "some run into a loop")
    return "of the others, " + " and ".join(parts)


def _single_origin(trace: Trace, group: list[SourceRef]) -> str:
    analysis = trace.analysis
    organisation = trace.organisation_of(group)
    shared = f" (all part of {organisation.name})" if len(group) > 1 and organisation else ""
    if analysis.every_chain_reaches_one_group:
        count = chain_count(trace)
        verb = "leads" if count == "the only chain" else "lead"
        return f"{count[0].upper()}{count[1:]} {verb} to {names(group)}{shared}."
    if not trace.chains_total_exact:
        return (
            f"{names(group)}{shared} is the only named origin, of at least {trace.chains_total:,} chains; "
            f"{_others(trace)}."
        )
    named = analysis.endings.named
    lead = "leads" if named == 1 else "lead"
    return f"{named:,} of {trace.chains_total:,} chains {lead} to {names(group)}{shared}; {_others(trace)}."


def _hops(trace: Trace, edges) -> str:
    return _listing([f"{trace.source_of(e.statement_id).name} → {trace.source_of(e.upstream_id).name}" for e in edges])


def word_flags(trace: Trace) -> list:
    analysis = trace.analysis
    flags: list[Flag] = []
    groups = trace.origin_groups
    if len(groups) == 1:
        flags.append(Flag(SINGLE_ORIGIN, _single_origin(trace, groups[0])))
    if analysis.intermediaries:
        through = [trace.source_of(s) for s in analysis.intermediaries]
        flags.append(Flag(COMMON_INTERMEDIARY, f"{chain_count(trace).capitalize()} pass through {names(through)}."))
    if analysis.loops:
        rings = sorted(" → ".join(trace.source_of(s).name for s in loop) for loop in analysis.loops)
        flags.append(Flag(CIRCULAR_REPORTING, f"Circular reporting: {_listing(rings)}."))
    if trace.statements and not trace.origin_statement_ids:
        flags.append(Flag(NO_ORIGIN, "No chain reaches an origin: every source cites another."))
    elif analysis.dead_ends:
        stuck = [trace.source_of(s) for s in analysis.dead_ends]
        flags.append(
            Flag(NO_ORIGIN, f"No origin can be reached from {names(stuck)}: every way from there runs into a loop.")
        )
    unverified = [e for e in trace.edges if not e.verified]
    if unverified:
        noun = "hop" if len(unverified) == 1 else "hops"
        message = f"{len(unverified)} {noun} asserted but not checked: {_hops(trace, unverified)}."
        flags.append(Flag(UNVERIFIED_HOP, message))
    anonymous = trace.unknown_origins
    if anonymous:
        subject = f"Origin {names(anonymous)} is" if len(anonymous) == 1 else f"Origins {names(anonymous)} are"
        flags.append(Flag(ANONYMOUS_ORIGIN, f"{subject} anonymous and cannot be judged independent."))
    if analysis.unquoted:
        unquoted = set(analysis.unquoted)
        bare = [e for e in trace.edges if e.id in unquoted]
        subject = "1 hop has no quote evidencing it"
        if len(bare) > 1:
            subject = f"{len(bare)} hops have no quote evidencing them"
        flags.append(Flag(NO_EVIDENCE, f"{subject}: {_hops(trace, bare)}."))
    return flags
