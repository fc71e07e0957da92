"""The job model shared by every part of qnb: statuses and the job record."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    """A job's status. Strings, so they compare equal to the contract's names."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    ERROR = "ERROR"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES

    def __repr__(self) -> str:  # a cell showing ``job.status()`` reads DONE, not <JobStatus...>
        return self.value


FINAL_STATUSES = frozenset({JobStatus.DONE, JobStatus.ERROR, JobStatus.CANCELLED})

JOB_ID_RE = re.compile(r"^[0-9a-f]{12}$")


class QnbError(Exception):
    """Base class of qnb's own errors."""


class SubmitError(QnbError, ValueError):
    """The user's input cannot become a job; nothing was written.

    ``configured`` lists the backends when the mistake was an unknown backend name.
    """

    def __init__(self, message: str, *, configured: list[str] | None = None) -> None:
        super().__init__(message)
        self.configured = configured


class JobNotFound(QnbError, KeyError):
    """No job has this id."""

    def __str__(self) -> str:  # KeyError quotes its argument otherwise
        return str(self.args[0]) if self.args else "job not found"


class JobFailed(QnbError, RuntimeError):
    """Raised by ``Job.result()`` when the job ended in ERROR or CANCELLED."""


class StoreError(QnbError, RuntimeError):
    """The job store cannot be opened or written (disk full, read-only, newer schema)."""


class StoreCorrupt(StoreError):
    """The job store file is damaged: nothing more is written to it until it is recovered."""


def validate_job_id(job_id: str) -> str:
    """Return ``job_id`` if it has the form of a job id, else raise ``JobNotFound``."""
    if not isinstance(job_id, str) or not JOB_ID_RE.match(job_id):
        raise JobNotFound(f"no job with id {job_id!r} (ids are 12 hex digits)")
    return job_id


def iso(ts: float | None) -> str | None:
    """A POSIX timestamp as an ISO 8601 UTC string with milliseconds, or None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class JobRecord:
    """One row of the store: everything known about a job except its payload and result."""

    id: str
    backend: str
    provider: str
    status: JobStatus
    shots: int
    created_at: float
    name: str | None = None
    seed: int | None = None
    num_circuits: int = 1
    summary: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    provider_status: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    updated_at: float | None = None
    error: str | None = None
    remote_id: str | None = None
    queue_position: int | None = None
    estimated_start: float | None = None
    origin: str | None = None
    cancel_requested: bool = False
    #: times a worker started it, and how many of those runs its own worker died in
    attempts: int = 0
    crashes: int = 0
    #: "sampler" or "estimator" for a job of Qiskit primitive PUBs; None for plain circuits
    primitive: str | None = None
    #: the ``qnb.session`` the job was submitted in
    session: str | None = None
    #: the runner is handing the job to its remote service (it may or may not have it yet)
    submitting: bool = False
    #: what the provider keeps about the job between calls (e.g. a mitigation plan)
    provider_state: dict[str, Any] = field(default_factory=dict)

    @property
    def is_final(self) -> bool:
        return JobStatus(self.status).is_final

    def elapsed(self, now: float) -> float:
        """Seconds since creation, or the whole run time once finished."""
        end = self.finished_at if self.finished_at is not None else now
        return max(0.0, end - self.created_at)

    def to_json(self) -> dict[str, Any]:
        """The job as the REST API and ``--json`` show it."""
        d = asdict(self)
        d["status"] = str(self.status)
        for key in ("created_at", "started_at", "finished_at", "updated_at", "estimated_start"):
            d[key] = iso(d[key])
        for internal in ("attempts", "crashes", "submitting", "provider_state"):
            d.pop(internal)
        return d
