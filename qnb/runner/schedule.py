"""When to poll each remote job next: one schedule for all of them, never a thread per job."""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

from ..models import JobStatus

QUEUED_FIRST, QUEUED_MAX = 1.0, 30.0
RUNNING_FIRST, RUNNING_MAX = 0.25, 2.0
RETRY_FIRST, RETRY_MAX = 1.0, 60.0


@dataclass
class Followed:
    job_id: str
    remote_id: str
    interval: float = QUEUED_FIRST
    failing_since: float | None = None
    failures: int = 0
    status: JobStatus = JobStatus.QUEUED


@dataclass
class PollSchedule:
    """A heap of (due time, job id). Intervals grow while a job waits, shrink once it runs,
    follow the service's estimated start, and back off exponentially on errors."""

    _heap: list[tuple[float, str]] = field(default_factory=list)
    jobs: dict[str, Followed] = field(default_factory=dict)

    def follow(self, job_id: str, remote_id: str, delay: float = 0.5) -> None:
        self.jobs[job_id] = Followed(job_id, remote_id)
        heapq.heappush(self._heap, (time.monotonic() + delay, job_id))

    def forget(self, job_id: str) -> None:
        self.jobs.pop(job_id, None)  # its heap entry is skipped when it comes up

    def due(self, now: float | None = None) -> list[Followed]:
        now = time.monotonic() if now is None else now
        out = []
        while self._heap and self._heap[0][0] <= now:
            _, job_id = heapq.heappop(self._heap)
            if job_id in self.jobs:
                out.append(self.jobs[job_id])
        return out

    def next_due(self) -> float | None:
        while self._heap and self._heap[0][1] not in self.jobs:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def polled(self, job: Followed, status: JobStatus, estimated_start: float | None) -> None:
        """Schedule the next poll after a successful one."""
        job.failures, job.failing_since = 0, None
        if status is JobStatus.RUNNING:
            job.interval = RUNNING_FIRST if job.status is not JobStatus.RUNNING else min(
                job.interval * 1.5, RUNNING_MAX)
        else:
            job.interval = min(job.interval * 1.5, QUEUED_MAX)
        job.status = status
        delay = job.interval
        if estimated_start is not None and status is JobStatus.QUEUED:
            until = estimated_start - time.time()
            delay = max(0.2, min(until, QUEUED_MAX)) if until > 0 else min(delay, RUNNING_MAX)
        heapq.heappush(self._heap, (time.monotonic() + delay, job.job_id))

    def later(self, job: Followed, delay: float) -> None:
        """Look at the job again after ``delay`` without counting a poll: its error streak
        (``failing_since``) is kept, so retries of a failing call stay bounded in time."""
        heapq.heappush(self._heap, (time.monotonic() + delay, job.job_id))

    def failed(self, job: Followed) -> float:
        """Schedule a retry after an error; returns seconds the job has been failing."""
        now = time.monotonic()
        if job.failing_since is None:
            job.failing_since = now
        job.failures += 1
        delay = min(RETRY_FIRST * 2 ** (job.failures - 1), RETRY_MAX)
        heapq.heappush(self._heap, (now + delay, job.job_id))
        return now - job.failing_since
