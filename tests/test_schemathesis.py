"""The API answers as its own OpenAPI schema says, for every operation, as an editor and anonymously.

Schemathesis generates requests from the schema the app serves (valid ones and
invalid ones) and sends them in-process to the WSGI application; every answer
must be no server error, with a documented status code, a documented media type,
documented headers and a body that matches the documented schema. The database
holds a small graph (the seed's chain, a draft, a confidential source) and
generated ids are mapped onto it, so most requests reach real records.

Bounded for CI: a fixed seed, the schema's boundary values (the coverage
phase, valid inputs only) plus a few generated examples, valid and invalid, per
operation and identity, no shrinking. The line printed at the end is what the
run measured.
"""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from psycopg.pq import TransactionStatus
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup, ServerError
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.test import Client

from claims.models import ClaimStatus, ForeignReview, Topic
from claims.services import HopInput, chain_record
from tests.errors import PUBLICATION_REFUSED
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory

MAX_EXAMPLES = 15
SCHEMA_PATH = "/api/v1/schema/?format=json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# An id that names nothing: some requests must meet a 404.
MISSING_ID = 2_000_000_000

config = schemathesis.Config.from_dict(
    {
        "seed": 20240601,
        "suppress-health-check": ["all"],
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            "no-shrink": True,
            # Credentials are ours to choose (an editor's token, or none), not generated.
            "with-security-parameters": False,
        },
        "phases": {
            # The coverage phase sends the schema's boundary values (every enum member, lengths at
            # their limits, each optional field left out); its invalid variants are left to the
            # generated examples, which hold both kinds, so the run stays bounded.
            "coverage": {"generation": {"mode": "positive"}},
            # Stateful runs chain operations through links; one request per example is enough here.
            "stateful": {"enabled": False},
        },
    }
)
app = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, app, config=config)

# What the run measured, printed as one line when the module is done.
IDENTITIES = ["editor", "anonymous"]
STATS: Counter[str] = Counter()
RUNS: set[tuple[str, str]] = set()


@pytest.fixture(scope="module", autouse=True)
def _summary(request):
    yield
    if not RUNS:
        return
    operations = {operation for operation, _ in RUNS}
    identities = {identity for _, identity in RUNS}
    line = (
        f"schemathesis: {len(operations)} operations x {len(identities)} identities, "
        f"{STATS['requests']} requests ({STATS['2xx']} 2xx, {STATS['4xx']} 4xx, {STATS['5xx']} 5xx), "
        f"{STATS['failed_requests']} failed ({STATS['server_errors']} server errors, "
        f"{STATS['violations']} schema violations, {STATS['database_errors']} database errors)"
    )
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n" + line)


@pytest.fixture
def in_process_app():
    """The WSGI application served in the test's own transaction: as Django's test client
    does, requests do not close the connection (which would end the transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield app
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_data(db, settings, in_process_app):
    """A small graph for generated ids to land on, and budgets that do not throttle the run."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute", "user": "100000/minute", "login": "100000/minute"},
    }
    government = SourceFactory(name="Government of Azerbaijan", kind="government", country="AZ")
    publisher = SourceFactory(name="The article's publisher")
    reuters = SourceFactory(name="Reuters", kind="news_agency")
    ria = SourceFactory(name="RIA Novosti", kind="news_agency", aliases=["RIA"], country="RU")
    ministry = SourceFactory(name="Ministry of Defence of Azerbaijan", kind="government", parent=government)
    insider = SourceFactory(
        name="Colonel X", kind="anonymous", confidential=True, public_description="A source in the ministry"
    )
    unused = SourceFactory(name="Nobody cites me")
    document = DocumentFactory(title="Turkish troops in Azerbaijan for joint military drills", publisher=None)
    leak = DocumentFactory(title="A leak", publisher=insider)
    Topic.objects.create(name="Military", slug="military")
    published = ClaimFactory(text="Turkish troops are in Azerbaijan for a joint training exercise.", rating="true")
    draft = ClaimFactory(text="F-16s remained at Ganja airport.", status=ClaimStatus.DRAFT)
    unrated = ClaimFactory(text="Shusha is called Shushi by Armenians.")
    chain_record(
        claim=published,
        document=document,
        quote="Turkish troops are in Azerbaijan for a training exercise with the Azerbaijani military",
        hops=[
            HopInput(source=publisher, relation="reported", quote="..., Reuters reported."),
            HopInput(source=reuters, relation="citing", quote="Reuters said, citing Russia's RIA news agency"),
            HopInput(source=ria, relation="informed_by", quote="which was informed about the exercise"),
            HopInput(source=ministry),
        ],
    )
    chain_record(claim=draft, document=leak, quote="F-16s remained", hops=[HopInput(source=insider)])
    chain_record(claim=unrated, document=document, quote="Shusha", hops=[HopInput(source=publisher)])
    # Another organisation's review with no verdict on our scale and no address of its own.
    ForeignReview.objects.create(claim=published, claim_reviewed="Turkish troops are in Azerbaijan.", author="Other")
    ForeignReview.objects.create(
        claim=published,
        claim_reviewed="Turkish troops are in Azerbaijan.",
        url="https://factcheck.example.org/reviews/1",
        author_url="https://factcheck.example.org/",
        rating="mostly_true",
        rating_label="Mostly accurate",
    )
    editor = UserFactory(roles=["editor"], is_staff=True)
    return {
        "token": Token.objects.create(user=editor).key,
        "ids": {
            "claims": [published.pk, draft.pk, unrated.pk, MISSING_ID],
            "sources": [s.pk for s in (government, publisher, reuters, ria, ministry, insider, unused)] + [MISSING_ID],
            "documents": [document.pk, leak.pk, MISSING_ID],
        },
    }


# Body fields that hold an id, and what they name.
_BODY_IDS = {"source": "sources", "parent": "sources", "publisher": "sources", "document": "documents"}


def _pick(pool: list[int], generated: int) -> int:
    return pool[generated % len(pool)]


def _as_id(value) -> int | None:
    """A generated integer (path parameters come as text too), or None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    return None


def _land_ids(case, ids: dict[str, list[int]]) -> None:
    """Generated integers as ids of records that exist (or, for some, of none)."""
    resource = case.operation.path.split("/")[3]
    if resource in ids:
        for name, value in (case.path_parameters or {}).items():
            if _as_id(value) is not None:
                case.path_parameters[name] = _pick(ids[resource], _as_id(value))

    def walk(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in _BODY_IDS and isinstance(item, int) and not isinstance(item, bool):
                    value[key] = _pick(ids[_BODY_IDS[key]], item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    if isinstance(case.body, (dict, list)):
        walk(case.body)


@pytest.mark.parametrize("identity", IDENTITIES)
@schema.parametrize()
def test_the_api_answers_as_its_schema_says(case, identity, api_data):
    _land_ids(case, api_data["ids"])
    headers = {"Authorization": f"Token {api_data['token']}"} if identity == "editor" else {}
    # The WSGI client does not undo gzip; compression has tests of its own.
    headers["Accept-Encoding"] = "identity"
    RUNS.add((case.operation.label, identity))
    STATS["requests"] += 1
    response = case.call(headers=headers)
    STATS[f"{response.status_code // 100}xx"] += 1
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except FailureGroup as group:
        STATS["failed_requests"] += 1
        for failure in group.exceptions:
            STATS["server_errors" if isinstance(failure, ServerError) else "violations"] += 1
        raise
    # Input must be refused before SQL: a statement the database rejected (answered 400 by
    # the error handler) would fail a transaction the request runs in.
    if connection.connection is not None and connection.connection.info.transaction_status == TransactionStatus.INERROR:
        STATS["failed_requests"] += 1
        STATS["database_errors"] += 1
        pytest.fail(f"The database refused a statement for {case.as_curl_command(headers=headers)}")


# Errors the generated requests rarely meet, asked for on purpose: (name, identity, method,
# path, query, headers, body, the status expected). Bodies are sent as they are written here.
ERROR_PROBES = [
    ("no credentials", "anonymous", "GET", "/api/v1/documents/", "", {}, None, 401),
    ("a bad token", "anonymous", "GET", "/api/v1/claims/", "", {"Authorization": "Token nope"}, None, 401),
    ("history without the auditor role", "editor", "GET", "/api/v1/claims/{claim}/history/", "", {}, None, 403),
    ("an id that names nothing", "anonymous", "GET", "/api/v1/claims/{missing}/", "", {}, None, 404),
    ("a draft, anonymously", "anonymous", "GET", "/api/v1/claims/{draft}/trace/", "", {}, None, 404),
    ("a page that does not exist", "editor", "GET", "/api/v1/sources/", "page=999", {}, None, 404),
    ("a tampered cursor", "anonymous", "GET", "/api/v1/claims/", "cursor=bm9wZQ", {}, None, 404),
    ("an unacceptable Accept", "anonymous", "GET", "/api/v1/claims/{claim}/", "", {"Accept": "text/csv"}, None, 406),
    ("a source still in use", "editor", "DELETE", "/api/v1/sources/{used_source}/", "", {}, None, 409),
    ("a stale If-Match", "editor", "PATCH", "/api/v1/claims/{claim}/", "", {"If-Match": '"stale"'}, b"{}", 412),
    ("a body over the limit", "editor", "POST", "/api/v1/sources/", "", {}, b'{"name": "' + b"x" * 3000 + b'"}', 413),
    ("an address over 4 KiB", "anonymous", "GET", "/api/v1/claims/", "search=" + "x" * 5000, {}, None, 414),
    ("an unsupported media type", "editor", "POST", "/api/v1/sources/", "", {"Content-Type": "text/plain"}, b"x", 415),
    ("a NUL in the query", "anonymous", "GET", "/api/v1/claims/", "search=a%00b", {}, None, 400),
    ("malformed JSON", "editor", "POST", "/api/v1/sources/", "", {}, b'{"name": ', 400),
    ("a nested field", "editor", "POST", "/api/v1/sources/", "", {}, b'{"name": "N", "aliases": [1, {}]}', 400),
    ("a filter out of range", "editor", "GET", "/api/v1/claims/", "rating=great", {}, None, 400),
    ("a bad chain", "editor", "POST", "/api/v1/claims/{claim}/chains/", "", {}, b'{"hops": [{"source": 0}]}', 400),
]


@pytest.mark.parametrize(
    ("identity", "method", "path", "query", "headers", "body", "expected"),
    [pytest.param(*probe[1:], id=probe[0]) for probe in ERROR_PROBES],
)
def test_errors_are_answered_as_documented(identity, method, path, query, headers, body, expected, api_data, settings):
    """Each error status the schema documents, met on purpose, in its documented shape and headers."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    ids = api_data["ids"]
    names = {
        "claim": ids["claims"][0],
        "draft": ids["claims"][1],
        "missing": MISSING_ID,
        "used_source": ids["sources"][1],
    }
    headers = dict(headers)
    if identity == "editor":
        headers.setdefault("Authorization", f"Token {api_data['token']}")
    if body is not None:
        headers.setdefault("Content-Type", "application/json")
    operation = schema[re.sub(r"\{\w+\}", "{id}", path)][method]

    response = Client(app).open(path.format(**names), method=method, query_string=query, headers=headers, data=body)

    assert response.status_code == expected, response.get_data(as_text=True)
    operation.Case().validate_response(response, checks=CHECKS)
    assert_one_error_shape(response)


def test_too_many_requests_are_answered_as_documented(api_data, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/day", "user": "2/day", "login": "2/day"},
    }
    client = Client(app)

    responses = [client.get("/api/v1/claims/") for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 429]
    schema["/api/v1/claims/"]["GET"].Case().validate_response(responses[-1], checks=CHECKS)
    assert_one_error_shape(responses[-1])


def assert_one_error_shape(response) -> None:
    """The one error shape (the schema checks types; this, that every item is read in ``detail``)."""
    body = json.loads(response.get_data())
    assert list(body) == ["detail", "code", "errors"], body
    read = [f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in body["errors"]]
    assert body["detail"] == "; ".join(read), body
    if body["code"] in PUBLICATION_REFUSED:
        # What to do first, then an item per checklist item in the way (claims.api.views.publish_refused).
        assert body["errors"][0]["field"] is None and body["errors"][0]["code"] == body["code"], body
    elif body["code"] != "invalid":
        assert body["errors"] == [{"field": None, "message": body["detail"], "code": body["code"]}], body


def _operations():
    for path, item in schema.raw_schema["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def test_every_operation_documents_the_errors_it_can_answer():
    for path, method, operation in _operations():
        responses = operation["responses"]
        label = f"{method} {path}"
        for status in ("400", "401", "406", "414", "503"):
            assert status in responses, f"{label} does not document {status}"
        for status, response in responses.items():
            if status >= "400":
                assert response["description"], f"{label} {status}"
                assert "application/json" in response["content"], f"{label} {status}"
        assert "Retry-After" in responses["503"]["headers"]
        assert "Retry-After" in responses["429"]["headers"], label
        assert ("413" in responses) == ("415" in responses) == ("requestBody" in operation), label
        if "412" in responses:
            assert method in ("PATCH", "DELETE"), label
        if "{id}" in path:
            assert "404" in responses, label


def test_anonymous_access_is_declared_where_it_is_allowed():
    anonymous = {f"{method} {path}" for path, method, op in _operations() if {} in op["security"]}

    assert anonymous == {
        "GET /api/v1/",
        "POST /api/v1/auth/token/",
        "GET /api/v1/claims/",
        "GET /api/v1/claims/{id}/",
        "GET /api/v1/claims/{id}/trace/",
        "GET /api/v1/claims/traces/",
        "GET /api/v1/claims/similar/",
        "GET /api/v1/claims/{id}/claimreview/",
        "GET /api/v1/claims/{id}/prov/",
        "GET /api/v1/claimreview/",
        "GET /api/v1/sources/",
        "GET /api/v1/sources/{id}/",
        "GET /api/v1/topics/",
        "GET /api/v1/topics/{id}/",
    }
    assert schema.raw_schema["servers"]


def test_the_schema_is_served_as_json(client):
    response = client.get(SCHEMA_PATH)

    assert response.status_code == 200
    assert json.loads(response.content)["paths"]
