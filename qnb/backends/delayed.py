"""``provider = "delayed"``: Aer behind a simulated remote service, for tests and benchmarks.

It behaves like a cloud backend without a network: a submitted job waits ``queue_seconds``
in the service's queue (with an estimated start time the poller can follow), runs for
``run_seconds``, then ends DONE with real Aer counts, or ERROR for a ``failure_rate``
share of jobs. ``transient_failures`` makes the first N status calls of each job fail with a
connection error, and ``outage_seconds`` (starting ``outage_after`` seconds after a job's
submission) makes every call about that job fail so for that long; both then recover.

The service's state is files under ``$QNB_HOME/delayed-service/`` (a JSON record and the
result of each job), so jobs outlive the runner that submitted them, as on a real service;
``service_dir`` puts them elsewhere, so that runners of several homes sharing a store reach
one service, as they would a cloud.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any, ClassVar

from ..files import private_dir, write_json_atomic
from ..models import JobStatus
from .base import BackendInfo, Field, ProfileError, Provider, RemoteState, Submitted

SERVICE_DIR = "delayed-service"
_NUMBER = (int, float)


class DelayedServiceError(RuntimeError):
    """The simulated service refused a request (unknown job, failed job)."""


class DelayedProvider(Provider):
    """Aer behind a configurable queue time, run time, failure rate and network trouble."""

    kind: ClassVar[str] = "remote"
    simulator: ClassVar[bool] = True
    fields: ClassVar[dict[str, Field]] = {
        "queue_seconds": Field(_NUMBER),  # time a job waits in the service's queue
        "run_seconds": Field(_NUMBER),  # time a job runs once it left the queue
        "failure_rate": Field(_NUMBER),  # share of jobs that end in ERROR (0-1)
        "transient_failures": Field(int),  # status calls per job failing before it answers
        "outage_after": Field(_NUMBER),  # seconds after submission an outage starts
        "outage_seconds": Field(_NUMBER),  # how long every call about the job fails
        "estimate": Field(bool),  # report estimated start times (default true)
        "retry_timeout": Field(_NUMBER),  # seconds of errors before the runner gives up
        "max_qubits": Field(int),
        "description": Field(str),
        "service_dir": Field(str),  # the service's folder (default: $QNB_HOME/delayed-service)
    }

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self._lock = threading.Lock()
        self._jobs: dict[str, dict[str, Any]] = {}
        self._failed_calls: dict[str, int] = {}

    @classmethod
    def validate_options(cls, options: dict[str, Any]) -> None:
        super().validate_options(options)
        for key in ("queue_seconds", "run_seconds", "outage_after", "outage_seconds",
                    "transient_failures"):
            if options.get(key, 0) < 0:
                raise ProfileError("must not be negative", key)
        if not 0 <= options.get("failure_rate", 0) <= 1:
            raise ProfileError("must be between 0 and 1", "failure_rate")

    def max_qubits(self) -> int | None:
        from .simulator import memory_qubits

        return int(self.options.get("max_qubits") or memory_qubits())

    def describe(self) -> BackendInfo:
        q = self.options.get("queue_seconds", 0)
        r = self.options.get("run_seconds", 0)
        return BackendInfo(self.name, self.provider_name(), self.max_qubits(), True, True,
                           f"Aer behind a simulated service: {q:g} s queue, {r:g} s run")

    # -- the service's files --------------------------------------------------------------
    def service_dir(self) -> Path:
        from ..config import qnb_home

        given = self.options.get("service_dir")
        path = Path(given).expanduser() if given else qnb_home() / SERVICE_DIR
        private_dir(path)
        return path

    def _write(self, job: dict[str, Any]) -> None:
        write_json_atomic(self.service_dir() / f"{job['id']}.json", job)

    def _load(self, remote_id: str) -> dict[str, Any]:
        with self._lock:
            job = self._jobs.get(remote_id)
        if job is not None:
            return job
        if not remote_id.isalnum():
            raise DelayedServiceError(f"no job {remote_id!r} at the delayed service")
        try:
            job = json.loads((self.service_dir() / f"{remote_id}.json").read_text())
        except FileNotFoundError:
            raise DelayedServiceError(f"no job {remote_id!r} at the delayed service") from None
        with self._lock:
            self._jobs[remote_id] = job
        return job

    def _network(self, job: dict[str, Any], now: float, *, status_call: bool) -> None:
        """Raise the connection errors the profile asks for."""
        start = job["created"] + job["outage_after"]
        if start <= now < start + job["outage_seconds"]:
            raise ConnectionError(
                f"delayed service unreachable: connection refused (simulated outage until "
                f"{start + job['outage_seconds'] - now:.1f} s from now)")
        if status_call and job["transient_failures"]:
            with self._lock:
                failed = self._failed_calls.get(job["id"], 0)
                if failed < job["transient_failures"]:
                    self._failed_calls[job["id"]] = failed + 1
                    raise ConnectionError("delayed service: connection reset by peer (simulated)")

    # -- remote execution -----------------------------------------------------------------
    def submit(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
               options: dict[str, Any]) -> Submitted:
        remote_id = uuid.uuid4().hex
        opts = self.options
        job = {
            "id": remote_id, "created": time.time(), "shots": shots, "seed": seed,
            "queue_seconds": float(opts.get("queue_seconds", 0)),
            "run_seconds": float(opts.get("run_seconds", 0)),
            "fail": random.Random(remote_id).random() < float(opts.get("failure_rate", 0)),
            "transient_failures": int(opts.get("transient_failures", 0)),
            "outage_after": float(opts.get("outage_after", 0)),
            "outage_seconds": float(opts.get("outage_seconds", 0)),
            "cancelled": None,
        }
        self._compute(job, payload)
        job["created"] = time.time()  # its queue time starts once the service has accepted it
        self._write(job)
        with self._lock:
            self._jobs[remote_id] = job
        return Submitted(remote_id)

    def poll(self, remote_id: str) -> RemoteState:
        job = self._load(remote_id)
        now = time.time()
        self._network(job, now, status_call=True)
        start = job["created"] + job["queue_seconds"]
        end = start + job["run_seconds"]
        if job["cancelled"] is not None and job["cancelled"] < end:
            return RemoteState(JobStatus.CANCELLED, "CANCELLED", error="cancelled")
        if now < start:
            estimate = start if self.options.get("estimate", True) else None
            return RemoteState(JobStatus.QUEUED, "QUEUED", estimated_start=estimate)
        if now < end:
            return RemoteState(JobStatus.RUNNING, "RUNNING")
        if job["fail"]:
            return RemoteState(JobStatus.ERROR, "ERROR", error=job.get("error") or (
                "the delayed service failed this job (simulated failure, failure_rate "
                f"{self.options.get('failure_rate', 0):g})"))
        return RemoteState(JobStatus.DONE, "DONE")

    def _compute(self, job: dict[str, Any], payload: bytes) -> None:
        """The service's work, done when it accepts the job (before its simulated queue
        time starts), so that the result is ready when the service reports DONE, as on a
        real one; fetching it is then a read."""
        _import_qiskit()
        from ..circuits import decode
        from .simulator import run_circuits, simulator

        try:
            out = run_circuits(simulator({}), decode(payload), job["shots"], job["seed"], None)
        except Exception as exc:  # the service reports it as the job's failure
            job.update(fail=True, error=f"{type(exc).__name__}: {exc}")
            return
        write_json_atomic(self.service_dir() / f"{job['id']}.result", out)

    def result(self, remote_id: str, state: dict[str, Any]) -> dict[str, Any]:
        job = self._load(remote_id)
        self._network(job, time.time(), status_call=False)
        if job["fail"] or job["cancelled"] is not None:
            raise DelayedServiceError(f"job {remote_id} has no result: it did not complete")
        out = json.loads((self.service_dir() / f"{remote_id}.result").read_text())
        out["metadata"].update(remote_id=remote_id, queue_seconds=job["queue_seconds"],
                               run_seconds_simulated=job["run_seconds"])
        with self._lock:
            self._jobs.pop(remote_id, None)
            self._failed_calls.pop(remote_id, None)
        return out

    def cancel(self, remote_id: str) -> None:
        job = self._load(remote_id)
        self._network(job, time.time(), status_call=False)
        if job["cancelled"] is None:
            job = dict(job, cancelled=time.time())
            self._write(job)
            with self._lock:
                self._jobs[remote_id] = job


_imports = threading.Lock()


def _import_qiskit() -> None:
    """Import Qiskit and Aer one thread at a time: the runner calls ``submit`` from several
    I/O threads at once, and concurrent first imports of Qiskit fail with circular-import
    errors. (Those threads are lasting ones: see ``qnb.threads``.)"""
    with _imports:
        import qiskit  # noqa: F401
        import qiskit_aer  # noqa: F401
