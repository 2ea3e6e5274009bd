"""Abuse limits that hold with several workers and behind proxies.

- The client's address is read from ``X-Forwarded-For`` only as far as the
  configured number of proxies (``NUM_PROXIES``) vouches for it; a client cannot
  rotate the header to get a fresh budget.
- Counters live in the cache, which production settings require to be shared
  (Redis), and are counted atomically (``incr``), so two workers, or two
  requests at the same instant, cannot both spend the last request.
- Both ways to log in (``/api/v1/auth/token/`` and the admin's login page) lock
  out a username after repeated failures, and an address after many.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle


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


def count_in_window(key: str, period: int) -> tuple[int, int]:
    """Add one to ``key``'s counter for the current window of ``period`` seconds;
    answer the new count and the seconds left in the window. Atomic in Redis."""
    now = time.time()
    window = int(now // period)
    bucket = f"{key}:{window}"
    cache.add(bucket, 0, timeout=period + 1)
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.add(bucket, 1, timeout=period + 1)
        count = 1
    return count, max(1, math.ceil((window + 1) * period - now))


class WindowRateThrottle(BaseThrottle):
    """At most N requests a window per client, counted atomically in the shared cache."""

    scope = ""

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def rate(self) -> tuple[int, int]:
        return parse_rate(api_settings.DEFAULT_THROTTLE_RATES[self.scope])

    def ident(self, request) -> str | None:
        """Who is counted; None: this throttle does not apply to the request."""
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        ident = self.ident(request)
        if ident is None:
            return True
        limit, period = self.rate()
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


class AnonRateThrottle(WindowRateThrottle):
    scope = "anon"

    def ident(self, request) -> str | None:
        return None if request.user and request.user.is_authenticated else client_ip(request)


class UserRateThrottle(WindowRateThrottle):
    scope = "user"

    def ident(self, request) -> str | None:
        return str(request.user.pk) if request.user and request.user.is_authenticated else None


class LoginRateThrottle(WindowRateThrottle):
    """Attempts to log in, per address, whatever their outcome."""

    scope = "login"

    def ident(self, request) -> str | None:
        return client_ip(request)


# --- lockouts after failed logins -------------------------------------------------------------


def _lockout() -> tuple[int, int, int]:
    """(failures allowed per username, per address, over this many seconds)."""
    config = settings.LOGIN_LOCKOUT
    return config["per_username"], config["per_address"], config["window_seconds"]


def _keys(username: str, ip: str) -> tuple[str, str]:
    # Hashed: a username may hold characters, or a length, no cache key should.
    user = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    return f"login-failures:user:{user}", f"login-failures:ip:{ip}"


def login_blocked(username: str, ip: str) -> int:
    """Seconds until ``username`` may try again from ``ip`` (0: now)."""
    per_user, per_ip, window = _lockout()
    user_key, ip_key = _keys(username, ip)
    failures = cache.get_many([user_key, ip_key])
    if failures.get(user_key, 0) >= per_user or failures.get(ip_key, 0) >= per_ip:
        return window
    return 0


def login_failed(username: str, ip: str) -> None:
    _, _, window = _lockout()
    for key in _keys(username, ip):
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:
            cache.add(key, 1, timeout=window)


def login_succeeded(username: str, ip: str) -> None:
    """A correct password clears the username's failures (not the address's)."""
    cache.delete(_keys(username, ip)[0])


LOCKED_OUT = "Too many failed attempts to log in. Try again in {minutes} minutes."
