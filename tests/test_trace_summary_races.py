"""Trace summaries under concurrent writes: two changes to what one claim's summary
depends on, made at the same moment in two transactions, leave the summary of the
graph as both left it, never the one the first transaction saw."""

from __future__ import annotations

import pytest

from claims import services
from claims.management.commands.refresh_trace_summaries import differences
from claims.models import Attribution, Evidence
from claims.services import HopInput, chain_record
from sources import services as source_services
from tests.factories import ClaimFactory, SourceFactory
from tests.test_races import together

pytestmark = pytest.mark.usefixtures("committed_db")

ROUNDS = 12


def no_errors(results: list[object]) -> None:
    assert not [r for r in results if isinstance(r, Exception)], results


def test_two_changes_to_one_graph_at_once_leave_the_summary_of_both():
    outlet, agency = SourceFactory(name="Outlet"), SourceFactory(name="Agency")
    for round_ in range(ROUNDS):
        claim = ClaimFactory(text=f"Round {round_}.")
        chain_record(
            claim=claim,
            hops=[
                HopInput(outlet, relation="citing"),
                HopInput(agency, relation="citing", quote="q"),
                HopInput(SourceFactory()),
            ],
        )
        first, second = Attribution.objects.filter(claim=claim).order_by("id")
        no_errors(
            together(
                lambda first=first: services.attribution_verify(attribution=first),
                lambda second=second: services.evidence_delete(evidence=Evidence.objects.get(attribution=second)),
                lambda claim=claim: services.evidence_add(
                    attribution=Attribution.objects.filter(claim=claim).order_by("id").first(),
                    document=None,
                    quote="said",
                    relation="citing",
                ),
            )
        )
        assert list(differences()) == [], f"round {round_}"


def test_a_source_moved_while_a_chain_makes_it_an_origin_counts_where_it_now_belongs():
    outlet = SourceFactory(name="Outlet")
    for round_ in range(ROUNDS):
        organisation = SourceFactory(name=f"Ministry {round_}", kind="government")
        member = SourceFactory(name=f"Department {round_}", parent=organisation)
        newcomer = SourceFactory(name=f"Spokesperson {round_}", kind="person")
        claim = ClaimFactory(text=f"Round {round_}.")
        chain_record(claim=claim, hops=[HopInput(outlet, relation="citing", quote="q"), HopInput(member)])
        no_errors(
            together(
                lambda newcomer=newcomer, organisation=organisation: source_services.source_update(
                    source=newcomer, parent=organisation
                ),
                lambda claim=claim, newcomer=newcomer: chain_record(
                    claim=claim, hops=[HopInput(outlet, relation="citing", quote="q"), HopInput(newcomer)]
                ),
            )
        )
        assert list(differences()) == [], f"round {round_}"
        assert claim.trace_summary.independent_origins == 1


def test_a_source_made_anonymous_while_a_chain_makes_it_an_origin_is_counted_as_unknown():
    outlet = SourceFactory(name="Outlet")
    for round_ in range(ROUNDS):
        whisper = SourceFactory(name=f"Someone {round_}", kind="person")
        claim = ClaimFactory(text=f"Round {round_}.")
        chain_record(claim=claim, hops=[HopInput(outlet, relation="citing", quote="q"), HopInput(SourceFactory())])
        no_errors(
            together(
                lambda whisper=whisper: source_services.source_update(source=whisper, kind="anonymous"),
                lambda claim=claim, whisper=whisper: chain_record(
                    claim=claim, hops=[HopInput(outlet, relation="citing", quote="q"), HopInput(whisper)]
                ),
            )
        )
        assert list(differences()) == [], f"round {round_}"
        claim.refresh_from_db()
        assert "anonymous_origin" in claim.trace_summary.flags
