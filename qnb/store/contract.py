"""What every job store does: the one contract the kernel side, the runner, the server and the
command line depend on. A store is chosen by ``qnb.store.open_store`` (SQLite in
``QNB_HOME`` by default); nothing outside ``qnb/store`` speaks SQL.

The rules every implementation keeps (``tests/test_store_contract.py`` checks each of them on
every implementation):

- a status changes only through ``TRANSITIONS`` (``qnb/store/transitions.py``), by one
  conditional update in one transaction: a move that the table, or the job's status at that
  instant, does not allow changes nothing and returns False;
- a job is written whole (record, payload, tags, first event) or not at all;
- a claim is exclusive: one job, one worker, whatever the number of processes or hosts;
- a job that ends gets its row in the usage ledger in the same transaction, and the row
  stays after the job is pruned; a paid job's budget reservation is made in the
  transaction that queues it and settled from that row in the one that ends it;
- every operation is safe from any thread and, after a fork, from the child.

Times are POSIX seconds. ``JobNotFound`` names an unknown id; ``StoreError`` (and
``StoreCorrupt``) say what is wrong with the store itself and that nothing was saved.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..models import JobRecord, JobStatus
from ..teams.budgets import Cap, Reservation

#: What a ``listen`` hears: a topic ("submit", "end"), several, or a function naming the
#: ones wanted now (asked again every half second)
Topics = str | tuple[str, ...] | Callable[[], Collection[str]]


@runtime_checkable
class JobStore(Protocol):
    """A job store: the queue and the single source of truth for jobs."""

    # -- where it is ----------------------------------------------------------------------
    @property
    def home(self) -> Path:
        """The local ``QNB_HOME`` this handle serves: configuration and the runner's files."""

    @property
    def url(self) -> str:
        """Where the store is, as a URL without any password."""

    def identity(self) -> tuple[Any, ...]:
        """What tells this store apart from another put in its place (a restore)."""

    @property
    def shared(self) -> bool:
        """Whether runners of other machines (or homes) may serve it beside one another."""

    def close(self) -> None:
        """Close this thread's connection (a later call opens another)."""

    def listen(self, callback: Callable[[str], None], topic: Topics = "submit") -> Any:
        """Call ``callback`` from a thread for writes made anywhere: with ``"submit
        <provider>"`` when a job is queued (``topic="submit"``), or ``"end <id>"`` when one
        ends (``topic="end"``), or both (``topic=("submit", "end")``, one listener), or
        those a function names at the time; an object with ``stop()``, or None where the
        processes of one machine wake each other instead (``qnb/waiters.py``)."""

    def snapshot(self) -> AbstractContextManager[None]:
        """A read transaction: the reads of this thread inside see one state of the store."""

    # -- status moves (each one transaction; False or None when not allowed) --------------
    def add_job(self, record: JobRecord, payload_format: str, payload: bytes, *,
                reservation: Reservation | None = None) -> JobRecord:
        """Write a new QUEUED job with its payload, and for a paid job its ``reservation``
        against its budgets: checked against every cap in the same transaction
        (``BudgetExceeded``, nothing written, when one would be passed)."""

    def import_job(self, record: JobRecord, payload_format: str, payload: bytes,
                   result: dict[str, Any] | None = None) -> JobRecord:
        """Write a job as it already is, in any status, with its result (imports, recovery)."""

    def begin_submit(self, job_id: str, follower: int | None = None) -> bool:
        """Mark a QUEUED job as being handed to its service by runner ``follower`` (never
        twice)."""

    def attach_remote(self, job_id: str, remote_id: str,
                      provider_state: dict[str, Any] | None = None) -> None:
        """The service accepted the job: keep its remote id and the provider's state."""

    def set_remote_state(self, job_id: str, status: JobStatus, provider_status: str, *,
                         queue_position: int | None = None,
                         estimated_start: float | None = None) -> bool:
        """What a poll said of an unfinished remote job (QUEUED <-> RUNNING, its words)."""

    def worker_died(self, job_id: str, reason: str, *, limit: int) -> JobStatus | None:
        """Charge a crash to a RUNNING job: QUEUED again below ``limit`` crashes, else ERROR."""

    def requeue(self, job_id: str, reason: str) -> bool:
        """RUNNING -> QUEUED, uncharged: local work lost with a stopped runner."""

    def finish(self, job_id: str, status: JobStatus, *, error: str | None = None,
               result: dict[str, Any] | None = None, provider_status: str | None = None,
               only_from: Iterable[JobStatus] | None = None) -> bool:
        """End a job DONE (with its result), ERROR or CANCELLED; False if already ended."""

    def request_cancel(self, job_id: str) -> JobStatus:
        """Cancel a waiting job at once, or flag a running one; the status after the call."""

    # -- changes that are not moves -----------------------------------------------------------
    def estimate_end(self, job_id: str, seconds: float) -> bool:
        """A running job should end ``seconds`` after it started."""

    def progress(self, job_id: str, done: int, total: int, phase: str | None = None) -> bool:
        """A running job has taken ``done`` of ``total`` circuits through ``phase``."""

    def note(self, job_id: str, provider_status: str, *, history: bool = False) -> None:
        """Show what the runner is doing with a job (and, with ``history``, record it)."""

    def retag(self, job_id: str, *, add: Iterable[str] = (), remove: Iterable[str] = (),
              replace: Iterable[str] | None = None) -> list[str]:
        """Change a job's tags, in any status; the tags after the change."""

    # -- the queue ------------------------------------------------------------------------
    def claim(self, job_id: str) -> JobRecord | None:
        """QUEUED -> RUNNING for a local run of this job; None if it is no longer waiting."""

    def claim_next(self, worker: int, runner: int, *,
                   remote: Collection[str] = ()) -> JobRecord | None:
        """Claim the oldest waiting job whose provider is not one of ``remote``, for worker
        ``worker`` of runner ``runner``; None if none waits."""

    def held_by(self, worker: int, runner: int) -> list[tuple[str, bool]]:
        """(id, cancel requested) of the RUNNING jobs that worker claimed."""

    def count_held(self, runner: int) -> int:
        """RUNNING jobs the workers of ``runner`` hold."""

    def holder(self, job_id: str) -> tuple[int, int] | None:
        """(worker, runner) holding a RUNNING local job, or None."""

    def busy(self) -> bool:
        """Whether any job is QUEUED or RUNNING."""

    def queued(self, limit: int = 100, providers: Iterable[str] | None = None) -> list[JobRecord]:
        """The oldest waiting jobs not handed to anyone (of ``providers`` when given)."""

    def queued_providers(self) -> list[str]:
        """The distinct providers of the jobs ``queued`` would give."""

    def count_queued(self) -> int:
        """How many jobs are QUEUED."""

    def unfinished(self) -> list[JobRecord]:
        """Every QUEUED or RUNNING job, oldest first."""

    def running(self) -> list[JobRecord]:
        """Every RUNNING job, oldest first."""

    def cancel_requests(self) -> list[str]:
        """Ids of unfinished jobs whose cancel was asked for."""

    # -- runners as leases -----------------------------------------------------------------
    def join(self, runner: int, *, host: str, pid: int, workers: int, lease: float,
             service: bool = False) -> None:
        """Runner ``runner`` (a random id) serves the store for ``lease`` seconds."""

    def beat(self, runner: int, *, lease: float, running: int = 0, following: int = 0) -> bool:
        """Renew the lease; False if it had expired and was removed."""

    def leave(self, runner: int) -> None:
        """End the lease now; the remote jobs it followed wait to be adopted."""

    def runners(self) -> list[dict[str, Any]]:
        """Every runner with a lease: id, host, pid, workers, heartbeat, alive, ..."""

    def expire_runners(self, *, all_but: int | None = None) -> list[int]:
        """Remove expired leases (or every lease but ``all_but``'s); their ids."""

    def orphaned(self) -> list[JobRecord]:
        """RUNNING local jobs whose runner has no lease any more."""

    def adopt(self, runner: int, *, limit: int = 500) -> list[JobRecord]:
        """Remote jobs no runner with a lease follows, now followed by ``runner``."""

    def follower(self, job_id: str) -> int | None:
        """The runner following a remote job, if any."""

    # -- reading --------------------------------------------------------------------------
    def get(self, job_id: str) -> JobRecord:
        """One job (``JobNotFound`` if none)."""

    def get_many(self, job_ids: Iterable[str]) -> dict[str, JobRecord]:
        """The jobs of these ids that exist, by id."""

    def list(self, *, status: str | Iterable[str] | None = None, backend: str | None = None,
             session: str | None = None, tag: str | Iterable[str] | None = None,
             search: str | None = None, since: float | None = None, limit: int = 50,
             offset: int = 0, newest_first: bool = True,
             owner: str | Iterable[str | None] | None = None) -> tuple[list[JobRecord], int]:
        """A page of the jobs matching every filter, and how many match in all; ``owner``
        is one owner or several (``None`` among them: jobs without an owner)."""

    def scan(self, *, batch: int = 500, with_results: bool = False,
             **filters: Any) -> Iterator[tuple[JobRecord, dict[str, Any] | None]]:
        """Every matching job, oldest first (with its result), read in short batches."""

    def payload(self, job_id: str) -> tuple[str, bytes]:
        """The job's payload: (format, bytes)."""

    def result(self, job_id: str) -> dict[str, Any] | None:
        """The job's result, or None."""

    def events(self, job_id: str) -> list[tuple[float, str, str | None]]:
        """The job's history: (time, status, detail), oldest first."""

    # -- sessions -------------------------------------------------------------------------
    def add_session(self, session_id: str, backend: str, mode: str, max_time: float | None,
                    created_at: float) -> None: ...

    def close_session(self, session_id: str) -> None: ...

    def set_session_remote(self, session_id: str, remote_id: str | None) -> None: ...

    def session_info(self, session_id: str) -> dict[str, Any] | None: ...

    def session_pending(self, session_id: str) -> int:
        """Jobs of the session not yet handed to a service."""

    # -- the ledger and metrics -----------------------------------------------------------
    def usage(self, by: str = "backend", since: float | None = None) -> list[dict[str, Any]]:
        """The ledger added up per backend, day, tag or status."""

    def ended_after(self, row: int) -> tuple[int, int]:
        """(jobs that ended after ledger row ``row``, the newest row)."""

    def typical_run(self, rec: JobRecord, *, sample: int = 200) -> float | None:
        """Seconds a run of ``rec`` should take, from finished runs of its size."""

    def high_water(self) -> tuple[int, int]:
        """The newest job's sequence number and the newest event's id."""

    def submitted_between(self, after_seq: int, upto_seq: int) -> list[tuple[str, int]]:
        """(backend, jobs) written in that range of sequence numbers."""

    def finished_histograms(self, after_event: int | None, upto_event: int,
                            queue_bounds: tuple[float, ...],
                            run_bounds: tuple[float, ...]) -> list[tuple]:
        """Per backend and final status: counts and histograms of queue and run seconds."""

    def active_counts(self) -> dict[tuple[str, str], int]:
        """(backend, status) -> jobs QUEUED or RUNNING now."""

    # -- budgets ------------------------------------------------------------------------
    def budget_state(self, caps: Iterable[Cap]) -> list[dict[str, Any]]:
        """Per cap: label, period, and per limit set (usd, qpu_seconds) its cap, spent
        (settled since the period began), reserved (unfinished jobs) and left."""

    def recent_usage(self, backend: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """The newest ledger rows of DONE jobs on ``backend`` (shots, circuits,
        qpu_seconds, cost_estimate), newest first."""

    # -- upkeep ---------------------------------------------------------------------------
    def prune(self, *, before: float, statuses: Iterable[str] | None = None,
              dry_run: bool = False, batch: int = 2000, at_most: int | None = None) -> int:
        """Delete finished jobs created before ``before``; how many."""

    def reclaim(self) -> int:
        """Give the space of deleted rows back; bytes freed."""

    def disk_bytes(self) -> int:
        """The store's size on disk."""

    def quick_check(self) -> str:
        """"ok", or what is wrong (a damaged store is marked so for every process)."""

    def integrity_check(self) -> str:
        """A thorough check: "ok", or what is wrong."""

    def change_counter(self) -> int:
        """A number that changes when another connection has written (per thread)."""
