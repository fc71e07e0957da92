"""Breaking things on purpose: finding and killing runner and worker processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path

import psutil
from helpers import wait_for


def runner_log_tail(home: Path, lines: int = 15) -> str:
    """The end of the runner's log, to show why a runner did not come up."""
    try:
        return "\n".join((home / "runner.log").read_text().splitlines()[-lines:])
    except OSError as exc:
        return f"(no runner log: {exc})"


def runner_pid(home: Path, timeout: float = 60) -> int:
    """The pid of the runner serving ``home``, waiting for one to start. A kernel waiting on a
    job starts a runner when none serves the store; so does this wait."""
    from qnb.runner import ensure_runner

    def pid() -> int | None:
        try:
            return json.loads((home / "runner.json").read_text())["pid"]
        except (OSError, ValueError, KeyError):
            ensure_runner(home)
            return None

    return wait_for(pid, timeout,
                    lambda: f"a runner to start; its log ends:\n{runner_log_tail(home)}",
                    interval=0.2)


def children(pid: int) -> list[int]:
    try:
        return [p.pid for p in psutil.Process(pid).children()]
    except psutil.Error:
        return []


def descendants(pid: int) -> list[int]:
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def cmdline(pid: int) -> str:
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return ""


def pool_workers(runner: int) -> list[int]:
    """The worker processes of the runner ``runner`` (forked by its fork server, a child)."""
    servers = [p for p in children(runner) if "forkserver" in cmdline(p)]
    return [w for s in servers for w in children(s)]


def busy_workers(runner: int) -> list[int]:
    """Worker processes of the runner that are using the CPU now (not the fork server)."""
    workers = pool_workers(runner)

    def cpu(p: int) -> float:
        try:
            times = psutil.Process(p).cpu_times()
            return times.user + times.system
        except psutil.Error:
            return 0.0

    before = {p: cpu(p) for p in workers}
    time.sleep(0.5)
    return [p for p in workers if cpu(p) > before[p]]


def gone(pid: int) -> bool:
    """The process has ended (a zombie waiting for its parent counts as ended)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def kill_runner_group(home: Path) -> None:
    """SIGKILL the runner and everything it started, as a crash or OOM kill would."""
    pid = runner_pid(home)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(AssertionError):  # go on after 10 s, as the next runner would
        wait_for(lambda: gone(pid), 10, f"runner {pid} to end")
    (home / "runner.json").unlink(missing_ok=True)


def job_worker(runner: int, min_rss: int = 350 * 2**20) -> int | None:
    """The worker simulating a wide job: its statevector makes it the one process holding
    ``min_rss`` bytes (a 24-qubit one is 256 MiB; a worker that is only warming up, after a
    replaced one, holds far less)."""
    def rss(p: int) -> int:
        try:
            return psutil.Process(p).memory_info().rss
        except psutil.Error:
            return 0

    servers = [p for p in children(runner) if "forkserver" in cmdline(p)]
    big = [w for s in servers for w in children(s) if rss(w) >= min_rss]
    return max(big, key=rss) if big else None
