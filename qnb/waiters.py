"""Waking processes that wait on the store, so that a wait ends as soon as there is news.

Two kinds of process wait so, each in its own folder of ``QNB_HOME``:

- ``waiters``: processes waiting for jobs to end (``job.wait()``, ``job.result()``), woken
  by whoever ends jobs (a worker, the runner);
- ``workers``: the runner's idle worker processes, waiting for local jobs to claim, woken by
  whoever queues one (``qnb.submit``). All of them are woken: the first to be scheduled
  claims the job (waking one alone was measured slower on two cores: the one chosen may
  have to wait for the core the submitting kernel holds).

A process registers once per ``QNB_HOME`` and folder: it binds a datagram socket in Linux's
abstract namespace and leaves an empty file named after it in the folder. A poke sends one
byte to every registered socket; the process then reads the store at once
instead of at its next timed look. The byte says only "look again", so a stray one costs a
store read and nothing else. A registration whose process has gone is removed by the next
poke. Elsewhere than Linux, waits keep their timed looks.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import select
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .files import open_private, private_dir, resolved

DIRECTORY = "waiters"  # processes waiting for jobs to end
WORKERS = "workers"  # idle worker processes waiting for local jobs


def _address(home: Path, name: str) -> str:
    digest = hashlib.sha256(str(home).encode()).hexdigest()[:16]
    return f"\0qnb-{digest}-{name}"


class Waiter:
    """This process's wake-up socket for one ``QNB_HOME`` and folder."""

    def __init__(self, home: Path, folder: str = DIRECTORY) -> None:
        self.home = home
        self.name = f"{os.getpid()}-{os.urandom(4).hex()}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(_address(home, self.name))
        self.sock.setblocking(False)
        self.mark = private_dir(home / folder) / self.name
        os.close(open_private(self.mark, os.O_WRONLY | os.O_CREAT))

    def sleep(self, seconds: float) -> None:
        """Sleep up to ``seconds``; return early when the runner has ended jobs."""
        try:
            ready, _, _ = select.select([self.sock], [], [], seconds)
        except (OSError, ValueError):  # closed by another thread at exit
            time.sleep(seconds)
            return
        if ready:
            with contextlib.suppress(OSError):
                while self.sock.recv(64):
                    pass

    def close(self) -> None:
        self.mark.unlink(missing_ok=True)
        self.sock.close()


_waiters: dict[Path, Waiter] = {}
_lock = threading.Lock()


def waiter(home: Path) -> Waiter | None:
    """This process's waiter for ``home`` (made on first use); None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    home = resolved(home)
    with _lock:
        found = _waiters.get(home)
        if found is not None and found.name.startswith(f"{os.getpid()}-"):
            return found
        try:  # a forked child makes its own
            found = _waiters[home] = Waiter(home)
        except OSError:
            return None
        return found


@atexit.register
def _close_all() -> None:
    for found in _waiters.values():
        if found.name.startswith(f"{os.getpid()}-"):
            with contextlib.suppress(OSError):
                found.close()


def poke(home: Path, folder_name: str = DIRECTORY) -> int:
    """Wake every process registered in ``folder_name`` of ``home`` (by default those waiting
    on jobs); how many were woken."""
    home = resolved(home)
    folder = home / folder_name
    try:
        names = os.listdir(folder)
    except OSError:
        return 0
    woken = 0
    sock = _sender()
    for name in names:
        try:
            sock.sendto(b"!", _address(home, name))
            woken += 1
        except BlockingIOError:
            woken += 1  # its queue is full of wake-ups already
        except (ConnectionRefusedError, FileNotFoundError):
            with contextlib.suppress(OSError):  # its process has gone
                (folder / name).unlink()
        except OSError:
            pass
    return woken


def waiting(home: Path, folder_name: str = DIRECTORY) -> bool:
    """Whether some process is registered in ``folder_name`` of ``home`` to be woken (for
    ``waiters``: a process that has waited on a job there). A registration left by a process
    that died goes with the next poke."""
    try:
        with os.scandir(resolved(home) / folder_name) as found:
            return next(found, None) is not None
    except OSError:
        return False


_following: dict[tuple[int, Path], Any] = {}


def follow_ends(store: Any) -> Any:
    """On a store that other machines' runners serve (``store.shared``), wake this process's
    waits when a job ends anywhere: one listener per process and store (``store.listen``,
    topic "end"), poking this process's own waiter; the listener (None on other stores). A
    job run on this machine wakes them through ``poke`` anyway; this is for the others, for
    a process whose home has no runner hearing them (``Job._follow_ends``)."""
    if not store.shared:
        return None
    home = resolved(store.home)
    own = waiter(home)
    if own is None:
        return None
    with _lock:
        key = (os.getpid(), home)
        if key not in _following:
            address = _address(home, own.name)

            def heard(note: str) -> None:
                with contextlib.suppress(OSError):
                    _sender().sendto(b"!", address)

            _following[key] = store.listen(heard, topic="end")
        return _following[key]


def stop_following_ends(home: Path | None = None, *, wait: bool = True) -> None:
    """Stop this process's listeners of ``follow_ends``, for ``home`` or all (a store
    forgotten, tests): each holds a connection to the database. ``wait=False``: do not wait
    for their threads to close it (a wait that gives its listener up must not pause)."""
    with _lock:
        if not _following:
            return
        keys = [k for k in _following if home is None or k[1] == resolved(home)]
        listeners = [_following.pop(k) for k in keys]
    for listener in listeners:
        if listener is not None:
            listener.stop(wait=wait)


_senders: dict[int, socket.socket] = {}


def _sender() -> socket.socket:
    """This process's socket for sending pokes (one per process: a fork makes its own)."""
    pid = os.getpid()
    sock = _senders.get(pid)
    if sock is None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setblocking(False)
        _senders.clear()  # a forked child's copy of its parent's is not its own
        _senders[pid] = sock
    return sock

