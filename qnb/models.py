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


class TagError(SubmitError):
    """Tags that cannot be recorded (empty, too long, too many); nothing was written."""


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


MAX_TAGS = 32
MAX_TAG_LENGTH = 64


def check_tags(tags: Any) -> list[str]:
    """``tags`` (a list of strings, or one string) as the list a job keeps: each stripped,
    in the order given, duplicates dropped. A tag is non-empty text of at most
    ``MAX_TAG_LENGTH`` characters without commas, semicolons (the separators of filters
    and CSV exports), tabs or line breaks; a job has at most
    ``MAX_TAGS``. Anything else raises ``TagError`` naming the tag."""
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, (list, tuple, set, frozenset)):
        raise TagError(f"tags must be a list of strings, got {type(tags).__name__}")
    out: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise TagError(f"a tag must be a string, got {type(tag).__name__} {tag!r}")
        text = tag.strip()
        if not text:
            raise TagError(f"a tag must not be empty or only spaces, got {tag!r}")
        if any(ch in text for ch in ",;\r\n\t"):
            raise TagError("a tag must not contain commas, semicolons, tabs or line breaks, "
                           f"got {tag!r}")
        if len(text) > MAX_TAG_LENGTH:
            raise TagError(f"a tag has at most {MAX_TAG_LENGTH} characters; {text[:20]!r}... "
                           f"has {len(text)}")
        if text not in out:
            out.append(text)
    if len(out) > MAX_TAGS:
        raise TagError(f"a job has at most {MAX_TAGS} tags, got {len(out)}")
    return out


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> float:
    """``"90s"``, ``"15m"``, ``"12h"``, ``"30d"``, ``"2w"`` (or bare seconds) as seconds;
    ``ValueError`` saying what is accepted."""
    value = str(text).strip().lower()
    unit = value[-1:] if value[-1:] in _DURATION_UNITS else "s"
    number = value[:-1] if value[-1:] in _DURATION_UNITS else value
    try:
        seconds = float(number) * _DURATION_UNITS[unit]
    except ValueError:
        raise ValueError(f"{text!r} is not a duration such as 30d, 12h, 15m or 90s") from None
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"{text!r} is not a duration such as 30d, 12h, 15m or 90s")
    return seconds


def parse_since(value: Any, now: float | None = None) -> float | None:
    """A point in time as POSIX seconds: a number (epoch seconds), ISO 8601 text
    (``2026-11-20``, ``2026-11-20T08:00``, with ``Z`` or an offset; without one it is UTC),
    or a duration ago (``7d``, ``12h``, ``30m``). None or empty text is None. Anything else
    raises ``ValueError`` saying what is accepted."""
    import time

    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    if text[-1:].lower() in _DURATION_UNITS and text[:-1].replace(".", "", 1).isdigit():
        return (time.time() if now is None else now) - parse_duration(text)
    try:
        when = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"{text!r} is not a time: give ISO 8601 (2026-11-20 or "
                         "2026-11-20T08:00:00Z), epoch seconds, or a duration ago (7d, 12h, "
                         "30m)") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def iso(ts: float | None) -> str | None:
    """A POSIX timestamp as an ISO 8601 UTC string with milliseconds, or None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


#: the phases of a local run whose circuits ``JobRecord.progress()`` counts, in order
PROGRESS_PHASES = ("transpiling", "simulating")


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
    #: the user's labels (``check_tags``), changed only through ``JobStore.retag``
    tags: list[str] = field(default_factory=list)
    #: circuits run so far out of all, while a many-circuit job runs (``JobStore.progress``)
    progress_done: int | None = None
    progress_total: int | None = None
    #: what ``progress_done`` counts: one of ``PROGRESS_PHASES`` (``JobStore.progress``)
    phase: str | None = None
    #: when a running local job should end, from earlier runs of its size (``JobStore.typical_run``)
    estimated_end: float | None = None
    #: who submitted it: the JupyterHub user under a hub, else the Unix user (``qnb.owners``);
    #: None for a job written before owners were recorded
    owner: str | None = None

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
        for key in ("created_at", "started_at", "finished_at", "updated_at", "estimated_start",
                    "estimated_end"):
            d[key] = iso(d[key])
        for internal in ("attempts", "crashes", "submitting", "provider_state",
                         "progress_done", "progress_total", "phase"):
            d.pop(internal)
        known = self.progress()
        d["progress"] = ({"done": known[0], "total": known[1], "phase": self.progress_phase()}
                         if known else None)
        return d

    def progress(self) -> tuple[int, int] | None:
        """``(done, total)`` circuits of a job that reports its progress; all of them once it
        is DONE. None for a job that has not reported any."""
        if self.progress_total is None:
            return None
        total = self.progress_total
        return (total, total) if self.status == "DONE" else (self.progress_done or 0, total)

    def progress_phase(self) -> str | None:
        """What ``progress()`` counts while the job runs: one of ``PROGRESS_PHASES``
        ("transpiling", then "simulating"); None for a job that reports no phase, or ended.

        The worker writes the phase with its count, in one step (``JobStore.progress``)."""
        if self.status != "RUNNING" or self.progress_total is None:
            return None
        return self.phase if self.phase in PROGRESS_PHASES else None
