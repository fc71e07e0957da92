"""A stand-in for the IBM Quantum cloud service, which tests cannot reach.

Only the network is replaced: ``StandinService`` is a ``QiskitRuntimeService`` built without
network calls (its ``backend`` builds the device from a fake device's configuration and
properties), and ``StandinClient`` plays its REST client. Everything above them is
qiskit-ibm-runtime's own code: ``QiskitRuntimeService._run`` and ``.job``, a real
``IBMBackend``, the real primitives (the executor-based ``executor_sampler.Sampler`` and
``executor_estimator.Estimator``, and the legacy ``SamplerV2``), real ``Session`` and ``Batch``
objects, and real ``RuntimeJobV2`` objects, which turn the API's raw states (Queued, Running,
Completed, Failed, Cancelled) into the status strings qnb sees, raise the real exceptions
(``RequestsApiError``, ``IBMNotAuthorizedError``, ``RuntimeJobFailureError``,
``RuntimeInvalidStateError``...) and decode results with the SDK's own decoders.

Results are real simulations on the fake device's noise model, sent back in the JSON the
service sends:

- program ``"executor"`` (what the executor primitives submit): the params are validated
  against their ``ibm_quantum_schemas`` model (an invalid one is refused with HTTP 400), the
  ``QuantumProgram`` is decoded with qiskit-ibm-runtime's own converter and run with its
  local testing mode's ``run_quantum_program`` (samplex items included: twirling, TREX), and
  the ``QuantumProgramResult`` travels back as the schema's ``QuantumProgramResultModel``
  JSON, which the SDK post-processes into a ``PrimitiveResult``;
- program ``"sampler"`` (the legacy ``SamplerV2``): the pubs run on Qiskit's
  ``BackendSamplerV2``; the ``PrimitiveResult`` travels back as RuntimeEncoder JSON.

A job whose program cannot run on the simulator ends Failed with the error. The simulator's
seed is fixed (1234): the service takes no seed.

Sessions: ``Session`` / ``Batch`` create one (``POST /sessions``: ``create_session``, with the
mode "dedicated" or "batch" and ``max_ttl``), run jobs in it (``program_run(session_id=)``),
close it (``PATCH accepting_jobs=false``: ``close_session``; an unknown session is ignored, as
the SDK's REST adapter ignores a 404), cancel it (``cancel_session``) and read it
(``session_details``, as ``Session.from_id`` and ``.details()`` do). A job sent to a session
that is closed (closed by the client, cancelled, or past its ``max_ttl``) is refused with HTTP
400 (the wording is the stand-in's own).

The service keeps its jobs and sessions in files under ``$QNB_IBM_STANDIN_DIR`` (default
``$QNB_HOME/ibm-standin``), so they outlive a runner restart, and reads ``scenario.json``
there on every call, so a test can change its behaviour while the runner follows jobs:

- ``queue_seconds``, ``run_seconds``: how long a new job queues and runs;
- ``queue_position``: the position a new job starts at (it falls as the job waits);
- ``fail``: a reason; new jobs then end Failed with it;
- ``outage_until`` (epoch seconds) with ``outage_status`` (-1: connection refused, or an HTTP
  code such as 503): every job and session call fails so until then; ``outage_calls``: the
  next N job or session calls fail so;
- ``results_outage_until``: fetching results answers 502 until then (status calls work);
- ``unauthorized``: every job and session call answers 401;
- ``devices``: ``{backend name: fake device class}`` (default ``{"ibm_standin": "FakeManilaV2"}``).

``calls()`` lists the job and session calls answered or refused; ``jobs()`` and ``sessions()``
what the service holds.

Profiles select it with ``service_factory = "ibm_standin:make_service"`` (the tests' folder
must be on the runner's ``PYTHONPATH``).
"""

from __future__ import annotations

import json
import math
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from standin_state import StandinState

STATE_ENV = "QNB_IBM_STANDIN_DIR"
DEFAULTS = {"queue_seconds": 1.0, "run_seconds": 0.5, "queue_position": 5, "fail": None,
            "outage_until": 0, "outage_calls": 0, "outage_status": -1,
            "results_outage_until": 0,
            "unauthorized": False,
            "devices": {"ibm_standin": "FakeManilaV2"}}
SIMULATOR_SEED = 1234
DEFAULT_MAX_TTL = 28800  # seconds a session may last when the client sets no max_time
INTERACTIVE_TTL = {"dedicated": 60, "batch": 1}
_state = StandinState(STATE_ENV, "ibm-standin", ("jobs", "sessions"), DEFAULTS)
_lock = _state.lock
_run_lock = threading.Lock()  # one simulation at a time, each job's once


def state_dir() -> Path:
    return _state.folder()


def scenario() -> dict[str, Any]:
    return _state.scenario()


def reset(**changes: Any) -> None:
    """Back to the defaults (with ``changes``), forgetting earlier scenario changes."""
    _state.reset(**changes)


def set_scenario(**changes: Any) -> None:
    """Change how the stand-in behaves from now on (tests call this)."""
    _state.change(**changes)


def calls() -> list[str]:
    """Every job or session call the service answered or refused, as ``"what id"`` lines."""
    return _state.logged()


def jobs() -> dict[str, dict[str, Any]]:
    """The service's job records by job id (``program``, ``session_id``, ``cancelled``...)."""
    return {p.stem: json.loads(p.read_text())
            for p in (state_dir() / "jobs").glob("*.json") if "." not in p.stem}


def sessions() -> dict[str, dict[str, Any]]:
    """The service's session records by session id (``mode``, ``max_ttl``,
    ``accepting_jobs``, ``closed_at``...)."""
    return {p.stem: json.loads(p.read_text()) for p in (state_dir() / "sessions").glob("*.json")}


def _take_outage_call() -> bool:
    """Use up one of the ``outage_calls`` (one process, the runner, makes the calls)."""
    with _lock:
        sc = scenario()
        if sc["outage_calls"] <= 0:
            return False
        data = json.loads((state_dir() / "scenario.json").read_text())
        data["outage_calls"] = sc["outage_calls"] - 1
        _atomic_write(state_dir() / "scenario.json", json.dumps(data))
        return True


def _record(what: str) -> None:
    _state.log(what)


_atomic_write = StandinState.write


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _new_id() -> str:
    return "d" + uuid.uuid4().hex[:19]


def make_service(settings: dict[str, Any]) -> Any:
    """What ``service_factory`` calls. Like ``QiskitRuntimeService()``, it finds credentials in
    the saved account or the ``QISKIT_IBM_*`` variables, and fails without them."""
    from qiskit_ibm_runtime.accounts import AccountManager

    account = AccountManager.get(name=settings.get("account"), channel=settings.get("channel"))
    return _service_class()(account, settings)


class StandinClient:
    """The REST API: program_run, job_get, job_results, job_cancel, job_metadata,
    create_session, close_session, cancel_session, session_details, backend_status,
    backend_properties, cloud_usage."""

    def __init__(self, account: Any) -> None:
        self._token = account.token  # held like the real client holds it; never written
        self._instance = account.instance

    # -- network trouble ------------------------------------------------------------------
    def _network(self, what: str, job_id: str = "", path: str = "jobs",
                 record: bool = True) -> dict[str, Any]:
        import requests
        from qiskit_ibm_runtime.api.exceptions import RequestsApiError
        from qiskit_ibm_runtime.exceptions import IBMNotAuthorizedError

        sc = scenario()
        url = f"https://quantum.cloud.ibm.com/api/v1/{path}/{job_id}"
        if sc["unauthorized"]:
            _record(f"refused-401 {what} {job_id}")
            raise IBMNotAuthorizedError(f"401 Client Error: Unauthorized for url: {url}. "
                                        "Unable to authenticate, Error code: 1001.")
        if time.time() < sc["outage_until"] or (sc["outage_calls"] > 0 and _take_outage_call()):
            _record(f"refused-network {what} {job_id}")
            code = int(sc["outage_status"])
            if code == -1:
                cause = requests.exceptions.ConnectionError(
                    "HTTPSConnectionPool(host='quantum.cloud.ibm.com', port=443): Max retries "
                    f"exceeded with url: /api/v1/{path}/{job_id} (Caused by NewConnectionError('"
                    "<urllib3.connection.HTTPSConnection object>: Failed to establish a new "
                    "connection: [Errno 111] Connection refused'))")
                raise RequestsApiError(str(cause), -1) from cause
            raise RequestsApiError(f"{code} Server Error: Service Unavailable for url: {url}",
                                   code)
        if record:
            _record(f"{what} {job_id}")
        return sc

    # -- jobs -----------------------------------------------------------------------------
    def _path(self, job_id: str) -> Path:
        return state_dir() / "jobs" / f"{job_id}.json"

    def _load(self, job_id: str) -> dict[str, Any]:
        from qiskit_ibm_runtime.api.exceptions import RequestsApiError

        try:
            return json.loads(self._path(job_id).read_text())
        except FileNotFoundError:
            raise RequestsApiError(f"404 Client Error: Not Found for url: "
                                   f"https://quantum.cloud.ibm.com/api/v1/jobs/{job_id}",
                                   404) from None

    def program_run(self, program_id: str, backend_name: str | None, params: dict,
                    image: str | None = None, log_level: str | None = None,
                    session_id: str | None = None, job_tags: list[str] | None = None,
                    max_execution_time: int | None = None, start_session: bool | None = False,
                    session_time: int | None = None, private: bool | None = False,
                    calibration_id: str | None = None) -> dict[str, Any]:
        from qiskit_ibm_runtime import RuntimeEncoder

        sc = self._network("program_run")
        params = json.loads(json.dumps(params, cls=RuntimeEncoder))  # what goes on the wire
        if program_id == "executor":
            _executor_params(params)  # HTTP 400 when the schema refuses them
        if session_id:
            self._check_session_takes_jobs(session_id, backend_name)
        job_id = _new_id()
        record = {"id": job_id, "backend": backend_name, "program": program_id,
                  "created": time.time(), "queue_seconds": float(sc["queue_seconds"]),
                  "run_seconds": float(sc["run_seconds"]), "fail": sc["fail"],
                  "queue_position": int(sc["queue_position"]), "cancelled": None,
                  "session_id": session_id or None, "tags": list(job_tags or []),
                  "params": json.dumps(params)}
        _atomic_write(self._path(job_id), json.dumps(record))
        return {"id": job_id, "backend": backend_name}

    @staticmethod
    def _phase(rec: dict[str, Any]) -> str:
        """Where the job is in time: Cancelled, Queued, Running or Over."""
        now = time.time()
        start = rec["created"] + rec["queue_seconds"]
        if rec["cancelled"] is not None:
            return "Cancelled"
        if now < start:
            return "Queued"
        if now < start + rec["run_seconds"]:
            return "Running"
        return "Over"

    def _state(self, rec: dict[str, Any]) -> str:
        """The API's status; a job whose time is over has run (``_outcome``)."""
        phase = self._phase(rec)
        if phase != "Over":
            return phase
        if rec["fail"]:
            return "Failed"
        return "Failed" if self._outcome(rec)[0] is None else "Completed"

    def _outcome(self, rec: dict[str, Any]) -> tuple[str | None, str | None]:
        """``(result JSON, None)`` or ``(None, error)``: the job's program run on the simulator,
        once, when its running time is over."""
        done = state_dir() / "jobs" / f"{rec['id']}.result.json"
        failed = state_dir() / "jobs" / f"{rec['id']}.error.txt"
        with _run_lock:
            if done.exists():
                return done.read_text(), None
            if failed.exists():
                return None, failed.read_text()
            try:
                text = _simulate(rec)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                _atomic_write(failed, error)
                return None, error
            _atomic_write(done, text)
            return text, None

    def job_get(self, job_id: str, exclude_params: bool = True) -> dict[str, Any]:
        self._network("job_get", job_id)
        rec = self._load(job_id)
        status = self._state(rec)
        state: dict[str, Any] = {"status": status}
        if status == "Failed":
            state.update(reason=rec["fail"] or self._outcome(rec)[1], reasonCode=1517)
        return {"id": job_id, "backend": rec["backend"], "state": state, "status": status,
                "program": {"id": rec["program"]}, "created": _iso(rec["created"]),
                "runtime": "", "tags": rec.get("tags", []),
                "session_id": rec.get("session_id"), "private": False}

    def job_metadata(self, job_id: str) -> dict[str, Any]:
        self._network("job_metadata", job_id)
        rec = self._load(job_id)
        start = rec["created"] + rec["queue_seconds"]
        end = start + rec["run_seconds"]
        status = self._state(rec)
        data: dict[str, Any] = {
            "timestamps": {"created": _iso(rec["created"]),
                           "running": _iso(start) if status != "Queued" else None,
                           "finished": _iso(end) if status in ("Completed", "Failed") else None},
            # what IBM reports: usage stays "pending" until it is counted after the job ends
            "usage": {"quantum_seconds": 0, "seconds": 0, "status": "pending"},
        }
        if status == "Completed":
            data["usage"] = {"quantum_seconds": rec["run_seconds"],
                             "seconds": rec["run_seconds"], "status": "completed",
                             "qpu_charge_time_seconds": rec["run_seconds"]}
        if status == "Queued":
            left = max(0.0, start - time.time()) / max(rec["queue_seconds"], 1e-9)
            data.update(estimated_start_time=_iso(start), estimated_completion_time=_iso(end),
                        position_in_queue=max(1, math.ceil(rec["queue_position"] * left)))
        return data

    def job_results(self, job_id: str) -> str:
        from qiskit_ibm_runtime.api.exceptions import RequestsApiError

        sc = self._network("job_results", job_id)
        if time.time() < sc["results_outage_until"]:
            raise RequestsApiError("502 Server Error: Bad Gateway for url: https://quantum.cloud."
                                   f"ibm.com/api/v1/jobs/{job_id}/results", 502)
        rec = self._load(job_id)
        if self._state(rec) == "Failed":
            reason = rec["fail"] or self._outcome(rec)[1]
            return f"Traceback (most recent call last):\nRuntimeError: {reason}"
        return self._outcome(rec)[0] or ""

    def job_cancel(self, job_id: str) -> None:
        from qiskit_ibm_runtime.api.exceptions import RequestsApiError

        self._network("job_cancel", job_id)
        rec = self._load(job_id)
        if self._state(rec) in ("Completed", "Failed", "Cancelled"):
            raise RequestsApiError("409 Client Error: Conflict for url: https://quantum.cloud."
                                   f"ibm.com/api/v1/jobs/{job_id}/cancel. Job is in a final "
                                   "state, Error code: 3300.", 409)
        rec["cancelled"] = time.time()
        _atomic_write(self._path(job_id), json.dumps(rec))

    # -- sessions -------------------------------------------------------------------------
    def _session_path(self, session_id: str) -> Path:
        return state_dir() / "sessions" / f"{session_id}.json"

    def _load_session(self, session_id: str) -> dict[str, Any]:
        from qiskit_ibm_runtime.api.exceptions import RequestsApiError

        try:
            return json.loads(self._session_path(session_id).read_text())
        except FileNotFoundError:
            raise RequestsApiError(f"404 Client Error: Not Found for url: https://quantum.cloud."
                                   f"ibm.com/api/v1/sessions/{session_id}", 404) from None

    def _session_jobs(self, session_id: str) -> list[dict[str, Any]]:
        return [rec for rec in jobs().values() if rec.get("session_id") == session_id]

    def _session_state(self, srec: dict[str, Any]) -> str:
        states = [self._phase(rec) for rec in self._session_jobs(srec["id"])]
        pending = any(s in ("Queued", "Running") for s in states)
        if srec["cancelled_at"] is not None or time.time() >= srec["created"] + srec["max_ttl"]:
            return "closed"
        if not srec["accepting_jobs"]:
            return "pending_closed" if pending else "closed"
        if "Running" in states:
            return "active"
        return "open" if pending or not states else "inactive"

    def _session_details(self, srec: dict[str, Any]) -> dict[str, Any]:
        state = self._session_state(srec)
        return {"id": srec["id"], "backend_name": srec["backend_name"], "mode": srec["mode"],
                "instance": srec["instance"], "max_ttl": srec["max_ttl"],
                "interactive_ttl": INTERACTIVE_TTL.get(srec["mode"], 60),
                "active_ttl": srec["max_ttl"], "state": state,
                "accepting_jobs": state not in ("closed", "pending_closed"),
                "started_at": _iso(srec["created"]), "closed_at": _iso(srec["closed_at"]),
                "last_job_started": None, "last_job_completed": None, "activated_at": None,
                "elapsed_time": 0, "timestamps": []}

    def _check_session_takes_jobs(self, session_id: str, backend_name: str | None) -> None:
        from qiskit_ibm_runtime.api.exceptions import RequestsApiError

        srec = self._load_session(session_id)
        url = "https://quantum.cloud.ibm.com/api/v1/jobs"
        if self._session_state(srec) in ("closed", "pending_closed"):
            raise RequestsApiError(f"400 Client Error: Bad Request for url: {url}. Session "
                                   f"{session_id} is closed and accepts no more jobs", 400)
        if backend_name and backend_name != srec["backend_name"]:
            raise RequestsApiError(f"400 Client Error: Bad Request for url: {url}. Session "
                                   f"{session_id} runs on {srec['backend_name']}, not "
                                   f"{backend_name}", 400)

    def create_session(self, backend: str | None = None, instance: str | None = None,
                       max_time: int | None = None, mode: str | None = None,
                       **kwargs: Any) -> dict[str, Any]:
        self._network("create_session", path="sessions", record=False)
        session_id = _new_id()
        srec = {"id": session_id, "backend_name": backend, "instance": instance,
                "mode": mode or "dedicated", "max_ttl": int(max_time or DEFAULT_MAX_TTL),
                "created": time.time(), "accepting_jobs": True, "closed_at": None,
                "cancelled_at": None}
        _atomic_write(self._session_path(session_id), json.dumps(srec))
        _record(f"create_session {session_id}")
        return self._session_details(srec)

    def close_session(self, session_id: str) -> None:
        """``PATCH accepting_jobs=false``; the SDK's REST adapter ignores a 404 and reports
        other failures as ``IBMRuntimeError("Error closing session: ...")``."""
        from qiskit_ibm_runtime.api.exceptions import RequestsApiError
        from qiskit_ibm_runtime.exceptions import IBMRuntimeError

        try:
            self._network("close_session", session_id, path="sessions")
            srec = self._load_session(session_id)
        except RequestsApiError as ex:
            if ex.status_code == 404:
                return
            raise IBMRuntimeError(f"Error closing session: {ex}") from None
        srec["accepting_jobs"] = False
        srec["closed_at"] = srec["closed_at"] or time.time()
        _atomic_write(self._session_path(session_id), json.dumps(srec))

    def cancel_session(self, session_id: str) -> None:
        self._network("cancel_session", session_id, path="sessions")
        srec = self._load_session(session_id)
        srec["accepting_jobs"] = False
        srec["cancelled_at"] = srec["closed_at"] = time.time()
        _atomic_write(self._session_path(session_id), json.dumps(srec))
        for rec in self._session_jobs(session_id):
            if self._phase(rec) in ("Queued", "Running"):
                rec["cancelled"] = time.time()
                _atomic_write(self._path(rec["id"]), json.dumps(rec))

    def session_details(self, session_id: str) -> dict[str, Any]:
        self._network("session_details", session_id, path="sessions")
        return self._session_details(self._load_session(session_id))

    # -- the instance and its backends ----------------------------------------------------
    def cloud_usage(self) -> dict[str, Any]:
        return {"instance_id": self._instance, "plan_id": "standin",
                "usage_consumed_seconds": 0, "usage_limit_seconds": None,
                "usage_allocation_seconds": None, "usage_limit_reached": False}

    def backend_properties(self, backend_name: str, datetime: Any = None,
                           calibration_id: Any = None) -> dict[str, Any]:
        device = _fake_device(backend_name)
        device._set_props_dict_from_json()
        return dict(device._props_dict, backend_name=backend_name)

    def backend_status(self, backend_name: str) -> dict[str, Any]:
        pending = sum(1 for p in (state_dir() / "jobs").glob("d*.json") if "." not in p.stem)
        return {"backend_name": backend_name, "backend_version": "1.0.0", "operational": True,
                "pending_jobs": pending, "status_msg": "active"}


# -- what the service runs ------------------------------------------------------------------
def _executor_params(params: dict[str, Any]) -> Any:
    """The executor's params model, validated as the service validates them (HTTP 400)."""
    from pydantic import ValidationError
    from qiskit_ibm_runtime.api.exceptions import RequestsApiError
    from qiskit_ibm_runtime.quantum_program.params_converters import (
        QUANTUM_PROGRAM_PARAMS_CONVERTERS,
    )

    url = "https://quantum.cloud.ibm.com/api/v1/jobs"
    converter = QUANTUM_PROGRAM_PARAMS_CONVERTERS.get(str(params.get("schema_version")))
    if converter is None:
        raise RequestsApiError(f"400 Client Error: Bad Request for url: {url}. Unsupported "
                               f"schema_version {params.get('schema_version')!r}", 400)
    try:
        return converter, converter.model.model_validate(params)
    except ValidationError as exc:
        raise RequestsApiError(f"400 Client Error: Bad Request for url: {url}. {exc}",
                               400) from None


def _simulate(rec: dict[str, Any]) -> str:
    device = _fake_device(rec["backend"])
    if rec["program"] == "executor":
        return _run_executor(device, rec)
    if rec["program"] == "sampler":
        return _run_sampler(device, rec)
    raise ValueError(f"the stand-in does not run the program {rec['program']!r}")


def _run_sampler(device: Any, rec: dict[str, Any]) -> str:
    """The legacy sampler program: its pubs on Qiskit's BackendSamplerV2."""
    from qiskit.primitives import BackendSamplerV2
    from qiskit_ibm_runtime import RuntimeDecoder, RuntimeEncoder

    params = json.loads(rec["params"], cls=RuntimeDecoder)
    pubs = [tuple(p) for p in params["pubs"]]
    result = BackendSamplerV2(backend=device, options={"seed_simulator": SIMULATOR_SEED}).run(
        pubs).result()
    return json.dumps(result, cls=RuntimeEncoder)


def _run_executor(device: Any, rec: dict[str, Any]) -> str:
    """The executor program: the ``QuantumProgram`` decoded with qiskit-ibm-runtime's own
    converter, run by its local testing mode, and sent back as the schema's result model."""
    from qiskit_ibm_runtime.fake_provider.executor.run_quantum_program import (
        run_quantum_program,
    )
    from qiskit_ibm_runtime.options_models.simulator import SimulatorOptions
    from samplomatic.quantum_program import SamplexItem

    converter, model = _executor_params(json.loads(rec["params"]))
    program, _options = converter.decoder(model)
    for item in program.items:
        if isinstance(item, SamplexItem):
            item.samplex.finalize()  # the decoded samplex comes unfinalized
    result = run_quantum_program(device, program,
                                 SimulatorOptions(seed_simulator=SIMULATOR_SEED))
    start = rec["created"] + rec["queue_seconds"]
    return _program_result_json(model.schema_version, program, result, start,
                                start + rec["run_seconds"])


def _program_result_json(version: str, program: Any, result: Any, start: float,
                         stop: float) -> str:
    """A ``QuantumProgramResult`` as the service's ``QuantumProgramResultModel`` JSON (one
    execution chunk per program item)."""
    import importlib

    import numpy as np
    from ibm_quantum_schemas.common import CompressedTensorModel

    if version != "v2.0":
        raise ValueError(f"the stand-in answers executor schema v2.0, not {version}")
    schema = importlib.import_module("ibm_quantum_schemas.executor.version_2_0")
    from qiskit_ibm_runtime.quantum_program.converters.converters_2_0 import (
        passthrough_data_to_2_0,
    )

    span = (stop - start) / max(1, len(program.items))
    chunks = []
    for i, item in enumerate(program.items):
        chunks.append(schema.ChunkSpan(
            start=datetime.fromtimestamp(start + i * span, UTC),
            stop=datetime.fromtimestamp(start + (i + 1) * span, UTC),
            parts=[schema.ChunkPart(idx_item=i, size=item.size(),
                                    permutation=list(range(len(item.shape))),
                                    element_range=(0, item.size(), 1))]))
    model = schema.QuantumProgramResultModel(
        data=[schema.QuantumProgramResultItemModel(
            results={name: CompressedTensorModel.from_numpy(np.asarray(value))
                     for name, value in item.items()},
            metadata=schema.ItemMetadataModel()) for item in result],
        metadata=schema.MetadataModel(chunk_timing=chunks),
        passthrough_data=passthrough_data_to_2_0(result.passthrough_data),
        semantic_role=result._semantic_role)
    return model.model_dump_json()


_devices: dict[str, Any] = {}


def _fake_device(backend_name: str) -> Any:
    from qiskit.providers.exceptions import QiskitBackendNotFoundError

    devices = scenario()["devices"]
    if backend_name not in devices:
        raise QiskitBackendNotFoundError("No backend matches the criteria.")
    with _lock:
        if backend_name not in _devices:
            import qiskit_ibm_runtime.fake_provider as fake_provider

            _devices[backend_name] = getattr(fake_provider, devices[backend_name])()
        return _devices[backend_name]


_service_cls: type | None = None


def _service_class() -> type:
    """``StandinService``, defined on first use (it subclasses ``QiskitRuntimeService``, so
    importing this module does not import the SDK)."""
    global _service_cls
    if _service_cls is None:
        _service_cls = _define_service()
    return _service_cls


def _define_service() -> type:
    from qiskit_ibm_runtime import QiskitRuntimeService

    class StandinService(QiskitRuntimeService):
        """``QiskitRuntimeService`` with its REST client replaced by ``StandinClient``.

        Its own ``_run`` (jobs, in and out of sessions) and ``job`` (re-attach) run
        unchanged; only the constructor (which would ask the cloud for instances and
        backends) and ``backend`` (built from a fake device) are the stand-in's. ``Session``
        and ``Batch`` see a ``QiskitRuntimeService``, so they create and close their sessions
        through the client."""

        def __init__(self, account: Any, settings: dict[str, Any]) -> None:  # no network
            self._account = account
            self._channel = account.channel
            self._client = StandinClient(account)
            self._active_api_client = self._client
            self._api_clients = {account.instance: self._client}
            self._backend_instance_groups: list[dict[str, Any]] = []
            self._all_instances: list[dict[str, Any]] = []
            self._backends: dict[str, Any] = {}

        def backend(self, name: str | None = None, instance: str | None = None,
                    **kwargs: Any) -> Any:
            from qiskit_ibm_runtime import IBMBackend
            from qiskit_ibm_runtime.models import BackendConfiguration

            with _lock:
                cached = self._backends.get(name)
            if cached is not None:
                return cached
            device = _fake_device(name)  # QiskitBackendNotFoundError, as the service raises
            config = BackendConfiguration.from_dict(dict(device._conf_dict, backend_name=name))
            backend = IBMBackend(configuration=config, service=self, api_client=self._client,
                                 instance=self._account.instance)
            with _lock:
                self._backends[name] = backend
            return backend

        def _create_backend_obj(self, backend_name: str, instance: str | None = None,
                                **kwargs: Any) -> Any:
            return self.backend(backend_name)

        def job(self, job_id: str) -> Any:
            """``QiskitRuntimeService.job``: 404 -> RuntimeJobNotFound, other request failures
            -> IBMRuntimeError("Failed to retrieve job: ...")."""
            _record(f"service.job {job_id}")
            return super().job(job_id)

    return StandinService
