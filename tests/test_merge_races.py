"""Merging sources while others write: every loser is told what happened, nobody deadlocks.

Races run for real: each request on its own thread and database connection, released
together (``together``), for several rounds. Where one order of the race is rare, it is
also forced: one side's transaction is held open until the other is seen waiting for
it (``held_open``), then committed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from claims.interop.claimreview_import import claimreview_import
from claims.models import Statement
from claims.services import source_merge
from core.locks import SOURCE_HIERARCHY, lock_keys
from sources.models import Document, Source
from sources.services import (
    document_create,
    document_lock_key,
    document_update,
    source_create,
    source_delete,
    source_update,
)
from tests.factories import ClaimFactory, SourceFactory, UserFactory
from tests.formdata import filled
from tests.test_races import editor_client, together

pytestmark = pytest.mark.usefixtures("committed_db")

GONE = "no longer exists: it was merged or deleted meanwhile."


def merge(client, keep: Source, dup: Source):
    return client.post(f"/api/v1/sources/{keep.pk}/merge/", {"source": dup.pk}, format="json")


# Requests to run at once, each by an editor of its own.
def merging(keep: Source, dup: Source) -> Callable[[], object]:
    return lambda: merge(editor_client(), keep, dup)


def posting(path: str, body: dict) -> Callable[[], object]:
    return lambda: editor_client().post(path, body, format="json")


def patching(path: str, body: dict) -> Callable[[], object]:
    return lambda: editor_client().patch(path, body, format="json")


def deleting(path: str) -> Callable[[], object]:
    return lambda: editor_client().delete(path)


@contextmanager
def held_open(write: Callable[[], object]) -> Iterator[None]:
    """``write`` done in a transaction on its own thread and connection, kept open (with
    its locks) until something the body started waits for one of them; then committed."""
    done, release = threading.Event(), threading.Event()
    holder: list[int] = []
    errors: list[Exception] = []

    def run() -> None:
        try:
            with transaction.atomic():
                write()
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    holder.append(cursor.fetchone()[0])
                done.set()
                release.wait(30)
        except Exception as error:
            errors.append(error)
        finally:
            done.set()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    done.wait(30)
    try:
        yield
        assert holder, errors
        _wait_until_blocked_by(holder[0])
    finally:
        release.set()
        thread.join(30)
    assert not errors, errors


def _wait_until_blocked_by(pid: int) -> None:
    for _ in range(200):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))", [pid])
            if cursor.fetchone():
                return
        time.sleep(0.05)
    raise AssertionError("nothing came to wait for the held transaction")


def in_thread(call: Callable[[], object]) -> Callable[[], object]:
    """Start ``call`` on its own thread and connection; the answer is the result (or the
    exception) once it is done."""
    result: list[object] = []

    def run() -> None:
        try:
            result.append(call())
        except Exception as error:
            result.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()

    def answer() -> object:
        thread.join(30)
        return result[0]

    return answer


# --- 1. merges racing each other or a delete: the loser gets a 400 naming the source -----


def test_crosswise_merges_at_once_merge_once_and_the_other_is_told():
    for round_ in range(10):
        a, b = SourceFactory(), SourceFactory()
        answers = together(merging(a, b), merging(b, a))
        # The loser's source is gone: a 400 when it went while the merge waited, a 404 (the
        # address names it) when it was gone already.
        assert sorted(x.status_code for x in answers) in ([200, 400], [200, 404]), f"round {round_}: {answers}"
        loser = next(x for x in answers if x.status_code != 200)
        assert GONE in str(loser.json())
        assert Source.objects.filter(pk__in=[a.pk, b.pk]).count() == 1


def test_the_same_merge_twice_at_once_merges_once_and_the_other_is_told():
    for round_ in range(10):
        keep, dup = SourceFactory(), SourceFactory()
        claim = ClaimFactory()
        Statement.objects.create(claim=claim, source=dup)
        answers = together(merging(keep, dup), merging(keep, dup))
        assert sorted(x.status_code for x in answers) == [200, 400], f"round {round_}: {answers}"
        loser = next(x for x in answers if x.status_code == 400)
        assert f"Source {dup.pk} {GONE}" in str(loser.json())
        assert Statement.objects.get(claim=claim).source_id == keep.pk


def test_a_merge_racing_a_delete_of_the_duplicate_is_a_clear_answer_either_way():
    for round_ in range(10):
        keep, dup = SourceFactory(), SourceFactory()
        merged, deleted = together(merging(keep, dup), deleting(f"/api/v1/sources/{dup.pk}/"))
        # Whoever came second finds it gone: the delete a 404, the merge a 400 naming it.
        assert (merged.status_code, deleted.status_code) in [(200, 404), (400, 204)], f"round {round_}"
        if merged.status_code == 400:
            assert f"Source {dup.pk} {GONE}" in str(merged.json())


def test_a_merge_waiting_for_a_delete_of_either_source_is_told_which_went():
    for gone in ("keep", "dup"):
        sources = {"keep": SourceFactory(), "dup": SourceFactory()}
        with held_open(partial(source_delete, source=sources[gone])):
            answer = in_thread(merging(sources["keep"], sources["dup"]))
        response = answer()
        assert response.status_code == 400
        assert f"Source {sources[gone].pk} {GONE}" in str(response.json())


def test_the_admin_merge_says_the_duplicate_went_meanwhile():
    keep, dup = SourceFactory(name="Keep"), SourceFactory(name="Dup")
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    url = reverse("admin:sources_source_changelist")
    body = {"action": "merge_sources", "_selected_action": [keep.pk, dup.pk], "confirm": "1", "keep": keep.pk}
    with held_open(lambda: source_delete(source=dup)):
        answer = in_thread(lambda: client.post(url, body, follow=True))
    response = answer()
    assert response.status_code == 200
    assert f"Source {dup.pk} {GONE}" in response.content.decode()


# --- 2. and 3. no deadlock with imports naming the duplicate or changes of parent -----------


def test_a_merge_and_imports_naming_the_duplicate_at_once_both_succeed():
    for round_ in range(8):
        keep, dup = SourceFactory(name=f"Kept {round_}"), SourceFactory(name=f"Duplicate {round_}")
        review = {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "url": f"https://checks.example.net/merge-{round_}",
            "author": {"@type": "Organization", "name": "Checkers United"},
            "claimReviewed": f"Claim {round_} said by the duplicate.",
            "reviewRating": {"@type": "Rating", "alternateName": "False"},
            "itemReviewed": {"@type": "Claim", "author": {"@type": "Organization", "name": dup.name}},
        }
        merged, imported = together(merging(keep, dup), partial(claimreview_import, review))
        assert merged.status_code == 200, f"round {round_}: {merged.json()}"
        assert not isinstance(imported, Exception), f"round {round_}: {imported!r}"
        # Whichever came first, the claim ends up said by the kept source.
        assert Statement.objects.get(claim__text=review["claimReviewed"]).source_id == keep.pk


def test_a_merge_and_a_change_of_parent_to_the_duplicate_at_once_never_deadlock():
    for round_ in range(10):
        keep, dup = SourceFactory(), SourceFactory()
        SourceFactory(parent=dup)  # a member: the merge changes parents
        z = SourceFactory()
        merged, patched = together(merging(keep, dup), patching(f"/api/v1/sources/{z.pk}/", {"parent": dup.pk}))
        assert merged.status_code == 200, f"round {round_}"
        assert patched.status_code in (200, 400), f"round {round_}: {patched.status_code}"
        z.refresh_from_db()
        if patched.status_code == 200:
            assert z.parent_id == keep.pk  # it joined the duplicate before the merge moved its members
        else:
            assert "parent" in str(patched.json())
            assert f"Source {dup.pk} {GONE}" in str(patched.json())
            assert z.parent_id is None


def test_a_merge_and_edits_of_the_sources_it_changes_at_once_never_deadlock():
    for round_ in range(10):
        keep, dup, elsewhere = SourceFactory(), SourceFactory(), SourceFactory()
        member = SourceFactory(parent=dup)
        answers = together(
            merging(keep, dup),
            # A member of the duplicate moved elsewhere; the duplicate renamed; the kept source given an alias.
            patching(f"/api/v1/sources/{member.pk}/", {"parent": elsewhere.pk}),
            patching(f"/api/v1/sources/{dup.pk}/", {"aliases": [f"Dup {round_}"]}),
            patching(f"/api/v1/sources/{keep.pk}/", {"aliases": [f"K {round_}"]}),
        )
        merged, moved, renamed, aliased = (a.status_code for a in answers)
        assert (merged, moved, aliased) == (200, 200, 200), f"round {round_}"
        assert renamed in (200, 404), f"round {round_}"  # a 404 when the merge came first
        keep.refresh_from_db()
        assert f"K {round_}" in keep.aliases


# --- 4. the two in one chain of parents ---------------------------------------------------


def test_merging_a_source_into_one_below_one_of_its_members_drops_the_link_that_would_loop():
    dup = SourceFactory(name="Ministry (duplicate)")
    member = SourceFactory(name="Press office", parent=dup)
    keep = SourceFactory(name="Ministry", parent=member)

    response = merge(editor_client(), keep, dup)

    assert response.status_code == 200, response.json()
    member.refresh_from_db()
    keep.refresh_from_db()
    assert (keep.parent_id, member.parent_id) == (member.pk, None)
    assert any("Dropped a parent link" in line and "Press office" in line for line in response.json()["report"])


def test_merging_a_source_whose_parent_is_below_the_kept_one_drops_that_parent():
    keep = SourceFactory(name="Ministry")
    member = SourceFactory(name="Press office", parent=keep)
    dup = SourceFactory(name="Ministry (duplicate)", parent=member)
    under_dup = SourceFactory(name="Spokesperson", parent=dup)

    report = source_merge(keep=keep, merge=dup)

    keep.refresh_from_db()
    member.refresh_from_db()
    under_dup.refresh_from_db()
    assert (keep.parent_id, member.parent_id, under_dup.parent_id) == (None, keep.pk, keep.pk)
    assert any("does not take" in line and "Press office" in line for line in report.lines())


def test_merging_a_member_into_its_parent_or_the_parent_into_its_member_reports_no_dropped_link():
    parent = SourceFactory(name="Government", parent=SourceFactory(name="State"))
    member = SourceFactory(name="Government (duplicate)", parent=parent)
    report = source_merge(keep=parent, merge=member)
    assert not report.links_dropped
    parent.refresh_from_db()
    assert parent.parent.name == "State"

    member = SourceFactory(name="Office", parent=parent)
    report = source_merge(keep=member, merge=parent)
    assert not report.links_dropped
    member.refresh_from_db()
    assert member.parent.name == "State"  # the member takes the parent's place


# --- 5. a reference to the duplicate racing the merge: a field-level 400 -----------------


@pytest.mark.parametrize(
    ("path", "field", "body"),
    [
        ("/api/v1/documents/", "publisher", lambda n, dup: {"title": f"Doc {n}", "publisher": dup.pk}),
        ("/api/v1/sources/", "parent", lambda n, dup: {"name": f"Member {n}", "parent": dup.pk}),
    ],
)
def test_a_new_record_naming_the_duplicate_during_a_merge_is_moved_or_told(path, field, body):
    for round_ in range(10):
        keep, dup = SourceFactory(), SourceFactory()
        merged, created = together(merging(keep, dup), posting(path, body(round_, dup)))
        assert merged.status_code == 200, f"round {round_}"
        assert created.status_code in (201, 400), f"round {round_}: {created.status_code}"
        if created.status_code == 400:
            assert field in str(created.json())
            assert f"Source {dup.pk} {GONE}" in str(created.json())


@pytest.mark.parametrize("what", ["document", "source", "parent", "publisher"])
def test_a_reference_to_a_source_merged_while_the_request_waited_names_the_field(what):
    keep, dup, z = SourceFactory(), SourceFactory(), SourceFactory()
    document = Document.objects.create(title="An article", publisher=None)
    request = {
        "document": lambda c: c.post("/api/v1/documents/", {"title": "New", "publisher": dup.pk}, format="json"),
        "source": lambda c: c.post("/api/v1/sources/", {"name": "New member", "parent": dup.pk}, format="json"),
        "parent": lambda c: c.patch(f"/api/v1/sources/{z.pk}/", {"parent": dup.pk}, format="json"),
        "publisher": lambda c: c.patch(f"/api/v1/documents/{document.pk}/", {"publisher": dup.pk}, format="json"),
    }[what]
    client = editor_client()
    with held_open(lambda: source_merge(keep=keep, merge=dup)):
        answer = in_thread(lambda: request(client))
    response = answer()
    assert response.status_code == 400, response.json()
    field = "publisher" if what in ("document", "publisher") else "parent"
    assert field in str(response.json())
    assert f"Source {dup.pk} {GONE}" in str(response.json())


# --- 6. every writer of a source takes its advisory locks before any row lock --------------


def _wait_for_an_advisory_lock_waiter() -> None:
    for _ in range(200):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'")
            if cursor.fetchone():
                return
        time.sleep(0.05)
    raise AssertionError("nothing came to wait for the advisory lock")


def _row_is_free(model, pk: int) -> bool:
    """Whether no other transaction holds a lock on the row (FOR UPDATE conflicts with all)."""
    try:
        with transaction.atomic():
            list(model.objects.select_for_update(nowait=True).filter(pk=pk))
    except DatabaseError:
        return False
    return True


def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def _source_change(how: str, source: Source, **fields) -> Callable[[], object]:
    """A change of ``source`` made ``how``: by the service, the admin's form or the API."""
    if how == "service":
        return lambda: source_update(source=Source.objects.get(pk=source.pk), **fields)
    values = {name: value.pk if isinstance(value, Source) else value for name, value in fields.items()}
    if how == "api":
        return lambda: editor_client().patch(f"/api/v1/sources/{source.pk}/", values, format="json")
    client = admin_client()
    url = reverse("admin:sources_source_change", args=[source.pk])
    data = filled(client.get(url).content.decode(), "source_form", **{k: str(v) for k, v in values.items()})
    return lambda: client.post(url, data)


@pytest.mark.parametrize("how", ["service", "admin", "api"])
@pytest.mark.parametrize(
    ("held", "change"),
    [
        ("source-name:alpha", {"name": "Beta"}),  # the stored name: a merge of this source holds it
        ("source-name:beta", {"name": "Beta"}),  # the new one: an import creating "Beta" holds it
        ("source-name:beta", {"aliases": "Beta"}),
        (SOURCE_HIERARCHY, {"parent": "elsewhere"}),  # a merge or another change of parent holds it
    ],
)
def test_a_change_of_a_source_takes_its_advisory_locks_before_its_row_lock(how, held, change):
    source, elsewhere = SourceFactory(name="Alpha"), SourceFactory(name="Elsewhere")
    fields = {name: elsewhere if value == "elsewhere" else value for name, value in change.items()}
    if "aliases" in fields and how != "admin":
        fields["aliases"] = [fields["aliases"]]
    write = _source_change(how, source, **fields)
    with held_open(lambda: lock_keys(held)):
        answer = in_thread(write)
        _wait_for_an_advisory_lock_waiter()
        # Waiting for the advisory lock, it holds no row lock that the holder could need.
        assert _row_is_free(Source, source.pk)
    response = answer()
    assert not isinstance(response, Exception), response
    assert getattr(response, "status_code", 200) in (200, 302)
    source.refresh_from_db()
    assert (source.name, source.aliases, source.parent_id) != ("Alpha", [], None)


def test_a_document_change_takes_its_address_lock_before_its_row_lock():
    document = Document.objects.create(title="An article", url="https://example.org/a")
    write = partial(document_update, document=document, url="https://example.org/b")
    with held_open(lambda: lock_keys(document_lock_key("https://example.org/b"))):
        answer = in_thread(write)
        _wait_for_an_advisory_lock_waiter()
        assert _row_is_free(Document, document.pk)
    assert not isinstance(answer(), Exception)


@pytest.mark.parametrize("what", ["source", "document"])
def test_a_new_record_holds_its_parent_or_publisher_only_after_its_own_locks(what):
    parent = SourceFactory(name="Parent")
    if what == "source":
        key, write = "source-name:newmember", partial(source_create, name="New member", parent=parent)
    else:
        key = document_lock_key("https://example.org/new")
        write = partial(document_create, title="New", url="https://example.org/new", publisher=parent)
    with held_open(lambda: lock_keys(key)):
        answer = in_thread(write)
        _wait_for_an_advisory_lock_waiter()
        assert _row_is_free(Source, parent.pk)
    assert not isinstance(answer(), Exception)


@pytest.mark.parametrize("what", ["source_create", "source_update", "document_create", "document_update"])
def test_a_service_writing_a_reference_to_a_source_merged_meanwhile_names_the_field(what):
    keep, dup, z = SourceFactory(), SourceFactory(), SourceFactory()
    document = Document.objects.create(title="An article", publisher=None)
    field, write = {
        "source_create": ("parent", lambda: source_create(name="New member", parent=dup)),
        "source_update": ("parent", lambda: source_update(source=z, parent=dup)),
        "document_create": ("publisher", lambda: document_create(title="New", publisher=dup)),
        "document_update": ("publisher", lambda: document_update(document=document, publisher=dup)),
    }[what]
    with held_open(lambda: source_merge(keep=keep, merge=dup)):
        answer = in_thread(write)
    error = answer()
    assert isinstance(error, ValidationError), error
    assert error.message_dict == {field: [f"Source {dup.pk} {GONE}"]}


@pytest.mark.parametrize("what", ["document", "source", "parent", "publisher"])
def test_an_admin_form_naming_a_source_merged_while_it_was_saved_says_so_on_the_field(what):
    keep, dup, z = SourceFactory(), SourceFactory(), SourceFactory()
    document = Document.objects.create(title="An article", publisher=None)
    client = admin_client()
    url, form, field = {
        "document": (reverse("admin:sources_document_add"), "document_form", "publisher"),
        "source": (reverse("admin:sources_source_add"), "source_form", "parent"),
        "parent": (reverse("admin:sources_source_change", args=[z.pk]), "source_form", "parent"),
        "publisher": (reverse("admin:sources_document_change", args=[document.pk]), "document_form", "publisher"),
    }[what]
    data = filled(client.get(url).content.decode(), form, **{field: str(dup.pk)})
    if what in ("document", "source"):
        data.update({"title": "New", "name": "New member", "kind": data.get("kind") or "outlet"})
    with held_open(lambda: source_merge(keep=keep, merge=dup)):
        answer = in_thread(lambda: client.post(url, data))
    response = answer()
    assert response.status_code == 200
    # On the field, beside the form's own word that the choice is no longer there.
    errors = response.context["adminform"].form.errors
    assert list(errors) == [field]
    assert f"Source {dup.pk} {GONE}" in errors[field]
