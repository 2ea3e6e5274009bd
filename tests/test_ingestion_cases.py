"""The annotated articles (ingestion/cases) imported over the API against their registry
in the database, as a newsroom would import them: every chain an editor recorded is
proposed whole with the registry's sources (``manage.py evaluate_extraction`` scores
the reader with the registry in memory; this holds the database's resolution to it)."""

from __future__ import annotations

import pytest

from ingestion.evaluation import CASES, load
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda path: path.stem)
def test_each_recorded_chain_is_proposed_whole_through_the_api(editor_client, path):
    case = load(path)
    sources = {
        known["name"]: SourceFactory(name=known["name"], aliases=known.get("aliases", [])) for known in case["registry"]
    }
    publisher = sources.get(case["publisher"]) or SourceFactory(name=case["publisher"])
    names = {source.pk: name for name, source in sources.items()} | {publisher.pk: case["publisher"]}

    response = editor_client.post(
        "/api/v1/documents/import/", {"text": case["body"], "publisher": publisher.pk}, format="json"
    )

    assert response.status_code == 201, response.json()
    proposals = response.json()["proposals"]
    for recorded in case["chains"]:
        proposal = next(p for p in proposals if recorded["quote"] in p["sentence"])
        got = [names[hop["source"]] if hop["source"] else f"?{hop['mention']}" for hop in proposal["hops"]]
        assert [name.casefold() for name in got] == [name.casefold() for name in recorded["chain"]], recorded["quote"]
    for line in case.get("junk", []):
        assert not any(line in p["sentence"] or p["sentence"] in line for p in proposals)
