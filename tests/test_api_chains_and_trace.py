from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from claims.models import Attribution, Statement
from tests.conftest import iso
from tests.errors import detail, error_body, messages
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db


def ref(source) -> dict:
    return {"id": source.id, "name": source.name, "kind": source.kind, "confidential": False}


def doc_ref(document) -> dict:
    return {"id": document.id, "title": document.title, "url": document.url}


def hop(source, relation=None, document=None, quote=None, verified=None, closes_loop=False) -> dict:
    """A hop as the trace lists it, less its statement and edge ids (see ``hops``). Its
    evidence (``document``, ``quote``) is not repeated on hops: it is the edge's."""
    return {"source": ref(source), "relation": relation, "verified": verified, "closes_loop": closes_loop}


def hops(chains: list[list[dict]]) -> list[list[dict]]:
    """The chains without their statement and edge ids, which the tests do not know in advance."""
    return [[{k: v for k, v in h.items() if k not in ("statement", "edge")} for h in chain] for chain in chains]


def edge(edge_id, statement_id, upstream_id, relation, document, quote, verified=False) -> dict:
    return {
        "id": edge_id,
        "from": statement_id,
        "to": upstream_id,
        "relation": relation,
        "verified": verified,
        "evidence": [{"document": doc_ref(document), "quote": quote, "relation": relation}],
        "evidence_withheld": False,
    }


def post_chain(client, claim, hops, document=None, quote=""):
    return client.post(
        f"/api/v1/claims/{claim.id}/chains/",
        {"document": document.id if document else None, "quote": quote, "hops": hops},
        format="json",
    )


@pytest.fixture
def troops(db):
    """The seed article's sources, and its troops claim with no chain yet."""
    government = SourceFactory(name="Government of Azerbaijan", kind="government", country="AZ")
    return {
        "government": government,
        "publisher": SourceFactory(name="The article's publisher"),
        "reuters": SourceFactory(name="Reuters", kind="news_agency"),
        "ria": SourceFactory(name="RIA Novosti", kind="news_agency", aliases=["RIA"], country="RU"),
        "ministry": SourceFactory(
            name="Ministry of Defence of Azerbaijan", kind="government", parent=government, country="AZ"
        ),
        "document": DocumentFactory(title="Turkish troops in Azerbaijan for joint military drills", publisher=None),
        "claim": ClaimFactory(text="Turkish troops are in Azerbaijan for a joint training exercise."),
    }


TROOPS_QUOTE = "Turkish troops are in Azerbaijan for a training exercise with the Azerbaijani military"


def test_recording_the_seed_chain_answers_with_its_exact_trace(editor_client, troops):
    t = troops
    response = post_chain(
        editor_client,
        t["claim"],
        document=t["document"],
        quote=TROOPS_QUOTE,
        hops=[
            {"source": t["publisher"].id, "relation": "reported", "quote": "..., Reuters reported."},
            {"source": t["reuters"].id, "relation": "citing", "quote": "Reuters said, citing Russia’s RIA news agency"},
            {"source": t["ria"].id, "relation": "informed_by", "quote": "which was informed about the exercise"},
            {"source": t["ministry"].id},
        ],
    )

    assert response.status_code == 201, response.data
    claim = t["claim"]
    claim.refresh_from_db()
    doc = t["document"]
    s = [Statement.objects.get(claim=claim, source=t[k]).id for k in ("publisher", "reuters", "ria", "ministry")]
    e = list(Attribution.objects.filter(claim=claim).order_by("id").values_list("id", flat=True))
    body = response.json()
    assert body.pop("notices") == []  # a chain of its own: nothing merged
    assert body == {
        "claim": {
            "id": claim.id,
            "text": "Turkish troops are in Azerbaijan for a joint training exercise.",
            "status": "published",
            "rating": "",
            "rating_value": None,
            "rating_explanation": "",
            "topics": [],
            "event_start": None,
            "event_end": None,
            "event_approximate": False,
            "language": "en",
            "published_at": None,
            "created_at": iso(claim.created_at),
            "updated_at": iso(claim.updated_at),
            "appearances": [{"document": doc_ref(doc), "quote": TROOPS_QUOTE}],
            "reviews_elsewhere": [],
        },
        "as_of": None,
        "nodes": [
            {"id": s[0], "source": ref(t["publisher"]), "origin": False, "reporting_end": True},
            {"id": s[1], "source": ref(t["reuters"]), "origin": False, "reporting_end": False},
            {"id": s[2], "source": ref(t["ria"]), "origin": False, "reporting_end": False},
            {"id": s[3], "source": ref(t["ministry"]), "origin": True, "reporting_end": False},
        ],
        "edges": [
            edge(e[0], s[0], s[1], "reported", doc, "..., Reuters reported."),
            edge(e[1], s[1], s[2], "citing", doc, "Reuters said, citing Russia’s RIA news agency"),
            edge(e[2], s[2], s[3], "informed_by", doc, "which was informed about the exercise"),
        ],
        "chains": [
            [
                {"statement": s[0], "edge": e[0], **hop(t["publisher"], "reported", verified=False)},
                {"statement": s[1], "edge": e[1], **hop(t["reuters"], "citing", verified=False)},
                {"statement": s[2], "edge": e[2], **hop(t["ria"], "informed_by", verified=False)},
                {"statement": s[3], "edge": None, **hop(t["ministry"])},
            ]
        ],
        "chains_total": 1,
        "chains_total_exact": True,
        "chains_truncated": False,
        "origins": [ref(t["ministry"])],
        "independent_origins": 1,
        "origin_groups": [
            {
                "organisation": {"id": t["government"].id, "name": "Government of Azerbaijan"},
                "sources": [ref(t["ministry"])],
            }
        ],
        "unknown_origins": [],
        "flags": ["single_origin", "unverified_hop"],
        "flag_details": [
            {"flag": "single_origin", "message": "The only chain leads to Ministry of Defence of Azerbaijan."},
            {
                "flag": "unverified_hop",
                "message": "3 hops asserted but not checked: The article's publisher → Reuters; "
                "Reuters → RIA Novosti; RIA Novosti → Ministry of Defence of Azerbaijan.",
            },
        ],
    }
    # GET answers with the same trace.
    assert editor_client.get(f"/api/v1/claims/{claim.id}/trace/").json() == body


def test_a_missing_relation_defaults_to_according_to_and_a_hop_document_overrides_the_chains(editor_client, troops):
    t = troops
    other = DocumentFactory(title="RIA's own report")
    response = post_chain(
        editor_client,
        t["claim"],
        document=t["document"],
        hops=[
            {"source": t["reuters"].id},
            {"source": t["ria"].id, "relation": None, "document": other.id, "verified": True},
            {"source": t["ministry"].id, "relation": "quoting"},
        ],
    )

    assert response.status_code == 201, response.data
    assert hops(response.json()["chains"]) == [
        [
            hop(t["reuters"], "according_to", t["document"], "", False),
            hop(t["ria"], "according_to", other, "", True),
            hop(t["ministry"]),
        ]
    ]


def test_two_outlets_citing_ria_converge_on_one_ria_statement_and_one_origin(editor_client, troops):
    t = troops
    outlet = SourceFactory(name="Daily Sabah")
    for reporter in (t["reuters"], outlet):
        response = post_chain(
            editor_client,
            t["claim"],
            hops=[
                {"source": reporter.id, "relation": "citing"},
                {"source": t["ria"].id, "relation": "informed_by"},
                {"source": t["ministry"].id},
            ],
        )
        assert response.status_code == 201, response.data

    body = response.json()
    assert Statement.objects.filter(claim=t["claim"], source=t["ria"]).count() == 1
    assert Attribution.objects.filter(claim=t["claim"]).count() == 3
    assert [[h["source"]["name"] for h in chain] for chain in body["chains"]] == [
        ["Reuters", "RIA Novosti", "Ministry of Defence of Azerbaijan"],
        ["Daily Sabah", "RIA Novosti", "Ministry of Defence of Azerbaijan"],
    ]
    assert body["origins"] == [ref(t["ministry"])]
    assert body["independent_origins"] == 1
    assert body["flags"] == ["single_origin", "common_intermediary", "unverified_hop", "no_evidence"]
    assert body["flag_details"][1] == {
        "flag": "common_intermediary",
        "message": "All 2 chains pass through RIA Novosti.",
    }


def test_origins_sharing_a_parent_organisation_count_once(editor_client, troops):
    t = troops
    spokesman = SourceFactory(name="Vagif Dargahli", kind="person", parent=t["government"])
    for origin in (t["ministry"], spokesman):
        response = post_chain(
            editor_client, t["claim"], hops=[{"source": t["reuters"].id, "relation": "citing"}, {"source": origin.id}]
        )
        assert response.status_code == 201, response.data

    body = response.json()
    assert body["origins"] == [ref(t["ministry"]), ref(spokesman)]
    assert body["independent_origins"] == 1
    assert body["origin_groups"] == [
        {
            "organisation": {"id": t["government"].id, "name": "Government of Azerbaijan"},
            "sources": [ref(t["ministry"]), ref(spokesman)],
        }
    ]
    assert body["flag_details"][0] == {
        "flag": "single_origin",
        "message": "All 2 chains lead to Ministry of Defence of Azerbaijan and Vagif Dargahli "
        "(all part of Government of Azerbaijan).",
    }


def test_independent_origins_are_counted_apart(editor_client, troops):
    t = troops
    tass = SourceFactory(name="TASS", kind="news_agency")
    for origin in (t["ministry"], tass):
        post_chain(editor_client, t["claim"], hops=[{"source": t["reuters"].id}, {"source": origin.id}])

    body = editor_client.get(f"/api/v1/claims/{t['claim'].id}/trace/").json()
    assert body["independent_origins"] == 2
    assert "single_origin" not in body["flags"]


def test_a_loop_is_recorded_and_flagged_as_circular_reporting(editor_client, troops):
    t = troops
    a, b = t["reuters"], t["ria"]
    first = post_chain(editor_client, t["claim"], hops=[{"source": a.id, "relation": "citing"}, {"source": b.id}])
    second = post_chain(editor_client, t["claim"], hops=[{"source": b.id, "relation": "citing"}, {"source": a.id}])

    assert first.status_code == 201, first.data
    assert second.status_code == 201, second.data
    body = second.json()
    assert hops(body["chains"]) == [
        [hop(a, "citing", None, "", False), hop(b, "citing", None, "", False), hop(a, closes_loop=True)]
    ]
    assert body["origins"] == []
    assert body["independent_origins"] == 0
    assert body["flags"] == ["circular_reporting", "no_origin", "unverified_hop", "no_evidence"]
    assert body["flag_details"][0] == {
        "flag": "circular_reporting",
        "message": "Circular reporting: Reuters → RIA Novosti → Reuters.",
    }


def test_a_ten_hop_chain_traces_to_its_origin(editor_client):
    claim = ClaimFactory()
    sources = [SourceFactory(name=f"Relay {i:02d}") for i in range(10)]
    response = post_chain(
        editor_client, claim, hops=[{"source": s.id, "relation": "citing", "verified": True} for s in sources]
    )

    assert response.status_code == 201, response.data
    body = response.json()
    assert hops(body["chains"]) == [[hop(s, "citing", None, "", True) for s in sources[:-1]] + [hop(sources[-1])]]
    assert body["origins"] == [ref(sources[-1])]
    assert body["flags"] == ["single_origin", "no_evidence"]


def test_an_anonymous_origin_is_unknown_not_independent(editor_client, troops):
    t = troops
    insider = SourceFactory(name="a source in the ministry", kind="anonymous")
    response = post_chain(editor_client, t["claim"], hops=[{"source": t["reuters"].id}, {"source": insider.id}])

    body = response.json()
    assert body["origins"] == [ref(insider)]
    assert body["unknown_origins"] == [ref(insider)]
    assert body["independent_origins"] == 0
    assert body["flags"] == ["unverified_hop", "anonymous_origin", "no_evidence"]


def test_the_trace_of_a_claim_with_no_chain_is_empty(api_client):
    claim = ClaimFactory()

    body = api_client.get(f"/api/v1/claims/{claim.id}/trace/").json()

    assert {k: v for k, v in body.items() if k != "claim"} == {
        "as_of": None,
        "nodes": [],
        "edges": [],
        "chains": [],
        "chains_total": 0,
        "chains_total_exact": True,
        "chains_truncated": False,
        "origins": [],
        "independent_origins": 0,
        "origin_groups": [],
        "unknown_origins": [],
        "flags": [],
        "flag_details": [],
    }


def test_the_trace_is_a_fixed_number_of_queries(editor_client, seed_like_chain, django_assert_num_queries):
    claim = seed_like_chain["claim"]
    # Several topics and appearances, so a per-row query would show.
    for i in range(3):
        claim.topics.create(name=f"Topic {i}", slug=f"topic-{i}")
        claim.appearances.create(document=DocumentFactory(), quote=f"Quote {i}")

    # roles; the claim with its topics, appearances with documents and reviews elsewhere; the graph
    with django_assert_num_queries(3):
        response = editor_client.get(f"/api/v1/claims/{claim.id}/trace/")

    assert response.status_code == 200
    assert len(response.json()["claim"]["appearances"]) == 4


def test_an_anonymous_client_traces_published_claims_only(api_client, seed_like_chain):
    draft = ClaimFactory(status="draft")

    assert api_client.get(f"/api/v1/claims/{seed_like_chain['claim'].id}/trace/").status_code == 200
    assert detail(api_client.get(f"/api/v1/claims/{draft.id}/trace/"), 404, "not_found") == "Not found."


def test_as_of_with_a_malformed_time_is_a_400(api_client, seed_like_chain):
    response = api_client.get(f"/api/v1/claims/{seed_like_chain['claim'].id}/trace/?as_of=yesterday")

    assert list(messages(response)) == ["as_of"]


# Time travel reads the history, stamped with each transaction's start time, so
# the two chains must be committed in separate transactions (committed_db).
def test_as_of_before_a_second_chain_returns_the_old_trace(committed_db, editor_client, troops):
    t = troops
    client = editor_client
    first = post_chain(client, t["claim"], hops=[{"source": t["reuters"].id}, {"source": t["ministry"].id}])
    assert first.status_code == 201, first.data
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        between = cursor.fetchone()[0]
    tass = SourceFactory(name="TASS", kind="news_agency")
    second = post_chain(client, t["claim"], hops=[{"source": t["publisher"].id}, {"source": tass.id}])
    assert second.status_code == 201, second.data

    old = client.get(f"/api/v1/claims/{t['claim'].id}/trace/", {"as_of": between.isoformat()}).json()
    now = client.get(f"/api/v1/claims/{t['claim'].id}/trace/").json()

    assert old["as_of"] == iso(between)
    assert [[h["source"]["name"] for h in chain] for chain in old["chains"]] == [
        ["Reuters", "Ministry of Defence of Azerbaijan"]
    ]
    assert [[h["source"]["name"] for h in chain] for chain in now["chains"]] == [
        ["Reuters", "Ministry of Defence of Azerbaijan"],
        ["The article's publisher", "TASS"],
    ]
    # A day earlier the claim did not exist: there is nothing to show.
    before_any = client.get(
        f"/api/v1/claims/{t['claim'].id}/trace/", {"as_of": (between - dt.timedelta(days=1)).isoformat()}
    )
    error_body(before_any, 404, "not_found")


def test_a_user_without_a_role_cannot_record_a_chain(client_for, troops):
    client = client_for(UserFactory())

    response = post_chain(client, troops["claim"], hops=[{"source": troops["reuters"].id}])

    error_body(response, 403, "permission_denied")
