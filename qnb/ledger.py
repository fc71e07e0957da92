"""The usage ledger: what each finished job used (shots, circuits, queue and run seconds, QPU
seconds where the service reports them) and what it cost by the profile's price table,
always an estimate. The store writes one ledger row as a job ends (``qnb/store/sql/transitions.py``) and
keeps it after the job is pruned; ``JobStore.usage`` adds the rows up.

Prices are a profile's ``price = {task = USD, shot = USD, minute = USD}`` (any of them):
per task (a circuit sent to the service), per shot, and per minute of QPU time.
"""

from __future__ import annotations

import math
from typing import Any

PRICE_UNITS = ("task", "shot", "minute")

#: How ``qnb usage --by`` groups the ledger
GROUPS = ("backend", "day", "tag", "status")

#: The columns of a usage summary, in order
COLUMNS = ("group", "jobs", "shots", "circuits", "queue_seconds", "run_seconds",
           "qpu_seconds", "cost_estimate")


def check_price(price: Any) -> None:
    """``price`` is ``{task = USD, shot = USD, minute = USD}`` (any of them)."""
    from .backends.base import ProfileError

    if price is None:
        return
    if not isinstance(price, dict):
        raise ProfileError("price must be a table such as {task = 0.3, shot = 0.01} (USD)",
                           "price")
    for unit, value in price.items():
        if unit not in PRICE_UNITS:
            raise ProfileError(f"unknown price unit {unit!r} (allowed: "
                               f"{', '.join(PRICE_UNITS)}; prices in USD)", "price")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ProfileError(f"price per {unit} must be a non-negative number of USD",
                               "price")


def estimated_cost(price: dict[str, Any] | None, tasks: int, shots: int,
                   qpu_seconds: float | None = None) -> float | None:
    """What ``tasks`` tasks of ``shots`` shots (and ``qpu_seconds`` of QPU time) cost by the
    profile's prices; None when it has no price that applies."""
    if not price:
        return None
    parts = []
    if "task" in price or "shot" in price:
        parts.append(tasks * (float(price.get("task", 0)) + shots * float(price.get("shot", 0))))
    if "minute" in price and qpu_seconds is not None:
        parts.append(float(price["minute"]) * qpu_seconds / 60)
    return round(sum(parts), 6) if parts else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None


def service_usage(metadata: Any) -> dict[str, float]:
    """What a result's metadata says the job used on the service: ``qpu_seconds`` and
    ``cost_estimate`` (from ``estimated_cost_usd``), those it has."""
    if not isinstance(metadata, dict):
        return {}
    found = {"qpu_seconds": _number(metadata.get("qpu_seconds")),
             "cost_estimate": _number(metadata.get("estimated_cost_usd"))}
    return {k: v for k, v in found.items() if v is not None}


def check_group(by: str) -> str:
    """``by`` as a ``GROUPS`` name; ``ValueError`` naming the allowed ones otherwise."""
    if by not in GROUPS:
        raise ValueError(f"cannot group usage by {by!r}; use one of {', '.join(GROUPS)}")
    return by


def table(rows: list[dict[str, Any]], by: str) -> str:
    """A usage summary as aligned text, with a total line; costs marked as estimates."""
    if not rows:
        return "no finished jobs in the ledger for this selection"
    head = [by, "jobs", "shots", "circuits", "queue s", "run s", "QPU s", "est. cost USD"]

    def cells(row: dict[str, Any]) -> list[str]:
        def num(key: str, fmt: str) -> str:
            value = row.get(key)
            return "-" if value is None else format(value, fmt)

        return [str(row["group"]), str(row["jobs"]), str(row["shots"]), str(row["circuits"]),
                num("queue_seconds", ".1f"), num("run_seconds", ".1f"),
                num("qpu_seconds", ".1f"), num("cost_estimate", ".2f")]

    body = [cells(r) for r in rows]
    total = {"group": "total", **{k: sum(r[k] for r in rows) for k in ("jobs", "shots",
                                                                      "circuits")}}
    for key in ("queue_seconds", "run_seconds", "qpu_seconds", "cost_estimate"):
        known = [r[key] for r in rows if r.get(key) is not None]
        total[key] = sum(known) if known else None
    if by != "tag":  # a job with two tags counts in both: a tag total would count it twice
        body.append(cells(total))
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]
    out = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                     for i, (c, w) in enumerate(zip(line, widths, strict=True)))
           for line in [head, *body]]
    if any(r.get("cost_estimate") is not None for r in rows):
        out.append("costs are estimates from the profiles' price tables, not bills")
    return "\n".join(out)
