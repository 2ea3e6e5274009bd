"""Abuse limits that hold with several workers, behind proxies, under parallel
requests, and when the cache that counts them is away.

- The client's address is read from ``X-Forwarded-For`` only as far as the
  configured number of proxies (``NUM_PROXIES``) vouches for it; a client cannot
  rotate the header to get a fresh budget.
- Counters live in the cache, which production settings require to be shared
  (Redis), and every request is counted *before* the work it pays for, atomically
  (``add``, then ``incr``): two workers, or thirty requests at the same instant,
  cannot both spend the last unit of a budget.
- Both ways to log in (``/api/v1/auth/token/`` and the admin's login page) count an
  attempt before its password is checked, under the username as Django
  authenticates it (NFKC, and case-folded: ``ｅditor`` is ``editor``), and lock the
  username out after repeated failures, and the address after many.
- A token that is not valid costs its address: tokens are looked up only while the
  address has budget left for failures (``credentials_attempt``), and every API
  request refused 401 or 403 is charged to the caller's budget (``charge_refusal``),
  as requests that get through are: past it, 429.
- When the cache is away nothing is let through uncounted: the API answers 503 with
  Retry-After (``CacheUnavailable``), the admin's login page says to try again.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.exceptions import APIException, Throttled
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from core.errors import CACHE_ERRORS, CACHE_UNAVAILABLE_DETAIL, RETRY_AFTER_SECONDS, database_unavailable

logger = logging.getLogger(__name__)

# A cache call that fails with these is a cache away (redis-py wraps socket errors, mostly).
_CACHE_CALL_ERRORS = (*CACHE_ERRORS, OSError)


class CacheUnavailable(APIException):
    """The cache holding the counters is away. A request that cannot be counted is
    refused (503 with Retry-After, like the database being away), never let through:
    a limit that vanished with the cache would vanish whenever Redis is overloaded,
    which is when it is needed."""

    status_code = 503
    default_code = "unavailable"
    default_detail = CACHE_UNAVAILABLE_DETAIL

    def __init__(self) -> None:
        super().__init__()
        self.wait = RETRY_AFTER_SECONDS  # DRF's exception handler sends it as Retry-After


@contextmanager
def _cache_guard(doing: str) -> Iterator[None]:
    try:
        yield
    except _CACHE_CALL_ERRORS as error:
        logger.error("The cache is unavailable while %s (%r): the request is refused with a 503.", doing, error)
        raise CacheUnavailable() from error


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or, behind ``NUM_PROXIES`` proxies, the
    address the outermost trusted proxy saw (counted from the right of X-Forwarded-For)."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = api_settings.NUM_PROXIES or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-min(proxies, len(hops))] if hops else remote


def parse_rate(rate: str) -> tuple[int, int]:
    """ "600/minute" as (600, 60)."""
    count, period = rate.split("/")
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[period.strip()[0].lower()]
    return int(count), seconds


def _incr(key: str, timeout: int) -> int:
    """Add one to ``key``'s counter, created (with ``timeout``) if there is none; the new
    count. Atomic in Redis: SET NX, else INCR (which keeps the key's expiry)."""
    for _ in range(5):
        if cache.add(key, 1, timeout=timeout):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # it expired between the two: create it again
            continue
    raise CacheUnavailable()  # a counter that expires faster than it can be read: not a cache to trust


def _refund(key: str) -> None:
    """Take back one unit of ``key``'s counter (best effort: a counter that expired,
    or a cache that went away, keeps the unit, which only errs on the strict side)."""
    try:
        cache.decr(key)
    except ValueError:
        pass
    except _CACHE_CALL_ERRORS as error:
        logger.warning("The cache is unavailable: could not give back a unit of %s (%r).", key, error)


@dataclass(frozen=True)
class Spent:
    """One unit spent from a window's budget: the counter it went to, the count
    there now (this request included), and the seconds left in the window."""

    bucket: str
    count: int
    left: int

    def refund(self) -> None:
        _refund(self.bucket)


def spend(key: str, period: int) -> Spent:
    """Spend one unit from ``key``'s budget for the current window of ``period`` seconds."""
    now = time.time()
    window = int(now // period)
    bucket = f"{key}:{window}"
    with _cache_guard("counting a request"):
        count = _incr(bucket, period + 1)
    return Spent(bucket, count, max(1, math.ceil((window + 1) * period - now)))


def count_in_window(key: str, period: int) -> tuple[int, int]:
    """Add one to ``key``'s counter for the current window of ``period`` seconds;
    answer the new count and the seconds left in the window. Atomic in Redis."""
    spent = spend(key, period)
    return spent.count, spent.left


class WindowRateThrottle(BaseThrottle):
    """At most N requests a window per client, counted atomically in the shared cache."""

    scope = ""

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def rate(self) -> tuple[int, int] | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return parse_rate(rate) if rate else None

    def ident(self, request) -> str | None:
        """Who is counted; None: this throttle does not apply to the request."""
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        ident = self.ident(request)
        rate = self.rate()
        if ident is None or rate is None:
            return True
        limit, period = rate
        count, left = count_in_window(f"throttle:{self.scope}:{ident}", period)
        # For the RateLimit-* headers (core.middleware): the budget that is closest to spent.
        http_request = getattr(request, "_request", request)
        budget = (limit, max(0, limit - count), left)
        current = getattr(http_request, "rate_limit", None)
        if current is None or budget[1] < current[1]:
            http_request.rate_limit = budget
        if count > limit:
            self.retry_after = left
            return False
        return True

    def wait(self) -> float | None:
        return self.retry_after


def _authenticated(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated)


class AnonRateThrottle(WindowRateThrottle):
    scope = "anon"

    def ident(self, request) -> str | None:
        return None if _authenticated(request) else client_ip(request)


class UserRateThrottle(WindowRateThrottle):
    scope = "user"

    def ident(self, request) -> str | None:
        return str(request.user.pk) if _authenticated(request) else None


class LoginRateThrottle(WindowRateThrottle):
    """Attempts to log in, per address, whatever their outcome."""

    scope = "login"

    def ident(self, request) -> str | None:
        return client_ip(request)


# --- requests without valid credentials ---------------------------------------------------

BAD_CREDENTIALS = "Too many requests with a token that is not valid from this address."


def credentials_attempt(ip: str) -> Spent | None:
    """Count a token about to be looked up against its address's budget for failures
    (the size of the anonymous budget), *before* the lookup; past the budget, Throttled
    (429), and the token is not looked up. The caller refunds the unit when the token
    turns out valid, so only failures (and lookups in flight) stay counted."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get("anon")
    if not rate:
        return None
    limit, period = parse_rate(rate)
    spent = spend(f"throttle:credentials:{ip}", period)
    if spent.count > limit:
        spent.refund()  # a refused request spends nothing more: the budget stays exactly spent
        raise Throttled(spent.left, detail=BAD_CREDENTIALS)
    return spent


def charge_refusal(request: HttpRequest) -> int:
    """Charge an API request refused 401 or 403 (which DRF refuses before its throttles
    run) to the caller's budget, as a request that got through would be: an anonymous
    caller's address, a user's account. Answers 0, or the seconds to wait when that
    was past the budget (the refusal is then a 429). Raises CacheUnavailable."""
    if getattr(request, "rate_limit", None) is not None:
        return 0  # a throttle counted it already (a refusal from inside the view)
    try:
        authenticated = _authenticated(request)
    except Exception as error:  # the session's user could not be loaded: the database is away
        if not database_unavailable(error):
            raise
        authenticated = False
    throttle = UserRateThrottle() if authenticated else AnonRateThrottle()
    if throttle.allow_request(request, None):
        return 0
    return int(throttle.wait() or 1)


def throttled_detail(wait: int, detail: str | None = None) -> str:
    """The message of a 429, as DRF words it."""
    return str(Throttled(wait, detail=detail).detail)


# --- lockouts after failed logins -------------------------------------------------------------

LOCKED_OUT = "Too many failed attempts to log in. Try again in {minutes} minutes."
LOGIN_UNAVAILABLE = (
    "Logging in is unavailable for a moment: the service that counts failed attempts is away. "
    "Nothing was changed; try again in a few seconds."
)


def _lockout() -> tuple[int, int, int]:
    """(failures allowed per username, per address, over this many seconds)."""
    config = settings.LOGIN_LOCKOUT
    return config["per_username"], config["per_address"], config["window_seconds"]


def username_key(username: str) -> str:
    """The username as a lockout counts it: whitespace stripped and NFKC-normalised, as
    Django's login form does before authenticating (``ｅditor`` logs in as ``editor``),
    then case-folded (and normalised again, as folding can undo it), so no look-alike
    spelling of a name gets a fresh budget."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username.strip()).casefold())
    return unicodedata.normalize("NFKC", folded)


def _keys(username: str, ip: str) -> tuple[str, str]:
    # Hashed: a username may hold characters, or a length, no cache key should.
    user = hashlib.sha256(username_key(username).encode()).hexdigest()[:32]
    return f"login-failures:user:{user}", f"login-failures:ip:{ip}"


@dataclass(frozen=True)
class LoginAttempt:
    """An attempt to log in, counted before its password is checked. ``wait``: 0 if it
    may go ahead, else the seconds until the username (or the address) may try again."""

    user_key: str
    ip_key: str
    wait: int

    def succeeded(self) -> None:
        """A correct password clears the username's failures, and gives the address
        back the unit this attempt took (it failed nothing)."""
        try:
            cache.delete(self.user_key)
        except _CACHE_CALL_ERRORS as error:
            logger.warning("The cache is unavailable: could not clear a username's failed logins (%r).", error)
        _refund(self.ip_key)


def login_attempt(username: str, ip: str) -> LoginAttempt:
    """Count an attempt to log in as ``username`` from ``ip``, before its password is
    checked: the count is taken first and atomically, so however many attempts run at
    once, at most the allowed number of them are checked. An attempt refused is given
    back (it checked nothing); one that fails stays counted for the window; one that
    succeeds clears the username. Raises CacheUnavailable."""
    per_user, per_ip, window = _lockout()
    user_key, ip_key = _keys(username, ip)
    with _cache_guard("counting an attempt to log in"):
        users = _incr(user_key, window)
        try:
            addresses = _incr(ip_key, window)
        except BaseException:
            _refund(user_key)
            raise
    if users > per_user or addresses > per_ip:
        _refund(user_key)
        _refund(ip_key)
        return LoginAttempt(user_key, ip_key, window)
    return LoginAttempt(user_key, ip_key, 0)
