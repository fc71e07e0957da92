"""Keeping a store bounded: deleting finished jobs past a date, in short batches."""

from __future__ import annotations

from collections.abc import Iterable

from ...models import JobStatus
from .base import SQLBase


class Pruning(SQLBase):
    """Delete old finished jobs (their ledger rows stay)."""

    def prune(self, *, before: float, statuses: Iterable[str] | None = None,
              dry_run: bool = False, batch: int = 2000, at_most: int | None = None) -> int:
        """Delete finished jobs (DONE, ERROR, CANCELLED: never a queued or running one)
        created before ``before``, only those with one of ``statuses`` when given, with their
        payloads, results, events and tags; how many. In short transactions of ``batch``
        jobs, so other processes keep working; no more than ``at_most`` when given.
        ``reclaim`` gives the space back."""
        final = {str(s) for s in JobStatus if s.is_final}
        chosen = final if statuses is None else {str(JobStatus(s)) for s in statuses}
        if chosen - final:
            raise ValueError(f"only finished jobs can be pruned, not {sorted(chosen - final)}")
        marks = ", ".join("?" * len(chosen))
        where = f"status IN ({marks}) AND created_at < ?"
        args = (*sorted(chosen), before)
        if dry_run:
            return self._conn().execute(f"SELECT COUNT(*) FROM jobs WHERE {where}",
                                        args).fetchone()[0]
        removed = 0
        while True:
            if at_most is not None:
                batch = min(batch, at_most - removed)
                if batch <= 0:
                    return removed
            with self._write() as c:
                ids = [r[0] for r in c.execute(f"SELECT id FROM jobs WHERE {where} LIMIT ?",
                                               (*args, batch))]
                if ids:  # payloads, results, events and tags go with them (ON DELETE CASCADE)
                    c.execute(f"DELETE FROM jobs WHERE id IN ({', '.join('?' * len(ids))}) "
                              f"AND {where}", (*ids, *args))
            removed += len(ids)
            if len(ids) < batch:
                return removed

