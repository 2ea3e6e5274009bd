"""Nobody sees, through any path, what their role could not have seen at that moment.

A world with a confidential source (named, with aliases, a URL, a QID, a country
and a description that would identify the person), a draft claim, and a claim
whose chain ran through an informant before it was published. Every role reads
every endpoint; what comes back (body and headers) is searched for every secret.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from claims.models import Attribution, ClaimStatus, Statement
from claims.services import HopInput, attribution_delete, chain_record, claim_update
from sources.services import source_update
from tests.factories import (
    ClaimFactory,
    DocumentFactory,
    SourceFactory,
    TopicFactory,
    UserFactory,
    publish_over_checklist,
)

# Strings that identify the confidential source, or belong to drafts.
SECRETS = {
    "name": "Colonel Ivan Secretov",
    "alias": "Ivanushka",
    "url": "https://secretov.example.org/",
    "qid": "Q98765",
    "description": "Deputy head of the ministry's press office, met in Baku",
    "quote": "Secretov told us on the phone",
    "document": "Notes of the call with Secretov",
    "draft text": "A draft the public must not read.",
    "draft source": "Draft-only Source",
    "informant": "CONFIDENTIAL informant Petrov",
    "employer": "Special Liaison Bureau",
    "draft topic": "Secret probe of minister Bribeson",
}
PLACEHOLDER = "an official of the Ministry of Defence of Azerbaijan (confidential source {id})"

ROLES = ["anonymous", "outsider", "inactive editor", "journalist", "editor", "auditor", "superuser", "staff no role"]
CLEARED = {"editor", "auditor", "superuser"}  # may know who a confidential source is
READERS = CLEARED | {"journalist"}  # may read drafts


@pytest.fixture
def world(db):
    # Whom the confidential source works for: known only through it, so as secret as its name.
    employer = SourceFactory(name=SECRETS["employer"], kind="government")
    secret = SourceFactory(
        name=SECRETS["name"],
        kind="person",
        aliases=[SECRETS["alias"]],
        url=SECRETS["url"],
        wikidata_qid=SECRETS["qid"],
        country="AZ",
        reliability="B",
        description=SECRETS["description"],
        confidential=True,
        public_description="an official of the Ministry of Defence of Azerbaijan",
        parent=employer,
    )
    agency = SourceFactory(name="RIA Novosti", kind="news_agency")
    outlet = SourceFactory(name="Daily Example")
    notes = DocumentFactory(title=SECRETS["document"], publisher=secret)
    published = ClaimFactory(text="Turkish troops are in Azerbaijan.")
    chain_record(
        claim=published,
        hops=[
            HopInput(source=outlet, relation="citing", quote="RIA said"),
            HopInput(source=agency, relation="informed_by", quote=SECRETS["quote"], document=notes),
            HopInput(source=secret),
        ],
    )
    draft = ClaimFactory(text=SECRETS["draft text"], status=ClaimStatus.DRAFT)
    draft_topic = TopicFactory(name=SECRETS["draft topic"], slug="bribeson")
    draft.topics.add(draft_topic)
    draft_source = SourceFactory(name=SECRETS["draft source"])
    chain_record(claim=draft, hops=[HopInput(source=draft_source)])
    return {
        "published": published,
        "draft": draft,
        "secret": secret,
        "notes": notes,
        "agency": agency,
        "draft_source": draft_source,
        "employer": employer,
        "draft_topic": draft_topic,
    }


def client_for(role: str) -> APIClient:
    client = APIClient()
    users = {
        "outsider": lambda: UserFactory(),
        "inactive editor": lambda: UserFactory(roles=["editor"], is_active=False),
        "journalist": lambda: UserFactory(roles=["journalist"]),
        "editor": lambda: UserFactory(roles=["editor"], is_staff=True),
        "auditor": lambda: UserFactory(roles=["auditor"], is_staff=True),
        "superuser": lambda: UserFactory(is_superuser=True, is_staff=True),
        "staff no role": lambda: UserFactory(is_staff=True),
    }
    if role in users:
        user = users[role]()
        # Token auth, as real clients (an inactive user's token is refused: 401).
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def endpoints(w) -> dict[str, str]:
    p, d, s = w["published"].pk, w["draft"].pk, w["secret"].pk
    return {
        "claims list": "/api/v1/claims/",
        "claims search": "/api/v1/claims/?search=Secretov",
        "claims by source": f"/api/v1/claims/?source={s}",
        "claim": f"/api/v1/claims/{p}/",
        "trace": f"/api/v1/claims/{p}/trace/",
        "trace, chains off": f"/api/v1/claims/{p}/trace/?chain_limit=0",
        "prov": f"/api/v1/claims/{p}/prov/",
        "claimreview": f"/api/v1/claims/{p}/claimreview/",
        "history": f"/api/v1/claims/{p}/history/",
        "draft": f"/api/v1/claims/{d}/",
        "draft trace": f"/api/v1/claims/{d}/trace/",
        "draft prov": f"/api/v1/claims/{d}/prov/",
        "draft claimreview": f"/api/v1/claims/{d}/claimreview/",
        "sources": "/api/v1/sources/",
        "sources search name": "/api/v1/sources/?search=Secretov",
        "sources search alias": "/api/v1/sources/?search=Ivanushka",
        "sources by country": "/api/v1/sources/?country=AZ",
        "sources by reliability": "/api/v1/sources/?reliability=B",
        "source": f"/api/v1/sources/{s}/",
        "source history": f"/api/v1/sources/{s}/history/",
        "dependents": f"/api/v1/sources/{s}/dependents/",
        "draft source dependents": f"/api/v1/sources/{w['draft_source'].pk}/dependents/",
        "documents": "/api/v1/documents/",
        "document": f"/api/v1/documents/{w['notes'].pk}/",
        "topics": "/api/v1/topics/",
        "draft topic": f"/api/v1/topics/{w['draft_topic'].pk}/",
        "topics as a table": "/api/v1/topics/?format=csv",
        "claims as a table": "/api/v1/claims/?format=csv&include=origins,flags,review",
        "claims with origins": "/api/v1/claims/?include=origins,flags,review",
        "traces": f"/api/v1/claims/traces/?ids={p},{d}",
        "sources as a table": "/api/v1/sources/?format=csv",
        "sources of the employer": f"/api/v1/sources/?parent={w['employer'].pk}",
        "employer": f"/api/v1/sources/{w['employer'].pk}/",
        "claimreview feed": "/api/v1/claimreview/",
        "draft source": f"/api/v1/sources/{w['draft_source'].pk}/",
        "claims by draft source": "/api/v1/claims/?source=Draft-only%20Source",
    }


def expected_status(role: str, name: str) -> set[int]:
    public = {"claims list", "claims search", "claims by source", "claim", "trace", "trace, chains off"}
    public |= {"prov", "claimreview", "topics", "topics as a table", "claims as a table", "claims with origins"}
    public |= {"traces", "claimreview feed", "sources as a table", "sources of the employer"}
    # Sources are public facts (a confidential one as its placeholder, a draft-only one not at all).
    public |= {"sources", "sources search name", "sources search alias", "sources by country"}
    public |= {"sources by reliability", "source"}
    drafts = {"draft", "draft trace", "draft prov", "draft claimreview", "draft source", "draft topic", "employer"}
    history = {"history", "source history"}
    if role == "inactive editor":
        return {401}  # its token is refused, whatever it asks
    if name == "claims by draft source" and role in ("anonymous", "outsider", "staff no role"):
        return {400}  # as for a name nobody has: "no source has the id or name ..."
    if role == "anonymous":
        if name in public:
            return {200}
        return {404} if name in drafts else {401}
    if role in ("outsider", "staff no role"):
        if name in public:
            return {200}
        return {404} if name in drafts else {403}
    if name in history:
        return {200} if role in ("auditor", "superuser") else {403}
    return {200}


def leaked(role: str, text: str) -> list[str]:
    """The secrets ``role`` may not see that ``text`` holds."""
    found = []
    for key, secret in SECRETS.items():
        # The employer is a source like any other to those who read every source; what
        # they may not know is that the confidential one works for it (asserted on the trace).
        if key in ("draft text", "draft source", "informant", "draft topic", "employer"):
            if role in READERS:
                continue
        elif role in CLEARED:
            continue
        if secret.lower() in text.lower():
            found.append(key)
    return found


def test_no_role_sees_through_any_endpoint_what_it_may_not(world):
    checked = 0
    for role in ROLES:
        client = client_for(role)
        for name, url in endpoints(world).items():
            response = client.get(url)
            assert response.status_code in expected_status(role, name), (role, name, response.status_code)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            seen = body.decode() + json.dumps(dict(response.headers))
            assert not leaked(role, seen), (role, name, leaked(role, seen))
            checked += 1
    # The size of the matrix, for the record: 8 roles x 36 paths.
    assert checked == len(ROLES) * len(endpoints(world)) == 288


def test_a_confidential_source_is_a_placeholder_and_still_counts_once(world):
    placeholder = PLACEHOLDER.format(id=world["secret"].pk)
    body = client_for("journalist").get(f"/api/v1/claims/{world['published'].pk}/trace/").json()
    assert body["origins"] == [{"id": world["secret"].pk, "name": placeholder, "kind": "person", "confidential": True}]
    assert body["independent_origins"] == 1
    # Its organisation is known only through it: withheld, and the group still counts once.
    assert body["origin_groups"][0]["organisation"] is None
    assert body["origin_groups"][0]["sources"] == body["origins"]
    assert f"The only chain leads to {placeholder}." in [f["message"] for f in body["flag_details"]]
    # The hop the source's words came through keeps no quote or document for the public.
    withheld = [e for e in body["edges"] if e["evidence_withheld"]]
    assert len(withheld) == 1 and withheld[0]["evidence"] == []
    # Editors see who it is.
    named = client_for("editor").get(f"/api/v1/claims/{world['published'].pk}/trace/").json()
    assert named["origins"][0]["name"] == SECRETS["name"]


def test_etags_do_not_change_when_only_hidden_fields_do(world):
    journalist, editor = client_for("journalist"), client_for("editor")
    url = f"/api/v1/sources/{world['secret'].pk}/"
    before = (journalist.get(url)["ETag"], editor.get(url)["ETag"])
    source_update(source=world["secret"], name="Colonel Ivan Secretov-Petrov", country="RU")
    after = (journalist.get(url)["ETag"], editor.get(url)["ETag"])
    assert before[0] == after[0]  # nothing the journalist may see changed
    assert before[1] != after[1]


def test_the_public_export_names_no_confidential_source_and_the_full_one_does(world):
    public, full = io.StringIO(), io.StringIO()
    call_command("export", stdout=public, stderr=io.StringIO())
    call_command("export", "--include-confidential", stdout=full, stderr=io.StringIO())
    assert not leaked("anonymous", public.getvalue())
    assert PLACEHOLDER.format(id=world["secret"].pk) in public.getvalue()
    assert SECRETS["name"] in full.getvalue()


def db_now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


# Time travel reads history stamped with each transaction's start: commit each step.
def test_a_hop_deleted_before_publishing_never_shows_to_the_public_through_time_travel(committed_db):
    informant = SourceFactory(name=SECRETS["informant"], kind="person")
    agency = SourceFactory(name="Wire Agency", kind="news_agency")
    claim = ClaimFactory(text="Drills began on Monday.", status=ClaimStatus.DRAFT)
    chain_record(claim=claim, hops=[HopInput(source=agency, relation="citing"), HopInput(source=informant)])
    with_informant = db_now()
    # The editor takes the informant out again (the hop, then the statement it left behind).
    attribution_delete(attribution=Attribution.objects.get(claim=claim))
    Statement.objects.get(claim=claim, source=informant).delete()
    publish_over_checklist(claim)
    published = db_now()

    anonymous = APIClient()
    before = anonymous.get(f"/api/v1/claims/{claim.pk}/trace/", {"as_of": with_informant.isoformat()})
    after = anonymous.get(f"/api/v1/claims/{claim.pk}/trace/", {"as_of": published.isoformat()})
    superuser = APIClient()
    superuser.force_authenticate(UserFactory(is_superuser=True))
    editor_view = superuser.get(f"/api/v1/claims/{claim.pk}/trace/", {"as_of": with_informant.isoformat()})

    # It was a draft then: for the public there was nothing to see, and nothing is said.
    assert before.status_code == 404
    assert SECRETS["informant"] not in before.content.decode()
    assert after.status_code == 200
    assert SECRETS["informant"] not in after.content.decode()
    # Those who could read the draft then can see it as it was.
    assert editor_view.status_code == 200
    assert SECRETS["informant"] in editor_view.content.decode()
    assert editor_view.json()["claim"]["status"] == "draft"


def test_time_travel_shows_the_claim_as_it_stood_not_as_it_is(committed_db):
    claim = ClaimFactory(text="The published wording.", status=ClaimStatus.PUBLISHED)
    then = db_now()
    claim_update(claim=claim, status=ClaimStatus.IN_REVIEW)
    claim_update(claim=claim, text=SECRETS["draft text"])

    old = APIClient().get(f"/api/v1/claims/{claim.pk}/trace/", {"as_of": then.isoformat()})
    now = APIClient().get(f"/api/v1/claims/{claim.pk}/trace/")

    assert old.status_code == 200
    assert old.json()["claim"]["text"] == "The published wording."
    assert SECRETS["draft text"] not in old.content.decode()
    assert now.status_code == 404


def test_words_from_a_confidential_sources_own_document_are_withheld_and_not_searchable(world):
    from claims.services import appearance_record

    appearance_record(
        claim=world["published"], document=world["notes"], quote="Secretov told us the convoy crossed Qazax"
    )
    journalist, editor, anonymous = client_for("journalist"), client_for("editor"), client_for("anonymous")
    url = f"/api/v1/claims/{world['published'].pk}/"

    for client in (journalist, anonymous):
        body = client.get(url).content.decode()
        assert "Secretov" not in body and "convoy" not in body
        assert client.get("/api/v1/claims/", {"search": "convoy Qazax"}).json()["results"] == []
    assert "Secretov told us the convoy crossed Qazax" in editor.get(url).content.decode()
    assert [c["id"] for c in editor.get("/api/v1/claims/", {"search": "convoy Qazax"}).json()["results"]] == [
        world["published"].pk
    ]


def test_merging_a_confidential_source_into_a_public_one_keeps_it_confidential(world):
    from claims.services import source_merge

    public = SourceFactory(name="A ministry official", kind="person")
    report = source_merge(keep=public, merge=world["secret"])

    assert report.made_confidential
    for role in ("journalist", "anonymous"):
        seen = client_for(role).get(f"/api/v1/claims/{world['published'].pk}/trace/").content.decode()
        seen += client_for(role).get("/api/v1/sources/").content.decode()
        assert not leaked(role, seen), leaked(role, seen)


def test_time_travel_shows_no_review_recorded_after_that_moment(committed_db):
    from claims.models import ForeignReview

    claim = ClaimFactory(text="Published then.", status=ClaimStatus.PUBLISHED)
    then = db_now()
    claim_update(claim=claim, status=ClaimStatus.IN_REVIEW)
    ForeignReview.objects.create(claim=claim, author="Someone", claim_reviewed="Published then.")

    old = APIClient().get(f"/api/v1/claims/{claim.pk}/trace/", {"as_of": then.isoformat()})

    assert old.status_code == 200
    assert old.json()["claim"]["reviews_elsewhere"] == []


@pytest.mark.parametrize(
    ("description", "placeholder", "title"),
    [
        (
            "An official of the Ministry of Defence of Azerbaijan",
            "An official of the Ministry of Defence of Azerbaijan (confidential source 7)",
            "A document from an official of the Ministry of Defence of Azerbaijan (confidential source 7)",
        ),
        (
            "  ",
            "A confidential source (confidential source 7)",
            "A document from a confidential source (confidential source 7)",
        ),
    ],
)
def test_what_a_confidential_source_and_its_documents_are_called(description, placeholder, title):
    from core.access import PUBLIC, confidential_document_title, confidential_placeholder, viewer_for

    assert confidential_placeholder(7, description) == placeholder
    assert confidential_document_title(placeholder) == title
    assert viewer_for(None) is PUBLIC


def test_whom_a_confidential_source_works_for_is_kept_to_those_cleared(world):
    secret, employer = world["secret"], world["employer"]
    for role in ("anonymous", "journalist"):
        client = client_for(role)
        assert client.get(f"/api/v1/sources/{secret.pk}/").json()["parent"] is None
        assert client.get(f"/api/v1/sources/?parent={employer.pk}").json()["results"] == []
        prov = client.get(f"/api/v1/claims/{world['published'].pk}/prov/").json()
        assert "actedOnBehalfOf" not in prov
    editor = client_for("editor")
    assert editor.get(f"/api/v1/sources/{secret.pk}/").json()["parent"] == employer.pk
    assert [s["id"] for s in editor.get(f"/api/v1/sources/?parent={employer.pk}").json()["results"]] == [secret.pk]
    trace = editor.get(f"/api/v1/claims/{world['published'].pk}/trace/").json()
    assert trace["origin_groups"][0]["organisation"] == {"id": employer.pk, "name": SECRETS["employer"]}
    assert "actedOnBehalfOf" in editor.get(f"/api/v1/claims/{world['published'].pk}/prov/").json()
