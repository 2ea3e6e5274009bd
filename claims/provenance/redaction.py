"""A trace as a viewer may see it (the rules are in ``core.access``).

Confidential sources become placeholders named by their public description,
and the evidence of every hop that touches one (its quotes and documents, which
would often name the person) is withheld, as is each piece of evidence taken from
a confidential source's own document. The graph and its judgement are left
as they are: independence counts the real sources, so a confidential origin
still counts once, and only once. Flags are worded again from the placeholders.
"""

from __future__ import annotations

from dataclasses import replace

from core.access import Viewer, confidential_placeholder

from .graph import Edge, SourceRef, Trace, relabel


def redact_source(ref: SourceRef, viewer: Viewer) -> SourceRef:
    if not ref.confidential or viewer.sees_confidential:
        return ref
    return replace(ref, name=confidential_placeholder(ref.id, ref.public_description), redacted=True)


def redact(trace: Trace, viewer: Viewer) -> Trace:
    hidden_documents = any(e.document and e.document.confidential for t in trace.edges for e in t.evidence)
    if viewer.sees_confidential or not (hidden_documents or any(r.confidential for r in trace.sources.values())):
        return trace
    sources = {source_id: redact_source(ref, viewer) for source_id, ref in trace.sources.items()}
    hidden = {statement_id for statement_id, source_id in trace.statements.items() if sources[source_id].redacted}
    # A hop that touches a confidential source keeps all its evidence (quotes and
    # documents) from this viewer; any other hop, the pieces taken from such a
    # source's own document.
    edges = [_withhold(e, everything={e.statement_id, e.upstream_id} & hidden) for e in trace.edges]
    return relabel(trace, sources, edges)


def _withhold(edge: Edge, *, everything: bool) -> Edge:
    shown = () if everything else tuple(e for e in edge.evidence if not (e.document and e.document.confidential))
    if len(shown) == len(edge.evidence) and not everything:
        return edge
    return replace(edge, evidence=shown, withheld=True)
