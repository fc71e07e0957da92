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

    ``runner_alive`` probes take the lock for microseconds (metrics scrapes do it often), so
    a failed attempt is retried for ``patience`` seconds before deciding another runner runs.
    """
    fd = os.open(RunnerFiles(home).lock, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + patience
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())  # stop_runner finds a runner still starting
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(0.02)


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
    home = Path(home).resolve()
    starting = _spawned.get(home)
    if starting is not None and starting.poll() is None:
        return False  # ours is still starting: it scans the queue once it is ready
    if runner_alive(home):
        return False  # someone else's is starting
    _spawned[home] = spawn(home)
    return True


def runner_info(home: Path) -> dict[str, Any] | None:
    """The runner's last heartbeat (pid, start, workers, active jobs), or None if none runs."""
    if not runner_alive(home):
        return None
    try:
        return json.loads(RunnerFiles(home).info.read_text())
    except (OSError, ValueError):
        return {"state": "starting"}


def _runner_pid(home: Path) -> int | None:
    """The pid of the runner of ``home``: from its heartbeat, or from the lock file while it
    is still starting."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return int(json.loads(RunnerFiles(home).info.read_text())["pid"])
    with contextlib.suppress(OSError, ValueError):
        return int(RunnerFiles(home).lock.read_text().strip() or 0) or None
    return None


def stop_runner(home: Path, timeout: float = 15.0) -> bool:
    """Ask the runner of ``home`` to stop (SIGTERM, then SIGKILL). True if none runs after."""
    home = Path(home).resolve()
    starting = _spawned.pop(home, None)
    if starting is not None and starting.poll() is None:
        starting.terminate()  # ours, perhaps not yet holding its lock
        with contextlib.suppress(subprocess.TimeoutExpired):
            starting.wait(timeout=timeout)
    if not runner_alive(home):
        return True  # a pid left in the files is stale: never signal it
    pid = _runner_pid(home)
    deadline = time.monotonic() + timeout
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    while runner_alive(home) and time.monotonic() < deadline:
        time.sleep(0.05)
    if runner_alive(home) and pid:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        time.sleep(0.2)
    return not runner_alive(home)
