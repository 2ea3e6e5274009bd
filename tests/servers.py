"""The app under gunicorn, as production runs it, for tests that need real workers
(shared throttles, load, a database restart under load)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for a Django database's settings (a socket folder as host is percent-encoded)."""
    host = quote(settings_dict["HOST"] or "localhost", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    user = settings_dict["USER"] or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}{port}/{settings_dict['NAME']}"


@contextmanager
def gunicorn(database: str, *, workers: int = 2, env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve the app with gunicorn on a free port against ``database`` (a URL);
    yield its base URL; stop it afterwards."""
    port = free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "factcheck.settings.test",
        "DATABASE_URL": database,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "CONN_MAX_AGE": "60",
        # As in production: no debug pages, no query log growing with every request.
        "DEBUG": "0",
        "SECRET_KEY": "test-only-" + "k3y" * 20,
        **(env or {}),
    }
    log = open(ROOT / "test-artifacts" / f"gunicorn-{port}.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "factcheck/gunicorn.conf.py"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/api/v1/claims/?page_size=1", timeout=2)  # noqa: S310 - our own server
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start: see {log.name}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


(ROOT / "test-artifacts").mkdir(exist_ok=True)
