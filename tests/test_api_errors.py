"""Never a 500, never a page from the API: unknown paths, over-long addresses, a
statement that runs out of time, and what gunicorn refuses before Django sees it."""

from __future__ import annotations

import http.client
import json

import pytest
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from claims import provenance
from tests.errors import detail, error_body
from tests.factories import ClaimFactory
from tests.servers import database_url, gunicorn


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/", "/api/v1/nothing/", "/api/v2/claims/", "/api/v1/claims/1/nothing/"])
def test_an_unknown_api_path_is_a_json_404(api_client, path):
    response = api_client.get(path)
    message = "Not found. The API's paths are listed at /api/v1/docs/."
    assert response.json() == {
        "detail": message,
        "code": "not_found",
        "errors": [{"field": None, "message": message, "code": "not_found"}],
    }
    error_body(response, 404, "not_found")


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_unknown_api_paths_are_json_even_with_debug_on(api_client):
    response = api_client.get("/api/v1/nothing/")
    error_body(response, 404, "not_found")


@pytest.mark.django_db
def test_a_path_missing_its_trailing_slash_is_sent_on_keeping_the_method(api_client):
    response = api_client.post("/api/v1/claims", {"text": "x"}, format="json")
    assert response.status_code == 308
    assert response["Location"] == "/api/v1/claims/"


@pytest.mark.django_db
def test_an_over_long_address_is_a_json_414(api_client):
    response = api_client.get("/api/v1/claims/", {"search": "x" * 5000})
    assert detail(response, 414, "uri_too_long") == "The address is 5023 characters long; the limit is 4096."


@pytest.mark.django_db
def test_a_statement_that_runs_out_of_time_is_a_503_to_retry(monkeypatch):
    claim = ClaimFactory()

    def slow_trace(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 50")
            cursor.execute("SELECT pg_sleep(2)")

    monkeypatch.setattr(provenance, "trace_for", slow_trace)
    response = APIClient().get(f"/api/v1/claims/{claim.pk}/trace/")

    assert detail(response, 503, "unavailable") == (
        "The database is unavailable or the request took too long. Nothing was changed; try again in a few seconds."
    )
    assert response["Retry-After"] == "5"


@pytest.mark.slow
def test_what_gunicorn_refuses_itself_is_json_too(committed_db):
    with gunicorn(database_url(connection.settings_dict), workers=1) as base:
        host, port = base.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        target = "/api/v1/claims/?q=" + "x" * 9000
        conn.request("GET", target)
        response = conn.getresponse()
        body = json.loads(response.read())
    assert response.status == 414
    assert response.getheader("Content-Type") == "application/json"
    message = f"Request Line is too large ({len(f'GET {target} HTTP/1.1')} > 8190)"
    assert body == {
        "detail": message,
        "code": "uri_too_long",
        "errors": [{"field": None, "message": message, "code": "uri_too_long"}],
    }
