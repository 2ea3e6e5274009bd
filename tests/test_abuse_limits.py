"""Abuse limits that hold where a hostile reviewer broke them: with the cache away,
against look-alike usernames, under parallel attempts, and for requests that fail
authentication or permission (which DRF refuses before its throttles run)."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.contrib.auth.models import User
from django.db import connection, connections
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authentication import TokenAuthentication as DrfTokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.throttling import username_key
from tests.errors import detail, error_body
from tests.factories import ClaimFactory, UserFactory
from tests.servers import database_url, gunicorn

PASSWORD = "correct horse battery staple"
# Nothing listens there: connections are refused at once.
DEAD_CACHE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }
}
UNAVAILABLE = (
    "The service that counts requests (rate limits and login lockouts) is unavailable. "
    "Nothing was changed; try again in a few seconds."
)


def rates(settings, **rates: str) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], **rates},
    }


def post_token(client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", REMOTE_ADDR=address
    )


# --- 1. the cache is away ----------------------------------------------------------------------


@pytest.fixture
def dead_cache(settings, caplog):
    settings.CACHES = DEAD_CACHE
    caplog.set_level(logging.ERROR, logger="core.throttling")
    return caplog


def unavailable(response) -> None:
    assert detail(response, 503, "unavailable") == UNAVAILABLE
    assert response["Retry-After"] == "5"


@pytest.mark.django_db
def test_with_the_cache_away_every_api_request_is_a_503_to_retry_never_let_through_uncounted(dead_cache):
    claim = ClaimFactory()
    editor = UserFactory(username="editor", password=PASSWORD, roles=["editor"])
    token = Token.objects.create(user=editor).key

    unavailable(Client().get("/api/v1/claims/"))  # an anonymous read
    unavailable(Client().get(f"/api/v1/claims/{claim.pk}/"))
    unavailable(Client().get("/api/v1/documents/", HTTP_AUTHORIZATION=f"Token {token}"))  # a user's read
    unavailable(Client().get("/api/v1/documents/"))  # a refusal (401) that cannot be counted either
    unavailable(Client().get("/api/v1/claims/", HTTP_AUTHORIZATION="Token " + "0" * 40))  # a token not valid
    unavailable(post_token(APIClient(), "editor", PASSWORD))  # logging in: no lockout, no login

    assert not Token.objects.exclude(key=token).exists()
    assert "The cache is unavailable while counting" in dead_cache.text


@pytest.mark.django_db
def test_with_the_cache_away_the_admin_login_says_to_try_again_and_logs_nobody_in(dead_cache):
    UserFactory(username="editor", password=PASSWORD, roles=["editor"], is_staff=True)
    client = Client()
    login = reverse("admin:login")

    assert client.get(login).status_code == 200  # the page itself needs no counting
    response = client.post(login, {"username": "editor", "password": PASSWORD})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Logging in is unavailable for a moment" in page and "try again in a few seconds" in page
    assert 'name="username"' in page  # the form, to try again
    assert "_auth_user_id" not in client.session
    assert "The cache is unavailable while counting an attempt to log in" in dead_cache.text


@pytest.mark.django_db
def test_a_cache_error_nothing_caught_is_a_503_not_a_500():
    from redis.exceptions import ConnectionError as RedisConnectionError

    from core.errors import server_error

    request = RequestFactory().get("/api/v1/claims/")
    try:
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    except RedisConnectionError:
        response = server_error(request)
    assert response.status_code == 503
    assert json.loads(response.content)["detail"] == UNAVAILABLE
    assert response["Retry-After"] == "5"


# --- 2. look-alike usernames -------------------------------------------------------------------


@pytest.mark.parametrize(
    "look_alike",
    ["ｅditor", "ｅｄｉｔｏｒ", "ＥＤＩＴＯＲ", "EDITOR", "Editor", " editor ", "editor\u3000"],
)
def test_a_username_is_counted_under_every_spelling_that_reads_the_same(look_alike):
    assert username_key(look_alike) == username_key("editor")


def test_names_that_are_different_stay_different():
    assert username_key("editor") != username_key("editor2")
    assert username_key("edítor") != username_key("editor")


@pytest.mark.django_db
def test_the_admin_logs_in_a_fullwidth_spelling_of_a_username(settings):
    # What makes look-alikes matter: Django's login form normalises NFKC before authenticating.
    UserFactory(username="editor", password=PASSWORD, roles=["editor"], is_staff=True)
    response = Client().post(reverse("admin:login"), {"username": "ｅditor", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("look_alike", ["ｅditor", "EDITOR", "ｅｄｉｔｏｒ "])
def test_a_look_alike_username_does_not_get_past_the_lockout(settings, look_alike):
    settings.LOGIN_LOCKOUT = {"per_username": 5, "per_address": 100, "window_seconds": 900}
    UserFactory(username="editor", password=PASSWORD, roles=["editor"], is_staff=True)
    login = reverse("admin:login")
    for i in range(5):
        assert post_token(APIClient(), "editor", "wrong", address=f"198.51.100.{i}").status_code == 400

    browser = Client(REMOTE_ADDR="192.0.2.1")
    admin = browser.post(login, {"username": look_alike, "password": PASSWORD})
    token = post_token(APIClient(), look_alike, PASSWORD, address="192.0.2.2")

    assert admin.status_code == 429
    assert "Too many failed attempts to log in." in admin.content.decode()
    assert "_auth_user_id" not in browser.session
    error_body(token, 429, "throttled")


@pytest.mark.django_db
def test_failures_under_look_alike_spellings_add_up(settings):
    settings.LOGIN_LOCKOUT = {"per_username": 3, "per_address": 100, "window_seconds": 900}
    UserFactory(username="editor", password=PASSWORD, roles=["editor"], is_staff=True)
    login = reverse("admin:login")
    for spelling in ("ｅditor", "EDITOR", "Ｅｄｉｔｏｒ"):
        assert Client().post(login, {"username": spelling, "password": "wrong"}).status_code == 200
    assert Client().post(login, {"username": "editor", "password": PASSWORD}).status_code == 429


# --- 3. parallel attempts ----------------------------------------------------------------------


def in_parallel(count: int, attempt) -> list:
    """Run ``attempt(i)`` for i in range(count) on as many threads, released at once."""
    start = threading.Barrier(count)

    def run(i):
        start.wait()
        try:
            return attempt(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture
def slow_password_checks(monkeypatch):
    """Password checks that take 0.3 s, as a real hasher's do, counted."""
    checked = Counter()
    lock = threading.Lock()
    check = User.check_password

    def slow_check(user, raw_password):
        with lock:
            checked["checks"] += 1
        threading.Event().wait(0.3)
        return check(user, raw_password)

    monkeypatch.setattr(User, "check_password", slow_check)
    return checked


def test_thirty_parallel_wrong_passwords_on_the_token_endpoint_check_five(committed_db, settings, slow_password_checks):
    settings.LOGIN_LOCKOUT = {"per_username": 5, "per_address": 30, "window_seconds": 900}
    UserFactory(username="frank", password=PASSWORD, is_superuser=True)

    # Each from an address of its own: only the username's lockout stands in the way.
    statuses = in_parallel(30, lambda i: post_token(APIClient(), "frank", "wrong", f"198.51.100.{i}").status_code)

    print(f"token endpoint, 30 parallel wrong passwords: {Counter(statuses)}, {slow_password_checks['checks']} checked")
    assert slow_password_checks["checks"] == 5
    assert sorted(statuses) == [400] * 5 + [429] * 25
    # Locked, correct password or not.
    assert post_token(APIClient(), "frank", PASSWORD, "192.0.2.9").status_code == 429


def test_thirty_parallel_wrong_passwords_on_the_admin_login_check_five(committed_db, settings, slow_password_checks):
    settings.LOGIN_LOCKOUT = {"per_username": 5, "per_address": 30, "window_seconds": 900}
    UserFactory(username="grace", password=PASSWORD, is_superuser=True, is_staff=True)
    login = reverse("admin:login")

    def attempt(i):
        return Client(REMOTE_ADDR=f"198.51.100.{i}").post(login, {"username": "grace", "password": "wrong"}).status_code

    statuses = in_parallel(30, attempt)

    print(f"admin login, 30 parallel wrong passwords: {Counter(statuses)}, {slow_password_checks['checks']} checked")
    assert slow_password_checks["checks"] == 5
    assert sorted(statuses) == [200] * 5 + [429] * 25


def test_parallel_attempts_from_one_address_check_no_more_than_its_limit(committed_db, settings, slow_password_checks):
    settings.LOGIN_LOCKOUT = {"per_username": 5, "per_address": 8, "window_seconds": 900}
    rates(settings, login="1000/minute")
    for i in range(20):
        UserFactory(username=f"user{i}", password=PASSWORD)

    statuses = in_parallel(20, lambda i: post_token(APIClient(), f"user{i}", "guess", "203.0.113.50").status_code)

    assert slow_password_checks["checks"] == 8
    assert sorted(statuses) == [400] * 8 + [429] * 12


@pytest.mark.django_db
def test_a_refused_attempt_costs_nothing_and_a_success_frees_its_address(settings):
    settings.LOGIN_LOCKOUT = {"per_username": 2, "per_address": 3, "window_seconds": 900}
    rates(settings, login="1000/minute")
    UserFactory(username="heidi", password=PASSWORD)
    UserFactory(username="ivan", password=PASSWORD)
    client = APIClient()
    # Successes never lock the address out.
    assert {post_token(client, "ivan", PASSWORD).status_code for _ in range(6)} == {200}
    # Heidi locked after two failures; refused attempts do not spend the address's budget.
    assert [post_token(client, "heidi", "wrong").status_code for _ in range(6)] == [400, 400] + [429] * 4
    assert post_token(client, "ivan", "wrong").status_code == 400  # the address's third failure
    assert post_token(client, "ivan", PASSWORD).status_code == 429  # past the address's limit


def post_form(url: str, data: dict, forwarded_for: str) -> int:
    body = json.dumps(data).encode()
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - our own server
    request.add_header("Content-Type", "application/json")
    request.add_header("X-Forwarded-For", forwarded_for)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
def test_under_gunicorn_with_a_real_hasher_parallel_wrong_passwords_check_five(committed_db, empty_redis):
    """As production runs: 4 workers counting in Redis, PBKDF2 hashing (the local settings'
    hashers, not the tests' fast one), 30 wrong passwords at once from 30 addresses."""
    User.objects.create(username="judy", password=make_password(PASSWORD, hasher=PBKDF2PasswordHasher()))
    env = {
        "DJANGO_SETTINGS_MODULE": "factcheck.settings.local",
        "REDIS_URL": empty_redis,
        "NUM_PROXIES": "1",
        "THROTTLE_LOGIN": "1000/minute",
        "LOGIN_FAILURES_PER_USERNAME": "5",
        "LOGIN_FAILURES_PER_ADDRESS": "30",
    }
    with gunicorn(database_url(connection.settings_dict), workers=4, env=env) as base:
        url = f"{base}/api/v1/auth/token/"
        statuses = in_parallel(30, lambda i: post_form(url, {"username": "judy", "password": "no"}, f"10.1.0.{i}"))
        locked = post_form(url, {"username": "judy", "password": PASSWORD}, "10.2.0.1")

    print(f"gunicorn x4 + Redis + PBKDF2, 30 parallel wrong passwords: {Counter(statuses)}")
    assert sorted(statuses) == [400] * 5 + [429] * 25
    assert locked == 429


# --- 4. requests that fail authentication or permission -------------------------------------


@pytest.mark.django_db
def test_anonymous_requests_refused_401_spend_the_anonymous_budget(settings):
    rates(settings, anon="5/day")
    client = Client(REMOTE_ADDR="203.0.113.20")

    answers = [client.get("/api/v1/documents/") for _ in range(8)]

    assert [a.status_code for a in answers] == [401] * 5 + [429] * 3
    assert [a["RateLimit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
    refused = answers[-1]
    assert detail(refused, 429, "throttled").startswith("Request was throttled. Expected available in ")
    assert 1 <= int(refused["Retry-After"]) <= 86_400
    # The budget is one: public reads from the address are refused too, another address is not.
    assert client.get("/api/v1/claims/").status_code == 429
    assert Client(REMOTE_ADDR="203.0.113.21").get("/api/v1/documents/").status_code == 401


@pytest.mark.django_db
def test_tokens_that_are_not_valid_are_looked_up_only_while_the_address_has_budget(settings):
    rates(settings, anon="5/day")
    client = Client(REMOTE_ADDR="203.0.113.30")
    answers, lookups = [], []
    for _ in range(8):
        with CaptureQueriesContext(connection) as queries:
            answers.append(client.get("/api/v1/claims/", HTTP_AUTHORIZATION=f"Token {secrets.token_hex(20)}"))
        lookups.append(sum("authtoken_token" in q["sql"] for q in queries.captured_queries))

    assert [a.status_code for a in answers] == [401] * 5 + [429] * 3
    assert lookups == [1] * 5 + [0] * 3
    assert detail(answers[-1], 429, "throttled").startswith(
        "Too many requests with a token that is not valid from this address. Expected available in "
    )
    assert 1 <= int(answers[-1]["Retry-After"]) <= 86_400


@pytest.mark.django_db
def test_valid_tokens_are_not_refused_for_what_anonymous_clients_at_the_address_spent(settings):
    rates(settings, anon="5/day", user="100/day")
    token = Token.objects.create(user=UserFactory(roles=["journalist"])).key
    client = Client(REMOTE_ADDR="203.0.113.40")
    for _ in range(6):
        client.get("/api/v1/documents/")
    assert client.get("/api/v1/documents/").status_code == 429
    # Valid tokens give back what their lookup took: ten of them is not ten failures.
    statuses = {client.get("/api/v1/documents/", HTTP_AUTHORIZATION=f"Token {token}").status_code for _ in range(10)}
    assert statuses == {200}


@pytest.mark.django_db
def test_a_users_requests_refused_403_spend_the_users_budget(settings):
    rates(settings, user="3/day")
    client = APIClient()
    client.force_authenticate(UserFactory(roles=["journalist"]))

    statuses = [client.post("/api/v1/sources/", {"name": "N"}, format="json").status_code for _ in range(5)]

    assert statuses == [403] * 3 + [429] * 2
    assert client.get("/api/v1/documents/").status_code == 429


def test_parallel_tokens_that_are_not_valid_are_looked_up_no_more_than_the_budget(committed_db, settings, monkeypatch):
    rates(settings, anon="5/day")
    lookups = Counter()
    lock = threading.Lock()
    lookup = DrfTokenAuthentication.authenticate_credentials

    def slow_lookup(self, key):
        with lock:
            lookups["lookups"] += 1
        threading.Event().wait(0.2)
        return lookup(self, key)

    monkeypatch.setattr(DrfTokenAuthentication, "authenticate_credentials", slow_lookup)

    def attempt(i):
        bad = f"Token {secrets.token_hex(20)}"
        return Client(REMOTE_ADDR="203.0.113.60").get("/api/v1/claims/", HTTP_AUTHORIZATION=bad).status_code

    statuses = in_parallel(30, attempt)

    print(f"30 parallel invalid tokens, budget 5: {Counter(statuses)}, {lookups['lookups']} looked up")
    assert lookups["lookups"] == 5
    assert sorted(statuses) == [401] * 5 + [429] * 25


@pytest.mark.slow
def test_under_gunicorn_refusals_and_bad_tokens_are_throttled(committed_db, empty_redis):
    env = {"REDIS_URL": empty_redis, "THROTTLE_ANON": "20/day", "NUM_PROXIES": "0"}

    def get(url: str, headers: dict) -> int:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    counters = redis.Redis.from_url(empty_redis)
    with gunicorn(database_url(connection.settings_dict), workers=2, env=env) as base:
        counters.flushdb()  # what the readiness check spent
        anonymous = [get(f"{base}/api/v1/documents/", {}) for _ in range(40)]
        counters.flushdb()
        bad_tokens = [
            get(f"{base}/api/v1/documents/", {"Authorization": f"Token {secrets.token_hex(20)}"}) for _ in range(40)
        ]

    print(f"gunicorn, 40 anonymous refusals: {Counter(anonymous)}; 40 invalid tokens: {Counter(bad_tokens)}")
    assert anonymous == [401] * 20 + [429] * 20
    assert bad_tokens == [401] * 20 + [429] * 20
