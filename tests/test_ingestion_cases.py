"""The annotated articles (ingestion/cases) imported over the API against their registry
in the database, as a newsroom would import them: each proposal's chain is the one
``manage.py evaluate_extraction`` scores (which resolves with the registry in memory),
source for source, so the evaluation's figures are the import's; and junk proposes
nothing."""

from __future__ import annotations

import pytest

from ingestion.evaluation import CASES, load, proposals_of
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda path: path.stem)
def test_each_chain_through_the_api_is_the_one_the_evaluation_scores(editor_client, path):
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
    # Sources the registry does not know are compared as unknown ("?"), whatever their words.
    imported = [[names[hop["source"]] if hop["source"] else "?" for hop in p["hops"]] for p in proposals]
    evaluated = [["?" if name.startswith("?") else name for name in chain] for _, chain in proposals_of(case)]
    assert imported == evaluated
    for line in case.get("junk", []):
        assert not any(line in p["sentence"] or p["sentence"] in line for p in proposals)
