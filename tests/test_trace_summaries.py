"""The stored summary of each claim's trace (claims.models.TraceSummary) is the trace's,
judged now, after every kind of change made through the services: a change that
forgot to refresh it leaves a summary that differs from a fresh computation."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from claims import provenance, services
from claims.management.commands.refresh_trace_summaries import differences
from claims.models import Attribution, Claim, Evidence, Statement, TraceSummary
from claims.services import HopInput, chain_record
from sources import services as source_services
from sources.models import Source
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory

pytestmark = pytest.mark.django_db


def stored(claim: Claim) -> dict | None:
    row = TraceSummary.objects.filter(claim=claim).first()
    if row is None:
        return None
    return {
        name: getattr(row, name) for name in ("origin_ids", "independent_origins", "flags", "chains", "chains_exact")
    }


def judged(claim: Claim) -> dict:
    return asdict(provenance.summaries([claim.pk])[claim.pk])


def assert_every_summary_is_its_trace() -> None:
    assert list(differences()) == []


@pytest.fixture
def world(db) -> dict:
    """Sources of two organisations, an anonymous one, and claims whose summaries each
    change below can alter."""
    gov = SourceFactory(name="Government", kind="government")
    ministry = SourceFactory(name="Ministry", kind="government", parent=gov)
    spokesperson = SourceFactory(name="Spokesperson", kind="person", parent=ministry)
    army = SourceFactory(name="Army", kind="military")
    general = SourceFactory(name="General", kind="military", parent=gov)
    agency, outlet, other = SourceFactory(name="Agency"), SourceFactory(name="Outlet"), SourceFactory(name="Other")
    anonymous = SourceFactory(name="A source in the ministry", kind="anonymous")
    document = DocumentFactory(title="Report")
    w = {k: v for k, v in locals().items() if isinstance(v, Source)} | {"document": document}

    def claim(name: str, *chains: list[HopInput], **kwargs) -> None:
        w[name] = ClaimFactory(text=f"Claim {name}.")
        for hops in chains:
            chain_record(claim=w[name], hops=hops, document=document, **kwargs)

    quoted = {"relation": "citing", "quote": "said"}
    # Two origins of two organisations.
    claim("two", [HopInput(outlet, **quoted), HopInput(army)], [HopInput(outlet, **quoted), HopInput(spokesperson)])
    # One origin, through an agency.
    claim("one", [HopInput(outlet, **quoted), HopInput(agency, **quoted), HopInput(ministry)])
    claim("unnamed", [HopInput(outlet, **quoted), HopInput(anonymous)])
    # Origins of one organisation two levels apart.
    claim(
        "family", [HopInput(outlet, **quoted), HopInput(spokesperson)], [HopInput(other, **quoted), HopInput(general)]
    )
    # One hop, checked; one hop, not.
    claim("verified", [HopInput(outlet, verified=True, **quoted), HopInput(agency)])
    claim("unverified", [HopInput(other, **quoted), HopInput(agency)])
    # A hop no quote evidences.
    claim("unquoted", [HopInput(outlet, relation="citing"), HopInput(agency)])
    # A chain, and a source said to state it on its own (a lone statement: an origin).
    claim("lone", [HopInput(outlet, **quoted), HopInput(agency)], [HopInput(other)])
    assert_every_summary_is_its_trace()
    return w


def _edge(claim: Claim) -> Attribution:
    return Attribution.objects.filter(claim=claim).order_by("id").first()


def _set_parent(source: Source, parent: Source | None) -> None:
    source_services.source_update(source=source, parent=parent)


# Each change, made through a service, and the claim whose summary it changes.
CHANGES = {
    "a chain recorded": (
        "one",
        lambda w: chain_record(claim=w["one"], hops=[HopInput(w["other"]), HopInput(w["army"])]),
    ),
    "a chain recorded that closes a loop": (
        "one",
        lambda w: chain_record(
            claim=w["one"], hops=[HopInput(w["ministry"], relation="citing"), HopInput(w["outlet"], relation="citing")]
        ),
    ),
    "a hop verified": ("unverified", lambda w: services.attribution_verify(attribution=_edge(w["unverified"]))),
    "a hop's verification taken back": (
        "verified",
        lambda w: services.attribution_update(attribution=_edge(w["verified"]), verified=False),
    ),
    "a hop deleted": (
        "one",
        lambda w: services.attribution_delete(attribution=Attribution.objects.filter(claim=w["one"]).last()),
    ),
    "a mistaken hop removed with the ends it alone linked": (
        "one",
        lambda w: services.attribution_delete(
            attribution=Attribution.objects.filter(claim=w["one"]).last(), remove_unconnected=True
        ),
    ),
    "evidence added": (
        "unquoted",
        lambda w: services.evidence_add(
            attribution=_edge(w["unquoted"]), document=None, quote="the agency said", relation="citing"
        ),
    ),
    "evidence's words removed": (
        "verified",
        lambda w: services.evidence_update(evidence=Evidence.objects.get(claim=w["verified"]), quote=""),
    ),
    "evidence deleted": (
        "verified",
        lambda w: services.evidence_delete(evidence=Evidence.objects.get(claim=w["verified"])),
    ),
    "a statement removed": (
        "lone",
        lambda w: services.statement_delete(statement=Statement.objects.get(claim=w["lone"], source=w["other"])),
    ),
    "a parent given": ("two", lambda w: _set_parent(w["army"], w["gov"])),
    "a parent taken away above an origin": ("family", lambda w: _set_parent(w["ministry"], None)),
    "a source made anonymous": (
        "two",
        lambda w: source_services.source_update(source=w["army"], kind="anonymous"),
    ),
    "an anonymous source named": (
        "unnamed",
        lambda w: source_services.source_update(source=w["anonymous"], kind="person"),
    ),
    "two origins merged": ("two", lambda w: services.source_merge(keep=w["army"], merge=w["spokesperson"])),
    # The ministry moves from the government to the army: the spokesperson's claims see it.
    "an organisation merged into another": ("two", lambda w: services.source_merge(keep=w["army"], merge=w["gov"])),
}


@pytest.mark.parametrize("change", CHANGES)
def test_each_kind_of_change_leaves_every_summary_equal_to_its_trace(world, change):
    name, make = CHANGES[change]
    before = stored(world[name])
    make(world)
    assert stored(world[name]) != before, "the change should alter this claim's summary"
    assert_every_summary_is_its_trace()


@pytest.mark.parametrize(
    "fields",
    [
        {"confidential": True, "public_description": "an official"},
        {"name": "The Ministry"},
        {"kind": "organisation"},
        {"country": "AZ", "reliability": "B"},
    ],
)
def test_changes_that_no_summary_holds_leave_them_as_they_were(world, fields):
    before = {c.pk: stored(c) for c in Claim.objects.all()}
    source_services.source_update(source=world["ministry"], **fields)
    assert {c.pk: stored(c) for c in Claim.objects.all()} == before
    assert_every_summary_is_its_trace()


def test_the_summary_holds_ids_counts_and_codes(world):
    assert stored(world["two"]) == {
        "origin_ids": sorted([world["army"].pk, world["spokesperson"].pk]),
        "independent_origins": 2,
        "flags": ["unverified_hop"],
        "chains": 2,
        "chains_exact": True,
    }
    assert stored(world["unnamed"])["flags"] == ["unverified_hop", "anonymous_origin"]
    assert stored(world["unnamed"])["independent_origins"] == 0


def test_a_change_of_standing_refreshes_only_the_claims_the_source_originates(world, django_assert_num_queries):
    # The agency is an origin of four claims and relays one: a change of its kind is
    # announced once, and refreshes the four in one batch (lock, graphs, write).
    from claims.services import source_standing_refresh

    with django_assert_num_queries(1 + 3):
        source_standing_refresh(Source, source_ids=[world["agency"].pk])


def test_a_refresh_writes_no_history(world):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM claims_claimevent")
        events = cursor.fetchone()[0]
        services.trace_summaries_refresh(claim_ids=Claim.objects.values_list("pk", flat=True))
        cursor.execute("SELECT count(*) FROM claims_claimevent")
        assert cursor.fetchone()[0] == events


def test_the_command_fills_missing_summaries_and_checks_them(world, capsys):
    TraceSummary.objects.filter(claim=world["two"]).delete()
    TraceSummary.objects.filter(claim=world["one"]).update(flags=[], independent_origins=7)
    with pytest.raises(Exception, match="2 trace summaries differ"):
        call_command("refresh_trace_summaries", "--check")
    checked = capsys.readouterr().out
    assert f"claim {world['two'].pk}: stored None" in checked
    call_command("refresh_trace_summaries", "--batch", "3")
    assert "claims' trace summaries stored" in capsys.readouterr().out
    assert_every_summary_is_its_trace()
    call_command("refresh_trace_summaries", "--check")
    assert "Every trace summary matches its trace." in capsys.readouterr().out


def test_a_claim_without_a_graph_has_no_summary_and_that_reads_as_none(db):
    claim = ClaimFactory()
    assert stored(claim) is None
    assert judged(claim) == {"origin_ids": [], "independent_origins": 0, "flags": [], "chains": 0, "chains_exact": True}
    assert_every_summary_is_its_trace()


# --- any sequence of changes -----------------------------------------------------------------


class Desk(RuleBasedStateMachine):
    """Editors at work: chains recorded, hops verified and deleted, evidence changed,
    sources moved between organisations, made anonymous and merged, in any order. After
    every step each stored summary is its trace's."""

    def __init__(self) -> None:
        super().__init__()
        # Each run of steps starts from the same database (rolled back at its teardown), so
        # that what the steps draw depends on the steps alone.
        self._run = transaction.atomic()
        self._run.__enter__()
        self.sources = [SourceFactory(name=f"S{i}") for i in range(6)]
        self.claims = [ClaimFactory() for _ in range(3)]

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._run.__exit__(None, None, None)

    def _alive(self) -> list[Source]:
        present = set(Source.objects.filter(pk__in=[s.pk for s in self.sources]).values_list("pk", flat=True))
        return [s for s in self.sources if s.pk in present]

    @rule(data=st.data())
    def record_a_chain(self, data) -> None:
        sources = self._alive()
        path = data.draw(st.lists(st.sampled_from(sources), min_size=1, max_size=4))
        path = [s for i, s in enumerate(path) if i == 0 or s.pk != path[i - 1].pk]
        claim = data.draw(st.sampled_from(self.claims))
        quote = data.draw(st.sampled_from(["", "said"]))
        verified = data.draw(st.booleans())
        chain_record(claim=claim, hops=[HopInput(s, relation="citing", quote=quote, verified=verified) for s in path])

    @precondition(lambda self: Attribution.objects.exists())
    @rule(data=st.data(), how=st.sampled_from(["verify", "unverify", "delete", "remove"]))
    def change_a_hop(self, data, how) -> None:
        edge = data.draw(st.sampled_from(list(Attribution.objects.order_by("id"))))
        if how == "verify":
            services.attribution_verify(attribution=edge)
        elif how == "unverify":
            services.attribution_update(attribution=edge, verified=False)
        else:
            services.attribution_delete(attribution=edge, remove_unconnected=how == "remove")

    @precondition(lambda self: Attribution.objects.exists())
    @rule(data=st.data(), how=st.sampled_from(["add", "blank", "delete"]))
    def change_evidence(self, data, how) -> None:
        if how == "add":
            edge = data.draw(st.sampled_from(list(Attribution.objects.order_by("id"))))
            quote = data.draw(st.sampled_from(["said", "told", "wrote"]))
            if not Evidence.objects.filter(attribution=edge, document=None, quote=quote).exists():
                services.evidence_add(attribution=edge, document=None, quote=quote, relation="citing")
            return
        pieces = list(Evidence.objects.order_by("id"))
        if not pieces:
            return
        piece = data.draw(st.sampled_from(pieces))
        if how == "delete":
            services.evidence_delete(evidence=piece)
        elif piece.document_id is not None:
            services.evidence_update(evidence=piece, quote="")

    @rule(data=st.data())
    def remove_a_lone_statement(self, data) -> None:
        lone = list(Statement.objects.filter(upstream_edges__isnull=True, downstream_edges__isnull=True).order_by("id"))
        if lone:
            services.statement_delete(statement=data.draw(st.sampled_from(lone)))

    @rule(data=st.data())
    def move_a_source(self, data) -> None:
        sources = self._alive()
        source = data.draw(st.sampled_from(sources))
        parent = data.draw(st.one_of(st.none(), st.sampled_from(sources)))
        if parent is not None and parent.pk == source.pk:
            parent = None
        try:
            source_services.source_update(source=source, parent=parent)
        except ValidationError as error:  # a parent below the source: refused as a loop
            assert "loop" in str(error)

    @rule(data=st.data(), kind=st.sampled_from(["anonymous", "outlet"]))
    def change_a_kind(self, data, kind) -> None:
        source_services.source_update(source=data.draw(st.sampled_from(self._alive())), kind=kind)

    @precondition(lambda self: len(self._alive()) > 2)
    @rule(data=st.data())
    def merge_two_sources(self, data) -> None:
        keep, merge = data.draw(
            st.lists(st.sampled_from(self._alive()), min_size=2, max_size=2, unique_by=lambda s: s.pk)
        )
        services.source_merge(keep=Source.objects.get(pk=keep.pk), merge=Source.objects.get(pk=merge.pk))

    @invariant()
    def every_summary_is_its_trace(self) -> None:
        assert_every_summary_is_its_trace()


def test_any_sequence_of_changes_keeps_every_summary_equal_to_its_trace(db):
    run_state_machine_as_test(
        Desk,
        settings=settings(
            max_examples=25,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
