"""The embedded PostgreSQL (factcheck/embedded_db.py) stops with the app, however the app ends.

Each test starts its own app-like processes ("holders", which ask for the server and then
wait) on a throwaway data folder, never the suite's database, ends them the way a
terminal, ``kill`` or a killed ``make`` would, and watches the server's process go.
"""

from __future__ import annotations

import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from factcheck.embedded_db import HOLDERS_FILE, WATCHDOG_LOG, WATCHDOG_POLL_SECONDS

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")

# An app in miniature: asks for the server, prints its URL and waits. The signals start
# out as they would from a terminal, whatever the test runner inherited (nohup, a job).
HOLDER = """
import signal, sys, time
from pathlib import Path
signal.signal(signal.SIGHUP, signal.SIG_DFL)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
signal.signal(signal.SIGINT, signal.default_int_handler)
from factcheck.embedded_db import embedded_database_url
print(embedded_database_url(Path(sys.argv[1])), flush=True)
while True:
    time.sleep(1)
"""

# make in miniature: runs a holder as its child and waits.
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]], stdout=subprocess.PIPE, text=True)
print(child.pid, child.stdout.readline().strip(), flush=True)
while True:
    time.sleep(1)
"""

STOPPED_BY_WATCHDOG = "no process holds the server any more"


@pytest.fixture(scope="module")
def data_root() -> Iterator[Path]:
    # Not pytest's tmp_path: as root the wheel opens every parent folder of the data to
    # the system user that runs PostgreSQL, and pytest's folders are meant to be private.
    root = Path(tempfile.mkdtemp(prefix="factcheck-embedded-db-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pgdata(data_root: Path) -> Iterator[Path]:
    # One folder for the whole module: initdb once, then every test starts the server anew.
    pgdata = data_root / "pgdata"
    yield pgdata
    _clean_up(pgdata)


@pytest.fixture
def spawn(pgdata: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    # Depends on pgdata so that its processes are killed before pgdata's clean-up.
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        with open(pgdata.parent / "stderr", "a") as stderr:
            proc = subprocess.Popen(
                [sys.executable, "-c", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
            )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]


def _start_holder(spawn: Callable[..., subprocess.Popen[str]], pgdata: Path) -> subprocess.Popen[str]:
    holder = spawn(HOLDER, str(pgdata))
    url = _read_line(holder)
    assert url.startswith("postgres://"), f"the holder did not get a database: {url!r}; {_stderr(pgdata)}"
    return holder


def _read_line(proc: subprocess.Popen[str], timeout: float = 60) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline().strip() if ready else ""


def _stderr(pgdata: Path) -> str:
    path = pgdata.parent / "stderr"
    return "stderr: " + (path.read_text()[-3000:] if path.exists() else "")


def _postgres(pgdata: Path) -> list[psutil.Process]:
    return [proc for proc, name, cmdline in _live_processes() if name == "postgres" and str(pgdata) in cmdline]


def _watchdogs(pgdata: Path) -> list[psutil.Process]:
    return [proc for proc, _, cmdline in _live_processes() if f"factcheck.embedded_db watch {pgdata}" in cmdline]


def _live_processes() -> Iterator[tuple[psutil.Process, str, str]]:
    for proc in psutil.process_iter(["name", "cmdline", "status"]):
        if proc.info["status"] != psutil.STATUS_ZOMBIE and proc.info["cmdline"]:
            yield proc, proc.info["name"], " ".join(proc.info["cmdline"])


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _eventually(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _watchdog_log(pgdata: Path) -> str:
    path = pgdata / WATCHDOG_LOG
    return path.read_text() if path.exists() else ""


def _holders(pgdata: Path) -> str:
    return (pgdata / HOLDERS_FILE).read_text()


def _clean_up(pgdata: Path) -> None:
    # After a failed test: with its holders killed (the spawn fixture), the watchdog
    # should stop the server. Otherwise stop it here, so the next test starts afresh.
    if _eventually(lambda: not _postgres(pgdata) and not _watchdogs(pgdata), 15):
        return
    for proc in _watchdogs(pgdata):
        proc.kill()
    for proc in _postgres(pgdata):
        proc.send_signal(signal.SIGINT)  # PostgreSQL's fast shutdown
        try:
            proc.wait(15)
        except psutil.TimeoutExpired:
            proc.kill()


@pytest.mark.parametrize(
    ("signum", "exit_code"),
    [(signal.SIGHUP, 128 + signal.SIGHUP), (signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGINT, -signal.SIGINT)],
    ids=["SIGHUP", "SIGTERM", "SIGINT"],
)
def test_the_app_stops_the_database_when_signalled(pgdata: Path, spawn, signum: int, exit_code: int) -> None:
    holder = _start_holder(spawn, pgdata)
    assert _postgres(pgdata)
    assert len(_watchdogs(pgdata)) == 1
    log_before = _watchdog_log(pgdata)

    holder.send_signal(signum)

    # A clean exit, not death by the signal (SIGINT is Python's KeyboardInterrupt, which
    # runs the atexit hooks and then ends the process by the signal, as the shell expects)...
    assert holder.wait(30) == exit_code, _stderr(pgdata)
    # ...so the app stopped the server itself, on its way out.
    assert _eventually(lambda: not _postgres(pgdata), 5)
    assert _holders(pgdata) == "[]"
    assert STOPPED_BY_WATCHDOG not in _watchdog_log(pgdata).removeprefix(log_before)
    assert _eventually(lambda: not _watchdogs(pgdata), 10), "the watchdog outlived the server"


def test_an_app_killed_outright_leaves_no_database_behind(pgdata: Path, spawn) -> None:
    holder = _start_holder(spawn, pgdata)
    log_before = _watchdog_log(pgdata)

    holder.kill()  # SIGKILL: no atexit hook runs
    holder.wait()

    assert _eventually(lambda: not _postgres(pgdata), 15), "the server outlived an app killed with SIGKILL"
    assert STOPPED_BY_WATCHDOG in _watchdog_log(pgdata).removeprefix(log_before)
    assert _holders(pgdata) == "[]"
    assert _eventually(lambda: not _watchdogs(pgdata), 10), "the watchdog outlived the server"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_the_app_exits_when_its_parent_is_killed(pgdata: Path, spawn) -> None:
    parent = spawn(PARENT, HOLDER, str(pgdata))
    child_pid, _, url = _read_line(parent).partition(" ")
    assert url.startswith("postgres://"), f"the holder did not get a database: {url!r}; {_stderr(pgdata)}"
    log_before = _watchdog_log(pgdata)

    parent.kill()  # as `kill -9` on make: the app, its child, is orphaned
    parent.wait()

    try:
        assert _eventually(lambda: _gone(int(child_pid)), 15), "the app outlived its parent"
    finally:
        if not _gone(int(child_pid)):
            psutil.Process(int(child_pid)).kill()
    assert _eventually(lambda: not _postgres(pgdata), 10)
    # The app stopped the server itself (SIGTERM, then a clean exit), not the watchdog.
    assert STOPPED_BY_WATCHDOG not in _watchdog_log(pgdata).removeprefix(log_before)


def test_the_watchdog_spares_a_server_that_is_still_held(pgdata: Path, spawn) -> None:
    first = _start_holder(spawn, pgdata)
    second = _start_holder(spawn, pgdata)
    assert len(_postgres(pgdata)) == 1
    assert len(_watchdogs(pgdata)) == 1, "one watchdog per data folder"
    log_before = _watchdog_log(pgdata)

    first.kill()
    first.wait()
    time.sleep(3 * WATCHDOG_POLL_SECONDS)
    assert _postgres(pgdata), "the watchdog stopped a server that a live app still holds"
    assert len(_watchdogs(pgdata)) == 1

    # The last holder stops the server although the dead one is still on the list.
    second.terminate()
    assert second.wait(30) == 128 + signal.SIGTERM, _stderr(pgdata)
    assert _eventually(lambda: not _postgres(pgdata), 5)
    assert STOPPED_BY_WATCHDOG not in _watchdog_log(pgdata).removeprefix(log_before)
    assert _eventually(lambda: not _watchdogs(pgdata), 10)
