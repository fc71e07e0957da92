"""Runners as leases: who serves the store, and what happens to a runner's jobs when it is gone.

A runner joins with a random id (never a pid, a host name or a lock: a restarted pod comes
back with its old name) and renews its lease with every heartbeat. A lease that has expired
is removed by whichever runner looks next; then the local jobs its workers held are that
runner's to re-queue (``orphaned``) and the remote jobs it followed are adopted by one
runner each (``adopt``: a conditional update, so never by two).
"""

from __future__ import annotations

import time
from typing import Any

from ...models import JobRecord
from ..records import COLUMNS, to_record
from .base import SQLBase

_RUNNER_KEYS = ("id", "host", "pid", "workers", "service", "started_at", "heartbeat",
                "expires_at", "running", "following")
#: a remote job that a runner follows: handed to its service, or being handed over
_REMOTE = ("status IN ('QUEUED', 'RUNNING') AND (remote_id IS NOT NULL OR submitting = 1)")
_UNFOLLOWED = ("(follower IS NULL OR NOT EXISTS "
               "(SELECT 1 FROM runners r WHERE r.id = jobs.follower))")


class Runners(SQLBase):
    """The runners serving the store, and the jobs they leave behind."""

    def join(self, runner: int, *, host: str, pid: int, workers: int, lease: float,
             service: bool = False) -> None:
        """Runner ``runner`` serves the store from now, for ``lease`` seconds unless renewed."""
        now = time.time()
        with self._write(ordered=False) as c:
            c.execute("DELETE FROM runners WHERE id = ?", (runner,))
            c.execute("INSERT INTO runners (id, host, pid, workers, service, started_at, "
                      "heartbeat, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      (runner, host, pid, workers, int(service), now, now, now + lease))

    def beat(self, runner: int, *, lease: float, running: int = 0, following: int = 0) -> bool:
        """Renew ``runner``'s lease; False if it has none left (it expired and was removed:
        its jobs may already be someone else's)."""
        now = time.time()
        with self._write(counted=False, ordered=False) as c:
            return c.execute(
                "UPDATE runners SET heartbeat = ?, expires_at = ?, running = ?, following = ? "
                "WHERE id = ? AND expires_at >= ?",
                (now, now + lease, running, following, runner, now)).rowcount == 1

    def leave(self, runner: int) -> None:
        """``runner`` stops: its lease ends now, and the remote jobs it followed wait for
        another runner to adopt them."""
        with self._write(ordered=False) as c:
            c.execute("UPDATE jobs SET follower = NULL WHERE follower = ?", (runner,))
            c.execute("DELETE FROM runners WHERE id = ?", (runner,))

    def runners(self) -> list[dict[str, Any]]:
        """Every runner with a lease, newest heartbeat first; ``alive`` while unexpired."""
        now = time.time()
        rows = self._conn().execute(
            f"SELECT {', '.join(_RUNNER_KEYS)} FROM runners ORDER BY heartbeat DESC").fetchall()
        out = [dict(zip(_RUNNER_KEYS, row, strict=True)) for row in rows]
        for one in out:
            one["service"] = bool(one["service"])
            one["alive"] = one["expires_at"] >= now
        return out

    def expire_runners(self, *, all_but: int | None = None) -> list[int]:
        """Remove the runners whose lease has expired (with ``all_but``, every runner but
        that one: a store only one runner can serve, whose lock it holds); their ids."""
        now = time.time()
        with self._write(ordered=False) as c:
            if all_but is not None:
                where, args = "id != ?", (all_but,)
            else:
                where, args = "expires_at < ?", (now,)
            gone = [r[0] for r in c.execute(f"SELECT id FROM runners WHERE {where}", args)]
            if gone:
                c.execute(f"DELETE FROM runners WHERE id IN ({', '.join('?' * len(gone))})",
                          gone)
        return gone

    def orphaned(self) -> list[JobRecord]:
        """RUNNING local jobs whose runner has no lease any more (its workers are gone with
        it, or no longer count), oldest first."""
        rows = self._conn().execute(
            f"SELECT {COLUMNS} FROM jobs WHERE status = 'RUNNING' AND remote_id IS NULL "
            "AND submitting = 0 AND NOT EXISTS (SELECT 1 FROM runners r "
            f"WHERE r.id = {self._state_int('runner')}) ORDER BY seq").fetchall()
        return [to_record(r) for r in rows]

    def adopt(self, runner: int, *, limit: int = 500) -> list[JobRecord]:
        """The remote jobs no runner with a lease follows, now followed by ``runner`` (each
        taken by one runner only); oldest first."""
        # Where writers run side by side (PostgreSQL), the rows picked are locked, and ones
        # another runner is adopting are skipped; the update checks again that nobody
        # follows them, so that two runners never both take a job.
        with self._write(ordered=False) as c:
            ids = [r[0] for r in c.execute(
                f"SELECT id FROM jobs WHERE {_REMOTE} AND {_UNFOLLOWED} ORDER BY seq "
                f"LIMIT ?{self.LOCK_ROWS}", (limit,))]
            if not ids:
                return []
            marks = ", ".join("?" * len(ids))
            rows = c.execute(f"UPDATE jobs SET follower = ? WHERE id IN ({marks}) AND "
                             f"{_UNFOLLOWED} RETURNING {COLUMNS}", (runner, *ids)).fetchall()
        order = {job_id: i for i, job_id in enumerate(ids)}  # oldest first, as picked
        return sorted((to_record(r) for r in rows), key=lambda rec: order[rec.id])

    def follower(self, job_id: str) -> int | None:
        """The runner following a remote job, if any."""
        row = self._conn().execute("SELECT follower FROM jobs WHERE id = ?",
                                   (job_id,)).fetchone()
        return row[0] if row else None
