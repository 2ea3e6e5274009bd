"""Abuse limits that hold: shared by every worker, blind to forged X-Forwarded-For,
and on both ways to log in."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.errors import detail, error_body, messages
from tests.factories import UserFactory
from tests.servers import database_url, gunicorn


def hammer(base: str, count: int, *, forwarded: bool) -> list[tuple[int, dict]]:
    answers = []
    for i in range(count):
        request = urllib.request.Request(f"{base}/api/v1/claims/?page_size=1")  # noqa: S310 - our own server
        if forwarded:
            request.add_header("X-Forwarded-For", f"10.0.{i // 250}.{i % 250}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                answers.append((response.status, dict(response.headers)))
        except urllib.error.HTTPError as error:
            answers.append((error.code, {**dict(error.headers), "body": error.read().decode()}))
    return answers


@pytest.mark.slow
def test_two_workers_share_one_limit_and_a_forged_forwarded_for_changes_nothing(committed_db, empty_redis):
    # A day's window: the test never straddles two windows.
    env = {"REDIS_URL": empty_redis, "THROTTLE_ANON": "20/day", "NUM_PROXIES": "0"}
    with gunicorn(database_url(connection.settings_dict), workers=2, env=env) as base:
        answers = hammer(base, 60, forwarded=True)
    statuses = [status for status, _ in answers]
    # Twenty in all, both workers together (the server's readiness check spent one or two of them);
    # per-worker counting would have let through forty, trusting the header sixty.
    assert 18 <= statuses.count(200) <= 20
    assert statuses.count(429) == 60 - statuses.count(200)
    assert statuses[-40:] == [429] * 40
    refused = next(headers for status, headers in answers if status == 429)
    assert 1 <= int(refused["Retry-After"]) <= 86_400
    body = json.loads(refused["body"])
    assert list(body) == ["detail", "code", "errors"]
    assert body["code"] == "throttled"
    assert body["detail"].startswith("Request was throttled. Expected available in ")
    assert body["errors"] == [{"field": None, "message": body["detail"], "code": "throttled"}]


@pytest.mark.slow
def test_behind_a_trusted_proxy_each_client_address_has_its_own_budget(committed_db, empty_redis):
    env = {"REDIS_URL": empty_redis, "THROTTLE_ANON": "5/day", "NUM_PROXIES": "1"}
    with gunicorn(database_url(connection.settings_dict), workers=2, env=env) as base:
        answers = hammer(base, 30, forwarded=True)
    # Each request came, as the proxy says, from another address.
    assert [status for status, _ in answers] == [200] * 30


def post_token(client: APIClient, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


@pytest.mark.django_db
def test_the_token_endpoint_locks_a_username_after_five_failures(settings):
    settings.LOGIN_LOCKOUT = {"per_username": 5, "per_address": 30, "window_seconds": 900}
    UserFactory(username="alice", password="correct horse battery staple", roles=["editor"])
    client = APIClient()
    refused = [messages(post_token(client, "alice", "wrong")) for _ in range(5)]
    assert refused == [{None: ["Unable to log in with provided credentials."]}] * 5

    locked = post_token(client, "alice", "correct horse battery staple")
    other_address = post_token(client, "alice", "correct horse battery staple", address="198.51.100.9")

    assert detail(locked, 429, "throttled") == (
        "Too many failed attempts to log in. Try again in 15 minutes. Expected available in 900 seconds."
    )
    assert locked["Retry-After"] == "900"
    # The username is locked wherever the attempts come from.
    error_body(other_address, 429, "throttled")


@pytest.mark.django_db
def test_the_token_endpoint_locks_an_address_trying_many_usernames(settings):
    settings.LOGIN_LOCKOUT = {"per_username": 5, "per_address": 8, "window_seconds": 900}
    UserFactory(username="bob", password="correct horse battery staple")
    client = APIClient()
    assert {post_token(client, f"user{i}", "guess").status_code for i in range(8)} == {400}
    assert post_token(client, "bob", "correct horse battery staple").status_code == 429
    assert post_token(client, "bob", "correct horse battery staple", address="198.51.100.9").status_code == 200


@pytest.mark.django_db
def test_a_correct_password_before_the_limit_clears_the_username(settings):
    settings.LOGIN_LOCKOUT = {"per_username": 3, "per_address": 30, "window_seconds": 900}
    UserFactory(username="carol", password="correct horse battery staple")
    client = APIClient()
    for _ in range(2):
        post_token(client, "carol", "wrong")
    assert post_token(client, "carol", "correct horse battery staple").status_code == 200
    for _ in range(2):
        post_token(client, "carol", "wrong")
    assert post_token(client, "carol", "correct horse battery staple").status_code == 200


@pytest.mark.django_db
def test_the_token_endpoint_is_throttled_per_address_whatever_the_outcome(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
    settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "login": "4/day",
    }
    UserFactory(username="dave", password="correct horse battery staple")
    client = APIClient()
    statuses = [post_token(client, "dave", "correct horse battery staple").status_code for _ in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]


@pytest.mark.django_db
def test_the_admin_login_locks_out_after_repeated_failures(settings):
    settings.LOGIN_LOCKOUT = {"per_username": 3, "per_address": 30, "window_seconds": 600}
    UserFactory(username="erin", password="correct horse battery staple", roles=["editor"], is_staff=True)
    client = Client()
    login = reverse("admin:login")
    for _ in range(3):
        assert client.post(login, {"username": "erin", "password": "wrong"}).status_code == 200

    locked = client.post(login, {"username": "erin", "password": "correct horse battery staple"})

    assert locked.status_code == 429
    assert locked["Retry-After"] == "600"
    assert "Too many failed attempts to log in. Try again in 10 minutes." in locked.content.decode()
    assert "_auth_user_id" not in client.session
