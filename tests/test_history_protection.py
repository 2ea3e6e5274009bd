"""Nobody rewrites the history: not through the context table, not with TRUNCATE,
and not at all as the role the app runs as in production: it cannot skip a
trigger, shadow an event table, or add to a change's context once its
transaction is over."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pghistory
import pgtrigger
import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError, connection, transaction
from rest_framework.test import APIClient

from claims.models import Claim, ClaimStatus
from claims.seeding import load_seed_dir
from claims.services import HopInput, chain_record, claim_update
from core.history import (
    CONTEXT_KEYS_SET_ONCE,
    SKIP_GUARD,
    TRUNCATE_GUARD,
    keep_skipping_to_the_owner,
    skipping_is_the_owners,
)
from tests.factories import ClaimFactory, SourceFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(settings.BASE_DIR) / "seeds"


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


def context_of(claim: Claim) -> dict:
    """The metadata of the context of the claim's latest event."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.metadata FROM claims_claimevent e JOIN pghistory_context c ON c.id = e.pgh_context_id "
            "WHERE e.pgh_obj_id = %s ORDER BY e.pgh_id DESC LIMIT 1",
            [claim.pk],
        )
        row = cursor.fetchone()
    return json.loads(row[0]) if isinstance(row[0], str) else row[0]


@pytest.mark.django_db
def test_within_its_transaction_a_context_grows_but_never_says_anew_who_made_a_change(editor):
    claim = ClaimFactory(text="Before.")
    # pghistory's nesting: a context given more keys after its first write, in the
    # same transaction (each write in a savepoint of its own), grows.
    with pghistory.context(app="api", url=f"/api/v1/claims/{claim.pk}/", user=editor.pk):
        with transaction.atomic():
            claim_update(claim=Claim.objects.get(pk=claim.pk), text="First.")
        pghistory.context(step="second")
        with transaction.atomic():
            claim_update(claim=Claim.objects.get(pk=claim.pk), text="Second.")
        assert context_of(claim) == {
            "app": "api",
            "url": f"/api/v1/claims/{claim.pk}/",
            "user": editor.pk,
            "step": "second",
        }
        # But who made it, where and how was said with the first write, and stays.
        pghistory.context(command="load_seeds")
        with pytest.raises(DatabaseError, match='says "command" when it is created'), transaction.atomic():
            claim_update(claim=Claim.objects.get(pk=claim.pk), text="Third.")

    [context_id] = (
        Claim.pgh_event_model.objects.filter(pgh_obj_id=claim.pk, pgh_label="update")
        .values_list("pgh_context_id", flat=True)
        .distinct()
    )
    for key in CONTEXT_KEYS_SET_ONCE:
        value = editor.pk + 1 if key == "user" else True if key == "seed_load" else "/admin/claims/claim/1/change/"
        update = "UPDATE pghistory_context SET metadata = metadata || jsonb_build_object(%s, %s::jsonb) WHERE id = %s"
        assert "cannot be " in refused(update, [key, json.dumps(value), context_id])
    assert context_of(claim)["url"] == f"/api/v1/claims/{claim.pk}/"


def test_the_keys_set_once_are_those_the_app_writes_to_say_who_made_a_change(rf, monkeypatch):
    from claims.seeding import SEED_CONTEXT
    from core.history_context import command_context
    from core.middleware import ChangeContextMiddleware

    said = ChangeContextMiddleware(lambda request: None).get_context(rf.post("/api/v1/claims/"))
    monkeypatch.setattr(pghistory, "context", lambda **metadata: said.update(metadata) or contextlib.nullcontext())
    with command_context(["manage.py", "load_seeds"]):
        pass
    assert {*said, SEED_CONTEXT} <= set(CONTEXT_KEYS_SET_ONCE)


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
        # The history triggers name their tables without a schema: a temporary table would take their writes.
        "shadow an event table": "CREATE TEMP TABLE claims_claimevent AS SELECT * FROM claims_claimevent WITH NO DATA",
        "create in public": "CREATE TABLE public.claims_claimevent_shadow (id int)",
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
    # The temporary table, had it been made, would have taken this change's event.
    assert run_as(app_role, f"UPDATE claims_claim SET text = 'Changed.' WHERE id = {claim_id}") is None
    assert Claim.pgh_event_model.objects.filter(pgh_obj_id=claim_id, text="Changed.").exists()
    assert Claim.objects.filter(pk=claim_id).exists()


# --- as the app's role: no skipping a trigger, no shadow tables, no reattribution ----------


def pgtrigger_triggers() -> dict[str, set[str]]:
    """Table -> its triggers that ask ``_pgtrigger_should_ignore`` whether to skip themselves."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname, p.prosrc LIKE '%%\"public\"._pgtrigger_should_ignore(TG_NAME)%%' "
            "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND t.tgname LIKE 'pgtrigger\\_%%'"
        )
        rows = cursor.fetchall()
    # Every pgtrigger trigger asks it: it is where skipping is decided.
    assert rows and all(asks for _, _, asks in rows), [name for _, name, asks in rows if not asks]
    triggers: dict[str, set[str]] = {}
    for table, name, _ in rows:
        triggers.setdefault(table, set()).add(name)
    return triggers


def trigger_on(table: str, prefix: str) -> str:
    [name] = [t for t in pgtrigger_triggers()[table] if t.startswith(prefix)]
    return name


def run_as(role: str, *statements: str) -> str | None:
    """Run the statements in one transaction as ``role``: None if it commits, else the refusal."""
    with psycopg.connect(role_url(role)) as conn:
        try:
            for sql in statements:
                conn.execute(sql)
        except psycopg.Error as error:
            conn.rollback()
            return str(error)
        conn.commit()
    return None


def refused_as(role: str, *statements: str) -> str:
    """The database's refusal of the statements run as ``role`` (the test fails if none)."""
    refusal = run_as(role, *statements)
    assert refusal is not None, f"{role} was allowed: {statements}"
    return refusal


def events_of(claim_id: int) -> int:
    return Claim.pgh_event_model.objects.filter(pgh_obj_id=claim_id).count()


def test_the_app_role_cannot_skip_a_trigger_to_change_or_delete_a_claim_without_history(app_role):
    claim = ClaimFactory(text="As recorded.")
    recorded = events_of(claim.pk)
    update, delete = (
        trigger_on("claims_claim", "pgtrigger_update_update_"),
        trigger_on("claims_claim", "pgtrigger_delete_delete_"),
    )
    protect = trigger_on("claims_claim", "pgtrigger_claim_protect_delete_")

    # The reviewer's attack, word for word.
    refusal = refused_as(
        app_role,
        f"SET LOCAL pgtrigger.ignore = '{{{update}}}'",
        f"UPDATE claims_claim SET text = 'silently rewritten' WHERE id = {claim.pk}",
    )
    assert "only its owner may skip its triggers" in refusal
    refusal = refused_as(
        app_role,
        f"SET LOCAL pgtrigger.ignore = '{{{update},{protect},{delete}}}'",
        f"DELETE FROM claims_claim WHERE id = {claim.pk}",
    )
    assert "only its owner may skip its triggers" in refusal
    claim.refresh_from_db()
    assert (claim.text, events_of(claim.pk)) == ("As recorded.", recorded)

    # The function every pgtrigger trigger asks says no to the app's role on its own too.
    ask = f"SELECT \"public\"._pgtrigger_should_ignore('{update}')"
    assert "only the owner (the role that migrates) may skip" in refused_as(
        app_role, f"SET LOCAL pgtrigger.ignore = '{{{update}}}'", ask
    )
    assert run_as(app_role, f"SET LOCAL pgtrigger.ignore = '{{{protect}}}'", ask) is None  # not named: not skipped

    # Every table with pgtrigger triggers refuses a write of any kind while the app's role
    # would skip any of them; with nothing to skip the same statement goes through.
    names = sorted(name for names in pgtrigger_triggers().values() for name in names)
    skip_all = f"SET LOCAL pgtrigger.ignore = '{{{','.join(names)}}}'"
    keys = {m._meta.db_table: m._meta.pk.column for m in apps.get_models(include_auto_created=True)}
    for table in pgtrigger_triggers():
        write = f'INSERT INTO "{table}" ("{keys[table]}") SELECT "{keys[table]}" FROM "{table}" WHERE false'
        assert "only its owner may skip" in refused_as(app_role, skip_all, write), table
        assert run_as(app_role, write) is None, table

    # The owner (the role that migrates) still may: pgtrigger.ignore works for it.
    with pgtrigger.ignore("claims.Claim:update_update"):
        Claim.objects.filter(pk=claim.pk).update(text="Corrected by the owner, unrecorded.")
    assert events_of(claim.pk) == recorded


@pytest.mark.django_db
def test_every_table_with_pgtrigger_triggers_has_the_guard_against_skipping_them():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = %s", [SKIP_GUARD]
        )
        guarded = {row[0] for row in cursor.fetchall()}
    # A new table with pgtrigger triggers needs it (see claims/migrations/0009_history_skips_and_contexts.py).
    assert set(pgtrigger_triggers()) <= guarded
    assert skipping_is_the_owners() is True


def test_pgtrigger_putting_its_own_skip_check_back_lets_no_one_skip_and_migrate_mends_it(app_role):
    claim = ClaimFactory(text="As recorded.")
    update = trigger_on("claims_claim", "pgtrigger_update_update_")
    attack = (
        f"SET LOCAL pgtrigger.ignore = '{{{update}}}'",
        f"UPDATE claims_claim SET text = 'x' WHERE id = {claim.pk}",
    )
    try:
        # What a migration's AddTrigger (or manage.py pgtrigger install) does: pgtrigger
        # re-creates its _pgtrigger_should_ignore, which any role's setting would obey.
        pgtrigger.install("claims.Claim:update_update")
        assert skipping_is_the_owners() is False
        assert "only its owner may skip" in refused_as(app_role, *attack)  # the statement guard holds meanwhile

        emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)  # the end of every migrate
        assert skipping_is_the_owners() is True

        pgtrigger.install("claims.Claim:update_update")
        call_command("grant_app_role", app_role, stdout=open(os.devnull, "w"))  # run after every migration
        assert skipping_is_the_owners() is True
    finally:
        keep_skipping_to_the_owner()
    claim.refresh_from_db()
    assert claim.text == "As recorded."


def test_the_history_of_a_seed_load_cannot_be_made_to_read_as_an_editors_admin_change(app_role):
    editor = UserFactory(username="editor", is_staff=True, is_superuser=True)
    with pghistory.context(app="command", command="load_seeds", os_user="deploy"):  # as manage.py load_seeds
        load_seed_dir(SEEDS)
    claim = Claim.objects.order_by("pk").first()
    url = f"/admin/claims/claim/{claim.pk}/change/"

    # The reviewer's attack, word for word, then with a key nobody reads, then as
    # pghistory's own upsert would add to it: all in a later transaction than the load's.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id::text, metadata::text FROM pghistory_context WHERE metadata->>'command' = 'load_seeds'"
        )
        [(context_id, metadata)] = cursor.fetchall()
    framed = json.dumps({"user": editor.pk, "url": url})
    attempts = [
        f"UPDATE pghistory_context SET metadata = metadata || '{framed}' WHERE metadata->>'command' = 'load_seeds'",
        f"""UPDATE pghistory_context SET metadata = metadata || '{{"note": 1}}' WHERE id = '{context_id}'""",
        "INSERT INTO pghistory_context (id, metadata, created_at, updated_at) "
        f"VALUES ('{context_id}', '{metadata}'::jsonb || '{framed}', now(), now()) "
        "ON CONFLICT (id) DO UPDATE SET metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at",
    ]
    refusals = [refused_as(app_role, attempt) for attempt in attempts]
    assert 'says "user" when it is created' in refusals[0]
    assert "only grow in the transaction that recorded it" in refusals[1]
    assert 'says "user" when it is created' in refusals[2]

    api = APIClient()
    api.force_authenticate(editor)
    [created] = [
        e
        for e in api.get(f"/api/v1/claims/{claim.pk}/history/").json()["results"]
        if e["model"] == "claim" and e["action"] == "insert"
    ]
    assert (created["actor"], created["app"], created["url"]) == (None, "command", "load_seeds")


NORMAL_WRITES = """
import json, sys
from pathlib import Path
import django, pghistory
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient
from claims.seeding import load_seed_dir
from claims.services import source_merge
from sources.models import Source

given = json.loads(sys.argv[1])
user = get_user_model().objects.get(pk=given["user"])
api = APIClient()
api.force_authenticate(user)
patched = api.patch(f"/api/v1/claims/{given['api_claim']}/", {"text": "Changed through the API."}, format="json")
admin = Client()
admin.force_login(user)
published = admin.post("/admin/claims/claim/", {
    "action": "publish", "_selected_action": [given["admin_claim"]], "_publish_confirmed": "1",
    f"_publish_confirm-{given['admin_claim']}": ["no_rating", "single_origin"],
})
report = load_seed_dir(Path(given["seeds"]))
with pghistory.context(app="command", command="merge_sources"):
    source_merge(keep=Source.objects.get(pk=given["keep"]), merge=Source.objects.get(pk=given["merge"]))
print(json.dumps({"api": patched.status_code, "admin": published.status_code, "seeded": report.claims.created}))
"""


def test_the_app_role_records_api_admin_seed_and_merge_writes_with_their_context(app_role):
    user = UserFactory(username="chief", is_staff=True, is_superuser=True)
    by_api, by_admin = ClaimFactory(text="Before the API."), ClaimFactory(text="A draft.", status=ClaimStatus.DRAFT)
    chain_record(claim=by_admin, hops=[HopInput(source=SourceFactory(name="The desk's outlet"))])
    keep, merge = SourceFactory(name="Reuters"), SourceFactory(name="Reuters news agency")
    given = {
        "user": user.pk,
        "api_claim": by_api.pk,
        "admin_claim": str(by_admin.pk),
        "keep": keep.pk,
        "merge": merge.pk,
        "seeds": str(SEEDS),
    }
    env = {**os.environ, "DATABASE_URL": role_url(app_role), "DJANGO_SETTINGS_MODULE": "factcheck.settings.test"}
    done = subprocess.run(
        [sys.executable, "-c", NORMAL_WRITES, json.dumps(given)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert (result["api"], result["admin"]) == (200, 302) and result["seeded"] > 0

    by_api.refresh_from_db()
    by_admin.refresh_from_db()
    assert (by_api.text, by_admin.status) == ("Changed through the API.", ClaimStatus.PUBLISHED)
    assert context_of(by_api) == {"app": "api", "user": user.pk, "url": f"/api/v1/claims/{by_api.pk}/"}
    # Published over its checklist through the confirmation page: what was confirmed is on record.
    assert context_of(by_admin) == {
        "app": "admin",
        "user": user.pk,
        "url": "/admin/claims/claim/",
        f"publish_confirmed:{by_admin.pk}": ["no_rating", "single_origin"],
    }
    seeded = Claim.pgh_event_model.objects.filter(pgh_label="insert", pgh_context__metadata__seed_load=True)
    assert seeded.count() == result["seeded"]
    source_events = apps.get_model("sources", "SourceEvent").objects
    [deleted] = source_events.filter(pgh_obj_id=merge.pk, pgh_label="delete").values_list(
        "pgh_context__metadata", flat=True
    )
    assert deleted == {"app": "command", "command": "merge_sources"}
    assert "Reuters news agency" in source_events.filter(pgh_obj_id=keep.pk).latest("pgh_id").aliases


def test_a_context_another_transaction_recorded_stays_as_it_was_even_stamped_with_this_ones_start(app_role):
    # The context's created_at is its transaction's start; the row's own transaction id
    # is what tells the transaction that recorded it from a later one begun as it was written.
    context_id = str(uuid.uuid4())
    with psycopg.connect(role_url(app_role)) as later, psycopg.connect(role_url(app_role)) as earlier:
        [started] = later.execute("SELECT now()").fetchone()
        earlier.execute(
            "INSERT INTO pghistory_context (id, metadata, created_at, updated_at) VALUES (%s, '{}', %s, %s)",
            [context_id, started, started],
        )
        earlier.commit()
        with pytest.raises(psycopg.Error, match="only grow in the transaction that recorded it"):
            later.execute("""UPDATE pghistory_context SET metadata = '{"note": 1}' WHERE id = %s""", [context_id])
