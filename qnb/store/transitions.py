"""Where a job's status changes: the status machine every store obeys.

``TRANSITIONS`` is the only statement of which moves exist. Each store makes every move as
one conditional update inside one transaction (``UPDATE ... WHERE status IN (<sources>)``):
it never reads a status and then writes another, so that a late result can never overwrite
a cancel, and two processes can never both move one job. The moves, in SQL that every
database here runs, are in ``sql/transitions.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from ..models import JobStatus

#: The status machine: the moves each status allows. Final statuses allow none. Callers
#: may narrow a move to fewer starting statuses (``only_from``), never widen it.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    # DONE straight from QUEUED: a remote job that finished between two polls
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.DONE, JobStatus.ERROR,
                                 JobStatus.CANCELLED}),
    # QUEUED again: local work lost with a stopped runner, run once more
    JobStatus.RUNNING: frozenset({JobStatus.QUEUED, JobStatus.DONE, JobStatus.ERROR,
                                  JobStatus.CANCELLED}),
}

FINAL = tuple(sorted(str(s) for s in JobStatus if s.is_final))


def sources(to: JobStatus, only_from: Iterable[JobStatus] | None = None) -> list[str]:
    """The statuses a job may move to ``to`` from (narrowed to ``only_from``), sorted; empty
    when the move is not allowed at all."""
    allowed = {s for s, targets in TRANSITIONS.items() if to in targets}
    if only_from is not None:
        allowed &= {JobStatus(s) for s in only_from}
    return sorted(str(s) for s in allowed)


def move_changes(to: JobStatus, sets: dict[str, Any] | None) -> dict[str, Any]:
    """The fields a move to ``to`` writes: the status, its time stamp (started or finished)
    and ``sets``."""
    now = time.time()
    changes: dict[str, Any] = {"status": str(to), "updated_at": now}
    if to is JobStatus.RUNNING:
        changes["started_at"] = now
    elif to.is_final:
        changes["finished_at"] = now
    changes.update(sets or {})
    return changes
