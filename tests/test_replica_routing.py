"""Which database the router gives each read and write, without a replica to read:
the decisions alone (``QuerySet.db`` names the database a query would run on). The
reads themselves, against a real streaming standby, are in test_replicas.py."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import RequestFactory, override_settings
from rest_framework.authtoken.models import Token

from claims.models import Claim
from core import db_routing
from core.db_routing import COOKIE, COOKIE_SALT, ReplicaRouter, client_key, parse_lsn
from factcheck.settings.base import replica

ROUTED = override_settings(DATABASE_ROUTERS=["core.db_routing.ReplicaRouter"])


@pytest.fixture
def one_replica(monkeypatch):
    """A replica named replica_0 that has replayed up to ``replayed["lsn"]``."""
    replayed = {"lsn": 1000}
    monkeypatch.setattr(db_routing, "replica_aliases", lambda: ["replica_0"])
    monkeypatch.setattr(db_routing, "replay_position", lambda alias: replayed["lsn"])
    with ROUTED:
        yield replayed
    db_routing._current.set(None)


def request(method: str = "GET", **extra):
    return getattr(RequestFactory(), method.lower())("/api/v1/claims/", **extra)


def test_wal_positions_are_read_as_numbers_that_order_as_the_wal_does():
    assert parse_lsn("0/0") == 0
    assert parse_lsn("16/B374D848") == (0x16 << 32) | 0xB374D848
    assert parse_lsn("1/0") > parse_lsn("0/FFFFFFFF")
    assert parse_lsn(None) is None


def test_a_replica_is_configured_as_a_mirror_of_the_default_database_for_tests():
    config = replica("postgres://reader@replica.example:5433/factcheck")
    assert config["HOST"] == "replica.example"
    assert config["PORT"] == 5433
    assert config["TEST"] == {"MIRROR": "default"}
    assert config["OPTIONS"]["connect_timeout"] == 2
    assert "statement_timeout" in config["OPTIONS"]["options"]


def test_the_cache_key_of_a_client_does_not_hold_its_token():
    key = client_key("Token 0123456789abcdef")
    assert "0123456789abcdef" not in key
    assert key != client_key("Token 0123456789abcdee")


def test_outside_a_request_everything_reads_the_primary(one_replica):
    assert Claim.objects.all().db == "default"


def test_a_safe_request_reads_the_replica(one_replica):
    db_routing.begin_request(request("GET"))
    assert Claim.objects.all().db == "replica_0"
    assert User.objects.all().db == "replica_0"


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_an_unsafe_request_reads_the_primary(one_replica, method):
    db_routing.begin_request(request(method))
    assert Claim.objects.all().db == "default"


def test_writes_and_locks_go_to_the_primary_and_so_does_every_read_after_them(one_replica):
    db_routing.begin_request(request("GET"))
    assert Claim.objects.all().db == "replica_0"
    # select_for_update asks the router for the write database (core.writes.lock does this).
    assert Claim.objects.select_for_update().db == "default"
    assert Claim.objects.all().db == "default"


def test_a_lock_is_never_taken_on_a_replica_even_first_in_the_request(one_replica):
    db_routing.begin_request(request("GET"))
    assert Claim.objects.select_for_update(no_key=True).filter(pk=1).db == "default"


@pytest.mark.django_db
def test_reads_inside_a_transaction_on_the_primary_read_the_primary(one_replica):
    db_routing.begin_request(request("GET"))
    with transaction.atomic():
        assert Claim.objects.all().db == "default"


def test_tokens_are_read_from_the_primary(one_replica):
    db_routing.begin_request(request("GET"))
    assert Token.objects.all().db == "default"


def test_a_client_whose_last_write_the_replica_has_not_replayed_reads_the_primary(one_replica, settings):
    signer = request("GET")
    signer.COOKIES[COOKIE] = _signed(2000)
    db_routing.begin_request(signer)
    assert Claim.objects.all().db == "default"

    one_replica["lsn"] = 2000
    caught_up = request("GET")
    caught_up.COOKIES[COOKIE] = _signed(2000)
    db_routing.begin_request(caught_up)
    assert Claim.objects.all().db == "replica_0"


def test_a_forged_position_is_ignored(one_replica):
    forged = request("GET")
    forged.COOKIES[COOKIE] = "999999999999"  # unsigned: a client cannot pin itself to the primary
    db_routing.begin_request(forged)
    assert Claim.objects.all().db == "replica_0"


def test_a_replica_that_fails_is_skipped_for_a_while(one_replica, monkeypatch):
    calls = []

    def down(alias):
        calls.append(alias)
        raise OSError("connection refused")

    monkeypatch.setattr(db_routing, "replay_position", down)
    monkeypatch.setattr(db_routing, "_failed_at", {})
    db_routing.begin_request(request("GET"))
    assert Claim.objects.all().db == "default"
    db_routing.begin_request(request("GET"))
    assert Claim.objects.all().db == "default"
    assert calls == ["replica_0"]  # not asked again while it rests


def test_migrations_run_on_the_primary_only():
    router = ReplicaRouter()
    assert router.allow_migrate("default", "claims")
    assert not router.allow_migrate("replica_0", "claims")


def _signed(position: int) -> str:
    from django.core.signing import get_cookie_signer

    return get_cookie_signer(salt=COOKIE + COOKIE_SALT).sign(str(position))


def test_a_token_client_reads_the_primary_while_the_cache_that_remembers_its_writes_is_away(one_replica, monkeypatch):
    def away(*args, **kwargs):
        raise ConnectionError("Redis is away")

    monkeypatch.setattr(db_routing.cache, "get", away)
    db_routing.begin_request(request("GET", HTTP_AUTHORIZATION="Token 0123456789abcdef"))
    assert Claim.objects.all().db == "default"
    db_routing.begin_request(request("GET"))  # a client without a token does not need it
    assert Claim.objects.all().db == "replica_0"
