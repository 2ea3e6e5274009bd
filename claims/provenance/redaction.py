"""A trace as a viewer may see it (the rules are in ``core.access``).

Confidential sources become placeholders named by their public description,
and the evidence of every hop that touches one (its quote and document, which
would often name the person) is withheld. The graph and its judgement are left
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
    hidden_documents = any(e.document and e.document.confidential for e in trace.edges)
    if viewer.sees_confidential or not (hidden_documents or any(r.confidential for r in trace.sources.values())):
        return trace
    sources = {source_id: redact_source(ref, viewer) for source_id, ref in trace.sources.items()}
    hidden = {statement_id for statement_id, source_id in trace.statements.items() if sources[source_id].redacted}
    # A hop that touches a confidential source, or is evidenced by such a source's own
    # document, keeps its evidence (quote and document) from this viewer.
    edges = [
        _withhold(e) if {e.statement_id, e.upstream_id} & hidden or (e.document and e.document.confidential) else e
        for e in trace.edges
    ]
    return relabel(trace, sources, edges)


def _withhold(edge: Edge) -> Edge:
    return replace(edge, document=None, quote="", withheld=True)
