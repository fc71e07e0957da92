"""Jobs as rows: ``qnb export`` (CSV or JSON), ``qnb.jobs_frame`` (a pandas DataFrame) and
``GET /qnb/api/jobs.csv`` all write the same columns, from ``JobStore.scan``.

Times are ISO 8601 in UTC (``2026-11-29T22:00:44.167Z``); in CSV the tags are joined with
``;`` (which no tag contains) and a result is JSON text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any

from .models import JobRecord, iso

#: the columns of every export, in order
COLUMNS = ("id", "name", "backend", "status", "shots", "num_circuits", "tags", "session",
           "created_at", "started_at", "finished_at", "error", "owner")
#: added by ``counts=True``: per circuit (or Sampler PUB) its counts; per Estimator PUB its
#: expectation values and their standard deviations
RESULT_COLUMNS = ("counts", "evs", "stds")
TIME_COLUMNS = ("created_at", "started_at", "finished_at")
TAG_SEPARATOR = ";"


def columns(counts: bool = False) -> tuple[str, ...]:
    return COLUMNS + (RESULT_COLUMNS if counts else ())


def row(record: JobRecord, result: dict[str, Any] | None = None, *,
        counts: bool = False) -> dict[str, Any]:
    """One job as a row of plain values (times as ISO 8601 UTC text, tags as a list)."""
    out: dict[str, Any] = {
        "id": record.id, "name": record.name, "backend": record.backend,
        "status": str(record.status), "shots": record.shots,
        "num_circuits": record.num_circuits, "tags": list(record.tags),
        "session": record.session, "error": record.error, "owner": record.owner,
        **{key: iso(getattr(record, key)) for key in TIME_COLUMNS},
    }
    if counts:
        out.update(result_values(result))
    return out


def result_values(result: dict[str, Any] | None) -> dict[str, Any]:
    """``counts`` (a list, one per circuit or Sampler PUB; for a Sampler PUB over several
    parameter points, a list of those), ``evs`` and ``stds`` (per Estimator PUB); None where
    the job has no such result."""
    result = result or {}
    pubs = result.get("pubs") or []
    estimator = [p for p in pubs if "evs" in p]
    counts = result.get("counts")
    if not counts and pubs and not estimator:
        counts = [p.get("counts") for p in pubs]
    return {"counts": counts or None,
            "evs": [p["evs"] for p in estimator] or None,
            "stds": [p.get("stds") for p in estimator] or None}


def rows(store: Any, *, counts: bool = False,
         results_of: Callable[[JobRecord], bool] | None = None,
         **filters: Any) -> Iterator[dict[str, Any]]:
    """Every job matching ``filters`` (those of ``JobStore.list``), oldest first; with
    ``counts``, the results of the jobs ``results_of`` allows (default all), and None for
    the others (a teammate's job: its row, never its result)."""
    for record, result in store.scan(with_results=counts, **filters):
        allowed = results_of is None or results_of(record)
        yield row(record, result if allowed else None, counts=counts)


def write_csv(items: Iterable[dict[str, Any]], out: IO[str], *, counts: bool = False) -> int:
    """Write rows as CSV with a header line; how many rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns(counts))
    n = 0
    for item in items:
        writer.writerow([_csv_cell(key, item.get(key)) for key in columns(counts)])
        n += 1
    return n


def csv_text(items: Iterable[dict[str, Any]], *, counts: bool = False) -> str:
    buffer = io.StringIO()
    write_csv(items, buffer, counts=counts)
    return buffer.getvalue()


def write_json(items: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Write rows as one JSON array, a job per line (streamed); how many rows."""
    n = 0
    out.write("[")
    for item in items:
        out.write(("," if n else "") + "\n" + json.dumps(item, sort_keys=False))
        n += 1
    out.write("\n]\n" if n else "]\n")
    return n


def frame(items: Iterable[dict[str, Any]], *, counts: bool = False) -> Any:
    """A pandas DataFrame of the rows: the same columns, times as UTC ``Timestamp``s."""
    import pandas as pd

    df = pd.DataFrame(list(items), columns=list(columns(counts)))
    for key in TIME_COLUMNS:
        df[key] = pd.to_datetime(df[key], utc=True, format="ISO8601")
    return df


def _csv_cell(key: str, value: Any) -> Any:
    if value is None:
        return ""
    if key == "tags":
        return TAG_SEPARATOR.join(value)
    if key in RESULT_COLUMNS:
        return json.dumps(value, separators=(",", ":"))
    return value
