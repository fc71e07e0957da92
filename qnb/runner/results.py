"""Ending a job with its result or the reason it failed, by whichever process has it: the
worker that ran a local job (so that the result reaches the waiting kernels with one process
hand-off), or the runner for remote jobs, cancels and crashes.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..models import JobStatus, StoreError
from ..store import JobStore, get_store
from ..waiters import poke

log = logging.getLogger("qnb.runner")

RESULT_HEADROOM = 64 * 1024  # bytes left free after writing a result (SQLite needs some)


@dataclass(frozen=True)
class Written:
    """What ``run_job`` returns when it wrote its job's result itself."""

    ended: bool  # False: the job had moved on (cancelled, re-queued) and nothing was written


def no_room(home: Path | str, result: dict[str, Any]) -> str | None:
    """Why ``result`` cannot be written to the store of ``home`` (too little disk), or None."""
    size = len(json.dumps(result))
    free = shutil.disk_usage(home).free
    if free < 2 * size + RESULT_HEADROOM:
        return (f"its result ({size / 1e6:.1f} MB) cannot be written: only "
                f"{free / 1e6:.1f} MB free on the disk of {home}")
    return None


def write_from_worker(home: Path | str, job_id: str, result: dict[str, Any]) -> Written | dict[str, Any]:
    """In the worker that ran ``job_id``: RUNNING -> DONE with ``result``, then wake the
    waiting kernels. ``Written``, or ``result`` itself when it cannot be written (``end_job``
    then ends the job in ERROR, saying why)."""
    home = Path(home)
    if no_room(home, result):
        return result
    try:
        ended = get_store(home).finish(job_id, JobStatus.DONE, result=result,
                                       only_from=[JobStatus.RUNNING])
    except Exception as exc:
        log.warning("job %s: its result could not be written: %s", job_id, exc)
        return result
    if ended:
        poke(home)
    return Written(ended)


def end_job(store: JobStore, job_id: str, status: JobStatus, *, error: str | None = None,
            result: dict[str, Any] | None = None, provider_status: str | None = None,
            only_from: Iterable[JobStatus] | None = None) -> bool:
    """End a job (``JobStore.finish``) and wake the kernels waiting on it; False if it had
    already ended. A result the disk has no room for, or that cannot be written, ends the
    job in ERROR with the reason instead."""
    home = store.home
    if result is not None:
        why = no_room(home, result)
        if why is not None:
            status, result, error = JobStatus.ERROR, None, why
    try:
        done = store.finish(job_id, status, error=error, result=result,
                            provider_status=provider_status, only_from=only_from)
    except StoreError as exc:
        if result is None:
            raise
        done = store.finish(job_id, JobStatus.ERROR, only_from=only_from,
                            error=f"its result could not be written: {exc}")
    if done:
        poke(home)
    return done
