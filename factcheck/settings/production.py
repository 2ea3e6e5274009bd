"""Production (gunicorn, ``make serve``): DEBUG off, HTTPS only, and everything
that must be chosen is required: SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS, REDIS_URL.

``manage.py check --deploy`` is clean with these settings (a test keeps it so).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, REST_FRAMEWORK, envbool, envint, public_url, secret_key

DEBUG = False
SECRET_KEY = secret_key(debug=False)

if not DATABASES:  # noqa: F405
    raise ImproperlyConfigured("DATABASE_URL must be set in production.")
if not CACHE_IS_SHARED:  # noqa: F405
    # Throttles and login lockouts count in the cache; per-process memory would
    # give every gunicorn worker a limit of its own.
    raise ImproperlyConfigured("REDIS_URL must be set in production: throttles need a cache all workers share.")

# The URLs we publish (ClaimReview, PROV, exports) name the address readers use: by
# default the first allowed host, over HTTPS; FACTCHECK_PUBLIC_URL says otherwise.
_site = ALLOWED_HOSTS[0] if ALLOWED_HOSTS else ""
if "FACTCHECK_PUBLIC_URL" not in os.environ and (not _site or _site.startswith(".") or "*" in _site):
    raise ImproperlyConfigured("Set FACTCHECK_PUBLIC_URL, or name the site's own host first in ALLOWED_HOSTS.")
FACTCHECK_PUBLIC_URL = public_url(f"https://{_site}")
FACTCHECK_ORGANIZATION = {
    **FACTCHECK_ORGANIZATION,  # noqa: F405
    "url": os.environ.get("FACTCHECK_ORG_URL", FACTCHECK_PUBLIC_URL + "/"),
}

# HTTPS only. Behind a proxy that terminates TLS, set NUM_PROXIES so that its
# X-Forwarded-Proto is believed (and only then).
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
if REST_FRAMEWORK["NUM_PROXIES"]:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True

# Static files are served by the app itself (WhiteNoise), compressed and with
# hashed names that can be cached forever; `make serve` runs collectstatic first.
# A bare deployment needs no web server for them.
MIDDLEWARE = [*MIDDLEWARE]  # noqa: F405
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "whitenoise.middleware.WhiteNoiseMiddleware"
)
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
