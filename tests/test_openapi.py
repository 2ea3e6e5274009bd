from __future__ import annotations

import io
import os

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.drainage import GENERATOR_STATS

from claims import provenance
from tests.factories import ClaimFactory


def test_the_openapi_schema_validates_without_warnings(capsys):
    # Warnings are counted process-wide; count only this generation's.
    GENERATOR_STATS.reset()

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull)

    assert "Warning" not in capsys.readouterr().err


@pytest.fixture
def schema() -> dict:
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    return yaml.safe_load(out.getvalue())


@pytest.mark.django_db
def test_the_schema_documents_the_trace_and_its_as_of_parameter(schema):
    trace = schema["paths"]["/api/v1/claims/{id}/trace/"]["get"]
    actual_keys = {"claim", *provenance.trace(ClaimFactory()).as_dict()}

    assert [p["name"] for p in trace["parameters"]] == ["as_of", "chain_limit", "id"]
    assert trace["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Trace"}
    # The documented shape follows what Trace.as_dict really returns.
    assert set(schema["components"]["schemas"]["Trace"]["properties"]) == actual_keys


def test_the_schema_documents_chains_and_dependents(schema):
    chains = schema["paths"]["/api/v1/claims/{id}/chains/"]["post"]
    dependents = schema["paths"]["/api/v1/sources/{id}/dependents/"]["get"]

    assert chains["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ChainRequest"
    }
    assert chains["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ChainRecorded"
    }
    recorded = schema["components"]["schemas"]["ChainRecorded"]
    assert recorded["properties"]["notices"]["type"] == "array" and "notices" in recorded["required"]
    flags = {name: s for name, s in schema["components"]["schemas"].items() if "no_evidence" in s.get("enum", [])}
    assert flags, "the flag enum lists no_evidence"
    evidence = schema["components"]["schemas"]["Evidence"]["properties"]
    assert set(evidence) == {"document", "quote", "relation"}
    assert [p["name"] for p in dependents["parameters"]] == ["cursor", "format", "id", "page_size", "rating", "status"]


def test_claims_and_documents_offer_no_delete(schema):
    assert {"get", "patch"} <= set(schema["paths"]["/api/v1/claims/{id}/"])
    assert not {"put", "delete"} & set(schema["paths"]["/api/v1/claims/{id}/"])
    assert not {"put", "delete"} & set(schema["paths"]["/api/v1/documents/{id}/"])
    assert "delete" in schema["paths"]["/api/v1/sources/{id}/"]
