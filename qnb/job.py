"""``Job``: the handle a user keeps for a submitted job."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .models import JobFailed, JobRecord, JobStatus

RUNNER_CHECK_SECONDS = 2.0  # how often a wait makes sure a runner serves the store

if TYPE_CHECKING:
    from .store import JobStore


class Interrupted(KeyboardInterrupt):
    """A ``KeyboardInterrupt`` that IPython shows as one line, without a traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"KeyboardInterrupt: {self}"]


def _kernel_interrupt() -> bool:
    """True in an IPython kernel's cell being interrupted: ipykernel turns SIGINT during an
    async cell into a cancel of the cell's own task (its handler is set while the cell runs)."""
    handler = getattr(signal.getsignal(signal.SIGINT), "__qualname__", "")
    task = asyncio.current_task()
    cell = getattr(task.get_coro(), "__qualname__", "") if task is not None else ""
    return "_cancel_on_sigint" in handler and "run_cell" in cell


@dataclass
class JobResult:
    """What a finished job produced: counts per circuit (and what the backend adds)."""

    job_id: str
    backend: str
    shots: int
    counts_list: list[dict[str, int]]
    metadata: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def get_counts(self, index: int = 0) -> dict[str, int]:
        """Counts of circuit ``index``, like ``qiskit.result.Result.get_counts``."""
        if "resource_estimates" in self.extra:
            raise ValueError(_no_counts(self.job_id, self.backend))
        try:
            return dict(self.counts_list[index])
        except IndexError:
            raise IndexError(
                f"job {self.job_id} has {len(self.counts_list)} circuit(s); no index {index}"
            ) from None

    def __len__(self) -> int:
        return len(self.counts_list)


def _no_counts(job_id: str, backend: str) -> str:
    return (f"job {job_id} on {backend!r} is a resource estimate: it ran no shots and has no "
            "counts; its figures (physical qubits, runtime, T factories, error budget) are "
            "job.estimates()")


class Job:
    """A job in the store. Cheap to create; every method reads the store afresh."""

    def __init__(self, job_id: str, *, store: JobStore | None = None,
                 record: JobRecord | None = None) -> None:
        if store is None:
            from .store import get_store

            store = get_store()
        self.id = job_id
        self._store = store
        self._record = record
        self._result: JobResult | None = None
        self._widget = None

    # -- state --------------------------------------------------------------------------
    def refresh(self) -> JobRecord:
        """Read the job's record from the store."""
        self._record = self._store.get(self.id)
        return self._record

    @property
    def record(self) -> JobRecord:
        return self._record if self._record is not None else self.refresh()

    def qnb_status(self) -> JobStatus:
        """qnb's status of the job (QUEUED, RUNNING, DONE, ERROR, CANCELLED), read afresh.
        Every kind of job has it; a primitive job's ``status()`` is Qiskit's instead."""
        return self.refresh().status

    def status(self) -> JobStatus:
        return self.qnb_status()

    def progress(self) -> tuple[int, int] | None:
        """``(done, total)`` circuits of the current phase (``progress_phase()``), read
        afresh, for a job that reports its progress (a many-circuit local or Dask job); None
        for one that does not."""
        return self.refresh().progress()

    def progress_phase(self) -> str | None:
        """What ``progress()`` counts now, read afresh: "transpiling", then "simulating",
        for a many-circuit local job while it runs; None otherwise."""
        return self.refresh().progress_phase()

    @property
    def backend(self) -> str:
        return self.record.backend

    @property
    def name(self) -> str | None:
        return self.record.name

    @property
    def tags(self) -> list[str]:
        """The job's tags (read afresh); assign a list to replace them in the store."""
        return list(self.refresh().tags)

    @tags.setter
    def tags(self, value: Any) -> None:
        self._store.retag(self.id, replace=[value] if isinstance(value, str) else value)
        self.refresh()

    def add_tags(self, *tags: str) -> list[str]:
        """Add tags (the job keeps those it has); the job's tags after."""
        return self._retag(add=tags)

    def remove_tags(self, *tags: str) -> list[str]:
        """Remove tags, without regard to case; the job's tags after."""
        return self._retag(remove=tags)

    def _retag(self, **change: Any) -> list[str]:
        tags = self._store.retag(self.id, **change)
        self.refresh()
        return tags

    @property
    def error(self) -> str | None:
        return self.refresh().error

    def done(self) -> bool:
        return self.qnb_status().is_final

    # -- waiting ------------------------------------------------------------------------
    def _wait_steps(self, timeout: float | None,
                    woken: bool = False) -> Generator[float, None, JobStatus]:
        """Yield how long to sleep between status reads, and every ``RUNNER_CHECK_SECONDS``
        make sure a runner serves the store; return the final status, or raise
        ``TimeoutError`` after ``timeout`` seconds.

        A sleep the runner cuts short when jobs end (``woken``) lasts 50 ms, a safety net for
        an end nobody announced (a queued job cancelled elsewhere); a timed one starts at
        0.5 ms and grows by a fifth to 50 ms, so that a short job is seen done within a few
        percent of its run time. Reading the store less often leaves the CPU to the runner
        and its workers, which on a small machine is what a short job waits for."""
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.05 if woken else 0.0005
        next_check = time.monotonic() + RUNNER_CHECK_SECONDS
        while True:
            status = self.qnb_status()
            if status.is_final:
                return status
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + RUNNER_CHECK_SECONDS
                self._ensure_runner()
                self._follow_ends()
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise TimeoutError(f"job {self.id} still {status} after {timeout} s")
            yield delay if left is None else min(delay, left)
            delay = min(delay * 1.2, 0.05)

    def _ensure_runner(self) -> None:
        """A wait outlives a runner that died (killed, OOM): start another, as a submit would."""
        from .runner import ensure_runner

        ensure_runner(self._store.home)

    def _follow_ends(self) -> None:
        """On a shared store, be woken when a job ends on another machine: by this home's
        runner, which hears every end (``runner.hears_ends``), or else by a listener of
        this process's own (``waiters.follow_ends``), given up once the runner hears them
        (every listener costs the database a wake-up for each notification)."""
        store = self._store
        if not store.shared:
            return
        from .runner import hears_ends
        from .waiters import follow_ends, stop_following_ends

        if hears_ends(store.home, store.url):
            stop_following_ends(store.home, wait=False)
        else:
            follow_ends(store)

    def wait(self, timeout: float | None = None) -> JobStatus:
        """Block until the job is DONE, ERROR or CANCELLED; ``TimeoutError`` after ``timeout``."""
        from .waiters import waiter

        woken = waiter(self._store.home)  # the worker or runner ending jobs wakes it
        self._follow_ends()  # and, on a shared store, jobs ending on other machines
        steps = self._wait_steps(timeout, woken is not None)
        sleep = woken.sleep if woken is not None else time.sleep
        try:
            while True:
                sleep(next(steps))
        except StopIteration as finished:
            return finished.value
        except KeyboardInterrupt:
            raise self._interrupted() from None

    def _interrupted(self) -> Interrupted:
        """What an interrupted wait raises: the job goes on, and the message says how to
        cancel it."""
        return Interrupted(f"stopped waiting for job {self.id}, which goes on; cancel it with "
                           f"job.cancel() or %qcancel {self.id}")

    async def wait_async(self, timeout: float | None = None) -> JobStatus:
        """``wait`` without blocking the event loop (``await job`` uses it). A kernel
        interrupt cancels the awaiting task: that, too, ends only the wait, in one line."""
        steps = self._wait_steps(timeout)
        try:
            while True:
                await asyncio.sleep(next(steps))
        except StopIteration as finished:
            return finished.value
        except KeyboardInterrupt:
            raise self._interrupted() from None
        except asyncio.CancelledError:
            if _kernel_interrupt():
                raise self._interrupted() from None
            raise  # cancelled by its caller (asyncio.wait_for, a task group): still a cancel

    def __await__(self):
        async def _result() -> JobResult:
            await self.wait_async()
            return self.result()

        return _result().__await__()

    # -- results ------------------------------------------------------------------------
    def _stored_result(self, timeout: float | None) -> dict[str, Any]:
        """Wait for the job; what it stored, or ``JobFailed`` if it did not finish DONE."""
        self._check_result_is_mine()  # before waiting: another's job would wait for nothing
        status = self.wait(timeout)
        if status is not JobStatus.DONE:
            rec = self.record
            raise JobFailed(f"job {self.id} ended {status}: {rec.error or 'no reason given'}")
        return self._store.result(self.id) or {}

    def _check_result_is_mine(self) -> None:
        """Another user's job is its row only (as the REST API and the hub service show
        it): its result is ``NotAllowed``, whoever may read the row."""
        from .teams.groups import NotAllowed, current_user

        owner = self.record.owner
        if owner is not None and owner != current_user():
            raise NotAllowed(f"job {self.id} belongs to {owner!r}: its result is theirs "
                             "alone; you see its row (status, times, backend)", "ownership")

    def result(self, timeout: float | None = None) -> JobResult:
        """Wait for the job and return its ``JobResult``; ``JobFailed`` if it did not finish DONE."""
        if self._result is None:
            data = self._stored_result(timeout)
            self._result = JobResult(
                job_id=self.id, backend=self.record.backend, shots=self.record.shots,
                counts_list=data.get("counts", []), metadata=data.get("metadata", {}),
                extra={k: v for k, v in data.items() if k not in ("counts", "metadata")},
            )
        return self._result

    def counts(self, index: int = 0) -> dict[str, int]:
        """Counts of circuit (or Sampler PUB) ``index`` (waits for the job); ``ValueError``
        for a resource estimate, which has none (its figures are ``estimates()``)."""
        from .backends.azure_estimator import is_estimate

        if is_estimate(self.record):
            raise ValueError(_no_counts(self.id, self.record.backend))
        counts_list = self._stored_result(None).get("counts", [])
        try:
            return dict(counts_list[index])
        except IndexError:
            raise IndexError(
                f"job {self.id} has {len(counts_list)} circuit(s) with counts; no index {index}"
            ) from None

    def estimates(self, timeout: float | None = None) -> list[dict[str, Any]]:
        """A resource estimate's figures, one dict per circuit (waits for the job):
        ``physical_qubits``, ``runtime`` (text) and ``runtime_ns``, ``logical_qubits``,
        ``logical_depth``, ``code_distance``, ``t_states``, ``t_factories``,
        ``t_factory_qubits``, ``qubits_for_algorithm``, ``qubits_for_t_factories``,
        ``rqops``, ``error_budget`` (its split: ``logical``, ``rotations``, ``tstates``),
        and ``report``, the estimator's own report (``physicalCounts``, ``logicalQubit``,
        ``tfactory``, ``errorBudget``, ``logicalCounts``, ``jobParams``). ``ValueError``
        for a job that ran circuits rather than estimating them."""
        from .backends.azure_estimator import is_estimate, summary

        rec = self.record
        if not is_estimate(rec):
            raise ValueError(f"job {self.id} ran on backend {rec.backend!r} (provider "
                             f"{rec.provider}), which gives counts, not resource estimates: "
                             "read job.counts() or job.result()")
        return [{**summary(e), "report": e}
                for e in self._stored_result(timeout).get("resource_estimates", [])]

    def cancel(self) -> JobStatus:
        """Cancel the job: at once when queued; the runner stops it when running. Another
        user's job needs the admin scope (``NotAllowed``, see ``qnb.teams.access``); in hub
        mode (``QNB_HUB_SERVICE``) the hub service decides, and cancels it."""
        owner = self.record.owner
        from .hub.client import service_url
        from .teams.groups import current_user

        if owner is not None and owner != current_user() and service_url():
            from .hub import remote

            return remote.cancel(self.id)
        if owner is not None and owner != current_user():
            from .config import load_config
            from .teams.access import Caller

            Caller.local(load_config(self._store.home).team).check_cancel(self.record)
        status = self._store.request_cancel(self.id)
        from .runner import wake

        wake(self._store.home)
        return status

    # -- display ------------------------------------------------------------------------
    @property
    def widget(self):
        """The live widget following this job (created on first use)."""
        if self._widget is None:
            from .notebook.widgets import JobWidget

            self._widget = JobWidget(self)
        return self._widget

    def __repr__(self) -> str:
        rec = self.record
        name = f" {rec.name!r}" if rec.name else ""
        return f"<Job {self.id}{name} on {rec.backend}: {rec.status}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The live widget while the job runs, and a static rendering (HTML with an SVG
        chart and the table, and text with the status and top outcomes)."""
        from .notebook.widgets import job_bundle

        return job_bundle(self)

    def _ipython_display_(self) -> None:
        """Show the job; in a kernel the output is replaced by the final static rendering
        when the job ends, so a saved notebook keeps the result."""
        from .notebook.widgets import show_job

        show_job(self)
