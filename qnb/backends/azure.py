"""``provider = "azure"``: Azure Quantum targets through the ``azure-quantum`` SDK.

A process forked for the hand-over (``prepare``, run by ``runner.offload``) transpiles each
circuit for the target's family and encodes it in the format the target takes
(``azure_formats``: IonQ's JSON circuit, OpenQASM 2 for Quantinuum, QIR for the others);
then the runner creates one Azure job per circuit (or per Sampler PUB parameter point) with
``Job.from_input_data``, which uploads the input to the workspace's linked storage (a SAS URI
from ``storage/sasUri``) and PUTs ``jobs/{id}``. The qnb job's remote id is its Azure job ids,
space-separated, so a new runner re-attaches by them (``Workspace.get_job``). Statuses of
both workspace generations map onto qnb's (``azure_status``); a Failed job ends in ERROR
with ``errorData``'s code and message, and a job that Succeeded without an output ends in
ERROR saying so. Results are read from the output blob and turned into counts in Qiskit's
bit order; each job's ``costEstimate`` goes into the result's metadata and, in USD, the
usage ledger. ``providerStatus`` gives the listing the target's availability and average
queue time, and a queued job its estimated start. A qnb session opens one Azure session
(with the profile's ``job_failure_policy``), closed when the block ends.

Credentials come only from the environment: ``AZURE_QUANTUM_CONNECTION_STRING``, else
azure-identity's ``DefaultAzureCredential`` (environment variables, a managed identity, the
Azure CLI's login...). A profile holding a key or connection string is refused, so none
reaches qnb's store, logs or outputs. ``workspace_factory = "module:function"`` builds the
``Workspace`` from the keyword arguments qnb would pass it (tests point it at a stand-in).
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from typing import Any, ClassVar

from ..models import JobStatus
from ..threads import TimedCalls
from . import azure_formats as formats
from . import azure_profile, azure_results
from .azure_status import (
    AzureServiceError,
    explain,
    failure_text,
    is_transient,
    normalize_status,
    target_summary,
    wrap,
)
from .base import (
    BackendInfo,
    Field,
    Provider,
    RemoteState,
    Submitted,
)
from .simulator import DEFAULT_OPTIMIZATION_LEVEL

log = logging.getLogger("qnb.backends.azure")

DEFAULT_DESCRIBE_TIMEOUT = 5.0
STATUS_TTL = 60.0  # seconds providerStatus is reused for queue estimates
def _import_factory(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


class AzureProvider(Provider):
    """``provider = "azure"``: one Azure Quantum target of one workspace."""

    kind: ClassVar[str] = "remote"
    simulator: ClassVar[bool] = False
    payload_formats: ClassVar[tuple[str, ...]] = ("qpy", "sampler-pubs")
    prepares: ClassVar[bool] = True  # transpiling and encoding happen in a process of their own
    fields: ClassVar[dict[str, Field]] = {
        "target": Field(str, required=True),  # ionq.simulator, quantinuum.sim.h2-1e, ...
        "resource_id": Field(str),  # /subscriptions/.../Workspaces/NAME
        "subscription_id": Field(str),
        "resource_group": Field(str),
        "workspace": Field(str),
        "location": Field(str),  # eastus, westeurope, ...
        "optimization_level": Field(int),
        "max_qubits": Field(int),  # refuse wider circuits before they are queued
        "job_failure_policy": Field(str),  # a session's: "Abort" (Azure's default), "Continue"
        "retry_timeout": Field((int, float)),
        "describe_timeout": Field((int, float)),
        "workspace_factory": Field(str),  # "module:function" building the Workspace
        "description": Field(str),
    }

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self.target: str = self.options["target"]
        self.format = formats.target_format(self.target)
        self._lock = threading.Lock()
        self._ws: Any = None
        self._ws_lock = threading.Lock()
        self._status: tuple[float, Any] | None = None
        self._finished: dict[str, Any] = {}  # Azure job id -> its final Job
        self._sessions: dict[str, Any] = {}  # qnb session id -> its open Azure Session
        self._session_locks: dict[str, threading.Lock] = {}

    # -- profile checking -----------------------------------------------------------------
    @classmethod
    def validate_options(cls, options: dict[str, Any]) -> None:
        azure_profile.refuse_secrets(options)
        super().validate_options(options)
        azure_profile.validate(options)

    def max_qubits(self) -> int | None:
        return int(self.options["max_qubits"]) if "max_qubits" in self.options else None

    # -- the workspace --------------------------------------------------------------------
    def workspace_kwargs(self) -> dict[str, Any]:
        """What qnb passes to ``azure.quantum.Workspace``: the workspace, never a credential
        (the SDK finds one in the environment)."""
        return azure_profile.workspace_kwargs(self.options)

    def _workspace(self) -> Any:
        with self._ws_lock:
            if self._ws is None:
                factory = self.options.get("workspace_factory")
                if factory:
                    self._ws = _import_factory(factory)(self.workspace_kwargs())
                else:
                    from azure.quantum import Workspace

                    self._ws = Workspace(**self.workspace_kwargs())
            return self._ws

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """A service call; azure-core's errors come back as one line with their verdict."""
        try:
            return fn(*args, **kwargs)
        except AzureServiceError:
            raise
        except Exception as exc:
            if (type(exc).__module__ or "").startswith("azure"):
                raise wrap(exc) from exc
            raise

    def _target_status(self) -> Any:
        """This target's ``providerStatus`` entry (reused for ``STATUS_TTL`` seconds)."""
        with self._lock:
            cached = self._status
        if cached is not None and time.monotonic() - cached[0] < STATUS_TTL:
            return cached[1]
        ws = self._workspace()
        found = self._call(ws._get_target_status, name=self.target,
                           provider_id=self.format.provider_id)
        status = found[0][1] if found else None
        with self._lock:
            self._status = (time.monotonic(), status)
        return status

    # -- listing --------------------------------------------------------------------------
    def describe(self) -> BackendInfo:
        """The target's availability and average queue time from ``providerStatus``, giving
        up after ``describe_timeout`` seconds."""
        timeout = float(self.options.get("describe_timeout", DEFAULT_DESCRIBE_TIMEOUT))
        simulator = ".sim" in self.target or self.target.endswith("simulator")
        try:
            _PROBES.call(_import_sdk, 120.0)  # imports take seconds but cannot hang
            status = _PROBES.call(self._target_status, timeout)
        except TimeoutError:
            return BackendInfo(self.name, self.provider_name(), self.max_qubits(), simulator,
                               False, f"no answer from Azure Quantum within {timeout:g} s")
        except Exception as exc:  # reported, never raised: the listing must go on
            return BackendInfo(self.name, self.provider_name(), self.max_qubits(), simulator,
                               False, explain(exc))
        if status is None:
            return BackendInfo(self.name, self.provider_name(), self.max_qubits(), simulator,
                               False, f"the workspace has no target {self.target!r}")
        available, text, _ = target_summary(status)
        qubits = getattr(status, "num_qubits", None) or self.max_qubits()
        return BackendInfo(self.name, self.provider_name(), qubits, simulator, available,
                           f"{self.target}: {text}")

    def is_transient(self, exc: BaseException) -> bool:
        return is_transient(exc)

    # -- submitting: prepared in a process of its own, sent from a runner I/O thread ------
    def prepare(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
                options: dict[str, Any]) -> dict[str, Any]:
        """Every circuit (or Sampler PUB parameter point) transpiled for the target's family
        and encoded in its format, with its readout; a refusal raises here, before anything
        is sent. The runner runs this in a process forked for it (``runner.offload``)."""
        circuits, shots_each, plan = azure_results.circuits_of(payload_format, payload, shots)
        width = self.max_qubits()
        for i, qc in enumerate(circuits):
            if width and qc.num_qubits > width:
                raise ValueError(f"circuit {i} has {qc.num_qubits} qubits; {self.target} "
                                 f"takes {width}")
        level = self.options.get("optimization_level", DEFAULT_OPTIMIZATION_LEVEL)
        compiled = formats.transpile(circuits, self.format.family, seed, level)
        return {"inputs": [formats.encode(qc, self.format.family) for qc in compiled],
                "names": [qc.name for qc in compiled], "shots": shots_each, "plan": plan,
                "readouts": [formats.Readout.of(qc).to_json() for qc in compiled]}

    def submit(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
               options: dict[str, Any]) -> Submitted:
        """``prepare`` then ``submit_prepared``, in this process."""
        return self.submit_prepared(self.prepare(payload_format, payload, shots, seed, options),
                                    shots, seed, options)

    def submit_prepared(self, prepared: dict[str, Any], shots: int, seed: int | None,
                        options: dict[str, Any]) -> Submitted:
        """Open the qnb session's Azure session if it has none yet, then create one Azure
        job per prepared input; if one is refused, cancel those already created and raise
        Azure's error."""
        _import_sdk()
        session_id = self._session(options.get("session"))
        from azure.quantum import Job

        ws = self._workspace()
        ids: list[str] = []
        try:
            for data, name, n in zip(prepared["inputs"], prepared["names"], prepared["shots"],
                                     strict=True):
                job = self._call(
                    Job.from_input_data, ws, name=f"qnb-{name}"[:100],
                    target=self.target, input_data=data, content_type=self.format.content_type,
                    provider_id=self.format.provider_id,
                    input_data_format=self.format.input_data_format,
                    output_data_format=self.format.output_data_format,
                    input_params=_input_params(self.format.family, n),
                    session_id=session_id, tags=["qnb"])
                ids.append(str(job.id))
        except BaseException:
            self._cancel_quietly(ids)
            raise
        state: dict[str, Any] = {"shots": prepared["shots"], "seed": seed,
                                 "plan": prepared["plan"], "readouts": prepared["readouts"]}
        if session_id:
            state["session_id"] = session_id
        return Submitted(" ".join(ids), state)

    def _session(self, spec: dict[str, Any] | None) -> str | None:
        """The Azure session of the qnb session ``spec`` (opened on its first job, or the one
        an earlier runner opened while it is still open)."""
        if not spec:
            return None
        qnb_id = str(spec["id"])
        with self._lock:
            opening = self._session_locks.setdefault(qnb_id, threading.Lock())
        with opening:
            with self._lock:
                session = self._sessions.get(qnb_id)
            if session is None:
                session = self._open_session(qnb_id, spec.get("remote_id"))
                with self._lock:
                    self._sessions[qnb_id] = session
        return str(session.id)

    def _open_session(self, qnb_id: str, remote_id: str | None) -> Any:
        from azure.quantum import Session

        ws = self._workspace()
        if remote_id:
            try:
                found = self._call(ws.get_session, str(remote_id))
                if not found.is_in_terminal_state():
                    return found
            except AzureServiceError as exc:
                log.info("cannot re-attach Azure session %s: %s", remote_id, exc)
        session = Session(ws, target=self.target, name=f"qnb-session-{qnb_id}",
                          job_failure_policy=self.options.get("job_failure_policy", "Abort"))
        self._call(session.open)
        log.info("opened Azure session %s for qnb session %s", session.id, qnb_id)
        return session

    def end_session(self, session_id: str) -> None:
        with self._lock:
            session = self._sessions.pop(session_id, None)
            self._session_locks.pop(session_id, None)
        if session is not None:
            self._call(session.close)

    # -- following --------------------------------------------------------------------------
    def _job(self, job_id: str) -> Any:
        with self._lock:
            job = self._finished.get(job_id)
        if job is not None:
            return job
        job = self._call(self._workspace().get_job, job_id)
        status, _ = normalize_status(job.details.status)
        if status.is_final:
            with self._lock:
                self._finished[job_id] = job
        return job

    def poll(self, remote_id: str) -> RemoteState:
        ids = remote_id.split()
        jobs = [self._job(i) for i in ids]
        states = [normalize_status(j.details.status) for j in jobs]
        failed = [(n, j) for n, (j, (s, _)) in enumerate(zip(jobs, states, strict=True))
                  if s is JobStatus.ERROR]
        unfinished = [i for i, (s, _) in zip(ids, states, strict=True) if not s.is_final]
        if failed:
            self._cancel_quietly(unfinished)
            reasons = [failure_text(j.details.error_data, j.id) for _, j in failed]
            error = reasons[0] if len(ids) == 1 else "; ".join(
                f"circuit {n}: {r}" for (n, _), r in zip(failed, reasons, strict=True))
            self._forget(ids)
            return RemoteState(JobStatus.ERROR, states[failed[0][0]][1], error=error)
        cancelled = [name for s, name in states if s is JobStatus.CANCELLED]
        if cancelled:
            self._cancel_quietly(unfinished)
            self._forget(ids)
            return RemoteState(JobStatus.CANCELLED, cancelled[0],
                               error=f"cancelled at Azure Quantum ({cancelled[0]})")
        if all(s is JobStatus.DONE for s, _ in states):
            return RemoteState(JobStatus.DONE, states[0][1])
        waiting = [(j, s, name) for j, (s, name) in zip(jobs, states, strict=True)
                   if s is not JobStatus.DONE]
        running = [name for _, s, name in waiting if s is JobStatus.RUNNING]
        status = JobStatus.RUNNING if running else JobStatus.QUEUED
        name = running[0] if running else waiting[0][2]
        if len(ids) > 1:
            name += f" ({len(ids) - len(waiting)} of {len(ids)} jobs done)"
        start = None
        if status is JobStatus.QUEUED:
            start = self._estimated_start(waiting[0][0])
        return RemoteState(status, name, estimated_start=start)

    def _estimated_start(self, job: Any) -> float | None:
        """When a queued job should start: its creation plus the target's average queue time
        (``providerStatus``); None when the service does not say."""
        try:
            status = self._target_status()
        except AzureServiceError as exc:  # an estimate is a courtesy; the poll is what counts
            log.info("no providerStatus for %s: %s", self.target, exc)
            return None
        _, _, queue = target_summary(status) if status is not None else (None, None, None)
        created = getattr(job.details, "creation_time", None)
        if queue is None or created is None:
            return None
        return max(created.timestamp() + queue, time.time())

    def result(self, remote_id: str, state: dict[str, Any]) -> dict[str, Any]:
        ids = remote_id.split()
        jobs = [self._job(i) for i in ids]
        outputs = [self._call(azure_results.read_output, job) for job in jobs]
        out = azure_results.assemble(self.format, state, jobs, outputs,
                                     sample=_samples(self.target))
        out["metadata"].update({"remote_id": remote_id, "target": self.target,
                                "azure_job_ids": ids})
        self._forget(ids)
        return out

    def cancel(self, remote_id: str) -> None:
        ws = self._workspace()
        for job_id in remote_id.split():
            try:
                self._call(ws.cancel_job, self._job(job_id))
            except AzureServiceError as exc:  # a finished job cannot be cancelled
                if exc.transient:
                    raise
                log.info("cancel of Azure job %s refused: %s", job_id, exc)
        self._forget(remote_id.split())

    def _cancel_quietly(self, ids: list[str]) -> None:
        for job_id in ids:
            try:
                self._call(self._workspace().cancel_job, self._job(job_id))
            except Exception as exc:  # best effort: the job's own error is what matters
                log.warning("could not cancel Azure job %s: %s", job_id, exc)

    def _forget(self, ids: list[str]) -> None:
        with self._lock:
            for job_id in ids:
                self._finished.pop(job_id, None)


_PROBES = TimedCalls("qnb-azure-probe")
_imports = threading.Lock()


def _import_sdk() -> None:
    """Import Qiskit and the SDK one thread at a time (concurrent first imports of Qiskit
    fail; see ``delayed._import_qiskit``)."""
    with _imports:
        import azure.quantum  # noqa: F401
        import qiskit  # noqa: F401


def _input_params(family: str, shots: int) -> dict[str, Any]:
    params: dict[str, Any] = {"shots": int(shots)}
    if family == formats.QIR:
        params.update(entryPoint="ENTRYPOINT__main", arguments=[],
                      items=[{"entryPoint": "ENTRYPOINT__main", "arguments": []}])
    return params


def _samples(target: str) -> bool:
    """Whether a target's probability histogram is exact (a simulator's, to be sampled with
    the job's shots) rather than measured frequencies."""
    return ".sim" in target or target.endswith("simulator")
