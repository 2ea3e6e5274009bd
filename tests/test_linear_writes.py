"""Writes that stay linear: no trigger a write fires does per-row work that grows with
the rows already written in its transaction.

The cause once was pghistory's context lookup: an exception block (a subtransaction)
per row and trigger, whose abort scanned the transaction's queue of deferred foreign-key
checks, so n rows cost n squared. What would grow is counted here, never timed: the
exception handlers on the per-row path (none), and the trigger functions' calls per row
in a batch written after 1,000 rows and after 10,000 (the same). The time per row at
1k, 10k and 50k rows, with our lookup and with pghistory's, is in
``scripts/benchmark.py --writes``."""

from __future__ import annotations

import re
from contextlib import nullcontext

import pytest
from django.apps import apps
from django.db import connection

from claims.models import Claim, Statement
from core.history import context_lookup_is_linear, keep_context_lookup_linear
from sources.models import Source

pytestmark = pytest.mark.django_db

HANDLER = re.compile(r"\bEXCEPTION\s+WHEN\b", re.IGNORECASE)


def tracked_tables() -> list[str]:
    return sorted(
        model.pgh_tracked_model._meta.db_table
        for model in apps.get_models()
        if getattr(model, "pgh_tracked_model", None) is not None
    )


def per_row_functions() -> dict[str, str]:
    """Every function a row trigger on a tracked table runs, and those they call on every
    row (the context lookup, pgtrigger's "skip this trigger?"), by name: their source."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT DISTINCT p.proname, p.prosrc FROM pg_trigger t
               JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_class c ON c.oid = t.tgrelid
               WHERE NOT t.tgisinternal AND c.relname = ANY(%s) AND (t.tgtype & 1) = 1""",
            [tracked_tables()],
        )
        functions = dict(cursor.fetchall())
        cursor.execute(
            "SELECT proname, prosrc FROM pg_proc WHERE proname IN ('_pgh_attach_context', '_pgtrigger_should_ignore')"
        )
        functions |= dict(cursor.fetchall())
    return functions


def test_no_function_on_a_rows_write_enters_a_subtransaction():
    functions = per_row_functions()
    # The history's triggers and the lookup they call are among them.
    assert "_pgh_attach_context" in functions and "_pgtrigger_should_ignore" in functions
    assert any("INSERT INTO" in source and "event" in source for source in functions.values())
    assert {name for name, source in functions.items() if HANDLER.search(source)} == set()
    assert context_lookup_is_linear() is True


def test_pghistorys_lookup_installed_again_is_replaced_by_ours_at_the_end_of_migrate():
    from pghistory.models import Context

    Context.install_pgh_attach_context_func()  # as pghistory's migrations and settings may
    assert context_lookup_is_linear() is False
    assert HANDLER.search(per_row_functions()["_pgh_attach_context"])
    assert keep_context_lookup_linear() is True
    assert context_lookup_is_linear() is True
    assert keep_context_lookup_linear() is False  # nothing to do the second time


def trigger_calls() -> dict[str, int]:
    """Calls of each PL/pgSQL function in this transaction so far."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT funcname, calls FROM pg_stat_xact_user_functions")
        return dict(cursor.fetchall())


def write(rows: int, source: Source, start: int) -> None:
    claims = Claim.objects.bulk_create([Claim(text=f"Claim {start + i}.") for i in range(rows)], batch_size=1000)
    Statement.objects.bulk_create([Statement(claim=c, source=source) for c in claims], batch_size=1000)


@pytest.mark.parametrize("context", [False, True], ids=["no context", "in a context"])
def test_trigger_work_per_row_is_the_same_after_1k_and_after_10k_rows(context):
    import pghistory

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL track_functions = 'pl'")
    source = Source.objects.create(name="Agency", kind="news_agency")
    with pghistory.context(command="test") if context else nullcontext():
        before = trigger_calls()
        write(1_000, source, 0)
        after_1k = trigger_calls()
        write(9_000, source, 1_000)
        after_10k = trigger_calls()
        write(1_000, source, 10_000)
        after_11k = trigger_calls()

    def per_row(first: dict[str, int], second: dict[str, int], rows: int) -> dict[str, float]:
        return {
            name: (second[name] - first.get(name, 0)) / rows for name in second if second[name] > first.get(name, 0)
        }

    first_batch, last_batch = per_row(before, after_1k, 1_000), per_row(after_10k, after_11k, 1_000)
    # Each claim and its statement: one history event each, one context lookup each.
    assert first_batch["_pgh_attach_context"] == 2
    assert first_batch == last_batch, (first_batch, last_batch)
    assert per_row(after_1k, after_10k, 9_000) == first_batch
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM claims_claimevent WHERE pgh_obj_id >= %s", [Claim.objects.earliest("pk").pk]
        )
        assert cursor.fetchone()[0] == 11_000
