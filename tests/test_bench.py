"""The benchmark's floor (corpus/floor.py) answers with the API's bytes: every endpoint it
serves, on a small synthetic corpus, compared byte for byte with the API's answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from claims.models import Claim
from core.roles import JOURNALIST
from corpus.floor import Floor, connect, cursor_token
from sources.models import Source
from tests.servers import database_url

# Committed: the floor reads through a connection of its own. The data migrations made
# (roles) are put back after this module (conftest.committed_db), for the tests after it.
pytestmark = pytest.mark.usefixtures("committed_db")


def wsgi_get(app, path: str, query: str = "", token: str = "") -> tuple[int, bytes]:
    """One GET through a WSGI app in-process, as the test client addresses the API."""
    answer = {}

    def start_response(status, headers):
        answer["status"] = int(status.split()[0])

    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": "testserver"}
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Token {token}"
    body = b"".join(app(environ, start_response))
    return answer["status"], body


@pytest.fixture
def floor():
    conn = connect(database_url(connection.settings_dict))
    yield Floor(lambda: conn)
    conn.close()


def test_the_floor_answers_every_endpoint_it_serves_with_the_apis_bytes(floor):
    call_command("generate_corpus", claims=300, seed=3, quiet=True)
    client = Client()
    journalist = User.objects.create_user("journalist")
    journalist.groups.add(Group.objects.get_or_create(name=JOURNALIST)[0])
    token = Token.objects.create(user=journalist).key
    published = list(Claim.objects.published().order_by("id").values_list("id", flat=True))
    ids = list(Claim.objects.order_by("id").values_list("id", flat=True))
    agencies = list(Source.objects.filter(kind="news_agency").values_list("id", flat=True))
    busiest = Source.objects.order_by("-id").values_list("id", flat=True)[:5]
    urls = [
        ("/api/v1/claims/", "", ""),
        ("/api/v1/claims/", f"cursor={cursor_token(published[len(published) // 2])}", ""),
        ("/api/v1/claims/", f"cursor={cursor_token(published[5])}", ""),  # the last page: no next
        *((f"/api/v1/claims/{pk}/", "", "") for pk in published),
        *((f"/api/v1/claims/{pk}/trace/", "", "") for pk in published),
        # Dependents are for roles: every claim, drafts too.
        *((f"/api/v1/sources/{pk}/dependents/", "", token) for pk in [*agencies, *busiest]),
    ]
    # The shapes the benchmark asks for are among them: 10 hops, a lattice, 50 changes.
    assert ids[99] in published and ids[2] in ids
    compared = 0
    for path, query, key in urls:
        headers = {"Authorization": f"Token {key}"} if key else {}
        ours = client.get(f"{path}?{query}" if query else path, headers=headers)
        assert ours.status_code == 200, (path, query, ours.content[:300])
        status, body = wsgi_get(floor, path, query, key)
        assert status == 200, (path, query, body[:300])
        assert body == ours.content, (path, query, ours.content[:500], body[:500])
        compared += 1
    assert compared > 300


def test_the_floor_answers_404_for_what_it_does_not_serve(floor):
    assert wsgi_get(floor, "/api/v1/claims/", "search=troops")[0] == 404
    assert wsgi_get(floor, "/api/v1/claims/999999/")[0] == 404
    assert wsgi_get(floor, "/api/v1/claims/", "cursor=bm9uc2Vuc2U=")[0] == 404
    assert wsgi_get(floor, "/admin/")[0] == 404
    assert wsgi_get(floor, "/api/v1/sources/1/dependents/")[0] == 404  # the API: 401, for roles only


def test_the_floor_starts_without_django():
    # gunicorn imports it in a process where Django is not set up: what it imports of
    # ours must not need the models.
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    started = subprocess.run(
        [sys.executable, "-c", "import corpus.floor, django.apps; assert not django.apps.apps.ready"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
    )

    assert started.returncode == 0, started.stderr
