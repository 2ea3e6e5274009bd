"""Nobody rewrites the history: not through the context table, not with TRUNCATE,
and not at all as the role the app runs as in production."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from claims.models import Claim
from core.history import TRUNCATE_GUARD
from tests.factories import ClaimFactory

ROOT = Path(__file__).resolve().parent.parent


def tracked_tables() -> set[str]:
    """Every table whose rows the history records, every event table, and the context."""
    tables = {"pghistory_context"}
    for model in apps.get_models():
        tracked = getattr(model, "pgh_tracked_model", None)
        if tracked is not None:
            tables |= {model._meta.db_table, tracked._meta.db_table}
    return tables


def refused(sql: str, params=None) -> str:
    """Run ``sql`` in a savepoint; return the database's refusal (the test fails if none)."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(caught.value)


@pytest.mark.django_db
def test_every_tracked_table_event_table_and_the_context_refuse_truncate():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = %s",
            [TRUNCATE_GUARD],
        )
        guarded = {row[0] for row in cursor.fetchall()}
    # A new tracked model needs the guard too (see claims/migrations/0007_protect_history.py).
    assert tracked_tables() <= guarded
    for table in ("claims_claim", "claims_attributionevent", "pghistory_context"):
        assert "TRUNCATE of" in refused(f'TRUNCATE "{table}" CASCADE')


@pytest.mark.django_db
def test_the_context_of_a_change_cannot_be_rewritten_or_deleted(editor_client):
    claim = ClaimFactory(text="Before.")
    assert editor_client.patch(f"/api/v1/claims/{claim.pk}/", {"text": "After."}, format="json").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT id::text, metadata->>'user' FROM pghistory_context")
        [(context_id, user_id)] = cursor.fetchall()

    assert "cannot be rewritten" in refused(
        "UPDATE pghistory_context SET metadata = jsonb_set(metadata, '{user}', '0') WHERE id = %s", [context_id]
    )
    assert "cannot be rewritten" in refused("UPDATE pghistory_context SET metadata = '{}' WHERE id = %s", [context_id])
    assert "cannot be deleted" in refused("DELETE FROM pghistory_context WHERE id = %s", [context_id])
    assert "cannot update or delete" in refused("UPDATE claims_claimevent SET text = 'forged'").lower()
    assert "cannot update or delete" in refused("DELETE FROM claims_claimevent").lower()
    with connection.cursor() as cursor:
        # What pghistory itself does within a request, adding to the context, still works.
        cursor.execute(
            "UPDATE pghistory_context SET metadata = metadata || '{\"note\": 1}' WHERE id = %s", [context_id]
        )
        cursor.execute("SELECT metadata->>'user' FROM pghistory_context WHERE id = %s", [context_id])
        assert cursor.fetchone()[0] == user_id


def test_flush_still_empties_the_database_on_purpose(committed_db):
    ClaimFactory()
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    assert not Claim.objects.exists()


@pytest.fixture
def app_role(committed_db):
    """A login role set up as production's app role, dropped afterwards."""
    role = f"factcheck_app_{uuid.uuid4().hex[:8]}"
    call_command("grant_app_role", role, "--create")
    yield role
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE "{role}"')


def role_url(role: str) -> str:
    settings = connection.settings_dict
    # A Unix socket's folder (the embedded server) goes in the URL percent-encoded.
    host = quote(settings["HOST"] or "localhost", safe="")
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    return f"postgres://{role}@{host}{port}/{settings['NAME']}"


def test_the_app_role_writes_records_and_history_but_cannot_rewrite_or_erase_them(app_role):
    # The app itself, running as that role: a claim is created and its history recorded.
    script = (
        "import django, pghistory; django.setup()\n"
        "from claims.services import claim_create\n"
        "with pghistory.context(app='role-test'):\n"
        "    print(claim_create(text='Written by the app role.').pk)\n"
    )
    env = {**os.environ, "DATABASE_URL": role_url(app_role), "DJANGO_SETTINGS_MODULE": "factcheck.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    claim_id = int(done.stdout.split()[-1])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.metadata->>'app' FROM claims_claimevent e JOIN pghistory_context c ON c.id = e.pgh_context_id "
            "WHERE e.pgh_obj_id = %s",
            [claim_id],
        )
        assert cursor.fetchall() == [("role-test",)]

    attempts = {
        "truncate": "TRUNCATE claims_claim CASCADE",
        "alter": "ALTER TABLE claims_claim DISABLE TRIGGER ALL",
        "drop": "DROP TABLE claims_claimevent",
        "replica mode": "SET session_replication_role = replica",
        "update an event": "UPDATE claims_claimevent SET text = 'forged'",
        "delete an event": "DELETE FROM claims_claimevent",
        "delete a context": "DELETE FROM pghistory_context",
        "rewrite a context": "UPDATE pghistory_context SET metadata = '{}'",
        "delete a claim": f"DELETE FROM claims_claim WHERE id = {claim_id}",
    }
    errors = {}
    with psycopg.connect(role_url(app_role), autocommit=True) as conn:
        for name, sql in attempts.items():
            try:
                conn.execute(sql)
            except psycopg.Error as error:
                errors[name] = type(error).__name__
        # Granting itself more is a no-op: it holds no privilege with a grant option.
        conn.execute("GRANT UPDATE, DELETE, TRUNCATE ON claims_claimevent TO CURRENT_USER")
        held = conn.execute(
            "SELECT has_table_privilege('claims_claimevent', 'UPDATE'), "
            "has_table_privilege('claims_claimevent', 'DELETE'), has_table_privilege('claims_claim', 'TRUNCATE')"
        ).fetchone()
    assert set(errors) == set(attempts), f"allowed: {set(attempts) - set(errors)}"
    assert held == (False, False, False)
    assert Claim.objects.filter(pk=claim_id).exists()
