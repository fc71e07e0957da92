"""Execution modes: ``qnb.session(backend, mode="session" | "batch")`` groups the jobs
submitted inside it under one session id.

On IBM Quantum the runner (never the kernel) opens a Runtime ``Session`` or ``Batch`` for
it, keeps it while jobs come, and closes it once the block has ended and its jobs have been
handed over (or at ``max_time``). On other backends a session only groups jobs: ``qnb.jobs
(session=ID)``, the widget and the sidebar show it, and cancelling it cancels its queued jobs.
"""

from __future__ import annotations

import contextvars
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..job import Job
from ..models import JobStatus, SubmitError
from ..store import get_store
from .job import make_job

MODES = ("session", "batch")

_current: contextvars.ContextVar[Session | None] = contextvars.ContextVar("qnb_session",
                                                                           default=None)
_kernel_default: Session | None = None  # %qsession NAME: every cell's, until --close


@dataclass
class Session:
    """A group of jobs on one backend; use it as a context manager."""

    id: str
    backend: str
    mode: str = "session"
    max_time: float | None = None
    home: Path | None = None
    _tokens: list[contextvars.Token] = field(default_factory=list, repr=False, compare=False)

    def __enter__(self) -> Session:
        self._tokens.append(_current.set(self))
        return self

    def __exit__(self, *exc: Any) -> None:
        _current.reset(self._tokens.pop())
        self.close()

    def close(self) -> None:
        """End the session: no more jobs join it; the runner closes the service's session
        once the jobs already in it have been handed over."""
        get_store(self.home).close_session(self.id)
        _wake(self.home)

    def cancel(self) -> int:
        """Close the session and cancel its jobs that have not finished; how many."""
        store = get_store(self.home)
        store.close_session(self.id)
        n = 0
        for rec in store.list(session=self.id, status=[JobStatus.QUEUED, JobStatus.RUNNING],
                              limit=1_000_000)[0]:
            store.request_cancel(rec.id)
            n += 1
        _wake(self.home)
        return n

    def jobs(self) -> list[Job]:
        """The session's jobs, newest first."""
        store = get_store(self.home)
        return [make_job(r, store) for r in store.list(session=self.id, limit=1_000_000)[0]]

    def __repr__(self) -> str:
        return f"<qnb {self.mode} {self.id} on {self.backend}>"


def session(backend: str | None = None, mode: str = "session", max_time: float | None = None,
            *, home: Path | None = None) -> Session:
    """A new session on ``backend`` (default: the current default backend); ``mode`` is
    ``"session"`` or ``"batch"``; ``max_time`` in seconds. Nothing is written for a backend
    that does not exist."""
    from ..config import ConfigError, load_config, qnb_home
    from ..defaults import default_backend

    if mode not in MODES:
        raise SubmitError(f"mode must be 'session' or 'batch', got {mode!r}")
    if max_time is not None and (isinstance(max_time, bool)
                                 or not isinstance(max_time, (int, float)) or max_time <= 0):
        raise SubmitError(f"max_time must be a positive number of seconds, got {max_time!r}")
    home = home or qnb_home()
    try:
        cfg = load_config(home)
        profile = cfg.profile(backend or default_backend(cfg))
    except ConfigError as exc:
        raise SubmitError(str(exc)) from None
    made = Session(uuid.uuid4().hex[:12], profile.name, mode,
                   float(max_time) if max_time is not None else None, home)
    get_store(home).add_session(made.id, made.backend, made.mode, made.max_time, time.time())
    return made


def current_session() -> Session | None:
    """The session a submit made now joins: the innermost ``with`` block, else ``%qsession``'s."""
    return _current.get() or _kernel_default


def set_kernel_session(value: Session | None) -> None:
    """``%qsession NAME`` / ``%qsession --close``: the session every cell's jobs join."""
    global _kernel_default
    _kernel_default = value


def _wake(home: Path | None) -> None:
    from ..config import qnb_home
    from ..runner import wake

    wake(home or qnb_home())
