"""Breaking things on purpose: finding and killing runner and worker processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path


def runner_pid(home: Path, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return json.loads((home / "runner.json").read_text())["pid"]
        except (OSError, ValueError, KeyError):
            time.sleep(0.05)
    raise AssertionError("no runner started")


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            out.append(int(entry))
    return out


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        kids = children(todo.pop())
        found += kids
        todo += kids
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def busy_workers(runner: int) -> list[int]:
    """Worker processes of the runner that are using the CPU now (not the fork server)."""
    # workers are forked by the fork server, a child of the runner
    servers = [p for p in children(runner) if "forkserver" in cmdline(p)]
    workers = [w for s in servers for w in children(s)]

    def cpu(p: int) -> int:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            return int(fields[11]) + int(fields[12])
        except OSError:
            return 0

    before = {p: cpu(p) for p in workers}
    time.sleep(0.5)
    return [p for p in workers if cpu(p) > before[p]]


def kill_runner_group(home: Path) -> None:
    """SIGKILL the runner and everything it started, as a crash or OOM kill would."""
    pid = runner_pid(home)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    (home / "runner.json").unlink(missing_ok=True)
