"""A busy newsroom, briefly, under gunicorn: editors writing the same claims at once,
readers reading, and afterwards nothing acknowledged is missing (scripts/load.py)."""

from __future__ import annotations

import json
import subprocess
import sys

from django.db import connection
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory
from tests.servers import ROOT, database_url, gunicorn


def test_a_short_load_loses_nothing_and_fails_nothing(committed_db):
    editor = Token.objects.create(user=UserFactory(username="load-editor", is_superuser=True)).key
    auditor = Token.objects.create(user=UserFactory(username="load-auditor", roles=["auditor"])).key
    rates = {"THROTTLE_ANON": "100000/minute", "THROTTLE_USER": "100000/minute"}
    with gunicorn(database_url(connection.settings_dict), workers=2, env=rates) as base:
        run = subprocess.run(
            [
                sys.executable,
                "scripts/load.py",
                "--url",
                base,
                "--editor-token",
                editor,
                "--auditor-token",
                auditor,
                "--seconds",
                "8",
                "--editors",
                "3",
                "--readers",
                "4",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert run.stdout.strip(), run.stderr
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    print("load:", json.dumps(summary))
    assert run.returncode == 0, summary
    assert summary["errors"] == summary["lost_writes"] == summary["history_mismatches"] == 0
    assert summary["acknowledged_writes"] > 20
