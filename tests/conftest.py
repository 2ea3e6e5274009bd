from __future__ import annotations

import fcntl
import os
import tempfile
import time
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from claims.services import HopInput, chain_record
from tests.factories import ClaimFactory, DocumentFactory, SourceFactory, UserFactory


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """With TEST_DATABASE_SLOTS=N (``make mutants``: several pytest runs at once, each in a
    process of its own), each run takes a free slot and its own test database, kept
    between runs with --reuse-db, instead of all of them creating one and colliding."""
    slots = int(os.environ.get("TEST_DATABASE_SLOTS", "0"))
    if not slots:
        yield
        return
    from django.conf import settings

    test = settings.DATABASES["default"].setdefault("TEST", {})
    # Forked runs inherit the settings a previous run in the same process changed.
    base = test.setdefault("SLOT_BASE", test.get("NAME") or f"test_{settings.DATABASES['default']['NAME']}")
    handle = None
    while handle is None:
        for slot in range(slots):
            handle = open(Path(tempfile.gettempdir()) / f"factcheck-{base}-slot{slot}.lock", "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                handle = None
                continue
            test["NAME"] = f"{base}_slot{slot}"
            break
        else:
            time.sleep(0.1)
    yield
    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def editor(db):
    return UserFactory(username="alice", roles=["editor"], is_staff=True)


@pytest.fixture
def journalist(db):
    return UserFactory(username="bob", roles=["journalist"])


@pytest.fixture
def auditor(db):
    return UserFactory(username="carol", roles=["auditor"], is_staff=True)


@pytest.fixture
def outsider(db):
    """Logged in, but in no role group."""
    return UserFactory(username="charlie")


@pytest.fixture
def client_for(api_client):
    """``client_for(user)``: an API client authenticated as that user."""

    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def seed_like_chain(db):
    """The seed's troops claim: article → Reuters → RIA → Ministry of Defence of Azerbaijan."""
    government = SourceFactory(name="Government of Azerbaijan", kind="government", country="AZ")
    publisher = SourceFactory(name="The article's publisher")
    reuters = SourceFactory(name="Reuters", kind="news_agency")
    ria = SourceFactory(name="RIA Novosti", kind="news_agency", aliases=["RIA"], country="RU")
    ministry = SourceFactory(
        name="Ministry of Defence of Azerbaijan", kind="government", parent=government, country="AZ"
    )
    document = DocumentFactory(title="Turkish troops in Azerbaijan for joint military drills", publisher=None)
    claim = ClaimFactory(text="Turkish troops are in Azerbaijan for a joint training exercise.")
    chain_record(
        claim=claim,
        document=document,
        quote="Turkish troops are in Azerbaijan for a training exercise with the Azerbaijani military",
        hops=[
            HopInput(source=publisher, relation="reported", quote="..., Reuters reported."),
            HopInput(source=reuters, relation="citing", quote="Reuters said, citing Russia’s RIA news agency"),
            HopInput(source=ria, relation="informed_by", quote="which was informed about the exercise"),
            HopInput(source=ministry),
        ],
    )
    return {
        "claim": claim,
        "document": document,
        "publisher": publisher,
        "reuters": reuters,
        "ria": ria,
        "ministry": ministry,
        "government": government,
    }


@pytest.fixture(scope="module")
def _restore_migrated_data(django_db_setup, django_db_blocker):
    # A transactional test ends by emptying every table, the roles created by
    # migrations included; put that data back for the tests that run after it.
    from django.core.management import call_command
    from django.db import connection

    with django_db_blocker.unblock():
        snapshot = connection.creation.serialize_db_to_string()
    yield
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
        connection.creation.deserialize_db_from_string(snapshot)


@pytest.fixture
def committed_db(_restore_migrated_data, transactional_db) -> None:
    """A database where every write commits, so each transaction gets its own time
    (history events carry their transaction's start time). Slower than ``db``.

    Each test ends with every table emptied (roles included, so use a superuser or
    anonymous client inside); the data migrations made is put back once the module's
    tests are done, for the tests that run after them."""


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Throttle counters and login lockouts live in the cache: each test starts with none.
    from django.core.cache import cache

    cache.clear()


def iso(value) -> str | None:
    """A datetime as the API writes it."""
    return value.isoformat().replace("+00:00", "Z") if value else None


@pytest.fixture
def editor_client(editor, client_for):
    return client_for(editor)


@pytest.fixture
def journalist_client(journalist, client_for):
    return client_for(journalist)


@pytest.fixture
def auditor_client(auditor, client_for):
    return client_for(auditor)


# --- Chromium (tests/browser.py) -----------------------------------------------------------


@pytest.fixture
def chromium_browser(monkeypatch):
    # Playwright's sync API runs an event loop in the test's thread, and Django refuses
    # database access from a thread with a running loop; the test thread serves no
    # requests, so the check does not apply (Django documents this switch). Set for
    # these tests only: a process another test starts must not inherit it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from tests.browser import chromium

    with chromium() as browser:
        yield browser


@pytest.fixture
def chromium_page(chromium_browser):
    from tests.browser import new_page

    return new_page(chromium_browser)


@pytest.fixture
def empty_redis():
    """The Redis database throttled servers count in (TEST_REDIS_URL), emptied before and after."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.ConnectionError as error:
        pytest.fail(f"These tests need Redis at {url} (set TEST_REDIS_URL): {error}")
    yield url
    client.flushdb()


@pytest.fixture
def registry(db):
    """The seed article's sources, as an import resolves its mentions against them."""
    return {
        "outlet": SourceFactory(name="The Outlet"),
        "reuters": SourceFactory(name="Reuters", kind="news_agency"),
        "ria": SourceFactory(name="RIA Novosti", aliases=["RIA", "RIA news agency"], kind="news_agency"),
        "ministry": SourceFactory(name="Ministry of Defence of Azerbaijan", aliases=["Azerbaijan’s defence ministry"]),
    }
