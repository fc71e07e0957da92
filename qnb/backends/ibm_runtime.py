"""IBM Quantum through qiskit-ibm-runtime.

``provider = "ibm-runtime"`` sends jobs to IBM Quantum through qiskit-ibm-runtime's
executor-based primitives, ``qiskit_ibm_runtime.executor_sampler.Sampler`` and
``qiskit_ibm_runtime.executor_estimator.Estimator`` (the top-level ``SamplerV2`` /
``EstimatorV2`` are deprecated since qiskit-ibm-runtime 0.50). The runner transpiles to the
device's instructions (laying Estimator observables out on the chosen qubits) and submits,
polls (``RuntimeJobV2.status``, queue information from ``metrics()`` when the service gives
it), fetches results, cancels, and after a restart re-attaches with
``QiskitRuntimeService.job``. Plain circuits run through the Sampler with its default options
(no twirling, no dynamical decoupling), primitive PUB jobs through the Sampler or Estimator with
the job's ``primitive_options`` (the ``SamplerOptions`` / ``EstimatorOptions`` fields). Jobs of
a qnb session run in one Runtime ``Session`` (or ``Batch``), opened on the session's first job
and closed by ``end_session``. With ``channel = "local"`` the same code runs in
qiskit-ibm-runtime's local testing mode on a fake device.

Credentials are qiskit-ibm-runtime's own: an account saved with
``QiskitRuntimeService.save_account`` (pick one with ``account = "NAME"``) or the
``QISKIT_IBM_TOKEN`` / ``QISKIT_IBM_INSTANCE`` / ``QISKIT_IBM_CHANNEL`` environment variables.
A profile never holds a token, so none reaches qnb's store, logs or outputs.

``service_factory = "module:function"`` replaces ``QiskitRuntimeService`` with what that
function returns (called with the profile's settings); tests use it to put a stand-in for the
unreachable cloud behind the same code.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import Any, ClassVar

from ..ledger import check_price, estimated_cost
from ..models import JobStatus
from ..threads import TimedCalls
from . import fake_devices, mitigation
from .base import (
    BackendInfo,
    Field,
    ProfileError,
    Provider,
    RemoteState,
    Submitted,
    check_optimization_level,
    import_factory,
)
from .ibm_status import (
    error_text,
    explain,
    import_sdk,
    is_transient,
    normalize_status,
    plain_metadata,
    pub_counts,
    qpu_seconds,
    queue_info,
)
from .simulator import DEFAULT_OPTIMIZATION_LEVEL

log = logging.getLogger("qnb.backends.ibm")

CHANNELS = ("ibm_quantum_platform", "ibm_cloud", "local")
DEFAULT_DESCRIBE_TIMEOUT = 5.0

TOKEN_MESSAGE = (
    "qnb never keeps an IBM Quantum token in its configuration; remove it and save the account "
    "once with QiskitRuntimeService.save_account(token=..., instance=..., set_as_default=True) "
    "(or set QISKIT_IBM_TOKEN in the environment); use 'account = NAME' to pick a saved account")


class IBMRuntimeProvider(Provider):
    """``provider = "ibm-runtime"``: IBM Quantum through qiskit-ibm-runtime's executor-based
    Sampler and Estimator."""

    kind: ClassVar[str] = "remote"
    simulator: ClassVar[bool] = False
    supports_mitigation: ClassVar[bool] = True
    payload_formats: ClassVar[tuple[str, ...]] = ("qpy", "sampler-pubs", "estimator-pubs")
    fields: ClassVar[dict[str, Field]] = {
        "backend": Field(str, required=True),  # ibm_torino (channel "local": fake_manila)
        "channel": Field(str),  # ibm_quantum_platform (default), ibm_cloud or local
        "instance": Field(str),  # CRN or name of the service instance
        "account": Field(str),  # an account saved with QiskitRuntimeService.save_account
        "optimization_level": Field(int),
        "max_qubits": Field(int),  # refuse wider circuits before they are queued
        "retry_timeout": Field((int, float)),  # seconds of network errors before giving up
        "describe_timeout": Field((int, float)),  # seconds %qbackend waits for the service
        "service_factory": Field(str),  # "module:function" returning the service to use
        "description": Field(str),
        "primitive_options": Field(dict),  # defaults for Sampler / Estimator jobs here
        "price": Field(dict),  # {minute = USD of QPU time, task = USD, shot = USD}: estimates
    }

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self._lock = threading.Lock()  # guards the caches below, held briefly
        self._svc_lock = threading.Lock()  # held while the service is built (network)
        self._svc: Any = None
        self._backend_obj: Any = None
        self._jobs: dict[str, Any] = {}
        # qnb session id -> the Runtime Session / Batch its jobs run in (runner process)
        self._sessions: dict[str, Any] = {}
        self._session_locks: dict[str, threading.Lock] = {}  # one opening per qnb session

    @classmethod
    def validate_options(cls, options: dict[str, Any]) -> None:
        if "token" in options:
            raise ProfileError(TOKEN_MESSAGE, "token")
        super().validate_options(options)
        channel = options.get("channel")
        if channel is not None and channel not in CHANNELS:
            raise ProfileError(f"unknown channel {channel!r} (use {', '.join(CHANNELS)})",
                               "channel")
        if channel == "local":
            fake_devices.find(options["backend"], "backend")
        factory = options.get("service_factory")
        if factory is not None and (":" not in factory or not all(factory.partition(":")[::2])):
            raise ProfileError("must be 'package.module:function'", "service_factory")
        check_optimization_level(options)
        check_price(options.get("price"))
        for key in ("retry_timeout", "describe_timeout"):
            if key in options and options[key] <= 0:
                raise ProfileError("must be a positive number of seconds", key)

    @property
    def local(self) -> bool:
        return self.options.get("channel") == "local"

    def max_qubits(self) -> int | None:
        if "max_qubits" in self.options:
            return int(self.options["max_qubits"])
        if self.local:
            return fake_devices.find(self.options["backend"], "backend").num_qubits
        return None

    # -- the service ----------------------------------------------------------------------
    def _service(self) -> Any:
        with self._svc_lock:
            if self._svc is None:
                self._svc = self._make_service()  # not kept when it raises: tried again
            return self._svc

    def _make_service(self) -> Any:
        settings = {k: v for k, v in self.options.items() if k != "service_factory"}
        factory = self.options.get("service_factory")
        if factory:
            return import_factory(factory)(settings)
        if self.local:
            from qiskit_ibm_runtime.fake_provider.local_service import QiskitRuntimeLocalService

            return QiskitRuntimeLocalService()
        from qiskit_ibm_runtime import QiskitRuntimeService

        kwargs: dict[str, Any] = {}
        for key, arg in (("channel", "channel"), ("instance", "instance"), ("account", "name")):
            if self.options.get(key):
                kwargs[arg] = self.options[key]
        return QiskitRuntimeService(**kwargs)

    def _backend(self) -> Any:
        with self._lock:
            backend = self._backend_obj
        if backend is None:
            if self.local:
                backend = fake_devices.find(self.options["backend"], "backend").load()
            else:
                backend = self._service().backend(self.options["backend"])
            with self._lock:
                self._backend_obj = backend
        return backend

    def _job(self, remote_id: str) -> Any:
        with self._lock:
            job = self._jobs.get(remote_id)
        if job is not None:
            return job
        service = self._service()
        if getattr(service, "is_local", False) or not hasattr(service, "job"):
            from qiskit_ibm_runtime.exceptions import RuntimeJobNotFound

            raise RuntimeJobNotFound(
                f"local testing mode job {remote_id} is gone: it ran inside a runner that stopped")
        job = service.job(remote_id)
        with self._lock:
            self._jobs[remote_id] = job
        return job

    def _forget(self, remote_id: str) -> None:
        with self._lock:
            self._jobs.pop(remote_id, None)

    # -- listing --------------------------------------------------------------------------
    def describe(self) -> BackendInfo:
        """Ask the service about the backend, giving up after ``describe_timeout`` seconds."""
        timeout = float(self.options.get("describe_timeout", DEFAULT_DESCRIBE_TIMEOUT))
        provider = self.provider_name()
        try:
            # Importing the SDK takes seconds but cannot hang: it is not part of the limit.
            _PROBES.call(import_sdk, 120.0)
            backend, detail = _PROBES.call(self._probe, timeout)
        except TimeoutError:
            return BackendInfo(self.name, provider, self.max_qubits(), self.local, False,
                               f"no answer from the service within {timeout:g} s")
        except Exception as exc:  # reported, never raised: the listing must go on
            return BackendInfo(self.name, provider, self.max_qubits(), self.local, False,
                               explain(exc))
        return BackendInfo(self.name, provider, backend.num_qubits, self.local, True, detail)

    def _probe(self) -> tuple[Any, str]:
        backend = self._backend()
        if self.local:
            return backend, f"local testing mode on {backend.name}"
        status = backend.status()
        if not status.operational:
            return backend, f"not operational: {status.status_msg}"
        return backend, f"{status.status_msg}, {status.pending_jobs} jobs queued"

    def is_transient(self, exc: BaseException) -> bool:
        return is_transient(exc)  # HTTP 5xx/429 and no connection, not the service's refusals

    # -- remote execution (runner I/O threads) --------------------------------------------
    def submit(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
               options: dict[str, Any]) -> Submitted:
        """Transpile, check the primitive's options, open the qnb session's Runtime session
        when it has none yet, and run the job's Sampler or Estimator in it (else in job mode).

        Everything that can be refused without the service (options, transpiling) is done
        before a session is opened."""
        from ..primitives import pubs

        backend = self._backend()
        kind = pubs.KIND_OF_FORMAT.get(payload_format)
        state: dict[str, Any] = {}
        if kind is None:  # plain circuits: counts through the Sampler with its defaults
            from ..circuits import decode

            isa = self._transpile(backend, decode(payload), seed)
            plan, extra, note = mitigation.plan(options, isa, backend.num_qubits)
            if plan is not None or note:
                state = {"plan": plan, "note": note, "shots": shots}
            primitive, primitive_options = self._primitive(pubs.SAMPLER, None, seed)
            inputs, run_kwargs = isa + extra, {"shots": shots}
        else:
            inputs = self._transpile_pubs(backend, kind, pubs.decode(kind, payload), seed)
            primitive, primitive_options = self._primitive(
                kind, options.get("primitive_options"), seed)
            run_kwargs = ({"shots": shots} if kind == pubs.SAMPLER
                          else {"precision": options.get("precision")})
            state["primitive"] = kind
        mode, session_id = self._mode(backend, options.get("session"))
        job = primitive(mode=mode, options=primitive_options).run(inputs, **run_kwargs)
        remote_id = str(job.job_id())
        with self._lock:
            self._jobs[remote_id] = job
        if session_id:
            state["session_id"] = session_id
        return Submitted(remote_id, state)

    def _transpile(self, backend: Any, circuits: list[Any], seed: int | None) -> list[Any]:
        from qiskit.transpiler import generate_preset_pass_manager

        manager = generate_preset_pass_manager(
            backend=backend, seed_transpiler=seed,
            optimization_level=self.options.get("optimization_level", DEFAULT_OPTIMIZATION_LEVEL))
        return list(manager.run(list(circuits)))

    def _transpile_pubs(self, backend: Any, kind: str, pubs: list[Any],
                        seed: int | None) -> list[Any]:
        """The PUBs on the device's instructions; Estimator observables laid out on the
        qubits the transpiler chose."""
        from ..primitives.pubs import on_circuits

        return on_circuits(kind, pubs, self._transpile(backend, [p.circuit for p in pubs], seed))

    def _primitive(self, kind: str, given: dict[str, Any] | None,
                   seed: int | None) -> tuple[Any, Any]:
        """The primitive class and its options, built now so that wrong ones raise (pydantic's
        ``ValidationError`` names the option) before anything is sent."""
        if kind == "sampler":
            from qiskit_ibm_runtime.executor_sampler import Sampler
            from qiskit_ibm_runtime.options_models import SamplerOptions

            primitive, model = Sampler, SamplerOptions
        else:
            from qiskit_ibm_runtime.executor_estimator import Estimator
            from qiskit_ibm_runtime.options_models import EstimatorOptions

            primitive, model = Estimator, EstimatorOptions
        if given is not None and not isinstance(given, dict):
            raise TypeError(f"primitive options must be a dict, got {type(given).__name__}")
        built = model(**(given or {}))
        if self.local and seed is not None and built.simulator.seed_simulator is None:
            built.simulator.seed_simulator = seed  # local testing mode: repeatable results
        return primitive, built

    def _mode(self, backend: Any, spec: dict[str, Any] | None) -> tuple[Any, str | None]:
        """Where the job runs: the qnb session's Runtime ``Session`` / ``Batch`` (opened on
        its first job), or the backend itself (job mode); and the service's session id.

        ``spec`` is ``{"id": qnb session id, "mode": "session" | "batch", "max_time":
        seconds or None}``, optionally with ``"remote_id"``: the service's id of the session an
        earlier runner opened for it, re-attached with ``Session.from_id`` while it still
        accepts jobs."""
        if not spec:
            return backend, None
        qnb_id = str(spec["id"])
        with self._lock:
            opening = self._session_locks.setdefault(qnb_id, threading.Lock())
        with opening:  # two jobs of a new session, submitted at once, open one session
            with self._lock:
                runtime_session = self._sessions.get(qnb_id)
            if runtime_session is None:
                runtime_session = self._open_session(backend, spec)
                with self._lock:
                    self._sessions[qnb_id] = runtime_session
        return runtime_session, runtime_session.session_id

    def _open_session(self, backend: Any, spec: dict[str, Any]) -> Any:
        from qiskit_ibm_runtime import Batch, Session
        from qiskit_ibm_runtime.exceptions import IBMInputValueError

        cls = Batch if spec.get("mode") == "batch" else Session
        remote_id = spec.get("remote_id")
        if remote_id and not self.local:
            try:
                found = cls.from_id(str(remote_id), self._service())
            except IBMInputValueError as exc:  # unknown to the service, or of the other mode
                log.info("cannot re-attach %s %s: %s", cls.__name__, remote_id, exc)
            else:
                if (found.details() or {}).get("accepting_jobs"):
                    log.info("re-attached %s %s for qnb session %s", cls.__name__, remote_id,
                             spec["id"])
                    return found
        max_time = spec.get("max_time")
        opened = cls(backend, max_time=None if max_time is None
                     else max(1, math.ceil(float(max_time))))
        log.info("opened %s %s for qnb session %s", cls.__name__, opened.session_id, spec["id"])
        return opened

    def end_session(self, session_id: str) -> None:
        """Close the Runtime session of qnb session ``session_id``: the service accepts no
        more jobs in it and ends it once its queued jobs have run."""
        with self._lock:
            runtime_session = self._sessions.pop(session_id, None)
            self._session_locks.pop(session_id, None)
        if runtime_session is not None:
            runtime_session.close()

    def poll(self, remote_id: str) -> RemoteState:
        job = self._job(remote_id)
        status, name = normalize_status(job.status())
        state = RemoteState(status, name)
        if status is JobStatus.ERROR:
            state.error = error_text(job, name)
            self._forget(remote_id)
        elif status is JobStatus.CANCELLED:
            self._forget(remote_id)
        elif status is JobStatus.QUEUED and not self.local:
            state.queue_position, state.estimated_start = queue_info(job)
        return state

    def result(self, remote_id: str, state: dict[str, Any]) -> dict[str, Any]:
        from ..primitives import pubs

        job = self._job(remote_id)
        primitive_result = job.result()
        metadata: dict[str, Any] = {"remote_id": remote_id, "backend": self.options["backend"]}
        if state.get("session_id"):
            metadata["session_id"] = state["session_id"]
        kind = state.get("primitive")
        if kind:
            plain_metadata(primitive_result)
            out = pubs.result_json(kind, primitive_result)
            out["metadata"] = metadata
        else:
            counts = [pub_counts(pub) for pub in primitive_result]
            out = {"metadata": metadata}
            mitigation.apply(out, counts, state.get("plan"), state.get("shots", 0),
                             state.get("note"))
        qpu = qpu_seconds(job)
        if qpu is not None:
            metadata["qpu_seconds"] = qpu
        cost = estimated_cost(self.options.get("price"), len(primitive_result),
                              int(state.get("shots") or 0), qpu)
        if cost is not None:
            metadata["estimated_cost_usd"] = cost
        self._forget(remote_id)
        return out

    def cancel(self, remote_id: str) -> None:
        self._job(remote_id).cancel()
        self._forget(remote_id)


_PROBES = TimedCalls("qnb-probe")
