"""IBM Quantum backends.

``provider = "ibm-fake"`` runs a noisy model of a real device
(``qiskit_ibm_runtime.fake_provider``) on Aer, locally, in the runner's worker processes.

``provider = "ibm-runtime"`` sends jobs to IBM Quantum through qiskit-ibm-runtime's
``SamplerV2``: the runner transpiles to the device's instructions and submits, polls
(``RuntimeJobV2.status``, queue information from ``metrics()`` when the service gives it),
fetches results, cancels, and after a restart re-attaches with ``QiskitRuntimeService.job``.
With ``channel = "local"`` the same code runs in qiskit-ibm-runtime's local testing mode on a
fake device.

Credentials are qiskit-ibm-runtime's own: an account saved with
``QiskitRuntimeService.save_account`` (pick one with ``account = "NAME"``) or the
``QISKIT_IBM_TOKEN`` / ``QISKIT_IBM_INSTANCE`` / ``QISKIT_IBM_CHANNEL`` environment variables.
A profile never holds a token, so none reaches qnb's store, logs or outputs.

``service_factory = "module:function"`` replaces ``QiskitRuntimeService`` with what that
function returns (called with the profile's settings); tests use it to put a stand-in for the
unreachable cloud behind the same code.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import queue
import threading
import time
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from ..models import JobStatus
from . import fake_devices, mitigation
from .base import BackendInfo, Field, ProfileError, Provider, RemoteState

log = logging.getLogger("qnb.backends.ibm")

CHANNELS = ("ibm_quantum_platform", "ibm_cloud", "local")
DEFAULT_OPTIMIZATION_LEVEL = 2
DEFAULT_DESCRIBE_TIMEOUT = 5.0

#: qiskit-ibm-runtime's job statuses (cloud strings, and the names of qiskit's ``JobStatus``
#: enum that local testing mode returns) mapped onto qnb's.
STATUS_MAP: dict[str, JobStatus] = {
    "INITIALIZING": JobStatus.QUEUED,
    "VALIDATING": JobStatus.QUEUED,
    "QUEUED": JobStatus.QUEUED,
    "RUNNING": JobStatus.RUNNING,
    "DONE": JobStatus.DONE,
    "COMPLETED": JobStatus.DONE,
    "ERROR": JobStatus.ERROR,
    "FAILED": JobStatus.ERROR,
    "CANCELLED": JobStatus.CANCELLED,
}

TOKEN_MESSAGE = (
    "qnb never keeps an IBM Quantum token in its configuration; remove it and save the account "
    "once with QiskitRuntimeService.save_account(token=..., instance=..., set_as_default=True) "
    "(or set QISKIT_IBM_TOKEN in the environment); use 'account = NAME' to pick a saved account")


def normalize_status(raw: Any) -> tuple[JobStatus, str]:
    """``(qnb status, provider's own status name)`` from a cloud string or a ``JobStatus`` enum.

    An unknown value keeps the job waiting (QUEUED) and shows the provider's word for it.
    """
    name = getattr(raw, "name", None) if not isinstance(raw, str) else None
    name = (name or str(raw)).strip().upper()
    return STATUS_MAP.get(name, JobStatus.QUEUED), name


def is_transient(exc: BaseException) -> bool:
    """True for failures worth retrying (no connection, timeouts, HTTP 5xx/429), False for the
    service's own refusals (HTTP 4xx, authentication, a failed or unknown job)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        verdict = _classify(cur)
        if verdict is not None:
            return verdict
        cur = cur.__cause__ or cur.__context__
    return False


def _classify(exc: BaseException) -> bool | None:
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    module = type(exc).__module__ or ""
    if module.startswith("requests") or module.startswith("urllib3"):
        import requests

        if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
            return True
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status is not None:
            return _http_transient(status)
        return None
    if not module.startswith("qiskit"):
        return None
    from qiskit.providers.exceptions import JobError
    from qiskit_ibm_runtime.api.exceptions import RequestsApiError
    from qiskit_ibm_runtime.exceptions import (
        IBMNotAuthorizedError,
        RuntimeInvalidStateError,
        RuntimeJobMaxTimeoutError,
        RuntimeJobNotFound,
    )

    if isinstance(exc, (IBMNotAuthorizedError, RuntimeInvalidStateError, RuntimeJobNotFound,
                        RuntimeJobMaxTimeoutError, JobError)):
        return False
    if isinstance(exc, RequestsApiError):
        return _http_transient(exc.status_code)
    return None


def _http_transient(code: int) -> bool:
    return code == -1 or code in (408, 425, 429) or code >= 500


def _iso_to_epoch(value: Any) -> float | None:
    if not value:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _pub_counts(pub: Any) -> dict[str, int]:
    """Counts of one SamplerV2 pub result, all classical registers joined (first one rightmost)."""
    return {str(k): int(v) for k, v in pub.join_data().get_counts().items()}


def _check_level(options: dict[str, Any]) -> None:
    level = options.get("optimization_level")
    if level is not None and level not in (0, 1, 2, 3):
        raise ProfileError("must be 0, 1, 2 or 3", "optimization_level")


# -- ibm-fake -----------------------------------------------------------------------------
_FAKE_SIMULATORS: dict[str, Any] = {}


def fake_simulator(class_name: str) -> Any:
    """``AerSimulator.from_backend(device)``, built once per worker process."""
    sim = _FAKE_SIMULATORS.get(class_name)
    if sim is None:
        from qiskit_aer import AerSimulator

        sim = AerSimulator.from_backend(fake_devices.catalog()[class_name].load())
        _FAKE_SIMULATORS[class_name] = sim
    return sim


class IBMFakeProvider(Provider):
    """``provider = "ibm-fake"``: a noisy model of an IBM device, simulated by Aer in a worker."""

    kind: ClassVar[str] = "local"
    simulator: ClassVar[bool] = True
    supports_mitigation: ClassVar[bool] = True
    fields: ClassVar[dict[str, Field]] = {
        "device": Field(str, required=True,
                        help="a class of qiskit_ibm_runtime.fake_provider, e.g. FakeManilaV2"),
        "optimization_level": Field(int, help="transpiler optimisation level 0-3"),
        "description": Field(str),
    }

    @classmethod
    def validate_options(cls, options: dict[str, Any]) -> None:
        super().validate_options(options)
        fake_devices.find(options["device"], "device")
        _check_level(options)

    @property
    def device(self) -> fake_devices.FakeDevice:
        return fake_devices.find(self.options["device"], "device")

    def max_qubits(self) -> int | None:
        return self.device.num_qubits

    def describe(self) -> BackendInfo:
        dev = self.device
        return BackendInfo(self.name, self.provider_name(), dev.num_qubits, True, True,
                           f"noisy model of {dev.backend_name}")

    def run(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
            options: dict[str, Any]) -> dict[str, Any]:
        from qiskit import transpile

        from ..circuits import decode

        dev = self.device
        sim = fake_simulator(dev.class_name)
        circuits = decode(payload)
        t0 = time.perf_counter()
        level = self.options.get("optimization_level", DEFAULT_OPTIMIZATION_LEVEL)
        compiled = transpile(circuits, sim, seed_transpiler=seed, optimization_level=level)
        plan, extra, note = _mitigation_plan(options, compiled, sim.num_qubits)
        t1 = time.perf_counter()
        result = sim.run(compiled + extra, shots=shots, seed_simulator=seed).result()
        t2 = time.perf_counter()
        if not result.success:
            reasons = {str(r.status) for r in result.results if not r.success}
            raise RuntimeError("simulator failed: " + "; ".join(sorted(reasons or {result.status})))
        counts = [{str(k): int(v) for k, v in result.get_counts(i).items()}
                  for i in range(len(compiled) + len(extra))]
        out: dict[str, Any] = {"metadata": {
            "device": dev.backend_name, "simulator": sim.name, "transpile_seconds": t1 - t0,
            "run_seconds": t2 - t1}}
        return _apply_mitigation(out, counts, plan, shots, note)


def _mitigation_plan(options: dict[str, Any], compiled: list[Any], num_qubits: int
                     ) -> tuple[dict[str, Any] | None, list[Any], str | None]:
    """(plan, calibration circuits to append, why not) for a job that asked for ``mitigate``."""
    if not options.get("mitigate"):
        return None, [], None
    try:
        maps = mitigation.measurement_maps(compiled)
    except mitigation.MitigationError as exc:
        return None, [], str(exc)
    qubits = mitigation.measured_qubits(maps)
    plan = {"circuits": len(compiled), "maps": [{str(k): v for k, v in m.items()} for m in maps],
            "qubits": qubits}
    return plan, mitigation.calibration_circuits(qubits, num_qubits), None


def _apply_mitigation(out: dict[str, Any], counts: list[dict[str, int]],
                      plan: dict[str, Any] | None, shots: int, note: str | None) -> dict[str, Any]:
    """Fill ``out`` with ``counts`` (and ``mitigated``, ``metadata.mitigation``) from every
    circuit's counts, calibration circuits last."""
    meta = out.setdefault("metadata", {})
    if plan is None:
        out["counts"] = counts
        if note:
            meta["mitigation"] = {"error": note}
        return out
    n = plan["circuits"]
    maps = [{int(k): int(v) for k, v in m.items()} for m in plan["maps"]]
    out["counts"] = counts[:n]
    out["mitigated"], meta["mitigation"] = mitigation.mitigate(
        counts[:n], maps, counts[n:n + 2], plan["qubits"], shots)
    return out


# -- ibm-runtime --------------------------------------------------------------------------
def _import_factory(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


class IBMRuntimeProvider(Provider):
    """``provider = "ibm-runtime"``: IBM Quantum through qiskit-ibm-runtime's SamplerV2."""

    kind: ClassVar[str] = "remote"
    simulator: ClassVar[bool] = False
    supports_mitigation: ClassVar[bool] = True
    fields: ClassVar[dict[str, Field]] = {
        "backend": Field(str, required=True,
                         help="device name, e.g. ibm_torino (channel 'local': e.g. fake_manila)"),
        "channel": Field(str, help="ibm_quantum_platform (default), ibm_cloud or local"),
        "instance": Field(str, help="CRN or name of the service instance"),
        "account": Field(str, help="an account saved with QiskitRuntimeService.save_account"),
        "optimization_level": Field(int, help="transpiler optimisation level 0-3 (default 2)"),
        "max_qubits": Field(int, help="refuse wider circuits before they are queued"),
        "retry_timeout": Field((int, float), help="seconds of network errors before giving up"),
        "describe_timeout": Field((int, float), help="seconds %qbackend waits for the service"),
        "service_factory": Field(str, help="'module:function' returning the service to use"),
        "description": Field(str),
    }

    def __init__(self, spec: dict[str, Any]) -> None:
        super().__init__(spec)
        self._lock = threading.Lock()  # guards the caches below, held briefly
        self._svc_lock = threading.Lock()  # held while the service is built (network)
        self._svc: Any = None
        self._backend_obj: Any = None
        self._jobs: dict[str, Any] = {}

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
        _check_level(options)
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
            return _import_factory(factory)(settings)
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
            _PROBES.call(_import_sdk, 120.0)
            backend, detail = _PROBES.call(self._probe, timeout)
        except TimeoutError:
            return BackendInfo(self.name, provider, self.max_qubits(), self.local, False,
                               f"no answer from the service within {timeout:g} s")
        except Exception as exc:  # reported, never raised: the listing must go on
            return BackendInfo(self.name, provider, self.max_qubits(), self.local, False,
                               _explain(exc))
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
        return is_transient(exc)

    # -- remote execution (runner I/O threads) --------------------------------------------
    def submit(self, payload_format: str, payload: bytes, shots: int, seed: int | None,
               options: dict[str, Any]) -> str:
        from qiskit.transpiler import generate_preset_pass_manager

        from ..circuits import decode

        backend = self._backend()
        circuits = decode(payload)
        manager = generate_preset_pass_manager(
            backend=backend, seed_transpiler=seed,
            optimization_level=self.options.get("optimization_level", DEFAULT_OPTIMIZATION_LEVEL))
        isa = list(manager.run(circuits))
        plan, extra, note = _mitigation_plan(options, isa, backend.num_qubits)
        sampler = _sampler(backend)
        if seed is not None and self.local:
            sampler.options.simulator.seed_simulator = seed
        job = sampler.run(isa + extra, shots=shots)
        remote_id = str(job.job_id())
        with self._lock:
            self._jobs[remote_id] = job
        if plan is not None or note:
            _write_plan(remote_id, {"plan": plan, "note": note, "shots": shots})
        return remote_id

    def poll(self, remote_id: str) -> RemoteState:
        job = self._job(remote_id)
        status, name = normalize_status(job.status())
        state = RemoteState(status, name)
        if status is JobStatus.ERROR:
            state.error = _error_text(job, name)
            self._forget(remote_id)
        elif status is JobStatus.CANCELLED:
            self._forget(remote_id)
        elif status is JobStatus.QUEUED and not self.local:
            state.queue_position, state.estimated_start = _queue_info(job)
        return state

    def result(self, remote_id: str) -> dict[str, Any]:
        job = self._job(remote_id)
        primitive_result = job.result()
        counts = [_pub_counts(pub) for pub in primitive_result]
        saved = _read_plan(remote_id) or {}
        out: dict[str, Any] = {"metadata": {"remote_id": remote_id,
                                            "backend": self.options["backend"]}}
        _apply_mitigation(out, counts, saved.get("plan"), saved.get("shots", 0),
                          saved.get("note"))
        self._forget(remote_id)
        _drop_plan(remote_id)
        return out

    def cancel(self, remote_id: str) -> None:
        self._job(remote_id).cancel()
        self._forget(remote_id)
        _drop_plan(remote_id)


class _Probes:
    """Daemon threads that run blocking service calls for ``describe`` with a time limit.

    The threads never exit: with qiskit-ibm-runtime 0.51 a process crashed (segfault in a
    later ``isinstance``) after the thread that first imported it had exited, so the SDK is
    only ever imported on threads that live as long as the process.
    """

    def __init__(self, most: int = 4) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0
        self._most = most

    def call(self, fn: Any, timeout: float) -> Any:
        """``fn()``'s value or exception; ``TimeoutError`` once ``timeout`` seconds pass."""
        done = threading.Event()
        box: dict[str, Any] = {}
        with self._lock:
            if self._idle == 0 and self._threads < self._most:
                self._threads += 1
                threading.Thread(target=self._serve, name="qnb-probe", daemon=True).start()
        self._jobs.put((fn, box, done))
        if not done.wait(timeout):
            raise TimeoutError(f"no answer within {timeout:g} s")
        if "error" in box:
            raise box["error"]
        return box["value"]

    def _serve(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            fn, box, done = self._jobs.get()
            with self._lock:
                self._idle -= 1
            try:
                box["value"] = fn()
            except BaseException as exc:
                box["error"] = exc
            done.set()


_PROBES = _Probes()


def _import_sdk() -> None:
    import qiskit_ibm_runtime  # noqa: F401


def _sampler(backend: Any) -> Any:
    with warnings.catch_warnings():
        # SamplerV2 is deprecated in 0.50+ in favour of the executor-based Sampler, which
        # speaks a different program; SamplerV2 remains the supported sampler until removal.
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        from qiskit_ibm_runtime import SamplerV2

        return SamplerV2(mode=backend)


def _explain(exc: BaseException) -> str:
    """One line on why the service could not be asked; network trouble says so (offline, the
    SDK reports an invalid token whose cause is a connection error)."""
    def line(e: BaseException) -> str:
        return f"{type(e).__name__}: {(str(e).strip() or repr(e)).splitlines()[0][:160]}"

    if is_transient(exc):
        root = exc
        while (root.__cause__ or root.__context__) is not None:
            root = root.__cause__ or root.__context__
        return f"cannot reach the service ({line(root)})"
    return line(exc)


def _error_text(job: Any, name: str) -> str:
    text = ""
    try:
        text = (job.error_message() or "").strip()
    except Exception as exc:  # the message is a courtesy; the status is what counts
        log.info("could not read the error message of %s: %s", job.job_id(), exc)
    if not text and getattr(job, "_future", None) is not None:
        exc = job._future.exception()
        if exc is not None:
            text = f"{type(exc).__name__}: {exc}"
    return text or f"the service reports {name}"


def _queue_info(job: Any) -> tuple[int | None, float | None]:
    """Queue position and estimated start from the job's metrics, when the service has them."""
    try:
        metrics = job.metrics() or {}
    except Exception:
        return None, None
    position = metrics.get("position_in_queue")
    if position is None:
        position = metrics.get("position_in_provider")
    try:
        position = int(position) if position is not None else None
    except (TypeError, ValueError):
        position = None
    return position, _iso_to_epoch(metrics.get("estimated_start_time"))


# A job's mitigation plan (which results are calibration circuits, which qubits each bit
# measured) must outlive the runner that submitted it: one small file per remote job.
def _plan_path(remote_id: str) -> Path:
    from ..config import qnb_home

    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in remote_id)
    return qnb_home() / "ibm-runtime" / f"{safe}.json"


def _write_plan(remote_id: str, data: dict[str, Any]) -> None:
    path = _plan_path(remote_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


def _read_plan(remote_id: str) -> dict[str, Any] | None:
    try:
        return json.loads(_plan_path(remote_id).read_text())
    except (OSError, ValueError):
        return None


def _drop_plan(remote_id: str) -> None:
    with contextlib.suppress(OSError):
        _plan_path(remote_id).unlink()
