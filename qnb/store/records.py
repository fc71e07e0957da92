"""A job's row, for every store: which ``JobRecord`` fields are kept how, and the conversions
between a record and the values a database holds. Dialect-free."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Sequence
from typing import Any

from ..models import JobRecord, JobStatus

# The columns of ``jobs`` are the fields of ``JobRecord``; these say how each is stored.
FIELDS = tuple(f.name for f in dataclasses.fields(JobRecord))
JSON_FIELDS = frozenset({"summary", "options", "provider_state"})
LIST_FIELDS = frozenset({"tags"})
BOOL_FIELDS = frozenset({"cancel_requested", "submitting"})
COLUMNS = ", ".join(FIELDS)
J_COLUMNS = ", ".join(f"j.{f}" for f in FIELDS)  # of ``jobs j``, beside other tables


def new_job_id() -> str:
    return uuid.uuid4().hex[:12]


def to_column(name: str, value: Any) -> Any:
    """The value a database keeps for field ``name``."""
    if name in LIST_FIELDS:  # kept readable, so that a search finds any tag's text
        return json.dumps(list(value or []), ensure_ascii=False)
    if name in JSON_FIELDS:
        return json.dumps(value or {})
    if name in BOOL_FIELDS:
        return int(bool(value))
    if name == "status":
        return str(value)
    return value


def to_record(row: Sequence[Any]) -> JobRecord:
    """The record of a row read as ``SELECT {COLUMNS}``."""
    values = {}
    for name, value in zip(FIELDS, row, strict=True):
        if name in JSON_FIELDS or name in LIST_FIELDS:
            value = json.loads(value) if isinstance(value, (str, bytes)) else value
        elif name in BOOL_FIELDS:
            value = bool(value)
        elif name == "status":
            value = JobStatus(value)
        values[name] = value
    return JobRecord(**values)


def check_fields(names: Sequence[str]) -> None:
    """``ValueError`` for a name that is not a job field (a typo would write nothing)."""
    unknown = set(names) - set(FIELDS)
    if unknown:
        raise ValueError(f"not job fields: {sorted(unknown)}")
