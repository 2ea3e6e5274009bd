"""Never a 500, never a page from the API: unknown paths, over-long addresses, a
statement that runs out of time, what gunicorn refuses before Django sees it, and
what Django refuses before any view (a Host it does not serve, too many fields, a
doubled slash, a database away while the history middleware loads the user)."""

from __future__ import annotations

import http.client
import json

import pytest
from django.db import OperationalError, connection
from django.test import Client, RequestFactory, override_settings
from rest_framework.test import APIClient

from claims import provenance
from tests.errors import detail, error_body
from tests.factories import ClaimFactory, UserFactory
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


# --- what Django refuses before any view: JSON for the API too ----------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["evil.com", ""])
def test_a_host_this_site_does_not_serve_is_a_json_400(api_client, host):
    response = api_client.get("/api/v1/claims/", HTTP_HOST=host)
    assert detail(response, 400, "invalid") == "The Host header names a site this server does not serve."


@pytest.mark.django_db
def test_a_host_this_site_does_not_serve_is_djangos_page_outside_the_api():
    response = Client().get("/admin/login/", HTTP_HOST="evil.com")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_more_than_a_thousand_query_fields_is_a_json_400(api_client):
    response = api_client.get("/api/v1/claims/?" + "&".join(["a"] * 1001))
    assert detail(response, 400, "invalid") == (
        "The request has more than 1000 fields (query parameters, form fields)."
    )


@pytest.mark.django_db
def test_more_than_a_thousand_form_fields_is_a_json_400(api_client):
    body = "&".join([f"f{i}=x" for i in range(1001)] + ["username=u", "password=p"])
    response = api_client.generic("POST", "/api/v1/auth/token/", body, content_type="application/x-www-form-urlencoded")
    assert detail(response, 400, "invalid") == (
        "The request has more than 1000 fields (query parameters, form fields)."
    )


def test_a_permission_denied_outside_the_views_is_json_for_the_api():
    from django.core.exceptions import PermissionDenied

    from core.errors import permission_denied

    api = permission_denied(RequestFactory().get("/api/v1/claims/"), PermissionDenied())
    assert api.status_code == 403
    assert json.loads(api.content)["code"] == "permission_denied"
    page = permission_denied(RequestFactory().get("/admin/"), PermissionDenied())
    assert page.status_code == 403
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_a_write_with_a_session_while_the_database_is_away_is_a_json_503_even_with_debug_on(monkeypatch):
    from django.contrib.sessions.backends.db import SessionStore

    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(roles=["editor"], is_staff=True))

    def database_away(self):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr(SessionStore, "_get_session_from_db", database_away)
    response = client.post("/api/v1/sources/", {"name": "N"}, content_type="application/json")

    assert detail(response, 503, "unavailable").startswith("The database is unavailable")
    assert response["Retry-After"] == "5"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["//api/v1/claims/", "///api/v1/claims/", "//api/", "//api"])
def test_a_doubled_slash_before_api_is_a_json_404(path):
    # PATH_INFO as a server passes it: the test client would read "//api" as a host.
    response = Client().get("/", PATH_INFO=path)
    error_body(response, 404, "not_found")


@pytest.mark.django_db
def test_a_redirect_says_no_body_type(api_client):
    response = api_client.get("/api/v1/claims")
    assert response.status_code == 308
    assert "Content-Type" not in response
    assert response.content == b""
    appended = Client().get("/api")  # Django's APPEND_SLASH
    assert appended.status_code == 301
    assert appended["Location"] == "/api/"
    assert "Content-Type" not in appended


def raw_get(base: str, target: str, host: str) -> tuple[int, dict[str, str], bytes]:
    """GET ``target`` as written, with a Host header of our choosing (an empty one too)."""
    address, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(address, int(port), timeout=10)
    conn.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", host)
    conn.endheaders()
    response = conn.getresponse()
    answer = response.status, {name.lower(): value for name, value in response.getheaders()}, response.read()
    conn.close()
    return answer


@pytest.mark.slow
def test_under_gunicorn_what_django_refuses_before_the_views_is_json(committed_db):
    fields = "&".join(["a"] * 1001)
    with gunicorn(database_url(connection.settings_dict), workers=1) as base:
        answers = {
            "evil host": raw_get(base, "/api/v1/claims/", "evil.com"),
            "empty host": raw_get(base, "/api/v1/claims/", ""),
            "1001 fields": raw_get(base, f"/api/v1/claims/?{fields}", "127.0.0.1"),
            "doubled slash": raw_get(base, "//api/v1/claims/", "127.0.0.1"),
        }
        redirect = raw_get(base, "/api/v1/claims", "127.0.0.1")

    for name, (status, headers, body) in answers.items():
        assert (name, status, headers["content-type"]) == (
            name,
            404 if name == "doubled slash" else 400,
            "application/json",
        )
        error = json.loads(body)
        assert error == {
            "detail": error["detail"],
            "code": error["code"],
            "errors": [{"field": None, "message": error["detail"], "code": error["code"]}],
        }
    assert redirect[0] == 308
    assert redirect[1]["location"] == "/api/v1/claims/"
    assert "content-type" not in redirect[1]
