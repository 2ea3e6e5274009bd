"""The test suite: local settings (the embedded PostgreSQL when DATABASE_URL is
unset), with a fast password hasher: the default is slow on purpose."""

from .local import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
