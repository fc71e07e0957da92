"""The SQL stores' usage ledger (one row per finished job, kept after the job is pruned)
and the aggregates read from it and from the jobs: usage per backend, day, tag or status,
typical run times for ETAs, and the counts behind the Prometheus metrics."""

from __future__ import annotations

import json
from typing import Any

from ...ledger import COLUMNS as USAGE_COLUMNS
from ...ledger import check_group, service_usage
from ...models import JobRecord, JobStatus
from .base import Connection, SQLBase, guarded
from .budgets import settle

#: A job's ledger row, from its own row as it ends (``{source}``: that row), replacing one
#: it had. Queue time is from submission until it started (or ended, if it never started);
#: run time until it ended.
LEDGER_ROW = [
    "DELETE FROM usage WHERE job_id IN (SELECT id FROM {source})",
    """
    INSERT INTO usage (job_id, backend, provider, status, finished_at, shots,
                                  circuits, queue_seconds, run_seconds, tags, owner)
    SELECT id, backend, provider, status, COALESCE(finished_at, updated_at), shots,
           num_circuits, COALESCE(started_at, finished_at) - created_at,
           COALESCE(finished_at - started_at, 0), tags, owner
    FROM {source}
    """]


def enter_usage(c: Connection, job_id: str, result: dict[str, Any] | None) -> None:
    """A finished job's ledger row, its budget reservation settled, and what its result says
    it used at the service."""
    for sql in LEDGER_ROW:
        c.execute(sql.format(source="jobs WHERE id = ?"), (job_id,))
    settle(c, job_id)
    enter_service_usage(c, job_id, result)


def enter_service_usage(c: Connection, job_id: str,
                         result: dict[str, Any] | None) -> None:
    """QPU seconds and estimated cost, where the job's result metadata reports them."""
    used = service_usage((result or {}).get("metadata"))
    if used:
        c.execute("UPDATE usage SET qpu_seconds = ?, cost_estimate = ? WHERE job_id = ?",
                  (used.get("qpu_seconds"), used.get("cost_estimate"), job_id))
        settle(c, job_id)


class Ledger(SQLBase):
    """What jobs used, and the aggregates of the metrics."""

    def ended_after(self, row: int) -> tuple[int, int]:
        """(jobs that ended after usage ledger row ``row``, the newest row): a count kept
        up to date without reading the whole ledger (every job that ends gets a row)."""
        count, newest = self._conn().execute(
            f"SELECT COUNT(*), MAX({self.USAGE_ROW}) FROM usage WHERE {self.USAGE_ROW} > ?",
            (row,)).fetchone()
        return count, newest if newest is not None else row


    def typical_run(self, rec: JobRecord, *, sample: int = 200) -> float | None:
        """Seconds a run of ``rec`` should take, from the DONE jobs of its backend among the
        last ``sample`` that were of its size: the same qubits, depth within half again,
        shots within a factor of two. The median time per circuit of at least three such
        runs, times its circuits; None without enough of them."""
        qubits, depth = rec.summary.get("num_qubits"), rec.summary.get("depth")
        if not isinstance(qubits, int) or not isinstance(depth, int):
            return None
        rows = self._conn().execute(
            "SELECT summary, shots, num_circuits, finished_at - started_at FROM jobs "
            "WHERE status = 'DONE' AND backend = ? AND started_at IS NOT NULL AND id != ? "
            "ORDER BY seq DESC LIMIT ?", (rec.backend, rec.id, sample)).fetchall()
        per_circuit = []
        for summary, shots, circuits, seconds in rows:
            other = json.loads(summary or "{}")
            their_depth = other.get("depth")
            if (other.get("num_qubits") == qubits and isinstance(their_depth, int)
                    and depth / 1.5 <= their_depth <= depth * 1.5
                    and rec.shots / 2 <= shots <= rec.shots * 2 and seconds is not None):
                per_circuit.append(seconds / max(circuits, 1))
        if len(per_circuit) < 3:
            return None
        per_circuit.sort()
        return per_circuit[len(per_circuit) // 2] * max(rec.num_circuits, 1)


    # -- the usage ledger --------------------------------------------------------------------
    def usage(self, by: str = "backend", since: float | None = None) -> list[dict[str, Any]]:
        """The ledger added up per backend, day (UTC), tag or status, for jobs that finished
        since ``since`` (POSIX seconds): jobs, shots, circuits, queue, run and QPU seconds,
        and the estimated cost. QPU seconds and cost are None where no job reported any. A
        job counts once per tag it has; jobs without tags are not in a ``tag`` summary."""
        key, source = self._usage_group(check_group(by))
        where, args = ("WHERE u.finished_at >= ?", [since]) if since is not None else ("", [])
        rows = self._conn().execute(
            f"SELECT {key}, COUNT(*), SUM(u.shots), SUM(u.circuits), SUM(u.queue_seconds), "
            f"SUM(u.run_seconds), SUM(u.qpu_seconds), SUM(u.cost_estimate) FROM {source} "
            f"{where} GROUP BY 1 ORDER BY 1", args).fetchall()
        return [dict(zip(USAGE_COLUMNS, row, strict=True)) for row in rows]


    # -- aggregates for metrics (call inside one ``snapshot``) ----------------------------
    @guarded
    def high_water(self) -> tuple[int, int]:
        """The newest job's ``seq`` and the newest event's id (0 for none)."""
        conn = self._conn()
        seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM jobs").fetchone()[0]
        event = conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
        return seq, event


    @guarded
    def submitted_between(self, after_seq: int, upto_seq: int) -> list[tuple[str, int]]:
        """(backend, jobs) written with ``after_seq < seq <= upto_seq``."""
        return [tuple(r) for r in self._conn().execute(
            "SELECT backend, COUNT(*) FROM jobs WHERE seq > ? AND seq <= ? GROUP BY backend",
            (after_seq, upto_seq))]


    @guarded
    def finished_histograms(self, after_event: int | None, upto_event: int,
                            queue_bounds: tuple[float, ...], run_bounds: tuple[float, ...]
                            ) -> list[tuple]:
        """Per backend and final status, of jobs that ended after event ``after_event``
        (every finished job when None): jobs, then count, sum and cumulative bucket counts
        of queue seconds (created -> started), then the same of run seconds (started ->
        finished). Jobs cancelled before they started count in neither histogram."""
        final = ", ".join(f"'{s}'" for s in sorted(s.value for s in JobStatus if s.is_final))
        if after_event is None:
            rows, args = f"jobs j WHERE j.status IN ({final})", ()
        else:
            rows = (f"events e JOIN jobs j ON j.id = e.job_id WHERE e.id > ? AND e.id <= ? "
                    f"AND e.status IN ({final})")
            args = (after_event, upto_event)
        sql = self._histogram_sql(rows, len(queue_bounds), len(run_bounds))
        return [tuple(r) for r in self._conn().execute(sql, (*queue_bounds, *run_bounds, *args))]


    @guarded
    def active_counts(self) -> dict[tuple[str, str], int]:
        """(backend, status) -> jobs QUEUED or RUNNING now."""
        return {(b, s): n for b, s, n in self._conn().execute(
            "SELECT backend, status, COUNT(*) FROM jobs WHERE status IN ('QUEUED', 'RUNNING') "
            "GROUP BY backend, status")}
