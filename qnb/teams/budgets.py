"""Budgets for paid hardware: what a cap is, what a submit reserves, and the refusal.

A budget caps what a user, or the members of a group together, may spend on paid backends
(``PAID_PROVIDERS``; local simulators never count) per period: US dollars and/or QPU
seconds. A submit reserves its estimate in the same store transaction that queues the job
(``JobStore.add_job(..., reservation=...)``), which refuses it if any cap would be passed;
when the job ends, the reservation is settled from the usage ledger
(``qnb/store/sql/budgets.py``). The caps come from ``[budgets]`` in the configuration
(``qnb/config.py``); the estimate from the profile's price or recent comparable jobs
(``qnb/teams/spending.py``).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..models import SubmitError

#: the providers whose jobs cost money: only their jobs reserve and count
PAID_PROVIDERS = frozenset({"ibm-runtime", "braket", "azure"})
PERIODS = ("day", "week", "month", "year")
LIMITS = ("usd", "qpu_seconds")


def period_start(period: str, now: float) -> float:
    """The start (POSIX seconds, UTC) of the ``period`` (day, week from Monday, calendar
    month or year) that holds ``now``."""
    when = datetime.fromtimestamp(now, UTC)
    day = when.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        start = day
    elif period == "week":
        start = day - timedelta(days=day.weekday())
    elif period == "month":
        start = day.replace(day=1)
    elif period == "year":
        start = day.replace(month=1, day=1)
    else:
        raise ValueError(f"unknown budget period {period!r} (use one of {', '.join(PERIODS)})")
    return start.timestamp()


def period_end(period: str, start: float) -> float:
    """When the period that began at ``start`` ends (the next one starts)."""
    when = datetime.fromtimestamp(start, UTC)
    if period == "day":
        return (when + timedelta(days=1)).timestamp()
    if period == "week":
        return (when + timedelta(days=7)).timestamp()
    if period == "month":
        days = calendar.monthrange(when.year, when.month)[1]
        return (when + timedelta(days=days)).timestamp()
    return when.replace(year=when.year + 1).timestamp()


@dataclass(frozen=True)
class Budget:
    """A cap as configured: ``user`` alice (``*``: each user without one of their own) or
    ``group`` physics, with ``usd`` and/or ``qpu_seconds`` per ``period``."""

    kind: str  # "user" or "group"
    name: str
    usd: float | None = None
    qpu_seconds: float | None = None
    period: str = "month"

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Cap:
    """A budget as one submit (or one report) applies it: whose jobs count (``owners``) and
    since when (``since``, the start of its current period)."""

    budget: Budget
    owners: tuple[str, ...]
    since: float

    @property
    def label(self) -> str:
        return self.budget.label


@dataclass(frozen=True)
class Reservation:
    """What a paid job is expected to spend, reserved when it is queued (0 where no
    estimate could be made), and the caps it must stay within."""

    owner: str
    cost: float | None
    qpu_seconds: float | None
    caps: tuple[Cap, ...] = field(default_factory=tuple)
    #: how the estimate was made (the profile's price, or recent comparable jobs)
    basis: str = ""


class BudgetExceeded(SubmitError):
    """A paid job would pass a budget: refused before anything was written or sent."""

    def __init__(self, message: str, detail: dict[str, Any]) -> None:
        super().__init__(message)
        self.detail = detail


def refusal(cap: Cap, unit: str, spent: float, reserved: float, estimate: float,
            basis: str = "") -> BudgetExceeded:
    """The refusal of a job whose ``estimate`` in ``unit`` (usd or qpu_seconds) would take
    ``cap`` past its limit, naming the cap, what is spent and reserved, and the estimate."""
    limit = getattr(cap.budget, unit)
    fmt = (lambda v: f"${v:,.2f}") if unit == "usd" else (lambda v: f"{v:,.1f} QPU s")
    left = max(limit - spent - reserved, 0.0)
    how = f" ({basis})" if basis else ""
    message = (f"budget of {cap.label} would be exceeded: cap {fmt(limit)} per "
               f"{cap.budget.period}, spent {fmt(spent)}, reserved {fmt(reserved)} by "
               f"unfinished jobs, left {fmt(left)}; this job's estimate is "
               f"{fmt(estimate)}{how}. Nothing was sent. Ask an administrator to raise the "
               f"cap, or wait for the next {cap.budget.period}")
    return BudgetExceeded(message, {"budget": cap.label, "unit": unit, "cap": limit,
                                    "spent": spent, "reserved": reserved, "left": left,
                                    "estimate": estimate, "period": cap.budget.period})
