"""manage.py backup and restore: a restore into an empty database gives back every
record and every history event exactly, and refuses a database that holds data.

The writes commit (``committed_db``): pg_dump reads from its own connection, and each
transaction gets its own time in the history.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pghistory
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from claims import provenance
from claims.history import history_for
from claims.models import Attribution, Claim, ClaimStatus, Rating
from claims.services import HopInput, attribution_delete, chain_record, claim_update
from core.history import read_history
from sources import services as source_services
from sources.models import Source
from tests.factories import (
    ClaimFactory,
    DocumentFactory,
    SourceFactory,
    TopicFactory,
    UserFactory,
    publish_over_checklist,
)

pytestmark = pytest.mark.usefixtures("committed_db")


# --- what is compared -------------------------------------------------------------------


def snapshot() -> dict[str, str]:
    """Everything a restore must give back, as JSON text computed in the current database:
    each claim's trace and history, each source's history (deleted ones included), and
    every history table row by row. Run in this process and in a subprocess on the copy."""
    tracked = [m for m in apps.get_models() if getattr(m, "pgh_tracked_model", None) is not None]
    history = sorted(m._meta.db_table for m in [*tracked, apps.get_model("pghistory", "Context")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT pgh_obj_id FROM claims_claimevent ORDER BY 1")
        claim_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT DISTINCT pgh_obj_id FROM sources_sourceevent ORDER BY 1")
        source_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT extname FROM pg_extension ORDER BY 1")
        extensions = [row[0] for row in cursor.fetchall()]
        rows, counts = {}, {}
        for table in history:
            # Ordered by the whole row: the same order in any database holding the same rows.
            cursor.execute(f"SELECT count(*), coalesce(json_agg(t ORDER BY t), '[]')::text FROM \"{table}\" t")
            counts[table], rows[table] = cursor.fetchone()

    def dump(value: object) -> str:
        return json.dumps(value, default=str)

    result = {"extensions": dump(extensions), "event counts": dump(counts)}
    for claim_id in claim_ids:
        result[f"claim {claim_id} trace"] = dump(provenance.trace(claim_id).as_dict())
        result[f"claim {claim_id} history"] = dump([asdict(e) for e in history_for(Claim(pk=claim_id))])
    for source_id in source_ids:
        result[f"source {source_id} history"] = dump([asdict(e) for e in read_history([(Source, "own")], source_id)])
    result.update({f"{table} rows": text for table, text in rows.items()})
    return result


_SNAPSHOT_SCRIPT = """
import json, django
django.setup()
from tests.test_backup_restore import snapshot
print(json.dumps(snapshot()))
"""


# --- the data -------------------------------------------------------------------------


def build_dataset() -> None:
    """A little of everything, written through the services, one transaction at a time."""
    editor = UserFactory(username="restore-editor")
    government = SourceFactory(name="Government of Azerbaijan", kind="government", country="AZ")
    publisher = SourceFactory(name="The article's publisher")
    reuters = SourceFactory(name="Reuters", kind="news_agency")
    ria = SourceFactory(name="RIA Novosti", kind="news_agency", aliases=["RIA"], country="RU")
    ministry = SourceFactory(name="Ministry of Defence", kind="government", parent=government, country="AZ")
    insider = SourceFactory(
        name="Colonel X. Y.", kind="person", confidential=True, public_description="an official in the ministry"
    )
    document = DocumentFactory(title="Turkish troops in Azerbaijan", publisher=publisher)
    topic = TopicFactory(name="Defence")

    troops = ClaimFactory(text="Turkish troops are in Azerbaijan.", status=ClaimStatus.DRAFT)
    with pghistory.context(user=editor.pk, app="api", url=f"/api/v1/claims/{troops.pk}/chains/"):
        chain_record(
            claim=troops,
            document=document,
            quote="Turkish troops are in Azerbaijan, Reuters reported.",
            hops=[
                HopInput(source=publisher, relation="reported", quote="..., Reuters reported."),
                HopInput(source=reuters, relation="citing", quote="citing Russia's RIA news agency"),
                HopInput(source=ria, relation="informed_by", verified=True),
                HopInput(source=ministry),
            ],
        )
    claim_update(claim=troops, text="Turkish troops are in Azerbaijan for a joint exercise.")
    claim_update(claim=troops, status=ClaimStatus.IN_REVIEW, topics=[topic])
    with pghistory.context(user=editor.pk, app="admin", url=f"/admin/claims/claim/{troops.pk}/change/"):
        publish_over_checklist(troops, rating=Rating.MOSTLY_TRUE)
    claim_update(claim=troops, rating=Rating.TRUE, event_approximate=True)

    loop = ClaimFactory(text="A cites B, and B cites A.")
    a, b = SourceFactory(name="A"), SourceFactory(name="B")
    chain_record(claim=loop, hops=[HopInput(source=a, relation="citing"), HopInput(source=b)])
    chain_record(claim=loop, hops=[HopInput(source=b, relation="citing"), HopInput(source=a)])

    leak = ClaimFactory(text="The drills were planned in secret.")
    chain_record(claim=leak, hops=[HopInput(source=reuters, relation="according_to"), HopInput(source=insider)])

    pruned = ClaimFactory(text="The exercise lasts two weeks.")
    hops = [HopInput(source=publisher), HopInput(source=reuters, relation="citing"), HopInput(source=ria)]
    chain_record(claim=pruned, hops=hops)
    attribution_delete(attribution=Attribution.objects.get(claim=pruned, upstream__source=ria))

    passing = source_services.source_create(name="A source created by mistake", kind="outlet")
    source_services.source_update(source=passing, country="FR")
    source_services.source_delete(source=passing)


# --- a second database on the same server ----------------------------------------------


def database_url(name: str) -> str:
    db = connection.settings_dict
    # The host may be a Unix socket folder (the embedded server): percent-encode it.
    host = quote(db["HOST"], safe="") + (f":{db['PORT']}" if db["PORT"] else "")
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'], safe='')}{password}@{host}/{name}"


@contextlib.contextmanager
def empty_database() -> Iterator[str]:
    """A new database on the test server, dropped afterwards whatever happens; yields its URL."""
    name = f"{connection.settings_dict['NAME'][:30]}_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        # template0: never connected to, so concurrent test runs cannot block the copy.
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield database_url(name)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_in(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "factcheck.settings.test"}
    return subprocess.run(
        [sys.executable, *args], cwd=Path(settings.BASE_DIR), env=env, capture_output=True, text=True, timeout=120
    )


# --- tests ------------------------------------------------------------------------------


def test_restore_into_an_empty_database_gives_back_every_trace_and_history_entry(tmp_path, capsys):
    build_dataset()
    original = snapshot()
    backup = tmp_path / "factcheck.dump"

    call_command("backup", str(backup))

    assert backup.stat().st_size > 0
    assert backup.stat().st_mode & 0o077 == 0  # it holds confidential sources: owner only
    assert [p.name for p in tmp_path.iterdir()] == ["factcheck.dump"]  # no partial file left
    assert "tables, written by pg_dump" in capsys.readouterr().out

    with empty_database() as url:
        restored = run_in(url, "manage.py", "restore", str(backup))
        assert restored.returncode == 0, restored.stderr
        events = json.loads(original["event counts"])
        total = sum(n for table, n in events.items() if table != "pghistory_context")
        summary = f"{Claim.objects.count()} claims, {Source.objects.count()} sources, {total} history events."
        assert summary in restored.stdout

        computed = run_in(url, "-c", _SNAPSHOT_SCRIPT)
        assert computed.returncode == 0, computed.stderr
        copy = json.loads(computed.stdout)

        # The triggers came after the data: loading wrote no history of its own.
        assert copy["event counts"] == original["event counts"]
        assert sorted(copy) == sorted(original)
        for key, text in original.items():
            assert copy[key] == text, key

    # The dataset is what it claims to be: loops, confidential sources, deletions, edits.
    assert "circular_reporting" in original[f"claim {Claim.objects.get(text__startswith='A cites').pk} trace"]
    assert '"confidential":true' in original["sources_sourceevent rows"]
    assert '"pgh_label":"delete"' in original["claims_attributionevent rows"]
    assert '"pgh_label":"delete"' in original["sources_sourceevent rows"]
    assert '"actor": "restore-editor"' in original[f"claim {Claim.objects.get(text__startswith='Turkish').pk} history"]


def test_restore_refuses_a_database_that_holds_data(tmp_path):
    claim = ClaimFactory(text="Already here.")
    backup = tmp_path / "factcheck.dump"
    call_command("backup", str(backup), stdout=StringIO())

    with pytest.raises(CommandError, match=r"is not empty .*restoring over data would lose it"):
        call_command("restore", str(backup))

    assert list(Claim.objects.values_list("text", flat=True)) == [claim.text]


def test_restore_of_a_file_that_is_not_a_backup_says_so(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("not a dump")

    with pytest.raises(CommandError, match="cannot be read as a backup"):
        call_command("restore", str(junk))
    with pytest.raises(CommandError, match="There is no backup at"):
        call_command("restore", str(tmp_path / "missing.dump"))


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("missing/factcheck.dump", "the folder .*missing does not exist"),
        ("a-file/factcheck.dump", "the folder .*a-file does not exist"),
        (".", "it is a folder"),
    ],
)
def test_backup_to_a_path_it_cannot_write_says_why(tmp_path, where, message):
    (tmp_path / "a-file").write_text("")

    with pytest.raises(CommandError, match=message):
        call_command("backup", str(tmp_path / where))


def test_backup_into_a_folder_it_may_not_write_says_why(tmp_path, monkeypatch):
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o500)
    if os.geteuid() == 0:
        # root writes anywhere: refuse as the folder would refuse anyone else.
        def refuse(*args, **kwargs):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

        monkeypatch.setattr(tempfile, "mkstemp", refuse)

    with pytest.raises(CommandError, match=r"Cannot write the backup to .*: Permission denied"):
        call_command("backup", str(folder / "factcheck.dump"))
    assert list(folder.iterdir()) == []


def test_failed_backup_leaves_the_previous_file_alone_and_no_partial_file(tmp_path, monkeypatch):
    backup = tmp_path / "factcheck.dump"
    backup.write_bytes(b"yesterday's backup")
    connection.ensure_connection()  # the server is asked its version on this connection
    monkeypatch.setitem(connection.settings_dict, "NAME", "no_such_database_for_backup")

    with pytest.raises(CommandError, match="pg_dump failed; nothing was written"):
        call_command("backup", str(backup))

    assert [p.name for p in tmp_path.iterdir()] == ["factcheck.dump"]
    assert backup.read_bytes() == b"yesterday's backup"
