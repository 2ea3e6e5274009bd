"""Production settings: `check --deploy` is clean, required settings are required,
and a bare deployment (gunicorn alone) serves the admin's static files itself,
with a content security policy."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import urllib.request

import pytest
from django.db import connection

from tests.servers import ROOT, database_url, gunicorn


def production_env(**extra: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "factcheck.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url(connection.settings_dict),
        "ALLOWED_HOSTS": "factcheck.example.org,127.0.0.1",
        "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        **extra,
    }


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.django_db
def test_check_deploy_is_clean_with_the_documented_production_settings():
    done = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY must be set when DEBUG is off."),
        ("DATABASE_URL", "DATABASE_URL must be set in production."),
        ("REDIS_URL", "REDIS_URL must be set in production"),
    ],
)
def test_production_refuses_to_start_without_what_it_needs(missing, message):
    env = production_env()
    del env[missing]
    done = manage("check", env=env)
    assert done.returncode != 0
    assert message in done.stderr


@pytest.mark.django_db
def test_a_short_or_sample_secret_key_is_refused():
    done = manage("check", env=production_env(SECRET_KEY="too-short"))
    assert "SECRET_KEY must be a random string of 50 characters or more." in done.stderr


def public_url(env: dict[str, str]) -> subprocess.CompletedProcess:
    code = (
        "from django.conf import settings; print(settings.FACTCHECK_PUBLIC_URL, settings.FACTCHECK_ORGANIZATION['url'])"
    )
    return manage("shell", "--verbosity", "0", "-c", code, env=env)


@pytest.mark.django_db
def test_published_urls_name_the_site_readers_use():
    env = production_env()
    env.pop("FACTCHECK_PUBLIC_URL", None)
    env.pop("FACTCHECK_ORG_URL", None)

    by_host = public_url(env)
    chosen = public_url({**env, "FACTCHECK_PUBLIC_URL": "https://checks.example.net/"})

    assert by_host.stdout.split() == ["https://factcheck.example.org", "https://factcheck.example.org/"]
    assert chosen.stdout.split() == ["https://checks.example.net", "https://checks.example.net/"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"ALLOWED_HOSTS": "*"}, "Set FACTCHECK_PUBLIC_URL, or name the site's own host first in ALLOWED_HOSTS."),
        ({"ALLOWED_HOSTS": ".example.org"}, "Set FACTCHECK_PUBLIC_URL"),
        ({"FACTCHECK_PUBLIC_URL": "factcheck.example.org"}, "FACTCHECK_PUBLIC_URL must be an http(s) address"),
        ({"FACTCHECK_PUBLIC_URL": "javascript:alert(1)"}, "FACTCHECK_PUBLIC_URL must be an http(s) address"),
    ],
)
def test_a_public_url_that_cannot_be_right_is_refused(extra, message):
    env = production_env(**extra)
    if "FACTCHECK_PUBLIC_URL" not in extra:
        env.pop("FACTCHECK_PUBLIC_URL", None)

    done = manage("check", env=env)

    assert done.returncode != 0
    assert message in done.stderr


@pytest.mark.slow
def test_gunicorn_alone_serves_static_files_and_every_page_has_a_security_policy(committed_db, tmp_path):
    env = production_env(STATIC_ROOT=str(tmp_path / "static"), SECURE_SSL_REDIRECT="0")
    collected = manage("collectstatic", "--no-input", "-v", "0", env=env)
    assert collected.returncode == 0, collected.stderr
    server_env = {k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "ALLOWED_HOSTS", "REDIS_URL")}
    with gunicorn(
        env["DATABASE_URL"], env={**server_env, "STATIC_ROOT": env["STATIC_ROOT"], "SECURE_SSL_REDIRECT": "0"}
    ) as base:
        with urllib.request.urlopen(base + "/admin/login/") as page:  # noqa: S310 - our own server
            html = page.read().decode()
            policy = page.headers["Content-Security-Policy"]
        css = next(part.split('"')[0] for part in html.split('href="') if part.startswith("/static/admin/css/base"))
        with urllib.request.urlopen(base + css) as stylesheet:  # noqa: S310
            assert stylesheet.status == 200
            assert "max-age=315360000" in stylesheet.headers["Cache-Control"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert ".css" in css and css != "/static/admin/css/base.css"  # a hashed name, cacheable forever
