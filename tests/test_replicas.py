"""Reads from a real streaming standby, with read-your-writes, through the app under
gunicorn (two workers, Redis): a primary and a hot standby are built on loopback for
the module (tests/streaming_pair.py).

Which server answered is read from what the answer holds: with the standby's replay
paused, a write is on the primary and not yet on the standby, so an answer that has
it came from the primary and one that lacks it from the standby. No marker is added
to the app for the tests."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import psycopg
import pytest

from core.db_routing import COOKIE
from tests.servers import ROOT, gunicorn
from tests.streaming_pair import Pair, streaming_pair

pytestmark = pytest.mark.slow

PASSWORD = "replicas-are-read-only-7"
SETUP = f"""
import json
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
alice = User.objects.create_user("alice", password="{PASSWORD}", is_staff=True)
alice.groups.add(Group.objects.get(name="editor"))
bob = User.objects.create_user("bob", password="{PASSWORD}")
bob.groups.add(Group.objects.get(name="journalist"))
print(json.dumps({{"alice": Token.objects.create(user=alice).key, "bob": Token.objects.create(user=bob).key}}))
"""


@pytest.fixture(scope="module")
def pair():
    with streaming_pair() as built:
        yield built


@pytest.fixture(scope="module")
def site(pair: Pair):
    """The app on the pair: migrated, two users with tokens, served by gunicorn."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "factcheck.settings.test",
        "DATABASE_URL": pair.primary.url,
        "DATABASE_REPLICA_URLS": pair.standby.url,
    }
    for command in (["migrate", "--no-input", "-v", "0"], ["shell", "-c", SETUP]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    tokens = json.loads(done.stdout.strip().splitlines()[-1])
    pair.wait_for_replay()
    redis = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    server_env = {"DATABASE_REPLICA_URLS": pair.standby.url, "REDIS_URL": redis}
    with gunicorn(pair.primary.url, workers=2, env=server_env) as base:
        yield base, tokens


class Client:
    """An HTTP client with a cookie jar, as a browser or a script keeps one."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.token = token

    def request(self, method: str, path: str, body: dict | None = None, *, form: bool = False):
        data = None
        headers = {}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if body is not None:
            if form:
                data = urllib.parse.urlencode(body).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.url, error.read().decode()

    def cookie(self, name: str) -> str | None:
        return next((cookie.value for cookie in self.jar if cookie.name == name), None)

    def log_in_to_the_admin(self, username: str) -> None:
        status, _, page = self.request("GET", "/admin/login/")
        assert status == 200
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        fields = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf, "next": "/admin/"}
        status, url, _ = self.request("POST", "/admin/login/", fields, form=True)
        assert (status, urllib.parse.urlsplit(url).path) == (200, "/admin/")


@contextmanager
def replay_paused(pair: Pair):
    """The standby keeps receiving the primary's WAL but replays none of it."""
    with pair.standby.connect() as standby:
        standby.execute("SELECT pg_wal_replay_pause()")
        while standby.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] != "paused":
            time.sleep(0.01)
        try:
            yield
        finally:
            standby.execute("SELECT pg_wal_replay_resume()")
    pair.wait_for_replay()


def rename_on_the_primary(pair: Pair, source: int, name: str) -> None:
    """A write that no client of the app made: no client's reads wait for it."""
    with pair.primary.connect() as primary:
        primary.execute("UPDATE sources_source SET name = %s WHERE id = %s", [name, source])


def test_an_api_writer_reads_its_write_from_the_primary_while_others_read_the_replica(site, pair):
    base, tokens = site
    alice, bob = Client(base, tokens["alice"]), Client(base, tokens["bob"])

    with replay_paused(pair):
        status, _, body = alice.request("POST", "/api/v1/sources/", {"name": "Interfax", "kind": "news_agency"})
        assert status == 201, body
        source = json.loads(body)["id"]
        # The writer, on either worker (its position is in Redis, under its token's hash).
        for _ in range(4):
            status, _, body = alice.request("GET", f"/api/v1/sources/{source}/")
            assert (status, json.loads(body)["name"]) == (200, "Interfax")
        # Everyone else reads the standby, which has not replayed the write yet.
        for _ in range(4):
            assert bob.request("GET", f"/api/v1/sources/{source}/")[0] == 404
    assert bob.request("GET", f"/api/v1/sources/{source}/")[0] == 200

    # Replayed: the writer reads the standby again. Proof: a change it did not make,
    # held back from the standby, is not in its answer.
    alice.request("GET", f"/api/v1/sources/{source}/")
    with replay_paused(pair):
        rename_on_the_primary(pair, source, "Interfax (renamed)")
        status, _, body = alice.request("GET", f"/api/v1/sources/{source}/")
        assert (status, json.loads(body)["name"]) == (200, "Interfax")
    status, _, body = alice.request("GET", f"/api/v1/sources/{source}/")
    assert json.loads(body)["name"] == "Interfax (renamed)"


def test_an_admin_user_who_just_logged_in_finds_the_session_the_replica_lacks(site, pair):
    base, _ = site
    with replay_paused(pair):
        alice = Client(base)
        alice.log_in_to_the_admin("alice")  # the session is on the primary only
        assert alice.cookie(COOKIE) is not None
        status, url, page = alice.request("GET", "/admin/sources/source/")
        assert (status, urllib.parse.urlsplit(url).path) == (200, "/admin/sources/source/")
        assert "Select source to change" in page

        # The same session without the position: read from the standby, which has not
        # replayed the login, so the session is unknown and the admin asks to log in.
        stranger = Client(base)
        for cookie in alice.jar:
            if cookie.name != COOKIE:
                stranger.jar.set_cookie(cookie)
        _, url, _ = stranger.request("GET", "/admin/sources/source/")
        assert urllib.parse.urlsplit(url).path == "/admin/login/"

    # Once the standby has replayed the login, the position is forgotten: the next
    # answer deletes the cookie, and reads go to the standby again.
    status, url, _ = alice.request("GET", "/admin/sources/source/")
    assert (status, urllib.parse.urlsplit(url).path) == (200, "/admin/sources/source/")
    assert alice.cookie(COOKIE) is None
    assert stranger.request("GET", "/admin/sources/source/")[1].endswith("/admin/sources/source/")


def test_a_locked_read_never_goes_to_the_replica(site, pair):
    # A PATCH locks the row it changes (core.writes.lock): on the standby, where
    # SELECT ... FOR UPDATE is refused, it would fail.
    base, tokens = site
    alice = Client(base, tokens["alice"])
    status, _, body = alice.request("POST", "/api/v1/sources/", {"name": "TASS", "kind": "news_agency"})
    source = json.loads(body)["id"]
    pair.wait_for_replay()
    with replay_paused(pair):
        status, _, body = alice.request("PATCH", f"/api/v1/sources/{source}/", {"country": "RU"})
        assert (status, json.loads(body)["country"]) == (200, "RU")


def test_with_the_replica_down_every_read_is_answered_by_the_primary(site, pair):
    base, tokens = site
    clients = [Client(base, tokens["alice"]), Client(base, tokens["bob"])]
    with pair.primary.connect() as primary:
        (source,) = primary.execute("SELECT id FROM sources_source WHERE name = 'TASS'").fetchone()
    pair.standby.stop()
    try:
        with pytest.raises(psycopg.OperationalError):
            pair.standby.connect()
        for _ in range(3):
            for client in clients:
                status, _, body = client.request("GET", f"/api/v1/sources/{source}/")
                assert (status, json.loads(body)["country"]) == (200, "RU"), body
            assert Client(base).request("GET", "/api/v1/claims/")[0] == 200
        admin = Client(base)
        admin.log_in_to_the_admin("alice")
        assert admin.request("GET", "/admin/sources/source/")[0] == 200
    finally:
        pair.standby.start()
