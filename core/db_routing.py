"""Reads from replicas, with read-your-writes: a client never reads a replica that has
not yet replayed the client's own last write.

The settings add a database alias per URL in ``DATABASE_REPLICA_URLS`` (``replica_0``,
``replica_1``, ...) and install ``ReplicaRouter``; ``core.middleware.ReadYourWritesMiddleware``
opens a ``RequestRouting`` for each request. Then:

- every write, and every read outside a request (commands, the shell), goes to the
  primary (``default``);
- a safe request (GET, HEAD, OPTIONS) reads one replica, chosen at its first read and
  kept for the rest of the request, unless it already asked for the primary (a write,
  a ``select_for_update``, an admin change form's transaction) or is inside a
  transaction on the primary;
- after a request that wrote, the primary's WAL position (``pg_current_wal_lsn()``)
  is remembered for its client: in a signed cookie, and for a client that sends an
  ``Authorization`` header, in the cache under a hash of that header (the cache is
  Redis when REDIS_URL is set, shared by every worker). A later read uses a replica
  only if the replica's ``pg_last_wal_replay_lsn()`` has reached that position:
  exact, not a guess at the lag. Once one has, the client's position is forgotten;
- a replica that is down, answers with an error or is not in recovery (promoted) is
  skipped, and left alone for ``REPLICA_RETRY_SECONDS``; with none left the primary
  answers.

API tokens are always read from the primary: a token issued a moment ago works at
once, a revoked one stops at once.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA_PREFIX = "replica_"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Models read from the primary whatever the request: who the client is.
PRIMARY_MODELS = frozenset({"authtoken.token"})
COOKIE = "factcheck_written"
COOKIE_SALT = "core.db_routing.written"
CACHE_PREFIX = "written-lsn:"
# How long a client's last write is remembered: far longer than any replica should lag.
REMEMBER_SECONDS = 3600
# A replica that failed is not asked again for this long (its connect timeout is not
# paid by every request while it is down).
REPLICA_RETRY_SECONDS = 5.0


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


def parse_lsn(text: str | None) -> int | None:
    """A WAL position as PostgreSQL writes it (``16/B374D848``) as a number."""
    if not text:
        return None
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def client_key(authorization: str) -> str:
    """The cache key of a client that sends ``authorization``; the header itself is a
    credential, so only its hash is stored."""
    return CACHE_PREFIX + hashlib.sha256(authorization.encode("latin-1", "replace")).hexdigest()


# --- replicas' health and position ---------------------------------------------------

_failed_at: dict[str, float] = {}
_failed_lock = threading.Lock()


def _resting(alias: str) -> bool:
    with _failed_lock:
        failed = _failed_at.get(alias)
    return failed is not None and time.monotonic() - failed < REPLICA_RETRY_SECONDS


def _failed(alias: str, error: Exception) -> None:
    logger.warning("Replica %s is not used for %ss: %s", alias, REPLICA_RETRY_SECONDS, error)
    with _failed_lock:
        _failed_at[alias] = time.monotonic()
    try:
        connections[alias].close()
    except Exception:  # noqa: S110 - closing a broken connection may fail too; it is gone either way
        pass


def replay_position(alias: str) -> int | None:
    """How far ``alias`` has replayed the primary's WAL; None when it is not a standby.
    One round trip to the replica (never the primary), which also proves it is up."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_last_wal_replay_lsn()::text")
        return parse_lsn(cursor.fetchone()[0])


def primary_position() -> int | None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return parse_lsn(cursor.fetchone()[0])


def choose_replica(required: int | None) -> str | None:
    """A replica that is up and has replayed ``required`` (any, when None), or None."""
    candidates = [alias for alias in replica_aliases() if not _resting(alias)]
    random.shuffle(candidates)  # spreads the reads
    for alias in candidates:
        try:
            replayed = replay_position(alias)
        except Exception as error:
            _failed(alias, error)
            continue
        if replayed is None:
            _failed(alias, RuntimeError("it is not in recovery: promoted, or not a standby"))
            continue
        if required is None or replayed >= required:
            return alias
    return None


# --- the request's state ---------------------------------------------------------------


@dataclass
class RequestRouting:
    """Where one request reads, decided at its first read."""

    request: HttpRequest
    safe: bool
    wrote: bool = False  # asked for the primary to write (or lock)
    read_alias: str | None = None
    # The client's last write (None: none remembered); read lazily, at the first read.
    required: int | None = None
    required_known: bool = False
    primary_only: bool = False  # the client's last write could not be read (cache away)
    caught_up: bool = False  # a replica has replayed the client's last write: forget it
    sources: list[str] = field(default_factory=list)  # where the client's last write was remembered

    def read_database(self) -> str:
        if self.read_alias is None:
            self.read_alias = self._choose()
        return self.read_alias

    def _choose(self) -> str:
        if not self.safe or self.wrote:
            return DEFAULT_DB_ALIAS
        self._load_required()
        if self.primary_only:
            return DEFAULT_DB_ALIAS
        alias = choose_replica(self.required)
        if alias is None:
            return DEFAULT_DB_ALIAS
        self.caught_up = self.required is not None
        return alias

    def _load_required(self) -> None:
        if self.required_known:
            return
        self.required_known = True
        positions = []
        cookie = self.request.get_signed_cookie(COOKIE, default=None, salt=COOKIE_SALT, max_age=REMEMBER_SECONDS)
        if cookie is not None and cookie.isdigit():
            positions.append(int(cookie))
            self.sources.append("cookie")
        authorization = self.request.META.get("HTTP_AUTHORIZATION")
        if authorization:
            try:
                remembered = cache.get(client_key(authorization))
            except Exception as error:
                # Without it this client's last write is unknown: read where every write is.
                logger.warning("The cache is away; reading from the primary: %s", error)
                self.primary_only = True
                return
            if isinstance(remembered, int):
                positions.append(remembered)
                self.sources.append("cache")
        self.required = max(positions, default=None)

    def finish(self, response: HttpResponse) -> None:
        """After the response: remember the primary's position for a client that wrote,
        or forget it once a replica has caught up with it."""
        if not self.safe or self.wrote:
            self._remember(response)
        elif self.caught_up:
            if "cookie" in self.sources:
                response.delete_cookie(COOKIE, samesite="Lax")
            if "cache" in self.sources:
                try:
                    cache.delete(client_key(self.request.META["HTTP_AUTHORIZATION"]))
                except Exception as error:
                    logger.warning("The cache is away: %s", error)

    def _remember(self, response: HttpResponse) -> None:
        try:
            position = primary_position()
        except Exception as error:  # the primary is away: the answer says so already
            logger.warning("Could not read the primary's WAL position: %s", error)
            return
        if position is None:
            return
        response.set_signed_cookie(
            COOKIE,
            str(position),
            salt=COOKIE_SALT,
            max_age=REMEMBER_SECONDS,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        authorization = self.request.META.get("HTTP_AUTHORIZATION")
        if authorization:
            key = client_key(authorization)
            try:
                # The later of two writes wins, whichever request ends first.
                remembered = cache.get(key)
                if not isinstance(remembered, int) or remembered < position:
                    cache.set(key, position, REMEMBER_SECONDS)
            except Exception as error:
                logger.warning("The cache is away; this client's write is not remembered: %s", error)


_current: ContextVar[RequestRouting | None] = ContextVar("factcheck_request_routing", default=None)


def begin_request(request: HttpRequest) -> RequestRouting:
    state = RequestRouting(request=request, safe=request.method in SAFE_METHODS)
    _current.set(state)
    return state


def _end_request(**kwargs) -> None:
    # At request_finished, after a streamed answer (a CSV export) has been read out:
    # its rows come from the request's database too.
    _current.set(None)


request_finished.connect(_end_request, dispatch_uid="core.db_routing.end_request")


def current() -> RequestRouting | None:
    return _current.get()


class ReplicaRouter:
    """Settings: ``DATABASE_ROUTERS = ["core.db_routing.ReplicaRouter"]`` (the settings
    install it when replicas are configured). See the module's docstring."""

    def db_for_read(self, model, **hints) -> str:
        state = _current.get()
        if state is None or model._meta.label_lower in PRIMARY_MODELS:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            # A transaction on the primary reads what it is about to write (or lock).
            return DEFAULT_DB_ALIAS
        return state.read_database()

    def db_for_write(self, model, **hints) -> str:
        state = _current.get()
        if state is not None:
            # Everything the request reads from now on comes from the primary, and its
            # client's position is remembered when it ends.
            state.wrote = True
            state.read_alias = DEFAULT_DB_ALIAS
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # Every alias is a copy of the same database.
        databases = {DEFAULT_DB_ALIAS, *replica_aliases()}
        if obj1._state.db in databases and obj2._state.db in databases:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS
