"""``PrimitiveJob``: a qnb ``Job`` of Sampler or Estimator PUBs that is also Qiskit's
``BasePrimitiveJob``, so code written for Qiskit's primitives keeps working."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qiskit.primitives import BasePrimitiveJob
from qiskit.providers import JobStatus as QiskitJobStatus

from ..job import Job
from ..models import JobRecord, JobStatus
from .pubs import decode_result

if TYPE_CHECKING:
    from ..store import JobStore


#: qnb's statuses as Qiskit's ``JobStatus`` (the same five names)
QISKIT_STATUS = {status: QiskitJobStatus[status.value] for status in JobStatus}


class PrimitiveJob(Job, BasePrimitiveJob):
    """``job_id()``, ``status()``, ``done()``, ``cancel()`` and ``result()``, which returns
    Qiskit's ``PrimitiveResult`` (read back from the store, also after a restart).

    ``status()`` is ``qiskit.providers.JobStatus``, as ``BasePrimitiveJob`` promises; qnb's
    own status is ``qnb_status()``."""

    def __init__(self, job_id: str, **kwargs: Any) -> None:
        Job.__init__(self, job_id, **kwargs)
        self._job_id = job_id
        self.metadata: dict[str, Any] = {}
        self._primitive_result: Any = None

    def result(self, timeout: float | None = None) -> Any:  # type: ignore[override]
        """Wait for the job and return its ``PrimitiveResult``; ``JobFailed`` otherwise."""
        if self._primitive_result is None:
            self._primitive_result = decode_result(self._stored_result(timeout))
        return self._primitive_result

    def status(self) -> QiskitJobStatus:  # type: ignore[override]
        """The job's status as ``qiskit.providers.JobStatus`` (``JobStatus.DONE``, ...)."""
        return QISKIT_STATUS[self.qnb_status()]

    def running(self) -> bool:
        return self.qnb_status() is JobStatus.RUNNING

    def cancelled(self) -> bool:
        return self.qnb_status() is JobStatus.CANCELLED

    def in_final_state(self) -> bool:
        return self.done()

    def summary(self) -> list[dict[str, Any]]:
        """Per PUB: shape, and ``evs``/``stds`` or ``counts`` per parameter point (waits)."""
        return self._stored_result(None).get("pubs", [])


def make_job(record: JobRecord, store: JobStore) -> Job:
    """The handle for a record: a ``PrimitiveJob`` for Sampler / Estimator jobs."""
    if record.primitive:
        return PrimitiveJob(record.id, store=store, record=record)
    return Job(record.id, store=store, record=record)
