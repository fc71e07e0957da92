"""Where a job is claimed: the SQLite store's queue. A worker claims the oldest waiting local
job in one write transaction (``claim_next``), so that no two workers anywhere run the same
job; the rows keep who holds a running job. Also the queue's views that a runner reads."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from ...models import JobRecord, JobStatus
from ..records import COLUMNS, to_record
from .base import guarded
from .reads import keep_payload
from .transitions import Transitions


class Claims(Transitions):
    """The queue: claims, and what waits or runs."""

    def claim(self, job_id: str) -> JobRecord | None:
        """QUEUED -> RUNNING for a local worker about to run it; None if it was cancelled
        meanwhile (or is no longer queued)."""
        with self._write(ordered=False) as c:
            row = self._move_row(
                c, job_id, JobStatus.RUNNING, only_from=[JobStatus.QUEUED],
                where="AND cancel_requested = 0 AND submitting = 0 AND remote_id IS NULL",
                counting=["attempts"], sets={"provider_status": "running on a local worker"})
        return None if row is None else to_record(row)

    def claim_next(self, worker: int, runner: int, *,
                   remote: Collection[str] = ()) -> JobRecord | None:
        """QUEUED -> RUNNING for worker process ``worker`` of runner ``runner``: the oldest
        waiting job whose provider is not one of the ``remote`` ones (their jobs go to a
        service, not to a worker), in one transaction, so that two workers never claim the
        same job. The row keeps who holds it (``held_by``). None if none waits. An idle
        worker's look takes no write lock."""
        names = sorted(set(remote))
        skip = f"AND provider NOT IN ({', '.join('?' * len(names))}) " if names else ""
        head = f"SELECT id FROM jobs WHERE {self._WAITING} {skip}ORDER BY seq LIMIT 1"
        if self.CLAIM_LOOKS_FIRST and self._conn().execute(head, names).fetchone() is None:
            return None  # nothing to claim
        how: dict[str, Any] = {
            "only_from": [JobStatus.QUEUED], "counting": ["attempts"],
            "sets": {"provider_status": "running on a local worker",
                     "provider_state": {"worker": worker, "runner": runner}}}
        with self._write(ordered=False) as c:
            if self.WITH_WRITES:  # the pick inside the move, and the payload: one statement
                row = self._move_row(c, None, JobStatus.RUNNING, with_payload=True,
                                     pick=(head + self.LOCK_ROWS, names), **how)
                if row is not None:
                    keep_payload(self, row[0], row[-2], row[-1])
                    row = row[:-2]
            else:
                pick = c.execute(head + self.LOCK_ROWS, names).fetchone()
                row = None if pick is None else self._move_row(
                    c, pick[0], JobStatus.RUNNING, **how)
        return None if row is None else to_record(row)

    def held_by(self, worker: int, runner: int) -> list[tuple[str, bool]]:
        """(id, cancel requested) of the RUNNING jobs worker ``worker`` of runner ``runner``
        claimed (``claim_next``): normally one or none."""
        return [(r[0], bool(r[1])) for r in self._conn().execute(
            "SELECT id, cancel_requested FROM jobs WHERE status = 'RUNNING' "
            f"AND {self._state_int('worker')} = ? "
            f"AND {self._state_int('runner')} = ?", (worker, runner))]

    def count_held(self, runner: int) -> int:
        """RUNNING jobs the workers of runner ``runner`` hold."""
        return self._conn().execute(
            "SELECT COUNT(*) FROM jobs WHERE status = 'RUNNING' "
            f"AND {self._state_int('runner')} = ?", (runner,)).fetchone()[0]

    def holder(self, job_id: str) -> tuple[int, int] | None:
        """(worker, runner) holding a RUNNING local job, or None."""
        row = self._conn().execute(
            f"SELECT {self._state_int('worker')}, {self._state_int('runner')} FROM jobs "
            "WHERE id = ? AND status = 'RUNNING'", (job_id,)).fetchone()
        return (row[0], row[1]) if row is not None and row[0] is not None else None

    def busy(self) -> bool:
        """Whether any job waits or runs (QUEUED or RUNNING), by the status index."""
        return self._conn().execute(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE status IN ('QUEUED', 'RUNNING'))"
        ).fetchone()[0] == 1

    _WAITING = ("status = 'QUEUED' AND cancel_requested = 0 AND remote_id IS NULL "
                "AND submitting = 0")

    @guarded
    def queued(self, limit: int = 100,
               providers: Iterable[str] | None = None) -> list[JobRecord]:
        """The oldest queued jobs not yet handed to anyone, skipping ones whose cancel is
        pending; only those of ``providers`` (names) when given."""
        names = None if providers is None else list(providers)
        only = "" if names is None else f"AND provider IN ({', '.join('?' * len(names))}) "
        rows = self._conn().execute(
            f"SELECT {COLUMNS} FROM jobs WHERE {self._WAITING} {only}ORDER BY seq LIMIT ?",
            (*(names or []), limit)).fetchall()
        return [to_record(r) for r in rows]

    def queued_providers(self) -> list[str]:
        """The providers of the jobs ``queued`` would give, without decoding any record: what
        a dispatcher needs to read only the jobs it can start."""
        return [r[0] for r in self._conn().execute(
            f"SELECT DISTINCT provider FROM jobs WHERE {self._WAITING}")]

    @guarded
    def count_queued(self) -> int:
        """How many jobs wait (QUEUED), by the status index."""
        return self._conn().execute("SELECT COUNT(*) FROM jobs WHERE status = 'QUEUED'").fetchone()[0]

    @guarded
    def unfinished(self) -> list[JobRecord]:
        """Every QUEUED or RUNNING job, oldest first: what a starting runner looks at."""
        rows = self._conn().execute(
            f"SELECT {COLUMNS} FROM jobs WHERE status IN ('QUEUED', 'RUNNING') ORDER BY seq"
        ).fetchall()
        return [to_record(r) for r in rows]

    @guarded
    def running(self) -> list[JobRecord]:
        rows = self._conn().execute(
            f"SELECT {COLUMNS} FROM jobs WHERE status = 'RUNNING' ORDER BY seq").fetchall()
        return [to_record(r) for r in rows]

    @guarded
    def cancel_requests(self) -> list[str]:
        rows = self._conn().execute(
            "SELECT id FROM jobs WHERE status IN ('QUEUED', 'RUNNING') AND cancel_requested = 1").fetchall()
        return [r[0] for r in rows]
