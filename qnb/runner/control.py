"""Start, wake, inspect and stop the runner of a ``QNB_HOME``; cheap enough for every submit."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import autostart_runner
from ..files import resolved


@dataclass(frozen=True)
class RunnerFiles:
    home: Path

    @property
    def lock(self) -> Path:
        return self.home / "runner.lock"

    @property
    def fifo(self) -> Path:
        return self.home / "runner.wake"

    @property
    def info(self) -> Path:
        return self.home / "runner.json"

    @property
    def log(self) -> Path:
        return self.home / "runner.log"


def wake(home: Path, *, nudge: bool = True) -> bool:
    """Nudge the runner to look at the store now (or, with ``nudge=False``, only see that it
    listens). False when no runner is listening."""
    try:
        fd = os.open(RunnerFiles(home).fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno in (errno.ENXIO, errno.ENOENT):
            return False
        raise
    try:
        if nudge:
            os.write(fd, b"!")
    except BlockingIOError:
        pass  # the pipe is full of wake-ups already: the runner will look anyway
    except BrokenPipeError:
        return False  # the runner went away (or closed the FIFO to exit) since the open
    finally:
        os.close(fd)
    return True


def acquire_lock(home: Path, patience: float = 0.5) -> int | None:
    """Take the runner lock of ``home``; the open descriptor, or None if a runner holds it.

    The process that takes the lock names itself at once, in the lock file and in
    ``runner.json`` (state "starting" until its first heartbeat), so that no file names a
    runner that no longer holds it: a killed runner's ``runner.json`` is replaced by the next
    runner before that one does anything else. Readers still check the name against the lock
    (``lock_holder``).

    ``runner_alive`` probes take the lock for microseconds (metrics scrapes do it often), so
    a failed attempt is retried for ``patience`` seconds before deciding another runner runs.
    """
    from ..files import write_json_atomic

    fd = os.open(RunnerFiles(home).lock, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + patience
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(0.02)
            continue
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        write_json_atomic(RunnerFiles(home).info, {
            "pid": os.getpid(), "state": "starting", "started_at": time.time()})
        return fd


def runner_alive(home: Path) -> bool:
    """True while some process holds the runner lock of ``home``."""
    path = RunnerFiles(home).lock
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def spawn(home: Path, extra_args: list[str] | None = None) -> subprocess.Popen:
    """Start a detached runner that outlives the calling kernel."""
    files = RunnerFiles(home)
    from ..files import open_private

    log = os.fdopen(open_private(files.log), "ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "qnb.runner", "--home", str(home), *(extra_args or [])],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            close_fds=True, cwd=str(home),
        )
    finally:
        log.close()


_spawned: dict[Path, subprocess.Popen] = {}


def ensure_runner(home: Path, *, nudge: bool = True) -> bool:
    """Make sure a runner serves ``home``, and wake it unless ``nudge=False`` (a local job
    needs no runner to start: its workers claim it). True if one was started."""
    if wake(home, nudge=nudge):
        return False
    home = resolved(home)
    if not autostart_runner(home):
        return False  # runners started as services serve this store
    starting = _spawned.get(home)
    if starting is not None and starting.poll() is None:
        return False  # ours is still starting: it scans the queue once it is ready
    if runner_alive(home):
        return False  # someone else's is starting
    _spawned[home] = spawn(home)
    return True


HEARS_SECONDS = 1.0  # how long a look at whether a home's runner hears ends is believed
_hears: dict[tuple[Path, str], tuple[float, bool]] = {}


def hears_ends(home: Path, url: str) -> bool:
    """Whether the runner of ``home`` serves the shared store at ``url`` and hears jobs end
    anywhere, waking this home's waits (its ``runner.json`` says so, and it holds its FIFO
    open: it is alive). Then a kernel of this home needs no listener of its own. Looked at
    once a second at most per home and store: a wait asks it each time it starts."""
    now = time.monotonic()
    seen = _hears.get((home, url))
    if seen is not None and now - seen[0] < HEARS_SECONDS:
        return seen[1]
    hears = False
    if wake(home, nudge=False):
        try:
            info = json.loads(RunnerFiles(home).info.read_text())
        except (OSError, ValueError):
            info = None
        hears = isinstance(info, dict) and info.get("store") == url and info.get(
            "hears_ends") is True
    _hears[(home, url)] = (now, hears)
    return hears


def runner_info(home: Path) -> dict[str, Any] | None:
    """The runner that serves ``home`` (its last heartbeat: pid, start, workers, active jobs),
    or None if none runs. A ``runner.json`` that names another process than the lock's
    holder is not believed: the holder is then reported as starting."""
    pid = lock_holder(home)
    if pid is None:
        return None
    try:
        info = json.loads(RunnerFiles(home).info.read_text())
    except (OSError, ValueError):
        info = None
    if not isinstance(info, dict) or info.get("pid") != pid:
        return {"pid": pid, "state": "starting"}
    return info


def lock_holder(home: Path, patience: float = 0.5) -> int | None:
    """The pid of the process holding the runner lock of ``home`` (None if none does).

    The holder writes its pid into the lock file when it takes the lock; where the kernel's
    lock table can be read (``/proc/locks``), that pid must also be one the table shows
    holding the lock file, so that a stale or foreign pid is never taken for the runner.
    A brief probe (``runner_alive``) or a runner between taking the lock and writing its pid
    is waited out for ``patience`` seconds; after that the table's word stands."""
    path = RunnerFiles(home).lock
    deadline = time.monotonic() + patience
    while True:
        if not runner_alive(home):
            return None
        claimed = _lock_file_pid(path)
        holders = _flock_holders(path)
        if holders is None:  # no lock table here: the holder's own word, if it is alive
            if claimed and _exists(claimed):
                return claimed
        elif claimed in holders:
            return claimed
        if time.monotonic() >= deadline:
            live = [pid for pid in holders or () if _exists(pid)]
            return live[0] if len(live) == 1 else None
        time.sleep(0.02)


def _lock_file_pid(path: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(path.read_text().strip() or 0) or None
    return None


def _flock_holders(path: Path) -> set[int] | None:
    """The pids the kernel's lock table shows holding an flock on ``path`` (None where there
    is no table to read). Lines look like ``5: FLOCK  ADVISORY  WRITE 12675 fe:00:2146358 0 EOF``;
    waiters (``->``) are not holders."""
    try:
        st = path.stat()
        table = Path("/proc/locks").read_text()
    except OSError:
        return None
    want = (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)
    pids = set()
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[1] != "FLOCK":
            continue
        try:
            major, minor, inode = fields[5].split(":")
            if (int(major, 16), int(minor, 16), int(inode)) == want:
                pids.add(int(fields[4]))
        except ValueError:
            continue
    return pids


def _exists(pid: int) -> bool:
    """The process runs (a zombie, ended but not yet reaped by its parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, ValueError, IndexError):
        text = Path(f"/proc/{pid}/stat").read_text()
        return text[text.rindex(")") + 2] != "Z"
    return True


def _descendants(pid: int) -> list[int]:
    """The processes under ``pid`` (its workers, their fork server), from ``/proc``; empty
    where there is none to read."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = entry.read_text()
            ppid = int(text[text.rindex(")") + 2:].split()[1])
            parents.setdefault(ppid, []).append(int(entry.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_tree(pid: int) -> None:
    """SIGKILL the runner ``pid`` and everything it started. A runner started by ``spawn``
    leads its own process group (its workers are in it); one run in the foreground
    (``qnb runner``) shares its shell's group, so its descendants are killed one by one."""
    victims = _descendants(pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, signal.SIGKILL)
    for p in (pid, *victims):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(p, signal.SIGKILL)


def stop_runner(home: Path, timeout: float = 15.0) -> bool:
    """Stop the runner of ``home`` and its workers: SIGTERM to the process holding the lock
    (it stops its workers and exits), then SIGKILL to it and all it started. True if the
    runner that served ``home`` is gone (a kernel waiting on a job may start another one);
    False if the lock it held is still held (``lock_openers`` says by whom)."""
    home = Path(home).resolve()
    starting = _spawned.pop(home, None)
    if starting is not None and starting.poll() is None:
        starting.terminate()  # ours, perhaps not yet holding its lock
        with contextlib.suppress(subprocess.TimeoutExpired):
            starting.wait(timeout=timeout)
    pid = lock_holder(home)
    if pid is None:
        return not runner_alive(home)  # a pid left in the files is stale: never signal it

    def holding() -> bool:  # the lock is still held, and not by a runner started since
        return runner_alive(home) and lock_holder(home, patience=0.0) in (pid, None)

    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while holding() and _exists(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if holding():
        _kill_tree(pid)
        deadline = time.monotonic() + 5.0
        while holding() and time.monotonic() < deadline:
            time.sleep(0.05)
    return not holding()


def lock_openers(home: Path) -> list[int]:
    """The processes that have the runner lock file of ``home`` open (from ``/proc``): who
    keeps a lock held after its runner was stopped."""
    target = RunnerFiles(home).lock.resolve()
    found = []
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        with contextlib.suppress(OSError, ValueError):
            if Path(os.readlink(fd)) == target:
                found.append(int(fd.parent.parent.name))
    return sorted(set(found) - {os.getpid()})
