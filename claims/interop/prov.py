"""A claim's attribution graph as a W3C PROV document.

The mapping:

- each source is a ``prov:Agent`` (``prov:Person`` or ``prov:Organization``),
  acting on behalf of its top-level organisation when it has one;
- the claim is a ``prov:Entity``; each statement ("S states the claim") is an
  entity that specialises it and is attributed to S (``wasAttributedTo``);
- each hop "S1 states it on the authority of S2" is a derivation of S1's
  statement from S2's (``wasDerivedFrom``), typed ``prov:Quotation`` when the
  relation is quoting, carrying ``fc:relation``, ``fc:verified`` and, for each
  piece of its evidence, ``fc:evidence`` (the piece), ``fc:document`` and
  ``fc:quote`` (attributes with several values when the hop has several pieces);
- each piece of evidence is an entity of its own (``fc:Evidence``: its words as
  ``prov:value``, its ``fc:document``, and ``fc:relation`` as that document words it);
- the documents hops are asserted in are entities of their own.

Built with the ``prov`` package, so the output is valid PROV by construction.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.text import Truncator
from prov.constants import PROV
from prov.model import Namespace, ProvDocument

from claims.models import Claim, Relation
from claims.provenance import SourceRef, Trace
from sources.models import PEOPLE

PREFIX = "fc"


def namespace() -> Namespace:
    """Our identifiers resolve to the API: ``fc:sources/3`` is ``/api/v1/sources/3``."""
    return Namespace(PREFIX, settings.FACTCHECK_PUBLIC_URL + "/api/v1/")


def claim_prov(claim: Claim, graph: Trace) -> ProvDocument:
    """The attribution graph of ``claim``: ``graph`` is its trace, already redacted
    for whoever will read the document (``provenance.trace_for``)."""
    fc = namespace()
    doc = ProvDocument()
    doc.add_namespace(fc)

    claim_entity = doc.entity(
        fc[f"claims/{claim.pk}"],
        {PROV["type"]: fc["Claim"], PROV["value"]: claim.text, PROV["label"]: Truncator(claim.text).chars(80)},
    )

    agents: dict[int, object] = {}

    def agent(ref: SourceRef, *, typed: bool):
        if ref.id not in agents:
            attributes = {PROV["label"]: ref.name}
            if typed:
                attributes[PROV["type"]] = PROV["Person"] if ref.kind in PEOPLE else PROV["Organization"]
                attributes[fc["kind"]] = ref.kind
            if ref.confidential:
                attributes[fc["confidential"]] = True
            agents[ref.id] = doc.agent(fc[f"sources/{ref.id}"], attributes)
        return agents[ref.id]

    # Sources first, then their organisations (whose kind the trace does not carry).
    involved = sorted({graph.statements[s] for s in graph.statements})
    for source_id in involved:
        agent(graph.sources[source_id], typed=True)
    for source_id in involved:
        ref = graph.sources[source_id]
        # A placeholder's organisation is part of who it is: not named.
        if ref.group_id != ref.id and not ref.redacted:
            organisation = agent(graph.sources[ref.group_id], typed=False)
            doc.delegation(agents[ref.id], organisation)

    statements = {}
    for statement_id in sorted(graph.statements):
        ref = graph.source_of(statement_id)
        entity = doc.entity(
            _statement_id(fc, claim.pk, statement_id),
            {PROV["type"]: fc["Statement"], PROV["label"]: f"{ref.name} states claim {claim.pk}"},
        )
        doc.specialization(entity, claim_entity)
        doc.attribution(entity, agents[ref.id])
        statements[statement_id] = entity

    documents = {}
    for edge in graph.edges:
        for item in edge.evidence:
            if item.document is not None and item.document.id not in documents:
                attributes = {PROV["type"]: fc["Document"], PROV["label"]: item.document.title}
                if item.document.url:
                    attributes[PROV["location"]] = item.document.url
                documents[item.document.id] = doc.entity(fc[f"documents/{item.document.id}"], attributes)

    for edge in graph.edges:
        attributes = [(fc["relation"], edge.relation), (fc["verified"], edge.verified)]
        for item in edge.evidence:
            piece = fc[f"claims/{claim.pk}/evidence/{item.id}"]
            described = [(PROV["type"], fc["Evidence"]), (fc["relation"], item.relation)]
            attributes.append((fc["evidence"], piece))
            if item.document is not None:
                described.append((fc["document"], fc[f"documents/{item.document.id}"]))
                attributes.append((fc["document"], fc[f"documents/{item.document.id}"]))
            if item.quote:
                described.append((PROV["value"], item.quote))
                attributes.append((fc["quote"], item.quote))
            doc.entity(piece, described)
        if edge.withheld:
            attributes.append((fc["evidenceWithheld"], True))
        relate = doc.quotation if edge.relation == Relation.QUOTING else doc.derivation
        relate(
            statements[edge.statement_id],
            statements[edge.upstream_id],
            identifier=fc[f"claims/{claim.pk}/attributions/{edge.id}"],
            other_attributes=attributes,
        )
    return doc


def _statement_id(fc: Namespace, claim_id: int, statement_id: int):
    return fc[f"claims/{claim_id}/statements/{statement_id}"]
