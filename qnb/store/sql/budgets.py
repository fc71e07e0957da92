"""The SQL stores' budget reservations: a paid job reserves its estimate in the transaction
that queues it (refused there if a cap would be passed, so two submits at once cannot both
slip under it), and the reservation is settled from the job's ledger row when it ends.
What is spent is what the ledger says the job cost (or used); a job that ended DONE
without the service reporting it counts its estimate, one that never ran counts nothing."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from ...teams.budgets import LIMITS, Cap, Reservation, refusal
from .base import Connection, SQLBase

#: (spent, reserved) columns of ``reservations`` for each limit
_COLUMNS = {"usd": ("spent_cost", "cost"), "qpu_seconds": ("spent_qpu_seconds", "qpu_seconds")}

# When the ledger row has no figure: the estimate if the job ran to the end, else nothing.
_SETTLE = """
    UPDATE reservations SET settled_at = COALESCE(settled_at, ?),
        spent_cost = (SELECT COALESCE(u.cost_estimate, CASE WHEN u.status = 'DONE'
                      THEN reservations.cost ELSE 0 END) FROM usage u
                      WHERE u.job_id = reservations.job_id),
        spent_qpu_seconds = (SELECT COALESCE(u.qpu_seconds, CASE WHEN u.status = 'DONE'
                             THEN reservations.qpu_seconds ELSE 0 END) FROM usage u
                             WHERE u.job_id = reservations.job_id)
    WHERE job_id = ?
"""


def settle(c: Connection, job_id: str) -> None:
    """Settle a job's reservation (if it has one) from its ledger row, inside the
    transaction that wrote that row."""
    c.execute(_SETTLE, (time.time(), job_id))


def sums(c: Connection, owners: Iterable[str], since: float) -> dict[str, tuple[float, float]]:
    """Per limit: (spent since ``since``, reserved now) by the jobs of ``owners``."""
    names = list(owners)
    if not names:
        return {unit: (0.0, 0.0) for unit in LIMITS}
    marks = ", ".join("?" * len(names))
    row = c.execute(
        "SELECT COALESCE(SUM(CASE WHEN settled_at >= ? THEN spent_cost END), 0), "
        "COALESCE(SUM(CASE WHEN settled_at IS NULL THEN cost END), 0), "
        "COALESCE(SUM(CASE WHEN settled_at >= ? THEN spent_qpu_seconds END), 0), "
        "COALESCE(SUM(CASE WHEN settled_at IS NULL THEN qpu_seconds END), 0) "
        f"FROM reservations WHERE owner IN ({marks}) "
        "AND (settled_at IS NULL OR settled_at >= ?)",
        (since, since, *names, since)).fetchone()
    return {"usd": (float(row[0]), float(row[1])),
            "qpu_seconds": (float(row[2]), float(row[3]))}


def reserve(c: Connection, job_id: str, backend: str, reservation: Reservation,
            now: float) -> None:
    """Check every cap of ``reservation`` and write it, inside the queueing transaction;
    ``BudgetExceeded`` (rolling the whole job back) for the first cap it would pass. A cap
    already used up refuses even a job whose estimate is unknown (taken as 0)."""
    estimate = {"usd": reservation.cost or 0.0, "qpu_seconds": reservation.qpu_seconds or 0.0}
    for cap in reservation.caps:
        found = sums(c, cap.owners, cap.since)
        for unit in LIMITS:
            limit = getattr(cap.budget, unit)
            if limit is None:
                continue
            spent, reserved = found[unit]
            if spent + reserved + estimate[unit] > limit or spent + reserved >= limit:
                raise refusal(cap, unit, spent, reserved, estimate[unit], reservation.basis)
    c.execute("INSERT INTO reservations (job_id, owner, backend, created_at, cost, "
              "qpu_seconds) VALUES (?, ?, ?, ?, ?, ?)",
              (job_id, reservation.owner, backend, now, estimate["usd"],
               estimate["qpu_seconds"]))


class Budgets(SQLBase):
    """What budgets have spent and reserved, and what recent paid jobs cost."""

    def budget_state(self, caps: Iterable[Cap]) -> list[dict[str, Any]]:
        """Per cap: its label, period, and per limit it sets the cap, spent, reserved and
        left, read in one snapshot."""
        out = []
        with self.snapshot():
            c = self._conn()
            for cap in caps:
                found = sums(c, cap.owners, cap.since)
                entry: dict[str, Any] = {"budget": cap.label, "period": cap.budget.period,
                                         "since": cap.since, "owners": list(cap.owners)}
                for unit in LIMITS:
                    limit = getattr(cap.budget, unit)
                    spent, reserved = found[unit]
                    entry[unit] = None if limit is None else {
                        "cap": limit, "spent": spent, "reserved": reserved,
                        "left": max(limit - spent - reserved, 0.0)}
                out.append(entry)
        return out

    def recent_usage(self, backend: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """The newest ledger rows of DONE jobs on ``backend``: shots, circuits, QPU seconds
        and estimated cost (None where unknown), newest first."""
        rows = self._conn().execute(
            f"SELECT shots, circuits, qpu_seconds, cost_estimate FROM usage "
            f"WHERE backend = ? AND status = 'DONE' ORDER BY {self.USAGE_ROW} DESC LIMIT ?",
            (backend, limit)).fetchall()
        return [{"shots": r[0], "circuits": r[1], "qpu_seconds": r[2], "cost_estimate": r[3]}
                for r in rows]
