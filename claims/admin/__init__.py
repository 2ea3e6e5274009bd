"""Admin for editors (who change) and auditors (who read); journalists use the API.

The claim page shows the trace (flags, a drawn graph and a tree) and records a
whole chain of attribution without leaving the page. Writes go through
``claims.services``; the graph comes from ``claims.provenance``.

Each module registers its admins when imported: ``claim`` (the claim page, its
inlines, topics, appearances, reviews elsewhere; with ``publishing`` and
``document_flow`` mixed in), ``hops`` (statements, hops and their evidence),
``sources`` (the sources app's source and document pages, with their claims);
``filters`` holds the lists' filters.
"""

from __future__ import annotations

# The picture's bounds, read here by tests (claims.picture has them).
from ..picture import MAX_DRAWN_EDGES, MAX_DRAWN_NODES, MAX_TREE_ROWS, QUOTE_CHARS
from .claim import AppearanceAdmin, ClaimAdmin, ForeignReviewAdmin, TopicAdmin
from .hops import AttributionAdmin, StatementAdmin
from .sources import DocumentAdmin, SourceAdmin

__all__ = [
    "MAX_DRAWN_EDGES",
    "MAX_DRAWN_NODES",
    "MAX_TREE_ROWS",
    "QUOTE_CHARS",
    "AppearanceAdmin",
    "AttributionAdmin",
    "ClaimAdmin",
    "DocumentAdmin",
    "ForeignReviewAdmin",
    "SourceAdmin",
    "StatementAdmin",
    "TopicAdmin",
]
