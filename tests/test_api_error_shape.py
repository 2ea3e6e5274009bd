"""One error shape for every API error, whoever answers it: the DRF exception handler,
the 404 and 500 handlers, the middleware, Django's own conditional GET, a view that
builds its own answer. ``{"detail", "code", "errors": [{"field", "message", "code"}]}``,
a code per message, and the schema says so for every error it documents."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError, connection
from django.test import Client
from rest_framework.test import APIClient

from claims import provenance
from claims.models import ClaimStatus
from claims.services import HopInput, chain_record
from core import errors as core_errors
from core.errors import error_body as build_error_body
from core.errors import flatten_errors, messages_by_field, validation_error_body
from tests.errors import codes, detail, error_body, messages
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db


def one_error(message: str, code: str) -> dict:
    return {"detail": message, "code": code, "errors": [{"field": None, "message": message, "code": code}]}


# --- validation: an item per message, by path, each with its own code --------------------


def test_a_bad_chain_names_each_nested_field_with_its_message_and_code(editor_client):
    claim = ClaimFactory()
    reuters = SourceFactory(name="Reuters")
    body = {"hops": [{"source": 0}, {"source": reuters.id, "relation": "gossip", "quote": "x" * 5001}, {}]}

    response = editor_client.post(f"/api/v1/claims/{claim.id}/chains/", body, format="json")

    assert response.json() == {
        "detail": "hops[0].source: Ensure this value is greater than or equal to 1.; "
        'hops[1].relation: "gossip" is not a valid choice.; '
        "hops[1].quote: Ensure this field has no more than 5000 characters.; "
        "hops[2].source: This field is required.",
        "code": "invalid",
        "errors": [
            {
                "field": "hops[0].source",
                "message": "Ensure this value is greater than or equal to 1.",
                "code": "min_value",
            },
            {"field": "hops[1].relation", "message": '"gossip" is not a valid choice.', "code": "invalid_choice"},
            {
                "field": "hops[1].quote",
                "message": "Ensure this field has no more than 5000 characters.",
                "code": "max_length",
            },
            {"field": "hops[2].source", "message": "This field is required.", "code": "required"},
        ],
    }
    error_body(response, 400, "invalid")


def test_an_unknown_source_in_a_hop_is_named_at_its_path(editor_client):
    claim = ClaimFactory()
    reuters = SourceFactory(name="Reuters")

    response = editor_client.post(
        f"/api/v1/claims/{claim.id}/chains/", {"hops": [{"source": reuters.id}, {"source": 999999}]}, format="json"
    )

    assert response.json() == {
        "detail": "hops[1].source: No source has id 999999.",
        "code": "invalid",
        "errors": [{"field": "hops[1].source", "message": "No source has id 999999.", "code": "does_not_exist"}],
    }


def test_an_unknown_related_record_is_does_not_exist(editor_client):
    response = editor_client.post("/api/v1/sources/", {"name": "ok", "parent": 999999}, format="json")

    assert response.json() == {
        "detail": 'parent: Invalid pk "999999" - object does not exist.',
        "code": "invalid",
        "errors": [
            {"field": "parent", "message": 'Invalid pk "999999" - object does not exist.', "code": "does_not_exist"}
        ],
    }


def test_several_fields_of_a_write_each_keep_their_code(editor_client):
    body = {"text": "", "status": "bogus", "rating": 5, "event_start": "last summer"}

    response = editor_client.post("/api/v1/claims/", body, format="json")

    assert codes(response) == {
        "text": ["blank"],
        "status": ["invalid_choice"],
        "rating": ["invalid_choice"],
        "event_start": ["invalid"],
    }
    assert detail(response, 400, "invalid") == (
        "text: This field may not be blank.; "
        'status: "bogus" is not a valid choice.; '
        'rating: "5" is not a valid choice.; '
        "event_start: Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
    )


def test_a_list_item_is_named_by_its_position(editor_client):
    response = editor_client.post(
        "/api/v1/sources/", json.dumps({"name": "ok", "aliases": ["fine", "a\x00"]}), content_type="application/json"
    )

    assert response.json()["errors"] == [
        {
            "field": "aliases[1]",
            "message": "The text contains a NUL character at position 1, which cannot be stored.",
            "code": "invalid",
        }
    ]
    error_body(response, 400, "invalid")


def test_a_unique_field_says_unique(editor_client):
    SourceFactory(wikidata_qid="Q130879")

    response = editor_client.post("/api/v1/sources/", {"name": "Reuters again", "wikidata_qid": "Q130879"})

    assert response.json() == {
        "detail": "wikidata_qid: source with this Wikidata QID already exists.",
        "code": "invalid",
        "errors": [
            {"field": "wikidata_qid", "message": "source with this Wikidata QID already exists.", "code": "unique"}
        ],
    }


def test_a_service_error_keeps_the_code_it_was_raised_with(editor_client):
    """Django keeps the code of a ValidationError raised with a dict only in its args."""
    SourceFactory(name="RIA Novosti", aliases=["RIA"])
    taken = DocumentFactory(url="https://news.example.org/report")

    clash = editor_client.post("/api/v1/sources/", {"name": "R.I.A."}, format="json")
    address = editor_client.post("/api/v1/documents/", {"title": "Copy", "url": taken.url}, format="json")

    assert codes(clash) == {"name": ["duplicate_name", "duplicate_name"]}
    assert codes(address) == {"url": ["unique"]}


def test_an_error_about_the_input_as_a_whole_has_no_field(editor_client):
    response = editor_client.post("/api/v1/claims/", [1, 2], format="json")

    assert response.json() == one_error("Invalid data. Expected a dictionary, but got list.", "invalid")


def test_an_unknown_query_parameter_is_named_as_the_field(api_client):
    response = api_client.get("/api/v1/claims/?bogus=1")

    (item,) = error_body(response, 400, "invalid")["errors"]
    assert (item["field"], item["code"]) == ("bogus", "invalid")
    assert item["message"].startswith("This list has no parameter 'bogus'; it knows: ")


def test_a_filter_value_out_of_its_choices_says_so(api_client):
    response = api_client.get("/api/v1/claims/?rating=great")

    assert list(codes(response)) == ["rating"]
    assert "great" in messages(response)["rating"][0]


def test_wrong_credentials_at_the_token_endpoint_are_a_field_less_item(api_client):
    UserFactory(username="alice", password="correct horse battery staple")

    wrong = api_client.post("/api/v1/auth/token/", {"username": "alice", "password": "nope"}, format="json")
    missing = api_client.post("/api/v1/auth/token/", {}, format="json")

    assert wrong.json() == {
        "detail": "Unable to log in with provided credentials.",
        "code": "invalid",
        "errors": [{"field": None, "message": "Unable to log in with provided credentials.", "code": "authorization"}],
    }
    assert codes(missing) == {"username": ["required"], "password": ["required"]}
    assert detail(missing, 400) == "username: This field is required.; password: This field is required."


# --- the building blocks ------------------------------------------------------------------


def test_flattening_keeps_every_code_and_gives_one_that_came_without_invalid():
    from rest_framework.exceptions import ErrorDetail

    nested = {
        "hops": [{}, {"source": [ErrorDetail("No source has id 9.", code="does_not_exist")]}],
        "aliases": {"0": ["plain text"]},
        "non_field_errors": [ErrorDetail("Whole.", code="conflict")],
    }

    flat = flatten_errors(nested)

    assert {field: [(str(m), m.code) for m in ms] for field, ms in flat.items()} == {
        "hops[1].source": [("No source has id 9.", "does_not_exist")],
        "aliases[0]": [("plain text", "invalid")],
        "non_field_errors": [("Whole.", "conflict")],
    }
    assert validation_error_body(nested) == {
        "detail": "hops[1].source: No source has id 9.; aliases[0]: plain text; Whole.",
        "code": "invalid",
        "errors": [
            {"field": "hops[1].source", "message": "No source has id 9.", "code": "does_not_exist"},
            {"field": "aliases[0]", "message": "plain text", "code": "invalid"},
            {"field": None, "message": "Whole.", "code": "conflict"},
        ],
    }


def test_a_django_validation_error_keeps_its_codes():
    error = DjangoValidationError(
        {
            "__all__": [DjangoValidationError("The event cannot end before it starts.", code="order")],
            "text": [DjangoValidationError("At most %(n)s characters.", code="max_length", params={"n": 5})],
            "url": "Taken.",
        },
        code="unique",
    )

    assert {field: [(str(m), m.code) for m in ms] for field, ms in messages_by_field(error).items()} == {
        "__all__": [("The event cannot end before it starts.", "order")],
        "text": [("At most 5 characters.", "max_length")],
        "url": [("Taken.", "unique")],
    }
    assert [item["field"] for item in validation_error_body(messages_by_field(error))["errors"]] == [
        None,
        "text",
        "url",
    ]
    assert messages_by_field(DjangoValidationError("Nothing to go on.")) == {"__all__": ["Nothing to go on."]}
    assert messages_by_field(DjangoValidationError("Nothing to go on."))["__all__"][0].code == "invalid"


def test_an_error_that_is_not_about_input_is_its_own_one_item():
    assert build_error_body("Not found.", "not_found") == one_error("Not found.", "not_found")


# --- every other producer ------------------------------------------------------------------


def test_a_404_from_a_view(api_client):
    draft = ClaimFactory(status=ClaimStatus.DRAFT)

    response = api_client.get(f"/api/v1/claims/{draft.id}/")

    assert response.json() == one_error("Not found.", "not_found")


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_a_404_for_a_path_under_api_that_names_nothing(api_client, method):
    response = getattr(api_client, method)("/api/v1/nothing/")

    assert response.json() == one_error("Not found. The API's paths are listed at /api/v1/docs/.", "not_found")
    assert response["Content-Type"] == "application/json"


def test_a_404_outside_the_api_is_still_a_page(db):
    response = Client().get("/nothing-here/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_401_keeps_its_www_authenticate(api_client):
    response = api_client.get("/api/v1/documents/")

    assert response.json() == one_error("Authentication credentials were not provided.", "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_a_403(client_for, editor):
    response = client_for(editor).get(f"/api/v1/claims/{ClaimFactory().id}/history/")

    assert response.json() == one_error("Change history is for auditors.", "permission_denied")


def test_a_405_keeps_its_allow(editor_client):
    response = editor_client.put(f"/api/v1/claims/{ClaimFactory().id}/", {}, format="json")

    assert response.json() == one_error('Method "PUT" not allowed.', "method_not_allowed")
    assert response["Allow"] == "GET, PATCH, HEAD, OPTIONS"


def test_a_406(api_client):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)

    response = api_client.get(f"/api/v1/claims/{claim.id}/", HTTP_ACCEPT="text/csv")

    assert error_body(response, 406, "not_acceptable")["errors"][0]["field"] is None


def test_a_409_from_a_view_that_answers_itself(editor_client):
    used = SourceFactory(name="RIA Novosti")
    chain_record(claim=ClaimFactory(), hops=[HopInput(source=used)])

    response = editor_client.delete(f"/api/v1/sources/{used.id}/")

    assert response.json() == one_error("RIA Novosti is used by attribution chains; it cannot be deleted.", "in_use")
    assert int(response["Content-Length"]) == len(response.content)


def test_a_412_for_a_stale_if_match(editor_client):
    claim = ClaimFactory()

    response = editor_client.patch(f"/api/v1/claims/{claim.id}/", {"text": "x"}, format="json", HTTP_IF_MATCH='"no"')

    assert response.json() == one_error(
        "This record was changed by someone else since you read it. "
        "GET it again, re-apply your change and send the new ETag in If-Match.",
        "changed_since_read",
    )


def test_a_412_from_djangos_conditional_get(editor_client):
    """Django answers a GET whose If-Match names another version with an empty 412 of its own."""
    claim = ClaimFactory()

    response = editor_client.get(f"/api/v1/claims/{claim.id}/", HTTP_IF_MATCH='"another version"')

    assert response.json() == one_error(
        "The record is not the version your If-Match (or If-Unmodified-Since) header names: "
        "it changed since you read it. GET it again.",
        "changed_since_read",
    )
    assert response["Content-Type"] == "application/json"
    assert not response.has_header("ETag")


def test_a_413(editor_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048

    response = editor_client.post("/api/v1/sources/", {"name": "x" * 3000}, format="json")

    assert response.json() == one_error("The request body is too large.", "too_large")


def test_a_414_from_the_middleware(api_client):
    response = api_client.get("/api/v1/claims/", {"search": "x" * 5000})

    assert response.json() == one_error("The address is 5023 characters long; the limit is 4096.", "uri_too_long")


def test_a_400_from_the_middleware(api_client):
    response = api_client.get("/api/v1/claims/?search=a%00")

    assert response.json() == one_error(
        "The address contains a NUL character at position 1 in the query parameter 'search', which is not allowed.",
        "invalid",
    )


def test_a_415(editor_client):
    response = editor_client.post("/api/v1/claims/", "text=hi", content_type="text/plain")

    assert response.json() == one_error('Unsupported media type "text/plain" in request.', "unsupported_media_type")


def test_a_parse_error(editor_client):
    response = editor_client.post("/api/v1/claims/", "{bad", content_type="application/json")

    assert error_body(response, 400, "parse_error")["detail"].startswith("JSON parse error - ")


def test_a_429_keeps_its_retry_after(api_client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "2/day"}}
    ClaimFactory(status=ClaimStatus.PUBLISHED)

    *allowed, refused = [api_client.get("/api/v1/claims/") for _ in range(3)]

    assert [r.status_code for r in allowed] == [200, 200]
    wait = int(refused["Retry-After"])
    assert refused.json() == one_error(f"Request was throttled. Expected available in {wait} seconds.", "throttled")


def test_a_table_too_long(api_client, settings):
    settings.TABLE_MAX_ROWS = 1
    ClaimFactory.create_batch(2, status=ClaimStatus.PUBLISHED)

    response = api_client.get("/api/v1/claims/?format=csv")

    assert response.json() == one_error(
        "This selection holds more than 1 records, too many for one table: narrow it with the list's filters "
        "(dates, status, language) and ask for each part.",
        "too_many_rows",
    )


def test_a_503_when_a_statement_runs_out_of_time(monkeypatch):
    claim = ClaimFactory(status=ClaimStatus.PUBLISHED)

    def slow_trace(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 50")
            cursor.execute("SELECT pg_sleep(2)")

    monkeypatch.setattr(provenance, "trace_for", slow_trace)
    response = APIClient().get(f"/api/v1/claims/{claim.pk}/trace/")

    assert response.json() == one_error(core_errors.UNAVAILABLE_DETAIL, "unavailable")
    assert response["Retry-After"] == "5"


def _raise(exc: BaseException):
    def resolve(*args, **kwargs):
        raise exc

    return resolve


def test_a_503_when_the_database_goes_away_outside_a_view_of_drf(monkeypatch):
    """The last resort (handler500) tells a lost database from a crash."""
    monkeypatch.setattr(core_errors, "resolve", _raise(OperationalError("server closed the connection")))

    response = Client(raise_request_exception=False).get("/api/v1/nothing")

    assert response.json() == one_error(core_errors.UNAVAILABLE_DETAIL, "unavailable")
    assert response["Retry-After"] == "5"


def test_a_500_is_in_the_shape_too(monkeypatch):
    monkeypatch.setattr(core_errors, "resolve", _raise(RuntimeError("a bug")))

    response = Client(raise_request_exception=False).get("/api/v1/nothing")

    assert response.status_code == 500
    assert response.json() == one_error("Something went wrong on our side; it has been logged.", "error")


# --- the schema --------------------------------------------------------------------------


@pytest.fixture
def schema(api_client):
    return api_client.get("/api/v1/schema/?format=json").json()


def test_every_documented_error_refers_to_the_one_error_component(schema):
    documented = 0
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                assert response.get("content"), f"{method.upper()} {path} {status} has no body"
                for media_type, content in response["content"].items():
                    assert content["schema"] == {"$ref": "#/components/schemas/Error"}, (
                        f"{method.upper()} {path} {status} {media_type}"
                    )
                    documented += 1
    assert documented > 100


def test_the_error_components_say_what_each_field_is(schema):
    components = schema["components"]["schemas"]
    error, item = components["Error"], components["ErrorItem"]

    assert "ValidationError" not in components
    assert error["required"] == ["detail", "code", "errors"]
    assert set(error["properties"]) == {"detail", "code", "errors"}
    assert error["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/ErrorItem"}
    assert item["required"] == ["field", "message", "code"]
    assert item["properties"]["field"] == {**item["properties"]["field"], "type": "string", "nullable": True}
    for component in (error, item):
        assert component["description"]
        assert component["additionalProperties"] is False
        for name, field in component["properties"].items():
            assert len(field["description"]) > 20, name
