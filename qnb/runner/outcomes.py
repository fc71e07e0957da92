"""What the runner's remote I/O threads hand back to its main thread, which alone writes
their outcomes to the store: one ``Event`` each, through an ``Inbox`` that also wakes the
main loop. And the one-line reasons a job's ERROR gives."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
from dataclasses import dataclass
from enum import Enum
from typing import Any


class EventKind(Enum):
    """What finished, off the main thread."""

    SUBMITTED = "remote submission answered"
    POLLED = "remote status read"
    RESULT = "remote result fetched"
    CANCELLED = "remote cancel answered"
    SESSION_ENDED = "a service's session closed (job_id is the qnb session id)"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    job_id: str
    outcome: Any  # the call's value, or the exception it raised


class Inbox:
    """A queue of events plus a self-pipe, so that ``select`` in the main loop wakes up."""

    def __init__(self) -> None:
        self._events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)

    def put(self, event: Event) -> None:
        self._events.put(event)
        self.nudge()

    def nudge(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.wake_w, b".")

    def drain(self) -> list[Event]:
        out = []
        while True:
            try:
                out.append(self._events.get_nowait())
            except queue.Empty:
                return out


def describe_death(exitcode: int | None) -> str:
    """Why a worker process ended, for the ERROR of the job it ran."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        why = "killed by " + name + (
            " (most likely out of memory)" if name == "SIGKILL" else
            " (the simulator crashed)" if name in ("SIGSEGV", "SIGABRT", "SIGBUS") else "")
    else:
        why = f"exited with code {exitcode}"
    return f"the worker process running this job died: {why}"


def describe_exception(exc: BaseException) -> str:
    """A one-line reason for a job's ERROR, with the exception type."""
    text = str(exc).strip() or repr(exc)
    return f"{type(exc).__name__}: {text}"
