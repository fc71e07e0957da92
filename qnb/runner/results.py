"""Writing a local job's result. The worker that ran the job writes it (DONE, in the status
machine) and wakes the waiting kernels itself, so that the result reaches them with one
process hand-off instead of two. Where the worker cannot (no room on the disk, a store error),
it hands the result back and the runner writes it, or the reason it could not.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..models import JobStatus
from ..store import get_store
from ..waiters import poke

log = logging.getLogger("qnb.runner")

RESULT_HEADROOM = 64 * 1024  # bytes left free after writing a result (SQLite needs some)


@dataclass(frozen=True)
class Written:
    """What a worker hands back when it wrote its job's result itself."""

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
    waiting kernels. ``Written``, or ``result`` itself for the runner to write."""
    home = Path(home)
    if no_room(home, result):
        return result  # the runner ends the job in ERROR, saying why
    try:
        ended = get_store(home).finish(job_id, JobStatus.DONE, result=result,
                                       only_from=[JobStatus.RUNNING])
    except Exception as exc:  # the runner tries again, and records why if it fails too
        log.warning("job %s: its worker could not write the result: %s", job_id, exc)
        return result
    if ended:
        poke(home)
    return Written(ended)
