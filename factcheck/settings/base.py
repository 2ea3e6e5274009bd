"""Settings shared by every environment, read from the environment.

The environments add to this: ``local`` (the default of manage.py: DEBUG on, an
embedded PostgreSQL when DATABASE_URL is unset), ``test`` (pytest) and
``production`` (gunicorn: DEBUG off, HTTPS only, everything required set).

DATABASE_URL  postgres://user:password@host:port/name
DATABASE_REPLICA_URLS  comma-separated URLs of streaming standbys that serve reads
SECRET_KEY    required when DEBUG is off
ALLOWED_HOSTS comma-separated
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of {sorted(_TRUE | _FALSE)}, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


INSECURE_KEY = "insecure-local-development-key-do-not-use-in-production"


def secret_key(*, debug: bool) -> str:
    """SECRET_KEY from the environment; a development key only while DEBUG is on."""
    key = os.environ.get("SECRET_KEY", "")
    if not key:
        if not debug:
            raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
        return INSECURE_KEY
    if not debug and (key == INSECURE_KEY or len(key) < 50 or len(set(key)) < 5):
        raise ImproperlyConfigured("SECRET_KEY must be a random string of 50 characters or more.")
    return key


DEBUG = False
SECRET_KEY = secret_key(debug=True)

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "core.apps.FactcheckAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pgtrigger",
    "pghistory",
    "core",
    "sources",
    "claims",
    "corpus",
    "ingestion",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost of those that touch the body: it compresses what the others produced.
    "django.middleware.gzip.GZipMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "core.middleware.RequestSanityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    # ETags on every GET (details keep their own), and 304 for If-None-Match.
    "django.middleware.http.ConditionalGetMiddleware",
    "core.middleware.ApiHeadersMiddleware",
    # Reads from replicas when DATABASE_REPLICA_URLS is set; outside the session, which it may read.
    "core.middleware.ReadYourWritesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.ChangeContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "factcheck.urls"
WSGI_APPLICATION = "factcheck.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database(url: str) -> dict:
    """The default database from its URL, with the options every environment wants."""
    config = dj_database_url.parse(url, conn_max_age=envint("CONN_MAX_AGE", 60))
    # A connection kept between requests is checked before a request uses it, so the
    # first requests after a PostgreSQL restart do not fail on a dead connection.
    config["CONN_HEALTH_CHECKS"] = True
    config["OPTIONS"] = {
        # A runaway query is cancelled instead of holding a connection forever. JIT is
        # off: the planner overestimates recursive walks, and compiling them took a
        # second where running them takes tens of milliseconds.
        # The trigram threshold is claims.search.FUZZY_THRESHOLD (near spellings:
        # Gandja for Ganja), for the index-served ``%>`` operator.
        "options": f"-c statement_timeout={envint('STATEMENT_TIMEOUT_MS', 30000)} -c jit=off"
        " -c pg_trgm.word_similarity_threshold=0.4",
    }
    if os.environ.get("TEST_DATABASE_NAME"):
        # Lets several test runs share one server without sharing a test database.
        config["TEST"] = {"NAME": os.environ["TEST_DATABASE_NAME"]}
    return config


def replica(url: str) -> dict:
    """A read replica (a streaming standby of the default database) from its URL."""
    config = database(url)
    # A replica that is away is skipped (core.db_routing) after this many seconds, not
    # after the operating system's minutes of retrying a host that does not answer.
    config["OPTIONS"]["connect_timeout"] = envint("REPLICA_CONNECT_TIMEOUT", 2)
    # Tests read their one test database through every alias.
    config["TEST"] = {"MIRROR": "default"}
    return config


DATABASES = {"default": database(os.environ["DATABASE_URL"])} if os.environ.get("DATABASE_URL") else {}
# Streaming standbys of DATABASE_URL (comma-separated URLs): safe requests read from
# them, with read-your-writes for each client (core/db_routing.py, docs/SCALING.md).
DATABASE_REPLICA_URLS = envlist("DATABASE_REPLICA_URLS")
if DATABASE_REPLICA_URLS:
    if not DATABASES:
        raise ImproperlyConfigured("DATABASE_REPLICA_URLS needs DATABASE_URL: replicas copy a primary.")
    DATABASES.update({f"replica_{i}": replica(url) for i, url in enumerate(DATABASE_REPLICA_URLS)})
    DATABASE_ROUTERS = ["core.db_routing.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Requests bigger than this are refused (413) before they reach a view. The largest
# field, a document's body of 500,000 characters, can take 3 MB once percent-encoded
# by a browser or \u-escaped in JSON.
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 8 * 1024 * 1024)

# Browser tools on other origins may call the API. Any origin by default: the API's
# credentials are tokens a tool sends in a header, never cookies (CORS_ALLOW_CREDENTIALS
# stays off), so another site cannot act with a reader's session. CORS_ALLOWED_ORIGINS
# (comma-separated, e.g. https://tools.newsroom.example) narrows it.
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOWED_ORIGINS = envlist("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_ALL_ORIGINS = not CORS_ALLOWED_ORIGINS
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "if-match", "if-none-match"]
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]
CORS_PREFLIGHT_MAX_AGE = 3600

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["core.permissions.RolePermission"],
    # JSON only (the token endpoint and the ClaimReview upload add forms and files):
    # a form cannot say null or carry the nested hops of a chain.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.SafeJSONParser"],
    # Answers in JSON (lists in CSV too, see core/tables.py), never HTML: people read the
    # API through its docs at /api/v1/docs/.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.negotiation.StrictContentNegotiation",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_FILTER_BACKENDS": ["core.filters.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.AnonRateThrottle", "core.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("THROTTLE_ANON", "600/minute"),
        "user": os.environ.get("THROTTLE_USER", "6000/minute"),
        "login": os.environ.get("THROTTLE_LOGIN", "30/minute"),
    },
    # How many proxies in front of the app append to X-Forwarded-For. The client's
    # address is read that many entries from the right; with 0 the header is ignored,
    # so a client cannot pick its own address (and its own throttle bucket).
    "NUM_PROXIES": envint("NUM_PROXIES", 0),
}

# Failed logins (API token or admin) before a username, or an address, is locked out for the window.
LOGIN_LOCKOUT = {
    "per_username": envint("LOGIN_FAILURES_PER_USERNAME", 5),
    "per_address": envint("LOGIN_FAILURES_PER_ADDRESS", 30),
    "window_seconds": envint("LOGIN_LOCKOUT_SECONDS", 900),
}

# Throttle counters and login lockouts live in the cache, so it must be shared by
# every worker: Redis when REDIS_URL is set (required in production); per-process
# memory otherwise, which is right only for a single process (runserver, tests).
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_IS_SHARED = bool(REDIS_URL)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "factcheck",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

SPECTACULAR_SETTINGS = {
    "TITLE": "factcheck API",
    "DESCRIPTION": "Claims, sources, documents and the attribution chains between them.\n\n"
    'Every error is one JSON shape (`Error`): `{"detail": "...", "code": "...", "errors": [{"field": ..., '
    '"message": "...", "code": "..."}]}`; input that failed validation has code `invalid` and an item per '
    "message, its field named by its path (`hops[1].source`). Each operation lists the error statuses it can "
    "answer; any other path under `/api/` answers 404, and a method an operation does not offer 405. 429 and "
    "503 come with `Retry-After`. Anonymous clients read published claims, their traces and exports, "
    "sources and topics; tokens go in `Authorization: Token ...` or `Authorization: Bearer ...`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Sources and documents both have a "kind" with different choices.
    "ENUM_NAME_OVERRIDES": {
        "SourceKindEnum": "sources.models.SourceKind",
        "DocumentKindEnum": "sources.models.DocumentKind",
        "FlagEnum": "claims.provenance.flags.FLAG_CODES",
        "ProposalStatusEnum": "ingestion.models.ProposalStatus",
        "ClaimStatusEnum": "claims.models.ClaimStatus",
    },
    # Every operation lists the errors it can answer, declares anonymous access where the
    # permissions allow it, and the schema names its server (core/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.openapi.document_errors",
    ],
}


def public_url(default: str) -> str:
    """Where readers reach this app (the base of every URL in ClaimReview, PROV and the
    exports): ``FACTCHECK_PUBLIC_URL``, checked, without a trailing slash."""
    url = os.environ.get("FACTCHECK_PUBLIC_URL", default).rstrip("/")
    if not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", url):
        raise ImproperlyConfigured(
            f"FACTCHECK_PUBLIC_URL must be an http(s) address such as https://factcheck.example.org, not {url!r}"
        )
    return url


# Where claims live, and who publishes the fact-checks (the ClaimReview author).
FACTCHECK_PUBLIC_URL = public_url("http://localhost:8000")
FACTCHECK_ORGANIZATION = {
    "name": os.environ.get("FACTCHECK_ORG_NAME", "factcheck"),
    "url": os.environ.get("FACTCHECK_ORG_URL", FACTCHECK_PUBLIC_URL + "/"),
}
# The most records one CSV answer holds; a larger selection is refused, never cut (core/tables.py).
TABLE_MAX_ROWS = envint("TABLE_MAX_ROWS", 100_000)
# An import given a url alone has this server fetch the page (ingestion/fetching.py): off
# unless turned on, since the server then makes requests an editor aims. Public http(s)
# addresses only, within one deadline (seconds) and a size.
INGESTION_FETCH_URLS = envbool("INGESTION_FETCH_URLS", False)
INGESTION_FETCH_TIMEOUT = envint("INGESTION_FETCH_TIMEOUT", 10)
INGESTION_FETCH_MAX_BYTES = envint("INGESTION_FETCH_MAX_BYTES", 5_000_000)
# For tests fetching from a server on this machine only: never read from the environment.
INGESTION_FETCH_ALLOW_PRIVATE = False

PGHISTORY_DEFAULT_TRACKERS = None
# Reads change nothing, so they need no history context (saves a statement per query).
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
PGHISTORY_ADMIN_MODEL = "pghistory.MiddlewareEvents"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
