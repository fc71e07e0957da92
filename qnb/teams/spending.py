"""What a paid job is expected to spend, before it is sent, and the budgets' state.

The estimate is the profile's published price (``price = {task, shot, minute}``, see
``qnb/ledger.py``) for the job's tasks and shots; where that says nothing (no price, or a
price per QPU minute and no known QPU time), the largest of the recent comparable jobs on
the same backend (DONE, with total shots within a factor of two) from the usage ledger.
"""

from __future__ import annotations

import time
from typing import Any

from ..config import Config, Profile
from ..ledger import estimated_cost
from .budgets import PAID_PROVIDERS, Reservation
from .groups import Team, caps_for


def comparable(rows: list[dict[str, Any]], tasks: int, shots: int) -> list[dict[str, Any]]:
    """The ledger rows of jobs about this size: total shots within a factor of two."""
    size = max(tasks, 1) * max(shots, 1)
    return [r for r in rows
            if size / 2 <= max(r["circuits"] or 1, 1) * max(r["shots"] or 1, 1) <= size * 2]


def estimate(profile: Profile, tasks: int, shots: int,
             store: Any) -> tuple[float | None, float | None, str]:
    """(USD, QPU seconds, how they were made) for ``tasks`` circuits of ``shots`` shots on
    ``profile``; None where nothing tells."""
    similar = comparable(store.recent_usage(profile.name), tasks, shots)
    qpu_known = [r["qpu_seconds"] for r in similar if r["qpu_seconds"] is not None]
    qpu = max(qpu_known) if qpu_known else None
    basis = []
    cost = estimated_cost(profile.options.get("price"), tasks, shots, qpu)
    if cost is not None:
        basis.append(f"from the price of profile {profile.name!r}")
    else:
        costs = [r["cost_estimate"] for r in similar if r["cost_estimate"] is not None]
        if costs:
            cost = max(costs)
            basis.append(f"the largest of {len(costs)} recent comparable jobs")
    if qpu is not None:
        basis.append(f"QPU time of the largest of {len(qpu_known)} recent comparable jobs")
    return cost, qpu, "; ".join(basis) or "no price and no comparable job: taken as 0"


def reservation(cfg: Config, team: Team, profile: Profile, owner: str, tasks: int,
                shots: int, store: Any) -> Reservation | None:
    """What a job of ``owner`` on ``profile`` reserves: None on a backend that costs
    nothing (local simulators, stand-ins of none of the paid providers)."""
    if profile.provider not in PAID_PROVIDERS:
        return None
    cost, qpu, basis = estimate(profile, tasks, shots, store)
    return Reservation(owner, cost, qpu, caps_for(owner, team, cfg.budgets, time.time()),
                       basis)


def budget_report(cfg: Config, team: Team, user: str, store: Any,
                  now: float | None = None) -> list[dict[str, Any]]:
    """The state of every budget that applies to ``user`` (their own, their groups')."""
    return store.budget_state(caps_for(user, team, cfg.budgets,
                                       time.time() if now is None else now))


def budget_table(rows: list[dict[str, Any]]) -> str:
    """Budgets as aligned text: per budget and limit, the cap, spent, reserved and left."""
    if not rows:
        return "no budget applies (set [budgets] in the shared config.toml)"
    head = ["budget", "period", "limit", "cap", "spent", "reserved", "left"]
    body = []
    for row in rows:
        for unit, fmt in (("usd", "${:,.2f}"), ("qpu_seconds", "{:,.1f} s")):
            figures = row.get(unit)
            if figures:
                body.append([row["budget"], row["period"], "USD" if unit == "usd" else "QPU",
                             *(fmt.format(figures[k]) for k in
                               ("cap", "spent", "reserved", "left"))])
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) if i < 3 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(line, widths, strict=True)))
                     for line in [head, *body])
