"""How well the extractor reads articles an editor has annotated (``ingestion/cases``).

Each case is a YAML file: the article (``body``, its ``publisher``), the sources the
registry knows (``registry``: names and aliases), the chains an editor records
(``chains``: a ``quote`` from the sentence and the sources from the publisher to the
origin, by registry name, or ``?words`` for a source the registry does not know, by
the text's words), and ``junk``: lines of the page that are not the article. Every
sentence no chain is given for is a claim the publisher states alone.

Measured, per case and overall:

- chain recall: the chains proposed whole, every source resolved as annotated;
- hop precision and recall: the proposed edges (source to source) that are
  annotated, and the annotated edges that are proposed;
- resolution accuracy: the mentions of sources the registry knows that resolve
  to them;
- junk proposals: proposals made from the junk lines (there should be none).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import yaml

from .extraction import Hop, Proposed, propose
from .registry import Known, Registry, resolve_chain

CASES = Path(__file__).resolve().parent / "cases"
# What the extractor must reach over the cases (the targets).
TARGETS = {"chain_recall": 0.90, "hop_precision": 0.90, "resolution": 0.95}


@dataclass
class Score:
    name: str
    style: str
    chains: int = 0
    chains_found: int = 0
    edges_proposed: int = 0
    edges_right: int = 0
    edges_annotated: int = 0
    edges_found: int = 0
    mentions: int = 0
    mentions_resolved: int = 0
    junk: int = 0

    def add(self, other: Score) -> None:
        for name in ("chains", "chains_found", "edges_proposed", "edges_right", "edges_annotated", "edges_found"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("mentions", "mentions_resolved", "junk"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @staticmethod
    def share(part: int, whole: int) -> float:
        return part / whole if whole else 1.0

    @property
    def chain_recall(self) -> float:
        return self.share(self.chains_found, self.chains)

    @property
    def hop_precision(self) -> float:
        return self.share(self.edges_right, self.edges_proposed)

    @property
    def hop_recall(self) -> float:
        return self.share(self.edges_found, self.edges_annotated)

    @property
    def resolution(self) -> float:
        return self.share(self.mentions_resolved, self.mentions)


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def resolved_chains(proposals: list[Proposed], registry: Registry, publisher: str) -> list[list[tuple[Hop, str]]]:
    """Each proposal's hops with their sources by registry name (``?words`` for one it
    does not know), resolved as an import resolves them (``registry.resolve_chain``)."""
    recent: list[Known] = []
    own = next((known for known in registry.sources if known.name == publisher), Known(publisher, publisher))
    return [[(hop, _named(hop, known)) for hop, known in resolve_chain(p, registry, recent, own)] for p in proposals]


def _named(hop: Hop, known: Known | None) -> str:
    if known is None:
        return f"?{hop.mention}"
    return known.name if known.key is not None else f"?{known.name}"


def _same(expected: str, got: str) -> bool:
    if expected.startswith("?") and got.startswith("?"):
        return expected[1:].casefold() == got[1:].casefold()
    return expected == got


def _annotated(edge: tuple[str, str], annotated: set[tuple[str, str]]) -> bool:
    return any(_same(a, edge[0]) and _same(b, edge[1]) for a, b in annotated)


def registry_of(case: dict) -> Registry:
    return Registry([Known(s["name"], s["name"], tuple(s.get("aliases", ()))) for s in case["registry"]])


def proposals_of(case: dict) -> list[tuple[Proposed, list[str]]]:
    """The case's proposals, each with its chain resolved against the case's registry."""
    return [(proposal, [name for _, name in chain]) for proposal, chain in _resolved(case)]


def _resolved(case: dict) -> list[tuple[Proposed, list[tuple[Hop, str]]]]:
    proposals = propose(case["body"])
    return list(zip(proposals, resolved_chains(proposals, registry_of(case), case["publisher"]), strict=True))


def score_case(case: dict, name: str = "") -> Score:
    pairs = _resolved(case)
    proposals = [proposal for proposal, _ in pairs]
    resolved = [[name for _, name in chain] for _, chain in pairs]
    hops_of = {id(proposal): [hop for hop, _ in chain] for proposal, chain in pairs}
    score = Score(name or case.get("title", ""), case.get("style", ""))

    def chain_of(quote: str) -> tuple[Proposed, list[str]] | None:
        for proposal, chain in zip(proposals, resolved, strict=True):
            if quote in proposal.sentence:
                return proposal, chain
        return None

    annotated = {chain["quote"]: chain["chain"] for chain in case.get("chains", [])}
    covered: set[int] = set()
    for quote, expected in annotated.items():
        score.chains += 1
        found = chain_of(quote)
        expected_edges = set(itertools.pairwise(expected))
        score.edges_annotated += len(expected_edges)
        if found is None:
            continue
        proposal, got = found
        covered.add(id(proposal))
        if len(got) == len(expected) and all(_same(e, g) for e, g in zip(expected, got, strict=True)):
            score.chains_found += 1
        got_edges = set(itertools.pairwise(got))
        matched = {
            edge for edge in got_edges if any(_same(e[0], edge[0]) and _same(e[1], edge[1]) for e in expected_edges)
        }
        score.edges_found += len(matched)
        for hop, expected_name, got_name in zip(hops_of[id(proposal)], expected, got, strict=False):
            if hop.mention and not expected_name.startswith("?"):
                score.mentions += 1
                score.mentions_resolved += got_name == expected_name
    # Every proposal's edges count for precision: a sentence no chain is annotated for
    # is the publisher's alone, so any edge proposed there is wrong.
    for proposal, got in zip(proposals, resolved, strict=True):
        edges = set(itertools.pairwise(got))
        score.edges_proposed += len(edges)
        if id(proposal) in covered:
            expected = next(chain for quote, chain in annotated.items() if quote in proposal.sentence)
            expected_edges = set(itertools.pairwise(expected))
            score.edges_right += sum(_annotated(edge, expected_edges) for edge in edges)
    for line in case.get("junk", []):
        score.junk += sum(line in proposal.sentence or proposal.sentence in line for proposal in proposals)
    return score


def evaluate(paths: list[Path] | None = None) -> tuple[list[Score], Score]:
    paths = paths or sorted(CASES.glob("*.yaml"))
    scores = [score_case(load(path), path.stem) for path in paths]
    total = Score("overall", "")
    for score in scores:
        total.add(score)
    return scores, total
