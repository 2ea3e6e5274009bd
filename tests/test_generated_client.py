"""A client generated from our OpenAPI schema works: openapi-python-client (the
generator Python clients are commonly made with) reads the schema without a
warning, and the client it makes searches, traces, lists dependents and reads an
error, against the app served on a real port, with typed answers, not None."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from claims.models import ClaimStatus
from claims.services import HopInput, chain_record
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory

PACKAGE = "factcheck_generated_client"


@pytest.fixture(scope="module")
def client_package(tmp_path_factory, django_db_setup, django_db_blocker) -> Path:
    """The schema as the app serves it, and the client generated from it (once per run)."""
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        schema = APIClient().get("/api/v1/schema/?format=json").json()
    folder = tmp_path_factory.mktemp("client")
    (folder / "schema.json").write_text(json.dumps(schema))
    bin_dir = Path(sys.executable).parent
    done = subprocess.run(
        [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            "schema.json",
            "--meta",
            "none",
            "--output-path",
            PACKAGE,
        ],
        cwd=folder,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # A schema the generator had to guess about would leave pieces out of the client.
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    return folder


@pytest.fixture
def generated(client_package, monkeypatch):
    monkeypatch.syspath_prepend(str(client_package))
    for name in [n for n in sys.modules if n.startswith(PACKAGE)]:
        del sys.modules[name]
    return importlib.import_module(PACKAGE)


@pytest.fixture
def newsroom(committed_db):
    ministry = SourceFactory(name="Ministry of Defence of Azerbaijan", kind="government")
    ria = SourceFactory(name="RIA Novosti", kind="news_agency", aliases=["RIA"])
    reuters = SourceFactory(name="Reuters", kind="news_agency")
    claim = ClaimFactory(
        text="Turkish F-16 jets stayed at Ganja airport.", status=ClaimStatus.PUBLISHED, rating="mostly_true"
    )
    chain_record(
        claim=claim,
        document=DocumentFactory(),
        quote="F-16s remained at Ganja International Airport",
        hops=[
            HopInput(source=reuters, relation="citing"),
            HopInput(source=ria, relation="informed_by"),
            HopInput(source=ministry),
        ],
    )
    ClaimFactory(text="A draft about Ganja.", status=ClaimStatus.DRAFT)
    # Unrated ("" on the wire), which a generated client once refused to read.
    unrated = ClaimFactory(text="RIA said more.", status=ClaimStatus.PUBLISHED, rating="")
    chain_record(claim=unrated, document=None, quote="", hops=[HopInput(source=ria)])
    editor = UserFactory(roles=["editor"], is_staff=True)
    from rest_framework.authtoken.models import Token

    return {
        "claim": claim,
        "unrated": unrated,
        "ria": ria,
        "ministry": ministry,
        "token": Token.objects.create(user=editor).key,
    }


@pytest.mark.slow
def test_a_generated_client_searches_traces_lists_dependents_and_reads_errors(generated, newsroom, live_server):
    from factcheck_generated_client.api.claims import claims_list, claims_retrieve, claims_trace_retrieve
    from factcheck_generated_client.api.sources import sources_dependents_list
    from factcheck_generated_client.models import Error, PaginatedClaimListList, PaginatedDependentList, Trace

    public = generated.Client(base_url=live_server.url, raise_on_unexpected_status=True)
    editor = generated.AuthenticatedClient(base_url=live_server.url, token=newsroom["token"], prefix="Bearer")
    claim = newsroom["claim"]

    found = claims_list.sync(client=public, search="Gandja airport")
    assert isinstance(found, PaginatedClaimListList)
    assert [c.id for c in found.results] == [claim.pk]
    assert "<mark>" in found.results[0].search.snippet

    trace = claims_trace_retrieve.sync(client=public, id=claim.pk)
    assert isinstance(trace, Trace)
    assert [o.name for o in trace.origins] == ["Ministry of Defence of Azerbaijan"]
    assert trace.independent_origins == 1
    assert trace.chains_total == 1 and not trace.chains_truncated

    dependents = sources_dependents_list.sync(client=editor, id=newsroom["ria"].pk)
    assert isinstance(dependents, PaginatedDependentList)
    assert [(d.id, str(d.role)) for d in dependents.results] == [
        (newsroom["unrated"].pk, "origin"),
        (claim.pk, "intermediary"),
    ]

    missing = claims_retrieve.sync_detailed(client=public, id=2_000_000_000)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, Error)
    assert missing.parsed.code == "not_found"

    refused = claims_list.sync_detailed(client=public, search="the")
    assert refused.status_code == 400
    assert isinstance(refused.parsed, Error)
    assert "too common" in refused.parsed.detail
